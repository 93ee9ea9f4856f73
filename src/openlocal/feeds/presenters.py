"""What a feed entry says, as words and escaped HTML. No database access here.

Callers pass only public rows (``Request.public_objects``, ``Update.public_objects``) and only
public fields: the reporter's name goes in only as ``public_reporter_name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from openlocal.places.models import AREA_KIND_ORDER
from openlocal.requests.models import UpdateKind
from openlocal.web.presenters import ANONYMOUS, TimelineEntry, plural, status_label

#: Words of an update's text repeated in an entry's summary; the whole text is its content.
SUMMARY_WORDS = 40


@dataclass(frozen=True)
class AreaName:
    name: str
    kind: str


def place_text(address: str, areas: Iterable[AreaName], latitude: float, longitude: float) -> str:
    """Where a request is, in words: its address, else its areas from smallest to largest."""
    if address.strip():
        return address.strip()
    rank: dict[str, int] = {str(kind): n for n, kind in enumerate(AREA_KIND_ORDER)}
    ordered = sorted(areas, key=lambda a: (-rank.get(a.kind, len(rank)), a.name))
    if ordered:
        return ", ".join(a.name for a in ordered)
    return f"{latitude:.5f}, {longitude:.5f}"


def paragraphs(text: str) -> SafeString:
    """Plain text as escaped HTML paragraphs, keeping the writer's line breaks."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return format_html_join(
        "",
        "<p>{}</p>",
        (
            (SafeString("<br>".join(escape(line) for line in block.split("\n"))),)
            for block in blocks
        ),
    )


def facts_html(rows: Sequence[tuple[str, str]]) -> SafeString:
    return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


@dataclass(frozen=True)
class RequestEntry:
    title: str
    author: str
    summary_html: str
    content_html: str
    categories: tuple[str, ...]


def request_entry(
    *,
    title: str,
    description: str,
    status: str,
    category: str,
    body: str,
    place: str,
    public_reporter_name: str,
    supporter_count: int,
) -> RequestEntry:
    """A request as an entry of a target feed (all, area, body, category, asset, around...)."""
    label = status_label(status)
    facts = [("Status", label), ("Category", category), ("Where", place), ("Sent to", body)]
    if supporter_count:
        facts.append(("Also affected", plural(supporter_count, "person", "people")))
    summary = format_html("{} · {} · {}", label, category, place)
    content = format_html("{}{}", paragraphs(description), facts_html(facts))
    return RequestEntry(
        title=title,
        author=public_reporter_name.strip() or ANONYMOUS,
        summary_html=str(summary),
        content_html=str(content),
        categories=(category, label),
    )


@dataclass(frozen=True)
class TimelineFeedEntry:
    title: str
    author: str
    summary_html: str
    content_html: str


def timeline_feed_entry(
    entry: TimelineEntry, *, kind: str, public_reporter_name: str, description: str
) -> TimelineFeedEntry:
    """One public timeline entry (from ``web.presenters.timeline_entry``) as a feed entry.

    The "Reported" entry names the reporter only by the name they currently choose to show,
    and carries the request's description.
    """
    if kind == UpdateKind.CREATED:
        author = public_reporter_name.strip() or ANONYMOUS
        title = "Reported" if author == ANONYMOUS else f"Reported by {author}"
    elif kind == UpdateKind.COMMENT:
        author = entry.author
        title = f"Comment from {author}"
    else:
        author = entry.author
        title = entry.heading
    content = format_html(
        "{}{}",
        format_html_join("", "<p>{}</p>", ((line,) for line in entry.lines)),
        paragraphs(entry.text or (description if kind == UpdateKind.CREATED else "")),
    )
    words = " ".join([*entry.lines, entry.text]).split()
    summary = " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")
    return TimelineFeedEntry(
        title=title,
        author=author,
        summary_html=escape(summary or title),
        content_html=str(content) or escape(title),
    )

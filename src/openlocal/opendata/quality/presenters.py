"""The quality report as a page shows it: who is looking, figures as text, links to fix.

Staff see the same report as everyone, except that the requests dataset covers their own
bodies' requests (hidden ones included) and each example they can put right links to where
they can: the staff workspace for requests of their bodies, the site administration's change
page for areas, assets, bodies, categories and routing rules when they may edit those there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from openlocal.opendata.quality.report import (
    EVERYTHING,
    PUBLIC,
    Check,
    DatasetReport,
    Example,
    FieldCompleteness,
    FixTarget,
    Report,
    Scope,
)
from openlocal.places.permissions import bodies_for


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the report, and what that lets them see and fix."""

    user: Any = None
    staff: bool = False
    scope: Scope = PUBLIC
    #: The bodies whose requests they work on; None for every body (superusers).
    body_ids: frozenset[int] | None = frozenset()
    body_names: tuple[str, ...] = ()


def viewer_for(user: Any) -> Viewer:
    """The public view for visitors; a staff view for members of a body or site staff."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Viewer()
    if user.is_superuser:
        return Viewer(user=user, staff=True, scope=EVERYTHING, body_ids=None)
    bodies = bodies_for(user)
    if bodies:
        return Viewer(
            user=user,
            staff=True,
            scope=Scope.for_bodies([b.pk for b in bodies]),
            body_ids=frozenset(b.pk for b in bodies),
            body_names=tuple(b.name for b in bodies),
        )
    if user.is_staff:
        return Viewer(user=user, staff=True)
    return Viewer()


def _admin_link(viewer: Viewer, fix: FixTarget) -> str | None:
    user = viewer.user
    if user is None or not user.is_staff:
        return None
    app_label, model = fix.model.split(".")
    action = "change" if fix.kind == "change" else "add"
    if not user.has_perm(f"{app_label}.{action}_{model}"):
        return None
    try:
        if action == "change":
            return reverse(f"admin:{app_label}_{model}_change", args=[fix.pk])
        url = reverse(f"admin:{app_label}_{model}_add")
    except NoReverseMatch:
        return None  # not registered in the site administration
    return f"{url}?{urlencode(fix.initial)}" if fix.initial else url


FIX_TEXT = {
    "workspace": "Open in the staff workspace",
    "change": "Edit in site administration",
    "add": "Add in site administration",
}


def fix_link(viewer: Viewer, fix: FixTarget | None) -> dict[str, str] | None:
    """``{"href", "text"}`` where this viewer can fix the example, or None."""
    if fix is None or not viewer.staff:
        return None
    href: str | None
    if fix.kind == "workspace":
        allowed = viewer.body_ids is None or fix.body_id in viewer.body_ids
        href = reverse("staff:request", args=[fix.pk]) if allowed else None
    else:
        href = _admin_link(viewer, fix)
    return {"href": href, "text": FIX_TEXT[fix.kind]} if href else None


def share_text(item: FieldCompleteness) -> str:
    if item.share_filled is None:
        return "No rows"
    percent = item.share_filled * 100
    if item.missing and percent >= 99.95:
        return "99.9%"  # never round a missing value away
    return f"{percent:.1f}%".replace(".0%", "%")


@dataclass
class ExampleRow:
    name: str
    url: str | None
    detail: str
    hidden: bool
    fix: dict[str, str] | None


@dataclass
class BreakdownLine:
    name: str
    count: int
    cells: list[str]


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@dataclass
class CheckSection:
    id: str
    check: Check
    rows: list[ExampleRow]
    #: Whether any row has a link to fix it: only then is the column shown.
    fixable: bool
    breakdown_columns: list[tuple[str, str]] = field(default_factory=list)
    #: What the breakdown's rows are, e.g. "Category".
    breakdown_heading: str = ""
    breakdown: list[BreakdownLine] = field(default_factory=list)


@dataclass
class DatasetSection:
    id: str
    report: DatasetReport
    fields: list[dict[str, Any]]
    checks: list[CheckSection]
    #: For staff: the report covers only their bodies' requests, hidden ones included.
    scope_note: str = ""


#: What each check's breakdown is by.
BREAKDOWN_HEADINGS: dict[str, str] = {
    "open-too-long": "Category",
    "unrouted-in-area": "Category",
    "likely-duplicates": "Asset type",
}

#: Columns of a breakdown's ``data`` worth showing, per check, with their headings.
BREAKDOWN_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "open-too-long": [
        ("closed_requests", "Closed requests"),
        ("median_days_to_close", "Median days to close"),
        ("threshold_days", "Flagged after (days)"),
    ],
}


def _example_row(viewer: Viewer, example: Example) -> ExampleRow:
    return ExampleRow(
        name=example.name,
        url=example.url,
        detail=example.detail,
        hidden=example.hidden,
        fix=fix_link(viewer, example.fix),
    )


def dataset_section(viewer: Viewer, report: DatasetReport) -> DatasetSection:
    checks = []
    for check in report.checks:
        rows = [_example_row(viewer, e) for e in check.examples]
        columns = BREAKDOWN_COLUMNS.get(check.check, [])
        checks.append(
            CheckSection(
                id=f"{report.dataset}-{check.check}",
                check=check,
                rows=rows,
                fixable=any(r.fix for r in rows),
                breakdown_columns=columns,
                breakdown_heading=BREAKDOWN_HEADINGS.get(check.check, "Group"),
                breakdown=[
                    BreakdownLine(
                        name=row.name,
                        count=row.count,
                        cells=[_cell(row.data.get(key)) for key, _heading in columns],
                    )
                    for row in check.breakdown
                ],
            )
        )
    note = ""
    if not report.scope.is_public:
        if viewer.body_ids is None:
            note = "Every body's requests, including hidden ones (you are a site administrator)."
        else:
            note = (
                f"Only the requests of {', '.join(viewer.body_names)}, including hidden ones. "
                "The public report counts every body's public requests."
            )
    return DatasetSection(
        id=str(report.dataset),
        report=report,
        fields=[
            {
                "label": item.label,
                "applies_to": item.applies_to,
                "rows": item.rows,
                "filled": item.filled,
                "missing": item.missing,
                "share": share_text(item),
            }
            for item in report.fields
        ],
        checks=checks,
        scope_note=note,
    )


def report_context(viewer: Viewer, report: Report) -> dict[str, Any]:
    """What ``opendata/quality.html`` shows."""
    return {
        "viewer": viewer,
        "generated_at": report.generated_at,
        "settings_used": {
            name: f"{value:g}" if isinstance(value, float) else value
            for name, value in report.settings.items()
        },
        "sections": [dataset_section(viewer, d) for d in report.datasets],
    }

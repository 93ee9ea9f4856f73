"""What a quality report holds, and its JSON form.

A report is computed for a :class:`Scope`: the public scope (what ``/data/quality`` and every
JSON document show, built from public rows only) or a staff scope (the requests of a staff
member's bodies, hidden ones included, so that they can fix them). Only the public scope is
ever serialised to JSON; a staff report is rendered on the staff member's own page.

The JSON shape is a contract (documented in ``docs/data-quality.md``): fields are only ever
added, never renamed or removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

#: Bumped whenever the cached objects change shape, so that old entries are ignored.
REPORT_VERSION = 1


@dataclass(frozen=True)
class Scope:
    """Whose view of the requests a report is computed for.

    ``bodies`` is None for every body; ``include_hidden`` adds requests hidden by moderation
    (staff only). Everything other than requests is public and the same in every scope.
    """

    key: str
    bodies: tuple[int, ...] | None = None
    include_hidden: bool = False

    @property
    def is_public(self) -> bool:
        return not self.include_hidden and self.bodies is None

    @classmethod
    def for_bodies(cls, body_ids: list[int]) -> Scope:
        ids = tuple(sorted(set(body_ids)))
        digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
        return cls(key=f"bodies-{digest}", bodies=ids, include_hidden=True)


PUBLIC = Scope(key="public")
#: A superuser's view: every request, hidden ones included.
EVERYTHING = Scope(key="everything", include_hidden=True)


@dataclass(frozen=True)
class FixTarget:
    """Where an example can be put right, turned into a link only for staff allowed there.

    ``kind`` is ``"workspace"`` (the staff request workspace, for staff of ``body_id``),
    ``"change"`` (the site administration's change page of ``model`` ``pk``) or ``"add"``
    (its add page, with ``initial`` filled in).
    """

    kind: str
    model: str = ""
    pk: int | None = None
    body_id: int | None = None
    initial: tuple[tuple[str, str], ...] = ()


@dataclass
class Example:
    """One row that fails a check, described with public facts only."""

    id: int | str
    name: str
    #: The row's public page (a path), when it has one.
    url: str | None
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    fix: FixTarget | None = None
    #: Hidden by moderation: only ever in a staff scope.
    hidden: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": settings.BASE_URL + self.url if self.url else None,
            "detail": self.detail,
            "data": self.data,
        }


@dataclass
class BreakdownRow:
    """A check's count for one group (a category, an asset type)."""

    key: str
    name: str
    count: int
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "count": self.count, "data": self.data}


@dataclass
class Check:
    """One kind of problem in a dataset: how many rows have it, and some of them."""

    check: str
    title: str
    description: str
    #: What to do about it, for the staff who can.
    fix_hint: str
    count: int
    examples: list[Example] = field(default_factory=list)
    breakdown: list[BreakdownRow] = field(default_factory=list)
    #: What ``count`` counts, e.g. "requests", "pairs of assets".
    unit: str = "rows"

    @property
    def examples_truncated(self) -> bool:
        return self.count > len(self.examples)

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "description": self.description,
            "unit": self.unit,
            "count": self.count,
            "examples": [e.as_json() for e in self.examples],
            "examples_truncated": self.examples_truncated,
            "breakdown": [b.as_json() for b in self.breakdown],
        }


@dataclass
class FieldCompleteness:
    """How often a public field is filled in, among the rows it applies to."""

    field: str
    label: str
    #: Which rows the field applies to, e.g. "closed requests".
    applies_to: str
    rows: int
    filled: int

    @property
    def missing(self) -> int:
        return self.rows - self.filled

    @property
    def share_filled(self) -> float | None:
        return round(self.filled / self.rows, 4) if self.rows else None

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "applies_to": self.applies_to,
            "rows": self.rows,
            "filled": self.filled,
            "missing": self.missing,
            "share_filled": self.share_filled,
        }


@dataclass
class DatasetReport:
    """The quality of one published dataset."""

    dataset: str
    title: str
    rows: int
    fields: list[FieldCompleteness]
    checks: list[Check]
    computed_at: datetime
    #: How long computing it took, in seconds: shown so that slow reports are noticed.
    seconds: float = 0.0
    scope: Scope = PUBLIC

    @property
    def issues(self) -> int:
        return sum(check.count for check in self.checks)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.check == name:
                return check
        raise KeyError(f"The {self.dataset} report has no check {name!r}.")

    def completeness(self, name: str) -> FieldCompleteness:
        for item in self.fields:
            if item.field == name:
                return item
        raise KeyError(f"The {self.dataset} report has no field {name!r}.")

    def as_json(self) -> dict[str, Any]:
        if not self.scope.is_public:
            raise ValueError("Only the public report is published as JSON.")
        return {
            "dataset": self.dataset,
            "title": self.title,
            "rows": self.rows,
            "issues": self.issues,
            "computed_at": self.computed_at.isoformat(),
            "fields": [f.as_json() for f in self.fields],
            "checks": [c.as_json() for c in self.checks],
        }


@dataclass
class Report:
    """Every dataset's report, with the thresholds they were computed with."""

    datasets: list[DatasetReport]
    settings: dict[str, Any]

    @property
    def generated_at(self) -> datetime | None:
        return min((d.computed_at for d in self.datasets), default=None)

    def dataset(self, name: str) -> DatasetReport:
        for report in self.datasets:
            if report.dataset == name:
                return report
        raise KeyError(f"No dataset {name!r} in the quality report.")

    def as_json(self) -> dict[str, Any]:
        generated = self.generated_at
        return {
            "version": REPORT_VERSION,
            "generated_at": generated.isoformat() if generated else None,
            "settings": self.settings,
            "datasets": [d.as_json() for d in self.datasets],
        }

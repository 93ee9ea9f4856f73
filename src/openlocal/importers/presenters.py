"""Display logic for the upload page: form fields as GOV.UK components, results as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from openlocal.importers.engine import ImportResult, RowError
from openlocal.importers.models import ImportRun
from openlocal.staff.presenters import error_message

#: Bad rows listed on the preview page; every one of them is in the CSV report.
ERRORS_SHOWN = 1000
#: Vanished ids listed on a run's page.
VANISHED_SHOWN = 200


def field_components(form: forms.Form, names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """``(component, params)`` for each named field, for the govuk macros of the same name:
    ``select``, ``checkboxes``, ``textarea`` or ``input``."""
    components: list[tuple[str, dict[str, Any]]] = []
    for name in names:
        if name not in form.fields:
            continue
        field = form.fields[name]
        value = form[name].value()
        label = str(field.label or name)
        hint = {"text": str(field.help_text)} if field.help_text else None
        error = error_message(form, name)
        if isinstance(field, forms.MultipleChoiceField):
            chosen = {str(v) for v in (value or [])}
            components.append(
                (
                    "checkboxes",
                    {
                        "idPrefix": f"id_{name}",
                        "name": name,
                        "classes": "govuk-checkboxes--small",
                        "fieldset": {
                            "legend": {"text": label, "classes": "govuk-fieldset__legend--s"}
                        },
                        "hint": hint,
                        "items": [
                            {"value": str(v), "text": str(t), "checked": str(v) in chosen}
                            for v, t in _choices(field)
                        ],
                        "errorMessage": error,
                    },
                )
            )
            continue
        base = {
            "id": f"id_{name}",
            "name": name,
            "label": {"text": label, "classes": "govuk-label--s"},
            "hint": hint,
            "errorMessage": error,
        }
        current = "" if value is None else str(value)
        if isinstance(field, forms.ChoiceField):
            items = [
                {"value": str(v), "text": str(t), "selected": str(v) == current}
                for v, t in _choices(field)
            ]
            components.append(("select", {**base, "items": items}))
        elif isinstance(field.widget, forms.Textarea):
            components.append(("textarea", {**base, "value": current, "rows": 4}))
        else:
            components.append(("input", {**base, "value": current, "spellcheck": False}))
    return components


def _choices(field: forms.Field) -> list[tuple[Any, Any]]:
    choices: Any = getattr(field, "choices", [])
    return list(choices)


@dataclass
class Count:
    label: str
    value: str


def result_counts(result: ImportResult, *, preview: bool) -> list[Count]:
    """The summary a person checks: what was (or would be) created, updated and so on."""
    verb = "would be " if preview else ""
    rows = [
        Count("Rows read", f"{result.rows:,}"),
        Count(f"New ({verb}created)", f"{result.created:,}"),
        Count(f"Changed ({verb}updated)", f"{result.updated:,}"),
        Count("Unchanged", f"{result.unchanged:,}"),
    ]
    if result.checked_vanished:
        rows.append(Count("Vanished (kept, not deleted)", f"{result.vanished:,}"))
    rows.append(Count("Bad rows", f"{result.invalid:,}"))
    if not preview:
        rows.append(Count("Time", f"{result.seconds:.1f} s"))
    return rows


def run_counts(run: ImportRun) -> list[Count]:
    return [
        Count("Rows read", f"{run.rows:,}"),
        Count("New (created)", f"{run.created:,}"),
        Count("Changed (updated)", f"{run.updated:,}"),
        Count("Unchanged", f"{run.unchanged:,}"),
        Count("Vanished (kept, not deleted)", f"{run.vanished:,}"),
        Count("Bad rows (left out)", f"{run.invalid:,}"),
        Count("Time", f"{run.seconds:.1f} s"),
    ]


def error_rows(errors: Sequence[RowError]) -> list[RowError]:
    return list(errors[:ERRORS_SHOWN])

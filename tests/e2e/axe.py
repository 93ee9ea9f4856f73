"""Run axe-core in a page and fail on any WCAG 2.x A or AA violation."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_TAGS = frozenset({"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"})

_axe = Axe()


def wcag_violations(page: Page) -> list[dict[str, Any]]:
    results = _axe.run(page)
    return [v for v in results.response["violations"] if WCAG_TAGS & set(v["tags"])]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"  - {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No WCAG 2.0/2.1/2.2 level A or AA violation on the page as it stands."""
    violations = wcag_violations(page)
    assert not violations, f"axe found WCAG violations on {page.url}:\n" + describe(violations)

"""Helpers for feedback tests."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

#: The reporter of requests made by the ``make_request`` fixture. Private everywhere.
REPORTER = "reporter@private.example"


def page_text(response: Any) -> str:
    """A page's visible text, tags and scripts removed, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())

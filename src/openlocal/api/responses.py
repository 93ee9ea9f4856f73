"""The error responses an operation declares in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from openlocal.api.schemas import ProblemOut


def errors(*codes: int) -> dict[int, Any]:
    """``{code: ProblemOut}`` for each code an operation can answer with a problem."""
    return {code: ProblemOut for code in sorted(set(codes))}

"""The quality report's thresholds, read from Django settings with these defaults.

Every threshold is a setting so that a site can tune what counts as "far too long" or "the
same place" for its own data, and each is printed in the report (``settings`` in the JSON),
so a reader knows what the figures mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class QualitySettings:
    #: Two assets of the same type closer than this (metres) are likely duplicates.
    duplicate_distance_m: float = 5.0
    #: An open request is flagged when it has been open longer than this many times its
    #: category's median time to close ...
    overdue_factor: float = 3.0
    #: ... and never sooner than this many days, so that categories closed within hours do
    #: not flag every request that is a day old.
    overdue_minimum_days: float = 2.0
    #: A category needs this many closed requests before its median is trusted as a norm.
    norm_minimum_closed: int = 10
    #: At most this many examples are listed for each check.
    example_limit: int = 20
    #: A computed report is served for this many seconds before it is recomputed.
    max_age_seconds: int = 300

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Setting names, one per field: ``QUALITY_DUPLICATE_DISTANCE_M`` and so on.
def quality_settings() -> QualitySettings:
    """The thresholds in force: each ``QUALITY_<FIELD>`` setting, or its default."""
    defaults = QualitySettings()
    values: dict[str, Any] = {}
    for name, default in defaults.as_dict().items():
        value = getattr(settings, f"QUALITY_{name.upper()}", default)
        values[name] = type(default)(value)
    result = QualitySettings(**values)
    if result.duplicate_distance_m <= 0:
        raise ValueError(
            "QUALITY_DUPLICATE_DISTANCE_M must be a positive number of metres, "
            f"not {result.duplicate_distance_m}."
        )
    if result.example_limit < 1:
        raise ValueError(f"QUALITY_EXAMPLE_LIMIT must be 1 or more, not {result.example_limit}.")
    return result

"""Every import goes through these functions: the commands and the staff page alike.

Each reads one file (a path, or the bytes of an upload), checks every row, and writes the
good ones in one transaction, or none of them when a row is bad and ``skip_invalid`` is
False. With ``dry_run`` nothing is written and the result says what would happen: the
staff page's preview. ``allowed_body_ids`` limits what a member of staff may create or
change to their own bodies' assets and requests (None: anything, as on the command line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openlocal.importers.areas import AreaColumns, AreaImport
from openlocal.importers.assets import AssetColumns, AssetImport
from openlocal.importers.engine import ImportResult, ProgressCallback, SourceDetails
from openlocal.importers.history import RequestColumns, RequestImport


def areas_import(
    *,
    data: Path | bytes,
    file_name: str,
    columns: AreaColumns,
    source: SourceDetails,
    skip_invalid: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    actor: Any = None,
    on_progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Load boundaries from GeoJSON, matched by kind and code."""
    return AreaImport(
        data=data,
        columns=columns,
        max_bytes=max_bytes,
        file_name=file_name,
        source=source,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        limit=limit,
        actor=actor,
        on_progress=on_progress,
    ).run()


def assets_import(
    *,
    data: Path | bytes,
    file_name: str,
    columns: AssetColumns,
    source: SourceDetails,
    skip_invalid: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    actor: Any = None,
    allowed_body_ids: set[int] | None = None,
    on_progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Load an asset register from CSV or GeoJSON, matched by the source's ids."""
    return AssetImport(
        data=data,
        columns=columns,
        max_bytes=max_bytes,
        file_name=file_name,
        source=source,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        limit=limit,
        actor=actor,
        allowed_body_ids=allowed_body_ids,
        on_progress=on_progress,
    ).run()


def requests_import(
    *,
    data: Path | bytes,
    file_name: str,
    columns: RequestColumns,
    source: SourceDetails,
    skip_invalid: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    actor: Any = None,
    allowed_body_ids: set[int] | None = None,
    on_progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Load another system's history of requests from CSV, matched by the source's ids;
    nobody is notified."""
    return RequestImport(
        data=data,
        columns=columns,
        max_bytes=max_bytes,
        file_name=file_name,
        source=source,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        limit=limit,
        actor=actor,
        allowed_body_ids=allowed_body_ids,
        on_progress=on_progress,
    ).run()

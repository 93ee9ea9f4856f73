"""Background work for the quality report, run by ``openlocal worker``."""

from __future__ import annotations

from django_tasks import task


@task()
def quality_report_refresh(
    dataset: str, scope_key: str, bodies: list[int] | None, include_hidden: bool
) -> float:
    """Recompute a dataset's report that pages found stale, so that no page waits for it.

    Returns the seconds the computation took (kept with the task's result).
    """
    from openlocal.opendata.quality.selectors import dataset_report_refresh, scope_from

    scope = scope_from(key=scope_key, bodies=bodies, include_hidden=include_hidden)
    return dataset_report_refresh(dataset=dataset, scope=scope).seconds

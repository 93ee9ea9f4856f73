"""Settings for the web server the endpoint benchmark starts: the benchmark settings, served.

Like :mod:`benchmarks.settings` (the same throwaway database, from
``OPENLOCAL_DATABASE_URL``), except that background work is queued in the database as in
production rather than run inside the request, so a timed ``POST`` costs what it would cost
on a deployed site.
"""

from benchmarks.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

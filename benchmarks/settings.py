"""Settings for benchmark processes: the test settings' shortcuts on a real database.

The database comes from ``OPENLOCAL_DATABASE_URL``, which the benchmark runner points at a
throwaway SQLite file or a dedicated PostgreSQL database before Django starts; files go
under ``OPENLOCAL_DATA_DIR``, the run's temporary folder.
"""

from openlocal.settings.base import *  # noqa: F403
from openlocal.settings.base import DATA_DIR, LOGGING, STORAGES

SECRET_KEY = "benchmark-only-secret-key-not-for-production"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/media/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# The fan-out benchmark's receivers listen on loopback.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
# Progress goes to the runner's own output; the application's info lines would drown it.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}

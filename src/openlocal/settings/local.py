"""Settings for `make run`: the embedded setup on one machine.

The secret key is generated once and kept in the data folder, so sessions survive restarts
and no secret is written in the code.
"""

import secrets

from .base import *  # noqa: F403
from .base import DATA_DIR, SECRET_KEY

if not SECRET_KEY:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

# Webhook receivers on this machine (tests, local development) are allowed.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

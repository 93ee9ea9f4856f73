"""API keys and write limits for the JSON API's operations."""

from __future__ import annotations

from django.http import HttpRequest

from openlocal.api.problems import FORBIDDEN, RATE_LIMITED, UNAUTHORIZED, Problem
from openlocal.apikeys.http import key_from_request, presented_key, write_limited
from openlocal.apikeys.models import ApiKey, Scope

#: How the OpenAPI document names the two ways of sending a key.
SECURITY: list[dict[str, list[str]]] = [{"bearerKey": []}, {"headerKey": []}]
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer ol_...`.",
    },
    "headerKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "An API key: `X-Api-Key: ol_...`.",
    },
}


def require_key(request: HttpRequest, scope: Scope, *, write: bool = True) -> ApiKey:
    """The request's API key, which must carry ``scope``; a write also counts against limits.

    Raises a 401 problem without a usable key, 403 when the scope is missing and 429 when the
    key or the address is over its write limit.
    """
    key = key_from_request(request)
    if key is None:
        reason = (
            "was not recognised or has been revoked" if presented_key(request) else "is missing"
        )
        raise Problem(
            UNAUTHORIZED,
            f"This needs an API key with the “{scope.value}” scope ({scope.label.lower()}); "
            f"the key {reason}. Send it as `Authorization: Bearer KEY` or `X-Api-Key: KEY`.",
            headers={"WWW-Authenticate": 'Bearer realm="openlocal"'},
        )
    if not key.has_scope(scope):
        held = ", ".join(key.scopes) or "none"
        raise Problem(
            FORBIDDEN,
            f"This needs an API key with the “{scope.value}” scope ({scope.label.lower()}). "
            f"This key has: {held}. Ask the site's staff for a key with that scope.",
        )
    if write:
        check_write_limit(request, key)
    return key


def check_write_limit(request: HttpRequest, key: ApiKey | None) -> None:
    """Count a write; raise a 429 problem with ``Retry-After`` when over a limit."""
    limited = write_limited(request, key)
    if limited is not None:
        raise Problem(
            RATE_LIMITED,
            limited.message,
            headers={"Retry-After": str(max(limited.retry_after, 1))},
        )

"""How the reporter of a private request sees it without an account.

A request in a private category is seen only by its reporter and by staff. The reporter has
no account: what proves them is the email address they gave. So every link to the request
that goes to that address (the report confirmation, and the updates the reporter hears as a
follower of their own request) is a *reporter link*: the request page's address with a
signed token, made with the site's secret key and a salt of its own, that carries only the
request's id. Opening it stores the id in the browser's session and redirects to the plain
page, so the token leaves the address bar at once and is never sent on as a referrer; from
then on that browser may see the request. The browser session that sent the report on the
website may see it too, from the moment it is made.

Anyone else gets the same 404 as for a request that does not exist. The token does not
expire, because people open old emails; it does nothing but show one request to whoever
holds it, like forwarding the email would.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from openlocal.requests.models import Request

_SALT = "openlocal.requests.reporter-access"
#: The session key listing the private requests this browser may see.
SESSION_KEY = "reporter_access"
#: At most this many requests are remembered per browser session (the newest).
REMEMBERED = 50


class BadAccessToken(Exception):
    """A reporter link that was altered, forged, or made for another request."""


def access_token(request_id: int) -> str:
    return signing.dumps(request_id, salt=_SALT, compress=False)


def read_access_token(token: str, request_id: int) -> None:
    """Check that ``token`` is a reporter link to request ``request_id``."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature as exc:
        raise BadAccessToken("The link is not valid.") from exc
    if value != request_id:
        raise BadAccessToken("The link is for another request.")


def reporter_path(request_id: int) -> str:
    """The site path of the reporter link to a request."""
    return reverse("web:request-access", args=[request_id, access_token(request_id)])


def reporter_url(request: Request) -> str:
    """The absolute link put in the reporter's emails: it works whether or not the request
    is private, now or after staff move it into or out of a private category."""
    return settings.BASE_URL + reporter_path(request.pk)


def remember(session: MutableMapping[str, Any], request_id: int) -> None:
    """Let this browser session see the request from now on."""
    known = [pk for pk in session.get(SESSION_KEY, []) if pk != request_id]
    session[SESSION_KEY] = [*known[-(REMEMBERED - 1) :], request_id]


def remembered(session: MutableMapping[str, Any]) -> list[int]:
    """The private requests this browser session may see."""
    return [pk for pk in session.get(SESSION_KEY, []) if isinstance(pk, int)]


def may_see(session: MutableMapping[str, Any], request_id: int) -> bool:
    return request_id in remembered(session)

"""RFC 9457 problem details: the one shape of every error the JSON API returns.

Every error is ``application/problem+json`` with ``type`` (a link to where the problem is
explained on the API page), ``title`` (the same for every problem of that type), ``status``,
``detail`` (what went wrong this time, and how to fix it) and, for input that did not
validate, ``errors``: one entry per field, each with the field's location and a message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from openlocal.places.selectors import NotCovered

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    #: What the API page says about problems of this type.
    explanation: str

    @property
    def uri(self) -> str:
        return f"{settings.BASE_URL}/api/v1/#problem-{self.slug}"


BAD_REQUEST = ProblemType(
    "bad-request",
    400,
    "The request could not be read",
    "The body is not JSON, or not the kind of JSON this operation takes.",
)
UNAUTHORIZED = ProblemType(
    "unauthorized",
    401,
    "An API key is needed",
    "Writes need an API key, sent as `Authorization: Bearer KEY` or `X-Api-Key: KEY`. The "
    "key was missing, unknown or revoked.",
)
FORBIDDEN = ProblemType(
    "forbidden",
    403,
    "Not allowed",
    "The API key is valid but lacks the scope this operation needs, or the body it acts "
    "for is not responsible for the request. The detail names the scope or role needed.",
)
NOT_FOUND = ProblemType(
    "not-found",
    404,
    "Not found",
    "Nothing public has this address or id: check the id, slug or code.",
)
METHOD_NOT_ALLOWED = ProblemType(
    "method-not-allowed",
    405,
    "Method not allowed",
    "The address exists but does not take this HTTP method; the `Allow` header lists those "
    "it takes.",
)
VALIDATION = ProblemType(
    "validation",
    422,
    "The input is not valid",
    "One or more fields are missing or wrong. `errors` lists each field (`field` is its "
    "location, such as `body.latitude` or `query.bbox`) with a message saying what to change.",
)
NOT_COVERED = ProblemType(
    "not-covered",
    422,
    "Nobody covers this location",
    "No council or other body on this site covers the point given.",
)
CATEGORY_STOPPED = ProblemType(
    "category-stopped",
    422,
    "This category takes no reports",
    "The category has a stop notice (an emergency, say, that must be phoned in): `detail` "
    "carries the notice to show the person instead of a form. GET /api/v1/categories gives "
    "each category's `stop_notice`, so that a client can show it before anything is typed.",
)
RATE_LIMITED = ProblemType(
    "rate-limited",
    429,
    "Too many writes",
    "Writes are limited per API key and per address. Wait the number of seconds in the "
    "`Retry-After` header before trying again.",
)
SERVER_ERROR = ProblemType(
    "server-error",
    500,
    "Something went wrong on our side",
    "The error has been logged. Try again later; if it keeps happening, tell the site's team.",
)

#: Every problem type, in the order the API page explains them.
PROBLEM_TYPES = (
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    VALIDATION,
    NOT_COVERED,
    CATEGORY_STOPPED,
    RATE_LIMITED,
    SERVER_ERROR,
)


@dataclass
class Problem(Exception):
    """Raise anywhere in an API operation to answer with a problem document."""

    kind: ProblemType
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


def problem_body(kind: ProblemType, detail: str, errors: Iterable[Mapping[str, str]] = ()) -> dict:
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
    }
    listed = [dict(e) for e in errors]
    if listed:
        body["errors"] = listed
    return body


def problem_response(
    kind: ProblemType,
    detail: str,
    *,
    errors: Iterable[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(kind, detail, errors), ensure_ascii=False),
        status=kind.status,
        content_type=MEDIA_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(error: DjangoValidationError, prefix: str = "body") -> list[dict[str, str]]:
    """A service's ``ValidationError`` as ``errors`` entries."""
    if hasattr(error, "error_dict"):
        return [
            {"field": f"{prefix}.{name}" if name != "__all__" else prefix, "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": prefix, "message": message} for message in error.messages]


def _location(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] == "body" and parts[1] == "data":
        # Every operation names its body parameter ``data``: the client never sees it.
        del parts[1]
    return ".".join(parts)


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value."))
    if error.get("type") == "missing":
        return "This field is required."
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message if message.endswith(".") else message + "."


def validation_problem(errors: list[dict[str, Any]]) -> HttpResponse:
    listed = [{"field": _location(e.get("loc", ())), "message": _message(e)} for e in errors]
    unreadable = [e for e in errors if e.get("type") in {"json_invalid", "model_attributes_type"}]
    if unreadable and len(unreadable) == len(errors):
        return problem_response(
            BAD_REQUEST,
            "The body must be a JSON object (Content-Type: application/json).",
            errors=listed,
        )
    fields = ", ".join(sorted({e["field"] for e in listed}))
    return problem_response(VALIDATION, f"Check these fields: {fields}.", errors=listed)


def _handle(
    api: NinjaAPI, exc_class: type[Exception], handler: Callable[..., HttpResponse]
) -> None:
    api.add_exception_handler(exc_class, cast(Any, handler))


def install(api: NinjaAPI) -> None:
    """Answer every error the API can raise with a problem document."""

    def on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
        return problem_response(exc.kind, exc.detail, errors=exc.errors, headers=exc.headers)

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return validation_problem(list(exc.errors))

    def on_service_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = field_errors(exc)
        return problem_response(
            VALIDATION, " ".join(e["message"] for e in errors) or "Invalid input.", errors=errors
        )

    def on_not_covered(request: HttpRequest, exc: NotCovered) -> HttpResponse:
        return problem_response(
            NOT_COVERED, str(exc), errors=[{"field": "body.latitude", "message": str(exc)}]
        )

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(NOT_FOUND, str(exc) or "Nothing public has this address.")

    def on_permission(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response(FORBIDDEN, str(exc) or "This key may not do this.")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return problem_response(UNAUTHORIZED, UNAUTHORIZED.explanation)
        kind = next((k for k in PROBLEM_TYPES if k.status == exc.status_code), BAD_REQUEST)
        return problem_response(kind, str(exc))

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unexpected error in %s %s", request.method, request.path, exc_info=exc)
        return problem_response(SERVER_ERROR, SERVER_ERROR.explanation)

    _handle(api, Problem, on_problem)
    _handle(api, NinjaValidationError, on_validation)
    _handle(api, DjangoValidationError, on_service_validation)
    _handle(api, NotCovered, on_not_covered)
    _handle(api, Http404, on_not_found)
    _handle(api, PermissionDenied, on_permission)
    _handle(api, HttpError, on_http_error)
    _handle(api, Exception, on_exception)

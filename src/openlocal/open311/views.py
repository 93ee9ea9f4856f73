"""Open311 GeoReport v2 over HTTP: parse the parameters, call a selector or service, render.

The format is the URL's extension (``.xml`` or ``.json``); every error, whatever it is, is an
``<errors>`` document in that format with the status the spec asks for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from openlocal.apikeys.http import key_from_request, write_limited
from openlocal.apikeys.models import Scope
from openlocal.open311 import params, presenters, selectors
from openlocal.open311.formats import FORMATS, JSON, XML, Open311Error, error_response, render
from openlocal.open311.submission import (
    request_submit,
    service_notice,
    submission_from_form,
    update_post,
)
from openlocal.requests.models import Request, Status

#: The spec's default window for GET requests, and its cap on results.
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_PAGE = 10_000
DEFAULT_RADIUS_M = 1000.0
MAX_RADIUS_M = 20_000.0
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

View = Callable[..., HttpResponse]


def open311(*methods: str) -> Callable[[View], View]:
    """Check the format and jurisdiction, allow only ``methods``, and turn every
    :class:`Open311Error` into an error document in the requested format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            fmt = fmt.lower()
            try:
                if fmt not in FORMATS:
                    raise Open311Error(
                        404, f"Unknown format “.{fmt}”: this server answers in .xml and .json."
                    )
                if request.method not in allowed:
                    raise Open311Error(
                        405,
                        f"{request.method} is not allowed here; use {' or '.join(methods)}.",
                        headers={"Allow": ", ".join(sorted(allowed))},
                    )
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error)

        return wrapper

    return decorate


def _check_jurisdiction(request: HttpRequest) -> None:
    expected = settings.OPEN311_JURISDICTION_ID
    given = params.text(request.GET, "jurisdiction_id")
    if not given and request.method == "POST" and request.content_type in _FORM_TYPES:
        given = params.text(request.POST, "jurisdiction_id")
    if expected and given and given != expected:
        raise Open311Error(
            404, f"Unknown jurisdiction_id “{given}”: this server answers for “{expected}”."
        )


@open311("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "discovery", presenters.discovery(), cache=True)


@open311("GET")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    items = [presenters.service_item(row) for row in selectors.services()]
    return render(fmt, "services", items, cache=True)


@open311("GET")
def service_definition(request: HttpRequest, service_code: str, *, fmt: str) -> HttpResponse:
    category = selectors.service(service_code)
    if category is None:
        raise Open311Error(404, f"There is no service with service_code “{service_code}”.")
    definition = presenters.service_definition(
        category.service_code, selectors.questions(category), stop_notice=category.stop_notice
    )
    return render(fmt, "service_definition", definition, cache=True)


@open311("GET", "POST")
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


def _paging(query: QueryDict) -> tuple[int, int]:
    page = params.positive_int(query, "page", default=1, maximum=MAX_PAGE)
    size = params.positive_int(query, "page_size", default=MAX_RESULTS, maximum=MAX_RESULTS)
    return page, size


def _next_link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page + 1)
    return f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'


def _bbox(query: QueryDict) -> tuple[float, float, float, float] | None:
    raw = params.comma_list(query, "bbox")
    if not raw:
        return None
    usage = "bbox is lat_ne,long_ne,lat_sw,long_sw: the north-east corner, then the south-west"
    try:
        lat_ne, long_ne, lat_sw, long_sw = (float(v) for v in raw)
    except ValueError:
        raise Open311Error(400, f"{usage}, four numbers.") from None
    if not (-90 <= lat_sw <= lat_ne <= 90 and -180 <= long_sw <= long_ne <= 180):
        raise Open311Error(400, f"{usage}, with north ≥ south and east ≥ west.")
    return lat_sw, long_sw, lat_ne, long_ne


def _circle(query: QueryDict) -> tuple[float, float, float] | None:
    lat, lon = params.number(query, "lat"), params.number(query, "long")
    radius = params.number(query, "radius")
    if lat is None and lon is None:
        if radius is not None:
            raise Open311Error(400, "radius needs lat and long: the centre of the circle.")
        return None
    if lat is None or lon is None:
        raise Open311Error(400, "Send lat and long together.")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "lat must be between -90 and 90, long between -180 and 180.")
    radius = DEFAULT_RADIUS_M if radius is None else radius
    if not 0 < radius <= MAX_RADIUS_M:
        raise Open311Error(400, f"radius is in metres, more than 0 and at most {MAX_RADIUS_M:.0f}.")
    return lat, lon, radius


_STATUS_NAMES = {"open", "closed", *Status.values}


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    query = request.GET
    page, size = _paging(query)
    filters = selectors.RequestFilters(
        ids=params.ids(query, "service_request_id", maximum=MAX_RESULTS)
    )
    if not filters.ids:
        statuses = {s.lower() for s in params.comma_list(query, "status")}
        unknown = sorted(statuses - _STATUS_NAMES)
        if unknown:
            raise Open311Error(
                400, f"Unknown status “{unknown[0]}”: use open or closed (comma-separated)."
            )
        filters.statuses = statuses
        filters.service_codes = params.comma_list(query, "service_code")
        filters.start = params.w3c_datetime(query, "start_date")
        filters.end = params.w3c_datetime(query, "end_date")
        filters.updated_after = params.w3c_datetime(query, "updated_after")
        filters.updated_before = params.w3c_datetime(query, "updated_before")
        if filters.start and filters.end and filters.start > filters.end:
            raise Open311Error(400, "start_date must be before end_date.")
        if (
            filters.start is None
            and filters.updated_after is None
            and filters.updated_before is None
        ):
            # The spec's default: the 90 days up to end_date (or now).
            filters.start = (filters.end or timezone.now()) - DEFAULT_WINDOW
        filters.bbox = _bbox(query)
        filters.circle = _circle(query)
    rows = selectors.request_rows(selectors.public_requests(filters), (page - 1) * size, size)
    extensions = params.true(query, "extensions")
    items = [presenters.request_item(row, extensions=extensions) for row in rows]
    headers = {"Link": _next_link(request, page)} if len(rows) == size else {}
    return render(fmt, "service_requests", items, cache=True, headers=headers)


def _form_only(request: HttpRequest) -> None:
    if request.content_type not in _FORM_TYPES:
        raise Open311Error(
            400,
            "Send the fields as a form: Content-Type application/x-www-form-urlencoded "
            "(or multipart/form-data to attach media).",
        )


def _key_for_write(request: HttpRequest, scope: str, action: str) -> Any:
    """Count the write against the rate limits, then check the key and its scope."""
    key = key_from_request(request)
    limited = write_limited(request, key)
    if limited is not None:
        raise Open311Error(
            429, limited.message, headers={"Retry-After": str(max(limited.retry_after, 1))}
        )
    if key is None:
        raise Open311Error(
            403, f"Invalid or missing api_key: an active api_key is needed to {action}."
        )
    if not key.has_scope(scope):
        raise Open311Error(403, f"This api_key may not {action}: it needs the “{scope}” scope.")
    return key


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    _form_only(request)
    _key_for_write(request, Scope.SUBMIT, "submit requests")
    submission = submission_from_form(request.POST, request.FILES)
    created = request_submit(submission)
    item = {
        "service_request_id": str(created.request.pk),
        "service_notice": service_notice(created),
        "account_id": None,
        "extensions": {
            "url": presenters.request_url(created.request.pk),
            "duplicate_candidates": created.candidates,
        },
    }
    return render(fmt, "service_requests", [item])


@open311("GET")
def service_request(request: HttpRequest, service_request_id: str, *, fmt: str) -> HttpResponse:
    found = None
    if service_request_id.isdigit() and len(service_request_id) <= 18:
        queryset = Request.public_objects.filter(pk=int(service_request_id))
        found = selectors.request_rows(queryset, 0, 1)
    if not found:
        raise Open311Error(
            404, f"There is no request with service_request_id “{service_request_id}”."
        )
    item = presenters.request_item(found[0], extensions=params.true(request.GET, "extensions"))
    return render(fmt, "service_requests", [item], cache=True)


@open311("GET")
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    raise Open311Error(
        404,
        f"There is no token “{token}”: this server issues no tokens, because POST requests "
        "answers with the service_request_id at once.",
    )


@open311("GET", "POST")
def service_request_updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        _form_only(request)
        key = _key_for_write(request, Scope.BODY, "post a body's updates")
        posted = update_post(key=key, form=request.POST)
        return render(fmt, "service_request_updates", [{"update_id": str(posted.update.pk)}])
    query = request.GET
    page, size = _paging(query)
    filters = selectors.UpdateFilters(
        request_ids=params.ids(query, "service_request_id", maximum=MAX_RESULTS),
        start=params.w3c_datetime(query, "start_date"),
        end=params.w3c_datetime(query, "end_date"),
        updated_after=params.w3c_datetime(query, "updated_after"),
        updated_before=params.w3c_datetime(query, "updated_before"),
    )
    if filters.start and filters.end and filters.start > filters.end:
        raise Open311Error(400, "start_date must be before end_date.")
    if not (
        filters.request_ids or filters.start or filters.updated_after or filters.updated_before
    ):
        filters.start = (filters.end or timezone.now()) - DEFAULT_WINDOW
    rows = selectors.update_rows(selectors.public_updates(filters), (page - 1) * size, size)
    items = [presenters.update_item(row) for row in rows]
    headers = {"Link": _next_link(request, page)} if len(rows) == size else {}
    return render(fmt, "service_request_updates", items, cache=True, headers=headers)


@csrf_exempt
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Anything else under the endpoint: a 404 error document (JSON if the path asks for it)."""
    fmt = JSON if path.lower().endswith(".json") else XML
    return error_response(
        fmt,
        Open311Error(
            404,
            f"There is nothing at /open311/v2/{path}. See discovery.xml for what this "
            "endpoint offers.",
        ),
    )

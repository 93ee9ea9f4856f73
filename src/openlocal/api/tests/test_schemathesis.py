"""schemathesis against /api/v1/openapi.json, in process: no server error, no answer that
breaks the document, for a bounded number of generated examples per operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES_PER_OPERATION = 20


def served(app: Any) -> Any:
    """The Django application as a WSGI server runs it: the test client sets no address."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return app(environ, start_response)

    return wsgi


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the test's transaction outlives each request, so the
    handler must not close the database connection at the end of one."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_api_conforms_to_its_openapi_document(
    place, make_request, submit_key, keep_test_connection
):
    make_request()
    make_request(category=place.streetlight, asset=place.lamp, answers={})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served(get_wsgi_application()))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 17
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {submit_key}"}, checks=CHECKS)

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)

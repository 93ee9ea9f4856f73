from unittest import mock

from django.db import OperationalError


def test_healthz_answers_ok_when_the_database_is_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_answers_503_when_the_database_is_not(client, db):
    # A broken connection cannot be staged safely inside the test database, so the cursor
    # is made to fail the way a refused connection does.
    with mock.patch(
        "openlocal.core.views.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "detail": "connection refused",
    }

"""The API page for people: its examples work against the demo place."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from openlocal.api.views import examples
from openlocal.apikeys.services import apikey_create
from openlocal.demo.generate import demo_generate

pytestmark = pytest.mark.django_db


def test_page_links_the_document_and_every_example_works_on_the_demo():
    demo_generate()
    client = Client()
    page = client.get("/api/v1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/api/v1/openapi.json"' in html
    assert 'id="problem-rate-limited"' in html
    assert "<script>" not in html
    shown = examples()
    reads = [e for e in shown if e.method == "GET"]
    assert len(reads) >= 9
    for example in reads:
        assert example.curl in html.replace("&#39;", "'").replace("&amp;", "&")
        path = urlsplit(example.path)
        response = client.get(f"{path.path}?{path.query}" if path.query else path.path)
        assert response.status_code == 200, (example.path, response.content[:300])
        assert response.json()
    writes = [e for e in shown if e.method == "POST"]
    assert {e.path for e in writes} == {"/api/v1/requests", "/api/v1/subscriptions"}
    key = apikey_create(name="Docs reader", scopes=["submit"], check_permission=False)[1]
    for example in writes:
        response = client.post(
            example.path,
            data=example.body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"} if example.key else {},
        )
        assert response.status_code in (201, 202), (example.body, response.content)

"""On the whole demo place, no performance page or download gives away anything private.

The demo has hidden requests, private-category requests, internal notes, assigned staff and
hundreds of reporters and followers. Every /performance/ page (overview, each body, area
and category) and every CSV download is fetched and searched.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from openlocal.demo.generate import demo_generate
from openlocal.performance.rollups import rollups_rebuild
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request, Update

from .pages import tables

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@pytest.mark.django_db
def test_no_performance_page_or_download_holds_anything_private():
    demo_generate()
    rollups_rebuild()
    assert Request.private_objects.filter(hidden=True).exists()
    assert Request.private_objects.filter(private=True).exists()
    client = Client()
    paths = [reverse("performance:overview")]
    paths += [
        reverse("performance:body", args=[slug])
        for slug in Body.objects.values_list("slug", flat=True)
    ]
    paths += [
        reverse("performance:area", args=[slug])
        for slug in Area.objects.values_list("slug", flat=True)
    ]
    paths += [
        reverse("performance:category", args=[slug])
        for slug in Category.objects.values_list("slug", flat=True)
    ]
    outputs: dict[str, str] = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        outputs[path] = html
        for seen in tables(html):
            url = seen.download.replace("&amp;", "&")
            if url not in outputs:
                download = client.get(url)
                assert download.status_code == 200, url
                outputs[url] = download.getvalue().decode()
    assert len(outputs) > 200
    secrets = {
        *Request.private_objects.filter(hidden=True).values_list("title", flat=True),
        *Request.private_objects.filter(private=True).values_list("title", flat=True),
        *Request.private_objects.filter(private=True).values_list("description", flat=True),
        *(
            t
            for t in Update.private_objects.filter(public=False).values_list("text", flat=True)
            if len(t) > 12
        ),
        *(
            user.get_full_name()
            for user in get_user_model().objects.all()
            if user.get_full_name().strip()
        ),
    }
    for url, text in outputs.items():
        assert not EMAIL.search(text), f"{url} shows an email address: {EMAIL.search(text)}"
        for secret in secrets:
            assert secret not in text, f"{url} shows {secret!r}"

"""Staff see private requests in their queue and workspace, each clearly tagged "Private"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from openlocal.requests.services import request_create
from openlocal.requests.tests.category_rules import rule_categories

pytestmark = pytest.mark.django_db

PRIVATE_TAG = re.compile(r'<strong class="govuk-tag govuk-tag--purple">\s*Private\s*</strong>')


def test_the_queue_and_workspace_tag_private_requests(client, place):
    rules = rule_categories(place)
    private = request_create(
        category=rules.needles,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Needles by the shelter",
        description="Two syringes.",
        notify=False,
    )
    public = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bin missed on Elm Road",
        description="Again.",
        notify=False,
    )
    client.force_login(place.west_manager)

    queue = client.get(reverse("staff:queue")).content.decode()
    rows = {
        pk: queue[queue.index(f'href="{reverse("staff:request", args=[pk])}"') :][:400]
        for pk in (private.pk, public.pk)
    }
    assert PRIVATE_TAG.search(rows[private.pk])
    assert not PRIVATE_TAG.search(rows[public.pk])

    workspace = client.get(reverse("staff:request", args=[private.pk])).content.decode()
    assert PRIVATE_TAG.search(workspace)
    assert "only its reporter and staff can see it" in workspace
    # There is no public page to send staff to.
    assert f'href="{private.get_absolute_url()}"' not in workspace
    other = client.get(reverse("staff:request", args=[public.pk])).content.decode()
    assert not PRIVATE_TAG.search(other)
    assert f'href="{public.get_absolute_url()}"' in other

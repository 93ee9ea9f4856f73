"""The rate-limit counter cache: one window's count, shared through the database."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django.utils import timezone
from django_ratelimit.core import get_usage

from openlocal.core.models import RateCounter

pytestmark = pytest.mark.django_db


def test_add_counts_once_and_incr_adds_until_the_window_ends():
    cache = caches["ratelimit"]
    assert cache.add("rl:a", 1, 60) is True
    assert cache.add("rl:a", 1, 60) is False  # the window is still open
    assert cache.incr("rl:a") == 2
    assert cache.incr("rl:a", 3) == 5
    assert cache.get("rl:a") == 5
    # Once the window has passed, add starts a new count and incr finds nothing to add to.
    RateCounter.objects.filter(key__endswith="rl:a").update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    assert cache.get("rl:a", "gone") == "gone"
    with pytest.raises(ValueError, match="not found"):
        cache.incr("rl:a")
    assert cache.add("rl:a", 1, 60) is True
    assert cache.get("rl:a") == 1


def test_set_delete_and_clear():
    cache = caches["ratelimit"]
    cache.set("rl:b", 7, 60)
    assert cache.has_key("rl:b")
    assert cache.delete("rl:b") is True
    assert not cache.has_key("rl:b")
    cache.set("rl:c", 1, 60)
    cache.clear()
    assert RateCounter.objects.count() == 0


def test_django_ratelimit_limits_the_request_after_the_rate():
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
    seen = [
        get_usage(request, group="g", key="ip", rate="3/m", increment=True)["should_limit"]
        for _ in range(4)
    ]
    assert seen == [False, False, False, True]
    other = RequestFactory().post("/", REMOTE_ADDR="192.0.2.8")
    assert get_usage(other, group="g", key="ip", rate="3/m", increment=True)["count"] == 1

"""What cached pages show of the time: a page cached before the clock moves past something it
shows is not served after it.

The only thing of the time a cached page shows is the year (the footer's ©): the shop has no
specials or deals that start or end at a time (a sale is a compare-at price staff set and
clear), and the week's popular searches are kept for their own few minutes by design.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.selectors import bump_catalog_version
from core import pagecache

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch, settings):
    """One clock for everything the page cache and the page read: Django's timezone.now, the
    {% now %} tag, the local-memory cache's expiry and the worker's copies of pages."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.TIME_ZONE = "Europe/Berlin"
    moment = {"now": datetime(2026, 12, 31, 22, 58, tzinfo=UTC)}  # 23:58 in Berlin
    start = moment["now"]

    class Datetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment["now"].astimezone(tz)

    def epoch() -> float:
        return moment["now"].timestamp()

    def monotonic() -> float:
        return (moment["now"] - start).total_seconds() + 1_000.0

    monkeypatch.setattr("django.utils.timezone.now", lambda: moment["now"])
    monkeypatch.setattr("django.template.defaulttags.datetime", Datetime)
    monkeypatch.setattr("django.core.cache.backends.base.time", SimpleNamespace(time=epoch))
    monkeypatch.setattr("django.core.cache.backends.locmem.time", SimpleNamespace(time=epoch))
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(monotonic=monotonic))
    cache.clear()
    pagecache.forget_worker_copies()
    bump_catalog_version()
    yield moment
    pagecache.forget_worker_copies()


def test_a_page_cached_before_the_new_year_is_not_served_after_it(clock):
    first = Client().get("/")
    assert first["X-Page-Cache"] == "miss"
    assert "© 2026 " in first.content.decode()
    assert Client().get("/")["X-Page-Cache"] == "hit"  # (it is cached: home keeps 5 minutes)

    clock["now"] += timedelta(minutes=3)  # 00:01 on the first of January, in Berlin

    page = Client().get("/")
    assert "© 2027 " in page.content.decode()
    assert "© 2026 " not in page.content.decode()


def test_pages_are_cached_as_usual_until_shortly_before_the_new_year(clock):
    clock["now"] -= timedelta(days=2)
    assert Client().get("/")["X-Page-Cache"] == "miss"
    clock["now"] += timedelta(minutes=4)
    assert Client().get("/")["X-Page-Cache"] == "hit"  # within its 5 minutes

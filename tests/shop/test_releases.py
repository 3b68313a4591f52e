"""Two releases of the code against one Redis (an update, a rollback, app servers updated one at
a time): what one release cached is never served or unpickled by the other, while the
sessions and carts of visitors carry over."""

import subprocess
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cart.models import ShippingMethod
from tests.factories import ProductFactory
from tests.shop.test_page_cache import _key_prefix_at_start

pytestmark = pytest.mark.django_db

# the modules that put a release's objects in the cache, each with its copy of the stamp
STAMPED = ["core.pagecache", "catalog.selectors", "search.selectors", "cart.selectors"]


def test_a_process_of_another_release_uses_other_page_cache_keys():
    first = _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_RELEASE="4a7ec0cf1c52")
    assert _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_RELEASE="4a7ec0cf1c52") == first
    assert _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_RELEASE="9221078f55bc") != first


def run_as_release(monkeypatch, release: str) -> None:
    """Make this process key its cache entries as ``release`` would (as a restart would)."""
    import importlib

    from catalog import selectors as catalog_selectors
    from core import pagecache

    stamp = f"{release}-stamp"
    for name in STAMPED:
        monkeypatch.setattr(importlib.import_module(name), "SETTINGS_STAMP", stamp)
    monkeypatch.setattr(pagecache, "KEY_PREFIX", f"page4:{stamp}:")
    pagecache.forget_worker_copies()
    monkeypatch.setattr(catalog_selectors, "_navigation_memo", None)


class Reshaped:
    """An object of a class whose shape changed between releases: every use of it fails."""

    def __getattr__(self, name):
        raise AttributeError(f"{name}: not in this release's class")

    def __iter__(self):
        raise TypeError("not in this release's class")


def test_objects_cached_by_another_release_are_not_used(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    """Pages, navigation, product cards, search results and delivery methods are cached as
    pickled objects; a release whose classes differ (a renamed attribute, another tuple)
    failed on those of the release before it, on every page, until they expired."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with django_capture_on_commit_callbacks(execute=True):  # search documents
        ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)
        lantern = ProductFactory(name="Storm Lantern Mini", price=Decimal("20.00"), stock=9)
    ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    pages = [
        reverse("home"),
        lantern.get_absolute_url(),
        reverse("search:results") + "?q=lantern",
        reverse("catalog:products"),
    ]
    run_as_release(monkeypatch, "old")
    for url in pages:
        response = Client().get(url)
        assert response.status_code == 200
        assert "Storm Lantern" in response.content.decode(), url
    # every object the old release stored, but the numbers both share (content and scope
    # versions, cart counts, rate limits) and the sessions (plain dicts)
    reshaped = 0
    for made_key in list(cache._cache):
        key = made_key.split(":", 2)[2]
        value = cache.get(key)
        if isinstance(value, int | dict) or (
            isinstance(value, tuple) and all(isinstance(v, int) for v in value)
        ):
            continue
        cache.set(key, Reshaped())
        reshaped += 1
    assert reshaped >= len(pages)

    run_as_release(monkeypatch, "new")
    for url in pages:
        response = Client().get(url)
        assert response.status_code == 200
        assert response.get("X-Page-Cache") != "hit"
        assert "Storm Lantern" in response.content.decode(), url
    cart = Client()
    cart.post(reverse("cart:add"), {"variant": lantern.variants.get().pk, "quantity": 1})
    assert "Storm Lantern Mini" in cart.get(reverse("cart:detail")).content.decode()


def test_the_release_is_the_commit_checked_out(tmp_path):
    from shop.release import git_head

    def git(*args, cwd=tmp_path):
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    assert git_head(tmp_path) == ""  # not a checkout
    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "one")
    first = git("rev-parse", "HEAD")
    assert git_head(tmp_path) == first[:12]
    git("commit", "-q", "--allow-empty", "-m", "two")
    second = git("rev-parse", "HEAD")
    assert git_head(tmp_path) == second[:12]
    git("pack-refs", "--all")  # as git gc leaves it
    assert git_head(tmp_path) == second[:12]
    git("checkout", "-q", first)  # detached: a release checked out by its commit
    assert git_head(tmp_path) == first[:12]
    git("worktree", "add", "-q", str(tmp_path / "wt"), "main")
    assert git_head(tmp_path / "wt") == second[:12]

"""Anonymous page caching: fast, invalidated on change, never leaking one visitor's data."""

import os
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from catalog.models import Product, Variant
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def product():
    return ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)


def test_second_anonymous_visit_is_served_from_the_cache(product, django_assert_num_queries):
    url = product.get_absolute_url()
    assert Client().get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = Client().get(url)
    assert response["X-Page-Cache"] == "hit"
    assert "Storm Lantern" in response.content.decode()


def test_each_visitor_gets_their_own_csrf_token_and_it_works(product):
    url = product.get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_token = TOKEN.search(first.get(url).content.decode()).group(1)
    hit = second.get(url)
    assert hit["X-Page-Cache"] == "hit"
    second_token = TOKEN.search(hit.content.decode()).group(1)
    assert "@@CSRF@@" not in hit.content.decode()
    assert first_token != second_token
    # the token in the cached page works for its visitor
    response = second.post(
        reverse("cart:add"),
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": second_token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("change", ["price", "stock", "name"])
def test_a_catalog_change_shows_at_once(product, change):
    url = product.get_absolute_url()
    Client().get(url)
    Client().get(reverse("catalog:products"))
    if change == "price":
        product.price = Decimal("25.00")
        product.save()
        expected = "€25.00"
    elif change == "stock":
        variant = product.variants.get()
        variant.stock = 0
        variant.save()
        expected = "Sold out"
    else:
        product.name = "Storm Lamp"
        product.save()
        expected = "Storm Lamp"
    assert expected in Client().get(url).content.decode()
    assert expected in Client().get(reverse("catalog:products")).content.decode()


def test_an_order_taking_stock_shows_at_once(product, django_capture_on_commit_callbacks):
    url = product.get_absolute_url()
    Client().get(url)
    with django_capture_on_commit_callbacks(execute=True):
        Variant.objects.filter(product=product).update(stock=0)
        from catalog.selectors import bump_catalog_version

        bump_catalog_version()  # what place_order does after commit
    assert "Sold out" in Client().get(url).content.decode()


def test_a_shopper_with_a_cart_gets_and_fills_cached_pages_with_only_their_own_count(
    product, django_assert_max_num_queries
):
    url = reverse("catalog:products")
    shopper = Client()
    added = shopper.post(
        reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 2}, follow=True
    )
    assert "Added 2" in added.content.decode()  # the message is shown (and used up) there
    page = shopper.get(url)  # built for this shopper, stored as a visitor without a cart sees it
    assert page["X-Page-Cache"] == "miss"
    assert 'aria-label="2 items in cart">2<' in page.content.decode()

    first = Client().get(url)
    assert first["X-Page-Cache"] == "hit"
    assert 'aria-label="0 items in cart">0<' in first.content.decode()
    assert "2 items in cart" not in first.content.decode()

    with django_assert_max_num_queries(0):  # session and cart count come from the cache
        page = shopper.get(url)
    assert page["X-Page-Cache"] == "hit"
    body = page.content.decode()
    assert 'aria-label="2 items in cart">2<' in body
    assert "0 items in cart" not in body
    assert "Sign out" not in body
    other = Client()
    other.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    assert 'aria-label="1 item in cart">1<' in other.get(url).content.decode()
    assert 'aria-label="0 items in cart">0<' in Client().get(url).content.decode()


def test_a_page_whose_cart_count_is_uncertain_is_not_stored(product, monkeypatch):
    """The cart changed between building the page and storing it (another tab): the shopper's
    count in the page is not the one found when storing, so it is not stored at all."""
    url = reverse("catalog:products")
    shopper = Client()
    shopper.post(
        reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 2}, follow=True
    )
    import cart.selectors

    monkeypatch.setattr(cart.selectors, "get_cart_count", lambda **kwargs: 5)
    page = shopper.get(url)
    assert "X-Page-Cache" not in page
    monkeypatch.undo()
    first = Client().get(url)
    assert first["X-Page-Cache"] == "miss"
    assert "2 items in cart" not in first.content.decode()


def test_members_never_get_cached_pages_nor_touch_the_cache(product, monkeypatch):
    from core import pagecache

    url = reverse("catalog:products")
    assert Client().get(url)["X-Page-Cache"] == "miss"
    member = Client()
    member.force_login(UserFactory(email="ann@example.com"))
    lookups = []
    real_get_many = pagecache.cache.get_many
    monkeypatch.setattr(
        pagecache.cache, "get_many", lambda keys: lookups.append(keys) or real_get_many(keys)
    )
    page = member.get(url)
    assert "X-Page-Cache" not in page
    assert "Sign out" in page.content.decode()
    assert not [keys for keys in lookups if any(k.startswith(pagecache.KEY_PREFIX) for k in keys)]
    assert Client().get(url)["X-Page-Cache"] == "hit"  # the shared copy is still there


def test_messages_waiting_in_the_session_are_shown_not_a_cached_page(product, settings):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    url = reverse("catalog:products")
    assert Client().get(url)["X-Page-Cache"] == "miss"
    shopper = Client()
    shopper.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    assert "_messages" in shopper.session
    page = shopper.get(url)
    assert "X-Page-Cache" not in page
    assert "Added 1 × <bdi>Storm Lantern</bdi> to your cart." in page.content.decode()
    again = shopper.get(url)  # shown once, then gone: now a cached page with the count
    assert again["X-Page-Cache"] == "hit"
    assert 'aria-label="1 item in cart">1<' in again.content.decode()


def test_an_unknown_session_cookie_goes_through_the_whole_stack_and_is_ended(product):
    url = reverse("catalog:products")
    Client().get(url)
    stranger = Client()
    stranger.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    page = stranger.get(url)
    assert "X-Page-Cache" not in page
    assert page.cookies[settings.SESSION_COOKIE_NAME].value == ""  # deleted
    assert 'aria-label="0 items in cart">0<' in page.content.decode()


def test_without_a_session_fill_visitors_with_a_session_get_the_whole_stack(product, settings):
    from core import pagecache

    settings.PAGE_CACHE_SESSION_FILL = None
    pagecache._session_fill.cache_clear()
    try:
        url = reverse("catalog:products")
        Client().get(url)
        shopper = Client()
        shopper.post(
            reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 2}, follow=True
        )
        page = shopper.get(url)
        assert "X-Page-Cache" not in page
        assert 'aria-label="2 items in cart">2<' in page.content.decode()
        assert "2 items in cart" not in Client().get(url).content.decode()
    finally:
        pagecache._session_fill.cache_clear()


def test_a_failed_fill_sends_the_search_through_the_stack_and_counts_it_once(product, monkeypatch):
    import cart.selectors
    from search.models import SearchCount
    from search.services import flush_search_counts

    url = reverse("search:results")
    assert Client().get(url, {"q": "lantern"})["X-Page-Cache"] == "miss"
    shopper = Client()
    shopper.post(
        reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1}, follow=True
    )

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(cart.selectors, "get_cart_count", broken)
    page = shopper.get(url, {"q": "lantern"})
    monkeypatch.undo()
    assert page.status_code == 200
    assert "X-Page-Cache" not in page
    flush_search_counts()
    assert SearchCount.objects.get().count == 2  # the first visitor and the shopper, once


def test_cached_search_pages_still_count_every_search(product, django_assert_max_num_queries):
    from search.models import SearchCount
    from search.services import flush_search_counts

    first = Client().get(reverse("search:results"), {"q": "lantern"})
    assert first["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(2):  # only the count
        second = Client().get(reverse("search:results"), {"q": "lantern"})
    assert second["X-Page-Cache"] == "hit"
    Client().get(reverse("search:results"), {"q": "lantern", "page": "2"})  # not a new search
    flush_search_counts()
    assert SearchCount.objects.get().count == 2


def test_inactive_product_disappears_at_once(product):
    url = product.get_absolute_url()
    Client().get(url)
    Product.objects.filter(pk=product.pk).update(is_active=False)
    from catalog.selectors import bump_catalog_version

    bump_catalog_version()
    assert Client().get(url).status_code == 404


def test_a_message_for_one_visitor_is_never_cached_for_others(product):
    """Signing out leaves a message (in a cookie, with no session): that page is not shared."""
    member = Client()
    member.force_login(UserFactory(email="bob@example.com"))
    response = member.post(reverse("account_logout"), follow=True)
    assert "You have signed out." in response.content.decode()
    assert "You have signed out." not in Client().get(reverse("home")).content.decode()
    assert "You have signed out." not in Client().get(reverse("home")).content.decode()


def test_a_cached_page_keeps_the_security_headers_and_vary(product):
    url = product.get_absolute_url()
    miss = Client().get(url)
    hit = Client().get(url)
    assert hit["X-Page-Cache"] == "hit"
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert hit[header] == miss[header]
    assert "Cookie" in hit["Vary"]
    assert hit["Content-Type"] == "text/html; charset=utf-8"
    assert settings.CSRF_COOKIE_NAME in hit.cookies  # the visitor's own token, with its cookie


def test_a_returning_visitor_keeps_their_csrf_secret_on_a_hit(product):
    url = product.get_absolute_url()
    Client().get(url)
    visitor = Client(enforce_csrf_checks=True)
    visitor.get(reverse("catalog:products"))  # a form page: the visitor gets a CSRF cookie
    secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    hit = visitor.get(url)
    assert hit["X-Page-Cache"] == "hit"
    token = TOKEN.search(hit.content.decode()).group(1)
    assert visitor.cookies[settings.CSRF_COOKIE_NAME].value == secret
    response = visitor.post(
        reverse("cart:add"),
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_only_get_is_served_from_the_cache_and_a_foreign_host_still_gets_400(product):
    url = product.get_absolute_url()
    Client().get(url)
    assert "X-Page-Cache" not in Client().head(url)
    assert Client().get(url, HTTP_HOST="evil.example").status_code == 400


def test_a_cached_search_is_still_rate_limited(product):
    from search.views import SEARCH_LIMIT

    visitor = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        visitor.get(reverse("search:results"), {"q": "lantern"}).status_code
        for _ in range(SEARCH_LIMIT + 1)
    ]
    assert statuses[:-1] == [200] * SEARCH_LIMIT
    assert statuses[-1] == 429


def test_the_content_version_is_read_once_per_request_and_never_memoized_outside_one():
    from django.core.cache import cache

    from core import pagecache

    first = pagecache.content_version()
    cache.set(pagecache.VERSION_KEY, first + 10, None)
    assert pagecache.content_version() == first + 10  # outside a request: always read
    scope = pagecache._request_version.set(pagecache._UNREAD)
    try:
        assert pagecache.content_version() == first + 10
        cache.set(pagecache.VERSION_KEY, first + 20, None)  # another process bumps
        assert pagecache.content_version() == first + 10  # this request keeps its version
        pagecache.bump_content_version()  # but its own change is seen at once
        assert pagecache.content_version() == first + 21
    finally:
        pagecache._request_version.reset(scope)
    assert pagecache._request_version.get() == pagecache._UNSCOPED


def test_suggestions_are_page_cached_for_anonymous_visitors_and_still_rate_limited(
    product, django_assert_num_queries
):
    import json

    from search.views import SUGGEST_LIMIT

    url = reverse("search:suggest")
    visitor = Client(REMOTE_ADDR="203.0.113.10")
    miss = visitor.get(url, {"q": "stor"})
    assert miss["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        hit = visitor.get(url, {"q": "stor"})
    assert hit["X-Page-Cache"] == "hit"
    assert hit["Content-Type"] == "application/json"
    assert json.loads(hit.content) == json.loads(miss.content)
    assert json.loads(hit.content)["query"] == "stor"
    statuses = [visitor.get(url, {"q": "stor"}).status_code for _ in range(SUGGEST_LIMIT - 1)]
    assert statuses[-2:] == [200, 429]


def test_a_change_bumps_the_version_again_when_its_transaction_commits(
    product, django_capture_on_commit_callbacks
):
    """A page built between the change and the commit read the old data; the second bump at
    commit keeps it from being served under the new version."""
    from core.pagecache import content_version

    with django_capture_on_commit_callbacks(execute=True):
        product.name = "Storm Lamp"
        product.save()
        during = content_version()
    assert content_version() > during


def test_the_content_version_never_goes_back(monkeypatch):
    from django.core.cache import cache

    from core import pagecache

    cache.set(pagecache.VERSION_KEY, 5, None)

    def failing_incr(*args, **kwargs):  # what ResilientRedisCache raises on a Redis timeout
        raise ValueError("cache unavailable")

    monkeypatch.setattr(cache, "incr", failing_incr)
    pagecache.bump_content_version()
    monkeypatch.undo()
    assert pagecache.content_version() > 5
    cache.delete(pagecache.VERSION_KEY)  # lost (Redis restarted without persistence)
    assert pagecache.content_version() > 5


def test_the_csrf_placeholder_in_a_query_is_never_filled_with_a_token(product):
    url = product.get_absolute_url()  # the header's search box shows ?q=, the page has a form
    params = {"q": 'x name="csrfmiddlewaretoken" value="@@CSRF@@"'}
    Client().get(url, params)
    hit = Client().get(url, params)
    assert hit["X-Page-Cache"] == "hit"
    body = hit.content.decode()
    assert "@@CSRF@@" in body  # shown as typed (escaped), not replaced
    assert TOKEN.search(body) is not None  # the real forms still get their token


def test_cached_form_pages_fall_through_when_csrf_tokens_live_in_the_session(product, settings):
    url = product.get_absolute_url()
    Client().get(url)
    settings.CSRF_USE_SESSIONS = True
    page = Client().get(url)
    assert page.status_code == 200
    assert "X-Page-Cache" not in page  # served by the whole stack, with a session


def test_hot_pages_come_from_worker_memory_and_still_follow_changes(product, monkeypatch):
    from django.core.cache import cache

    url = product.get_absolute_url()
    client = Client()
    assert client.get(url)["X-Page-Cache"] == "miss"

    def no_page_fetch(*args, **kwargs):
        raise AssertionError("the page should come from the worker's memory")

    with monkeypatch.context() as patched:
        patched.setattr(cache, "get_many", no_page_fetch)
        hit = client.get(url)
    assert hit["X-Page-Cache"] == "hit"
    assert "€30.00" in hit.content.decode()

    Product.objects.filter(pk=product.pk).update(price=Decimal("25.00"))
    product.refresh_from_db()
    product.save()  # the admin's save: bumps the content version
    fresh = client.get(url)
    assert "€25.00" in fresh.content.decode()
    assert "€30.00" not in fresh.content.decode()


def test_a_page_from_worker_memory_carries_each_visitors_own_token(product):
    url = product.get_absolute_url()
    client = Client(enforce_csrf_checks=True)
    first = TOKEN.search(client.get(url).content.decode()).group(1)
    client.cookies.clear()  # a different visitor, same worker
    hit = client.get(url)
    assert hit["X-Page-Cache"] == "hit"
    second = TOKEN.search(hit.content.decode()).group(1)
    assert "@@CSRF@@" not in hit.content.decode()
    assert second != first
    variant = product.variants.first()
    added = client.post(
        reverse("cart:add"), {"variant": variant.pk, "quantity": 1, "csrfmiddlewaretoken": second}
    )
    assert added.status_code == 302


def test_worker_memory_is_bounded_and_short_lived(monkeypatch):
    from core import pagecache

    pages = pagecache.LocalPages(size=2, ttl=10)
    for key in ("a", "b", "c"):
        pages.put(key, (1, key))
    assert len(pages) == 2
    assert pages.get("a") is None  # the least recently used went first
    assert pages.get("c") == (1, "c")
    now = pagecache.time.monotonic()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now + 11)
    assert pages.get("c") is None
    assert len(pages) == 1
    assert pagecache.LocalPages(size=0).put("x", (1, "x")) is None


@pytest.mark.parametrize("page", ["product", "listing"])
def test_a_change_made_by_another_worker_shows_within_the_recheck_interval(
    product, monkeypatch, page
):
    from django.core.cache import cache

    from core import pagecache

    url = product.get_absolute_url() if page == "product" else reverse("catalog:products")
    client = Client()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"  # from this worker's memory now
    now = pagecache.time.monotonic()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now)
    client.get(url)  # the versions were just read
    # another worker's change of the product (what its bump writes): this one was not told
    cache.incr(pagecache.VERSION_KEY)
    cache.incr(pagecache.scope_key(f"product:{product.pk}"))
    assert client.get(url)["X-Page-Cache"] == "hit"  # within the recheck interval
    monkeypatch.setattr(
        pagecache.time, "monotonic", lambda: now + pagecache.VERSION_RECHECK + 0.001
    )
    assert client.get(url)["X-Page-Cache"] == "miss"  # rebuilt under the new version


@pytest.mark.usefixtures("redis_down")
def test_with_the_cache_down_a_change_still_shows_at_once(product):
    url = product.get_absolute_url()
    client = Client()
    assert "€30.00" in client.get(url).content.decode()
    product.price = Decimal("26.00")
    product.save()  # the version cannot be bumped while Redis is down
    body = client.get(url).content.decode()
    assert "€26.00" in body
    assert "€30.00" not in body


def test_the_hit_path_csrf_token_is_what_django_would_issue():
    from collections import Counter

    from django.middleware.csrf import (
        CSRF_ALLOWED_CHARS,
        _check_token_format,
        _unmask_cipher_token,
    )
    from django.test import RequestFactory

    from core.csrf import csrf_token, random_string

    draws = [random_string(32) for _ in range(400)]
    assert all(len(d) == 32 and set(d) <= set(CSRF_ALLOWED_CHARS) for d in draws)
    assert len(set(draws)) == 400
    counts = Counter("".join(draws))  # 12,800 characters over 62: about 206 each
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert max(counts.values()) < 2 * min(counts.values())

    new_visitor = RequestFactory().get("/")
    token = csrf_token(new_visitor)
    _check_token_format(token)  # 64 characters of the alphabet
    secret = new_visitor.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(token) == secret
    assert new_visitor.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert csrf_token(new_visitor) != token  # a new mask every time, the same secret
    assert _unmask_cipher_token(csrf_token(new_visitor)) == secret

    returning = RequestFactory().get("/")
    returning.META["CSRF_COOKIE"] = "a" * 32
    assert _unmask_cipher_token(csrf_token(returning)) == "a" * 32


def test_only_views_that_use_the_page_cache_read_the_session_for_it(product, monkeypatch):
    """A shopper with a cart on the cart page: the page cache neither reads their session
    (SessionMiddleware does, once) nor looks the page up."""
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.test import RequestFactory

    from core import pagecache

    factory = RequestFactory()
    cacheable = [
        "/",
        reverse("catalog:products"),
        product.get_absolute_url(),
        product.category.get_absolute_url(),
        product.series.get_absolute_url(),
        reverse("search:results") + "?q=lantern",
        reverse("search:suggest") + "?q=la",
    ]
    never = [reverse("cart:detail"), reverse("orders:checkout_review"), reverse("service:guide")]
    for url in cacheable:
        assert pagecache.may_be_cached(factory.get(url)), url
    for url in [*never, "/no/such/page/"]:
        assert not pagecache.may_be_cached(factory.get(url)), url

    shopper = Client()
    shopper.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    shopper.get(reverse("cart:detail"))  # messages shown and gone
    loads, lookups = [], []
    real_load, real_get_many = SessionStore.load, pagecache.cache.get_many
    monkeypatch.setattr(SessionStore, "load", lambda s: loads.append(1) or real_load(s))
    monkeypatch.setattr(
        pagecache.cache, "get_many", lambda keys: lookups.append(keys) or real_get_many(keys)
    )
    assert shopper.get(reverse("cart:detail")).status_code == 200
    assert len(loads) == 1  # SessionMiddleware's
    assert not [k for k in lookups if any(x.startswith(pagecache.KEY_PREFIX) for x in k)]
    shopper.get(reverse("catalog:products"))
    page = shopper.get(reverse("catalog:products"))
    assert page["X-Page-Cache"] == "hit"


def test_pages_cached_before_a_change_of_the_shops_settings_are_not_served_after_it():
    """Changing SHOP_ADMIN_EMAIL (shown on every page), the shop's name or how amounts are
    written takes a restart; pages cached before it showed the old values for up to their
    lifetime. Their keys now carry the shop's settings as the process started with them, the
    same in every worker (hash randomization changes nothing)."""
    prefix = _key_prefix_at_start
    first = prefix(PYTHONHASHSEED="1")
    assert first.startswith("page4:")
    assert prefix(PYTHONHASHSEED="2") == first
    assert prefix(PYTHONHASHSEED="1", SHOP_ADMIN_EMAIL="hello@shop.example") != first
    assert prefix(PYTHONHASHSEED="1", SHOP_MONEY_FORMAT="{amount} {symbol}") != first


def _key_prefix_at_start(**env) -> str:
    """The page cache's key prefix of a process started with these environment variables."""
    import subprocess
    import sys

    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings');"
        "django.setup(); from core import pagecache; print(pagecache.KEY_PREFIX)"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_page_cache_outlives_a_restart_with_other_limits_but_not_another_time_zone():
    """The stamp took every SHOP_* setting: a changed rate limit, which no page shows, emptied
    the page cache; a changed TIME_ZONE, which pages show (dates), did not."""
    first = _key_prefix_at_start(PYTHONHASHSEED="1")
    assert _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_ORDER_RATE="99") == first
    assert _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_INQUIRY_RATE="99") == first
    assert _key_prefix_at_start(PYTHONHASHSEED="1", TIME_ZONE="Europe/Zurich") != first
    assert _key_prefix_at_start(PYTHONHASHSEED="1", SHOP_LOW_STOCK_THRESHOLD="2") != first


def test_every_setting_the_page_cache_stamp_leaves_out_exists(settings):
    """A renamed setting left in the list would be left out no more, silently."""
    from core import pagecache

    missing = [
        n for n in pagecache.NOT_ON_PAGES | pagecache.ALSO_ON_PAGES if not hasattr(settings, n)
    ]
    assert not missing


def test_search_suggestions_cached_before_a_restart_with_other_settings_are_not_used():
    """The suggestions show prices: cached for 5 minutes, they kept the old way of writing
    amounts after a restart that changed it. Their keys carry the same stamp as pages."""
    from core import pagecache
    from search.selectors import autocomplete_cache_key

    assert f":{pagecache.SETTINGS_STAMP}:" in autocomplete_cache_key(["tea"])
    assert f"page4:{pagecache.SETTINGS_STAMP}:" == pagecache.KEY_PREFIX

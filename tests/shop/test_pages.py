import re
import sqlite3
from decimal import Decimal

import psycopg
import pytest
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cart.models import ShippingMethod
from catalog.models import Product
from shop.sitemaps import ProductSitemap
from tests.factories import ProductFactory, SeriesFactory

pytestmark = pytest.mark.django_db

ADMIN_EMAIL = "owner@shop.example"


@pytest.fixture
def product():
    return ProductFactory(name="Trail Bottle")


def public_urls(product) -> list[str]:
    return [
        "/",
        reverse("catalog:products"),
        product.get_absolute_url(),
        product.series.get_absolute_url(),
        product.category.get_absolute_url(),
        reverse("search:results") + "?q=bottle",
        reverse("service:index"),
        reverse("service:guide"),
        reverse("service:commitments"),
        reverse("service:returns"),
        reverse("service:payment"),
        reverse("service:delivery"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("guestbook:index"),
        reverse("cart:detail"),
        reverse("orders:inquiry"),
        "/no-such-page/",
    ]


def test_every_page_shows_the_admin_email(client, settings, product):
    settings.SHOP_ADMIN_EMAIL = ADMIN_EMAIL
    for url in public_urls(product):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert f'href="mailto:{ADMIN_EMAIL}"' in response.content.decode(), url


@pytest.mark.django_db
def test_the_shops_own_logo_is_in_every_header_and_the_browser_tab(client, settings, admin_client):
    """The header and the tab showed the demo's pine tree whatever the shop; SHOP_LOGO names
    the merchant's own picture."""
    home = client.get(reverse("home")).content.decode()
    assert '<svg viewBox="0 0 32 32"' in home
    assert 'href="/static/img/logo' in home

    settings.SHOP_LOGO = "/media/brand/alpenglow.png"
    cache.clear()  # a restart changes the page cache's keys (test_page_cache.py)
    for page in (client.get(reverse("home")), client.get(reverse("service:guide"))):
        html = page.content.decode()
        brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', html, re.S).group(1)
        assert brand.startswith('<img src="/media/brand/alpenglow.png" alt=""')
        assert '<link rel="icon" href="/media/brand/alpenglow.png">' in html
    admin = admin_client.get(reverse("admin:index")).content.decode()
    assert '<link rel="icon" href="/media/brand/alpenglow.png">' in admin


def test_every_page_has_landmarks_skip_link_and_title(client, product):
    for url in public_urls(product):
        body = client.get(url).content.decode()
        assert 'href="#main"' in body, url
        assert '<main id="main"' in body, url
        assert 'role="search"' in body, url
        assert "<title>" in body, url
        assert "<title></title>" not in body, url
        assert 'name="description"' in body, url


def test_a_page_with_form_errors_says_so_in_its_title(client, product):
    """The title is what a screen reader reads first, and a tab's name: a form sent back with
    errors had the same title as the empty form."""

    def title(response) -> str:
        text = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
        return " ".join(text.split())  # as a browser shows it

    contact = reverse("service:contact")
    assert title(client.get(contact)).startswith("Write to us · ")
    assert title(client.post(contact, {"name": "Greta"})).startswith("Error: Write to us · ")
    guestbook = reverse("guestbook:index")
    assert title(client.get(guestbook)).startswith("Guestbook · ")
    assert title(client.post(guestbook, {"name": "Greta"})).startswith("Error: Guestbook · ")
    login = reverse("account_login")
    wrong = {"login": "nobody@example.com", "password": "wrong password"}
    assert title(client.post(login, wrong)).startswith("Error: Sign in · ")
    listing = product.category.get_absolute_url()
    assert title(client.get(listing + "?min_price=40&max_price=5")).startswith("Error: ")
    assert not title(client.get(listing + "?min_price=5&max_price=40")).startswith("Error")


def test_404_page_has_the_shop_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def test_500_page_has_the_shop_look_and_no_traceback(settings, product):
    settings.SHOP_ADMIN_EMAIL = ADMIN_EMAIL
    client = Client(raise_request_exception=False)
    from shop import views

    response = views.server_error(None)
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert ADMIN_EMAIL in body
    assert client  # the handler above is the one Django uses (handler500)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_out_of_reach_answers_503_back_in_a_moment(settings, monkeypatch, error):
    """A request in flight when its database connection drops (PostgreSQL restarting; the
    next request gets a new connection): 503 with Retry-After, not a 500 "went wrong"."""
    settings.SHOP_ADMIN_EMAIL = ADMIN_EMAIL

    def dropped(**kwargs):
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr("cart.selectors.list_shipping_methods", dropped)
    response = Client(raise_request_exception=False).get(reverse("cart:detail"))
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "We are back in a moment" in body
    assert "Something went wrong" not in body
    assert ADMIN_EMAIL in body


def test_any_other_fault_is_still_a_500(monkeypatch):
    def broken(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("cart.selectors.list_shipping_methods", broken)
    response = Client(raise_request_exception=False).get(reverse("cart:detail"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        sqlite3.OperationalError("no such table: cart_shippingmethod"),
    ],
)
def test_a_database_that_answered_with_an_error_is_a_500_not_503(monkeypatch, cause):
    """The database was reached and refused the query (a query too slow, a deadlock, a table
    a migration has not made): a fault of the shop, not an outage to come back from."""

    def refused(**kwargs):
        raise OperationalError(*cause.args) from cause

    monkeypatch.setattr("cart.selectors.list_shipping_methods", refused)
    response = Client(raise_request_exception=False).get(reverse("cart:detail"))
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.TooManyConnections("sorry, too many clients already"),
    ],
)
def test_a_connection_lost_by_the_driver_is_503(monkeypatch, cause):
    def dropped(**kwargs):
        raise OperationalError(*cause.args) from cause

    monkeypatch.setattr("cart.selectors.list_shipping_methods", dropped)
    response = Client(raise_request_exception=False).get(reverse("cart:detail"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"


def sitemap_pages(client) -> dict[str, str]:
    """Every sitemap the index at /sitemap.xml names, fetched: {url: body}."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    locations = re.findall(r"<loc>http://testserver(/[^<]+)</loc>", index.content.decode())
    pages = {}
    for url in locations:
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    return pages


def test_sitemap_lists_active_products_and_categories(client, product):
    hidden = ProductFactory(is_active=False)
    body = "".join(sitemap_pages(client).values())
    assert f"http://testserver{product.get_absolute_url()}" in body
    assert f"http://testserver{product.category.get_absolute_url()}" in body
    assert f"http://testserver{reverse('service:delivery')}" in body
    assert hidden.get_absolute_url() not in body


def test_sitemap_reaches_every_product_beyond_the_first_page(client, monkeypatch):
    # One combined sitemap showed its first page only (the first 10,000 products of the
    # 100,000 in the bench catalog) and its ?p=2 was a 404, as the static section has one page.
    monkeypatch.setattr(ProductSitemap, "limit", 2)
    products = ProductFactory.create_batch(5)
    pages = sitemap_pages(client)
    product_pages = [url for url in pages if url.startswith("/sitemap-products.xml")]
    assert len(product_pages) == 3  # 2 + 2 + 1
    listed = re.findall(r"<loc>http://testserver(/products/[^<]+)</loc>", "".join(pages.values()))
    assert sorted(listed) == sorted(p.get_absolute_url() for p in products)


def test_sitemap_pages_are_cached_and_bounded(client, django_assert_max_num_queries):
    ProductFactory.create_batch(30)
    with django_assert_max_num_queries(3):  # the page's count and its rows
        first = client.get("/sitemap-products.xml")
    with django_assert_max_num_queries(0):  # crawlers come back: the page is kept
        again = client.get("/sitemap-products.xml")
    assert first.content == again.content
    assert first.content.count(b"<url>") == 30
    assert again["X-Page-Cache"] == "hit"
    assert "max-age=3600" in again["Cache-Control"]


def test_sitemap_index_is_one_query_per_section_whatever_the_catalog(
    client, django_assert_max_num_queries
):
    ProductFactory.create_batch(30)
    with django_assert_max_num_queries(6):  # products: their count and newest date
        index = client.get("/sitemap.xml").content.decode()
    newest = timezone.localtime(max(p.updated_at for p in Product.objects.all()))
    assert f"<lastmod>{newest.isoformat()}</lastmod>" in index


def test_robots_txt_points_at_sitemap(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /admin/" in body


def test_security_headers_and_csp(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_shops_cookies_are_httponly_and_samesite_lax(client, product):
    """SECURITY.md: HttpOnly cookies with SameSite=Lax (Secure comes with production's
    settings, tests/shop/test_settings.py), as the responses set them: no script in a page,
    injected or not, reads the CSRF token's cookie, the session or the messages."""
    client.get(reverse("account_login"))
    client.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    assert {"csrftoken", "sessionid", "messages"} <= set(client.cookies)
    for name in ("csrftoken", "sessionid", "messages"):
        assert client.cookies[name]["httponly"] is True, name
        assert client.cookies[name]["samesite"] == "Lax", name


def test_foreign_host_header_is_refused(client):
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


def test_templates_have_no_inline_styles_or_scripts(client, product):
    for url in public_urls(product):
        body = client.get(url).content.decode()
        assert ' style="' not in body, url
        assert "<script>" not in body, url


def hero_text(client) -> str:
    body = client.get("/").content.decode()
    hero = re.search(r'<section class="hero".*?</section>', body, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", hero).split())


@pytest.mark.django_db
def test_the_home_page_of_an_empty_shop_says_only_what_is_true(client, settings):
    settings.SHOP_TAGLINE = "Tea from the Alps, gear for the trail"
    settings.SHOP_RETURN_DAYS = 30

    text = hero_text(client)

    assert text.startswith("Tea from the Alps, gear for the trail 30 days to change your mind.")
    assert "series" not in text
    assert "Free delivery" not in text
    home = client.get("/").content.decode()
    assert "Gear for the trail, goods for the home" not in home
    assert (
        '<meta name="description" content="Meadow &amp; Pine: Tea from the Alps, gear for the '
        'trail, with 30-day returns.">'
    ) in home


@pytest.mark.django_db
def test_the_home_page_names_the_series_and_the_real_free_delivery_amount(client):
    for name in ["Alpine Tea", "Trail Gear", "Camp Kitchen"]:
        SeriesFactory(name=name, slug=name.lower().replace(" ", "-"))
    ShippingMethod.objects.create(name="Economy", fee=Decimal("9.00"), free_over=Decimal("80"))
    ShippingMethod.objects.create(name="Priority", fee=Decimal("12.50"))

    text = hero_text(client)

    assert "Our three series: Alpine Tea , Camp Kitchen and Trail Gear ." in text
    assert "Free delivery from €80.00, and 14 days to change your mind." in text

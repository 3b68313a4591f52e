"""The WSGI front of the page cache (core/pagecache_wsgi.py): hits answered before Django,
the same page, headers and CSRF handling as Django's stack would give, nothing else served."""

import gzip
import re
from decimal import Decimal
from http.cookies import SimpleCookie
from urllib.parse import unquote_to_bytes, urlsplit

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.urls import reverse

from core import pagecache
from core.pagecache_wsgi import PageCacheFront, with_page_cache_front
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VARYING = {"set-cookie", "x-page-cache", "content-length", "x-request-id"}


class Answer:
    def __init__(self, status, headers, body, django):
        self.status, self.headers, self.body, self.django = status, headers, body, django
        self.text = body.decode(errors="replace")

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookie(self, name):
        for k, v in self.headers:
            if k.lower() == "set-cookie":
                jar = SimpleCookie(v)
                if name in jar:
                    return jar[name]
        return None

    def stable_headers(self):
        return sorted((k, v) for k, v in self.headers if k.lower() not in VARYING)


class Browser:
    """Calls the front as gunicorn does, and records whether Django's handler ran."""

    def __init__(self):
        self.django_calls = 0
        handler = WSGIHandler()

        def django(environ, start_response):
            self.django_calls += 1
            return handler(environ, start_response)

        self.front = PageCacheFront(django)

    def request(self, path, method="GET", cookies=None, **extra):
        if cookies:
            extra["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        before = self.django_calls
        status, headers, body = call(self.front, path, method, **extra)
        return Answer(status, headers, body, self.django_calls > before)


def call(app, path, method="GET", **extra):
    """Call a WSGI application with the environ gunicorn builds: PATH_INFO is the path's
    bytes, percent-decoded, as latin-1 text (which Django's request decodes as UTF-8)."""
    parts = urlsplit(path)
    environ = RequestFactory()._base_environ(
        PATH_INFO=unquote_to_bytes(parts.path).decode("iso-8859-1"),
        QUERY_STRING=parts.query,
        REQUEST_METHOD=method,
        **extra,
    )
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()  # as the server does: Django's request_finished
    return seen["status"], seen["headers"], body


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """As Django's test client: the handler's request signals must not close the database
    connection that holds the test's transaction (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def product():
    return ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)


@pytest.fixture
def browser():
    return Browser()


def test_a_hit_is_answered_before_django_with_the_same_page_and_headers(
    product, browser, django_assert_num_queries
):
    url = product.get_absolute_url()
    miss = browser.request(url)
    assert miss.django
    assert miss.header("X-Page-Cache") == "miss"
    with django_assert_num_queries(0):
        hit = browser.request(url)
    assert not hit.django
    assert hit.status == "200 OK"
    assert hit.header("X-Page-Cache") == "hit"
    assert hit.header("Content-Length") == str(len(hit.body))
    # a hit has its own request id too (gunicorn's access line logs it: rid=)
    assert len(hit.header("X-Request-ID")) == 32
    assert hit.header("X-Request-ID") != miss.header("X-Request-ID")
    assert "Storm Lantern" in hit.text
    assert "€30.00" in hit.text
    # the stored headers are the final ones: the security headers are there
    assert hit.stable_headers() == miss.stable_headers()
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Vary"):
        assert hit.header(name), name
    assert "Cookie" in hit.header("Vary")
    assert "@@CSRF@@" not in hit.text
    assert TOKEN.sub("", hit.text) == TOKEN.sub("", miss.text)


def test_a_hit_through_the_front_equals_one_through_the_middleware(product, browser):
    url = product.get_absolute_url()
    browser.request(url)
    front = browser.request(url)
    stack = Client().get(url)
    assert not front.django
    assert stack["X-Page-Cache"] == "hit"
    assert TOKEN.sub("", front.text) == TOKEN.sub("", stack.content.decode())
    assert front.stable_headers() == sorted(
        (k, v) for k, v in stack.items() if k.lower() not in VARYING
    )


def test_a_new_visitor_gets_a_cookie_and_a_token_for_it_and_the_token_works(product, browser):
    url = product.get_absolute_url()
    miss = browser.request(url)
    hit = browser.request(url)
    assert not hit.django
    cookie = hit.cookie(settings.CSRF_COOKIE_NAME)
    secret = cookie.value
    assert len(secret) == 32
    tokens = TOKEN.findall(hit.text)
    assert tokens
    assert all(_unmask_cipher_token(t) == secret for t in tokens)
    # the same attributes as Django's own cookie on the miss
    theirs = miss.cookie(settings.CSRF_COOKIE_NAME)
    for attribute in ("path", "max-age", "samesite", "httponly", "secure", "domain"):
        assert cookie[attribute] == theirs[attribute], attribute
    assert cookie["expires"]
    # and a form posted with them passes Django's CSRF check
    shopper = Client(enforce_csrf_checks=True)
    shopper.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = shopper.post(
        reverse("cart:add"),
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": tokens[0]},
    )
    assert response.status_code == 302


def test_the_csrf_and_session_cookies_are_httponly_and_same_site_lax(product, browser):
    """No script reads either cookie (forms carry the CSRF token in the page) and neither goes
    along with another site's POST: on a page Django builds, on a cached hit, and once the
    visitor has a session."""
    url = product.get_absolute_url()
    miss, hit = browser.request(url), browser.request(url)
    assert (miss.django, hit.django) == (True, False)
    for answer in (miss, hit):
        cookie = answer.cookie(settings.CSRF_COOKIE_NAME)
        assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")
    response = Client().post(
        reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1}
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (session["httponly"], session["samesite"]) == (True, "Lax")


def test_a_returning_visitor_keeps_their_secret_and_a_bad_cookie_is_replaced(product, browser):
    url = product.get_absolute_url()
    browser.request(url)
    secret = "a" * 32
    hit = browser.request(url, cookies={settings.CSRF_COOKIE_NAME: secret})
    assert not hit.django
    assert hit.cookie(settings.CSRF_COOKIE_NAME).value == secret  # renewed, as get_token does
    assert _unmask_cipher_token(TOKEN.search(hit.text).group(1)) == secret
    # an old masked cookie is read as its secret
    masked = TOKEN.search(hit.text).group(1)
    again = browser.request(url, cookies={settings.CSRF_COOKIE_NAME: masked})
    assert _unmask_cipher_token(TOKEN.search(again.text).group(1)) == secret
    # a malformed one is replaced by a new secret
    bad = browser.request(url, cookies={settings.CSRF_COOKIE_NAME: "<script>"})
    fresh = bad.cookie(settings.CSRF_COOKIE_NAME).value
    assert fresh != "<script>"
    assert len(fresh) == 32
    assert _unmask_cipher_token(TOKEN.search(bad.text).group(1)) == fresh


def test_two_visitors_never_share_a_secret_or_a_token(product, browser):
    url = product.get_absolute_url()
    browser.request(url)
    first, second = browser.request(url), browser.request(url)
    assert not first.django
    assert not second.django
    assert first.cookie("csrftoken").value != second.cookie("csrftoken").value
    assert TOKEN.search(first.text).group(1) != TOKEN.search(second.text).group(1)


def test_a_page_without_forms_sets_no_cookie(browser):
    home = reverse("home")  # no product, so no add-to-cart form
    browser.request(home)
    hit = browser.request(home)
    assert not hit.django
    assert TOKEN.search(hit.text) is None
    assert hit.cookie(settings.CSRF_COOKIE_NAME) is None


def test_a_change_shows_at_once_through_the_front(product, browser):
    url = product.get_absolute_url()
    browser.request(url)
    assert not browser.request(url).django
    product.price = Decimal("25.00")
    product.save()
    changed = browser.request(url)
    assert changed.django
    assert "€25.00" in changed.text
    assert "€30.00" not in changed.text
    assert not browser.request(url).django


@pytest.mark.parametrize(
    "case",
    [
        "session",
        "messages",
        "post",
        "head",
        "foreign host",
        "search hook",
        "non-ascii path",
        "miss",
    ],
)
def test_everything_else_goes_to_django(product, browser, case):
    url = product.get_absolute_url()
    browser.request(url)
    if case == "session":
        answer = browser.request(url, cookies={settings.SESSION_COOKIE_NAME: "x" * 32})
        assert answer.header("X-Page-Cache") is None  # unknown session: the whole stack
    elif case == "messages":
        answer = browser.request(url, cookies={"messages": "abc"})
    elif case == "post":
        answer = browser.request(url, method="POST")
        assert answer.status.startswith("403")  # no CSRF token: Django's answer
    elif case == "head":
        answer = browser.request(url, method="HEAD")
        assert answer.status == "200 OK"  # (the server leaves the body out)
    elif case == "foreign host":
        answer = browser.request(url, HTTP_HOST="evil.example")
        assert answer.status.startswith("400")
    elif case == "search hook":
        search = reverse("search:results") + "?q=lantern"
        browser.request(search)
        answer = browser.request(search)
        assert answer.header("X-Page-Cache") == "hit"  # served by the middleware, hook run
    elif case == "non-ascii path":
        answer = browser.request(url + "%C3%A9")
        assert answer.status.startswith("404")
    else:
        answer = browser.request(reverse("catalog:products"))
    assert answer.django


def test_a_miss_asks_the_cache_once(product, browser, monkeypatch):
    lookups = []
    real_get_many = pagecache.cache.get_many
    monkeypatch.setattr(
        pagecache.cache, "get_many", lambda keys: lookups.append(keys) or real_get_many(keys)
    )
    answer = browser.request(product.get_absolute_url())
    assert answer.django
    assert answer.header("X-Page-Cache") == "miss"
    assert len([k for k in lookups if any(x.startswith(pagecache.KEY_PREFIX) for x in k)]) == 1


def test_a_failure_in_the_front_leaves_the_answer_to_django(product, browser, monkeypatch):
    url = product.get_absolute_url()
    browser.request(url)

    def broken(secret):
        raise RuntimeError("boom")

    monkeypatch.setattr("core.pagecache_wsgi.masked", broken)
    answer = browser.request(url)
    assert answer.django
    assert answer.status == "200 OK"
    assert "Storm Lantern" in answer.text


@pytest.mark.usefixtures("redis_down")
def test_with_the_cache_down_pages_are_still_served(product):
    browser = Browser()
    url = product.get_absolute_url()
    for _ in range(2):
        answer = browser.request(url)
        assert answer.django
        assert answer.status == "200 OK"
        assert "Storm Lantern" in answer.text


def test_a_page_built_over_https_is_not_served_over_http(product, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    browser = Browser()  # SecurityMiddleware reads its settings when it starts
    url = product.get_absolute_url()
    browser.request(url, HTTP_X_FORWARDED_PROTO="https")
    secure = browser.request(url, HTTP_X_FORWARDED_PROTO="https")
    assert not secure.django
    assert secure.header("Strict-Transport-Security") == "max-age=3600"
    plain = browser.request(url, HTTP_X_FORWARDED_PROTO="http")
    assert plain.django
    assert plain.header("Strict-Transport-Security") is None


def test_the_front_is_only_put_before_a_stack_with_the_page_cache(settings):
    def app(environ, start_response):
        return []

    assert isinstance(with_page_cache_front(app), PageCacheFront)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "pagecache" not in m]
    assert with_page_cache_front(app) is app


@pytest.mark.parametrize(
    "path", ["/%E2%82%AC/", "/category/caf%C3%A9/", "/products/%FF/", "/search/?q=%E2%82%AC"]
)
def test_django_sees_the_request_as_the_server_sent_it(product, path):
    """The front reads the request on a copy of the environ: Django's answer behind it is the
    one it gives alone, also for paths it must decode (a 404, not an error)."""
    alone = call(WSGIHandler(), path)
    behind = Browser().request(path)
    assert behind.status == alone[0]
    assert behind.status != "500 Internal Server Error"


def test_a_malformed_csrf_cookie_is_replaced_on_a_page_without_forms(browser):
    home = reverse("home")  # no product: no form on the page
    browser.request(home)
    for answer in (
        browser.request(home, cookies={settings.CSRF_COOKIE_NAME: "bad"}),
        _client_answer(home, "bad"),
    ):
        assert answer.header("X-Page-Cache") == "hit"
        fresh = answer.cookie(settings.CSRF_COOKIE_NAME)
        assert fresh is not None
        assert len(fresh.value) == 32
    # a good cookie on a page without forms is left alone, as Django does
    good = browser.request(home, cookies={settings.CSRF_COOKIE_NAME: "a" * 32})
    assert good.cookie(settings.CSRF_COOKIE_NAME) is None


def _client_answer(path, csrf_cookie):
    client = Client()
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf_cookie
    response = client.get(path)
    headers = [(k, v) for k, v in response.items()]
    headers += [("Set-Cookie", c.OutputString()) for c in response.cookies.values()]
    return Answer(f"{response.status_code} OK", headers, response.content, True)


def test_the_cookie_follows_the_settings_of_the_moment(product, browser, settings):
    url = product.get_absolute_url()
    browser.request(url)
    browser.request(url)  # the cookie attributes are now remembered for this second
    settings.CSRF_COOKIE_SECURE = True
    settings.CSRF_COOKIE_DOMAIN = "shop.example"
    cookie = browser.request(url).cookie(settings.CSRF_COOKIE_NAME)
    assert cookie["secure"] is True
    assert cookie["domain"] == "shop.example"
    settings.CSRF_COOKIE_AGE = None  # a browser-session cookie
    cookie = browser.request(url).cookie(settings.CSRF_COOKIE_NAME)
    assert not cookie["expires"]
    assert not cookie["max-age"]


def test_plain_http_is_still_redirected_when_the_https_page_is_cached(product, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    browser = Browser()  # SecurityMiddleware reads its settings when it starts
    url = product.get_absolute_url()
    browser.request(url, HTTP_X_FORWARDED_PROTO="https")
    assert not browser.request(url, HTTP_X_FORWARDED_PROTO="https").django
    plain = browser.request(url, HTTP_X_FORWARDED_PROTO="http")
    assert plain.django
    assert plain.status.startswith("301")
    assert plain.header("Location") == f"https://testserver{url}"


def test_a_hit_is_gzipped_for_clients_that_accept_it(product, browser):
    url = product.get_absolute_url()
    plain_miss = browser.request(url)
    hit = browser.request(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert not hit.django
    assert hit.header("Content-Encoding") == "gzip"
    assert hit.header("Content-Length") == str(len(hit.body))
    assert "Accept-Encoding" in hit.header("Vary")
    page = gzip.decompress(hit.body).decode()
    secret = hit.cookie(settings.CSRF_COOKIE_NAME).value
    assert all(_unmask_cipher_token(t) == secret for t in TOKEN.findall(page))
    assert TOKEN.sub("", page) == TOKEN.sub("", plain_miss.text)
    assert len(hit.body) < len(page) / 2
    # the same length for every visitor: the tokens are not compressed
    other = browser.request(url, HTTP_ACCEPT_ENCODING="gzip")
    assert len(other.body) == len(hit.body)
    assert other.body != hit.body


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br"])
def test_other_clients_get_the_page_as_it_is(product, browser, accept):
    url = product.get_absolute_url()
    browser.request(url)
    extra = {"HTTP_ACCEPT_ENCODING": accept} if accept else {}
    hit = browser.request(url, **extra)
    assert not hit.django
    assert hit.header("Content-Encoding") is None
    assert "Storm Lantern" in hit.text


def test_pages_are_private_to_shared_caches_on_a_miss_a_hit_and_a_front_hit(settings):
    """A CDN or proxy in front must never store a page: it carries one visitor's CSRF token
    and cookie. Every page says Cache-Control: private, also when the cache answers it."""
    browser = Browser()
    miss = browser.request("/")
    hit = browser.request("/")
    assert not hit.django  # answered by the front, with the stored headers
    for answer in (miss, hit):
        assert answer.header("Cache-Control") == "private"
    client = Client()
    assert client.get("/").headers["Cache-Control"] == "private"  # the middleware's hit
    assert client.get(reverse("cart:detail")).headers["Cache-Control"] == "private"
    assert "no-store" in client.get(reverse("admin:login")).headers["Cache-Control"]


def test_a_members_pages_are_not_kept_by_the_browser_after_they_sign_out(client):
    """Back after signing out at a shared computer could show the member's orders or
    addresses from the browser's memory: their pages say no-store. A visitor's stay private."""
    from tests.factories import UserFactory

    assert client.get("/").headers["Cache-Control"] == "private"
    client.force_login(UserFactory())
    for url in ("/", reverse("cart:detail"), reverse("accounts:addresses")):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url

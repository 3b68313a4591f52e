"""Every line the app logs while serving a request names it: the request id that nginx's and
gunicorn's access lines also carry, the method, the path and the member's id (not e-mail)."""

import io
import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from core.requestlog import RequestContextFilter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
KEY = "Mg:1xZjxm:JIv0btaJt3adBXoH0TCgjHTHR1SC6jxREsuHJUd1jrU"


@pytest.fixture
def journal(settings):
    """What the console handler of settings.LOGGING writes (the journal), for this test."""
    settings.ROOT_URLCONF = "tests.core.error_urls"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(logging.Formatter(django_settings.LOGGING["formatters"]["shop"]["format"]))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_a_log_line_names_the_request_and_the_member_by_id(client, journal):
    member = UserFactory(email="dora.drill@example.org")
    client.force_login(member)
    response = client.get("/logs/", HTTP_X_REQUEST_ID="0f3a9c1e2b7d4a6f8e5c3b1a9d7f2e4c")
    assert response["X-Request-ID"] == "0f3a9c1e2b7d4a6f8e5c3b1a9d7f2e4c"
    line = journal.getvalue().strip()
    assert line == (
        f"WARNING shop.test [0f3a9c1e2b7d4a6f8e5c3b1a9d7f2e4c GET /logs/ user={member.pk}]: "
        "something to look at"
    )
    assert "dora.drill" not in line


def test_without_nginx_the_app_makes_an_id_and_ignores_odd_ones(client, journal):
    made = client.get("/logs/")["X-Request-ID"]
    assert len(made) == 32
    odd = client.get("/logs/", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert odd != made
    assert len(odd) == 32
    assert f"[{made} GET /logs/" in journal.getvalue()


def test_a_failed_request_line_names_a_signed_in_member_by_id(client, journal):
    member = UserFactory(email="dora.drill@example.org")
    client.force_login(member)
    client.raise_request_exception = False
    client.post("/checkout/boom/", HTTP_X_REQUEST_ID="abcdef0123456789")
    logged = journal.getvalue()
    assert f"ERROR django.request [abcdef0123456789 POST /checkout/boom/ user={member.pk}]" in (
        logged
    )
    assert "dora.drill" not in logged


def test_a_logged_path_never_holds_the_key_of_an_account_link(client, journal):
    client.raise_request_exception = False
    client.get(f"/accounts/confirm-email/{KEY}/")
    logged = journal.getvalue()
    assert "Internal Server Error: /accounts/confirm-email/[hidden]/" in logged
    assert KEY not in logged


def test_nginx_and_gunicorn_log_the_same_request_id():
    conf = (ROOT / "deploy/nginx/shop.conf").read_text()
    assert "proxy_set_header X-Request-ID      $request_id;" in conf
    assert "rid=$request_id" in conf
    unit = (ROOT / "deploy/systemd/shop-gunicorn.service").read_text()
    assert "rid=%%({x-request-id}o)s" in unit


def test_the_error_page_gives_the_customer_a_reference_that_finds_the_log_line(client, journal):
    client.raise_request_exception = False
    response = client.post("/checkout/boom/", HTTP_X_REQUEST_ID="5e1f0a9b7c3d2e4f6a8b")
    assert response.status_code == 500
    assert '<code class="request-id">5e1f0a9b7c3d</code>' in response.content.decode()
    assert "[5e1f0a9b7c3d2e4f6a8b POST /checkout/boom/" in journal.getvalue()

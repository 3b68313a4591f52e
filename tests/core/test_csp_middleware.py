"""core.middleware.CSPMiddleware: django-csp's header, built once per settings instead of on
every response; anything a response or request asks for itself goes through django-csp."""

import pytest
from csp.constants import SELF
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from core import middleware
from core.middleware import CSPMiddleware

pytestmark = pytest.mark.django_db


def respond(csp_middleware, prepare=None, path="/"):
    request = RequestFactory().get(path)
    csp_middleware.process_request(request)
    response = HttpResponse("page")
    if prepare:
        prepare(request, response)
    return csp_middleware.process_response(request, response)


def test_pages_carry_the_policy_built_once(client, monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return build_policy(*args, **kwargs)

    monkeypatch.setattr(middleware, "build_policy", counting)
    first = client.get("/guestbook/")
    second = client.get("/service/guide/")
    assert first["Content-Security-Policy"] == build_policy()
    assert second["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in second
    assert len(calls) == 2  # the policy and the (empty) report-only one, once


def test_a_changed_setting_is_followed(settings):
    csp = CSPMiddleware(lambda request: None)
    before = respond(csp)["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": [SELF, "https://cdn.example"]}
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": [SELF]}}
    after = respond(csp)
    assert after["Content-Security-Policy"] != before
    assert "https://cdn.example" in after["Content-Security-Policy"]
    assert after["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "img-src 'self'" in after["Content-Security-Policy-Report-Only"]


def test_what_a_response_or_request_asks_for_itself_is_django_csps():
    csp = CSPMiddleware(lambda request: None)

    def update(request, response):
        response._csp_update = {"img-src": ["https://pictures.example"]}

    assert "https://pictures.example" in respond(csp, update)["Content-Security-Policy"]

    def exempt(request, response):
        response._csp_exempt = True

    assert "Content-Security-Policy" not in respond(csp, exempt)

    def own_header(request, response):
        response["Content-Security-Policy"] = "default-src 'none'"

    assert respond(csp, own_header)["Content-Security-Policy"] == "default-src 'none'"

    nonces = []

    def nonce(request, response):
        nonces.append(str(request.csp_nonce))

    header = respond(csp, nonce)["Content-Security-Policy"]
    assert header == build_policy(nonce=nonces[0])  # (no directive of the shop asks for one)


def test_excluded_prefixes_get_no_header(settings):
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "EXCLUDE_URL_PREFIXES": ["/legacy/"],
    }
    csp = CSPMiddleware(lambda request: None)
    assert "Content-Security-Policy" not in respond(csp, path="/legacy/page/")
    assert "Content-Security-Policy" in respond(csp, path="/page/")

"""An error mail carries what finds the bug, never what a customer typed, their cookies, the
key of a link in their mail, or a password inside a setting's address."""

import logging

import pytest
from django.core import mail

from core.alerts import ThrottledAdminEmailHandler
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "Mg:1xZjxm:JIv0btaJt3adBXoH0TCgjHTHR1SC6jxREsuHJUd1jrU"


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("", "owner@shop.example")]
    settings.ROOT_URLCONF = "tests.core.error_urls"
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ThrottledAdminEmailHandler):
            handler.forget()
    return settings


def test_a_checkout_error_mail_holds_no_form_values_cookies_or_member_email(client, admins):
    admins.REDIS_URL = "redis://:redis-Secret-77@10.0.0.5:6379/0"
    admins.EMAIL_URL = "smtp+tls://shop:Mail-Secret-88@smtp.example.com:587"
    member = UserFactory(email="dora.drill@example.org")
    client.force_login(member)
    client.cookies["sessionid"] = client.cookies["sessionid"].value
    client.raise_request_exception = False
    client.post(
        "/checkout/boom/?email=dora.drill%40example.org&page=2",
        {
            "email": "dora.drill@example.org",
            "phone": "+49 170 5550199",
            "line1": "Geheimweg 42",
            "password": "Secr3tPassw0rd-DRILL",
        },
        HTTP_REFERER=f"https://shop.example/accounts/confirm-email/{KEY}/",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    session = client.cookies["sessionid"].value
    for secret in (
        "dora.drill",
        "5550199",
        "Geheimweg",
        "Secr3tPassw0rd",
        session,
        KEY,
        "redis-Secret-77",
        "Mail-Secret-88",
    ):
        assert secret not in body, secret
    # what finds the bug is still there
    assert "RuntimeError" in body
    assert f"USER: member id {member.pk}" in body
    assert "line1 = '********************'" in body  # which fields were sent
    assert "page = '2'" in body
    assert "EMAIL_URL = 'smtp+tls://********************@smtp.example.com:587'" in body


def test_the_key_of_an_account_link_is_hidden_in_the_mail_and_the_log(client, admins, caplog):
    client.raise_request_exception = False
    client.get(f"/accounts/confirm-email/{KEY}/")
    assert len(mail.outbox) == 1
    assert KEY not in mail.outbox[0].subject
    assert KEY not in mail.outbox[0].body
    assert "/accounts/confirm-email/[hidden]/" in mail.outbox[0].body


def test_an_html_report_shows_no_local_variables(rf, settings):
    """AdminEmailHandler(include_html=True), or any other use of the reporter, would list each
    frame's variables: what a customer typed is in them."""
    import sys

    from django.views.debug import ExceptionReporter

    def place(contact):
        raise ValueError("boom")

    # made at run time: the report quotes the source lines around each frame
    phone, street = f"+49 170 {5550000 + 199}", "Geheim" + "weg 42"
    try:
        place({"phone": phone, "line1": street})
    except ValueError:
        info = sys.exc_info()
    request = rf.post("/checkout/", {"phone": phone})
    from django.views.debug import get_exception_reporter_class

    reporter = get_exception_reporter_class(request)(request, *info, is_email=True)
    assert isinstance(reporter, ExceptionReporter)
    html = reporter.get_traceback_html()
    assert phone not in html
    assert street not in html
    assert "contact" in html  # the variable's name stays

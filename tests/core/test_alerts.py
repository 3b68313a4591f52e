"""Errors reach the owner by mail (settings.ADMINS), straight through the mail server, and an
outage that fails every request sends one mail per interval, not one per request."""

import logging

import pytest
from celery.signals import after_setup_logger
from django.core import mail
from django.test import Client

from core import alerts
from core.alerts import ThrottledAdminEmailHandler
from core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def forget_mailed_errors():
    """The handlers of settings.LOGGING forget what they mailed (earlier tests' errors)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ThrottledAdminEmailHandler):
            handler.forget()


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("", "owner@shop.example")]
    settings.ROOT_URLCONF = "tests.core.error_urls"
    forget_mailed_errors()
    return settings


def _post_boom(client):
    client.raise_request_exception = False
    return client.post("/checkout/boom/", {"x": "1"}, HTTP_X_REQUEST_ID="req-0123456789abcdef")


def test_a_server_error_is_mailed_to_the_owner_without_the_outbox(client, admins):
    response = _post_boom(client)
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@shop.example"]
    assert "Internal Server Error: /checkout/boom/" in message.subject
    # the first line names the request: the same id as nginx's and gunicorn's access lines
    assert message.body.startswith("ERROR django.request [req-0123456789abcdef POST /checkout/")
    assert "RuntimeError" in message.body
    # sent by the handler itself: no outbox row, no Celery worker needed
    assert not OutboxMessage.objects.exists()


def test_an_outage_mails_once_per_interval_and_then_counts_what_it_left_out(
    client, admins, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(alerts.time, "monotonic", lambda: clock[0])
    for _ in range(50):
        _post_boom(client)
    assert len(mail.outbox) == 1

    clock[0] += admins.SHOP_ERROR_MAIL_MINUTES * 60 + 1
    from django.core.cache import cache

    cache.clear()  # the other processes' note of the mail expires with the interval too
    _post_boom(client)
    assert len(mail.outbox) == 2
    assert "49 more of this error since the last mail" in mail.outbox[1].body


def test_different_errors_are_each_mailed_but_not_without_limit(admins):
    logger = logging.getLogger("shop.test.alerts")
    for n in range(30):
        logger.error("distinct failure number %s", n, extra={"n": n})  # one message template
    assert len(mail.outbox) == 1
    for n in range(30):
        logger.error(f"failure {n} of its own kind")
    assert len(mail.outbox) == alerts.MAX_MAILS_PER_INTERVAL


def test_a_message_of_several_lines_is_mailed_under_its_first_line(admins):
    """Celery's "cannot connect" error is two lines: the subject had a literal \\n in it."""
    logging.getLogger("celery.worker.consumer.consumer").error(
        "consumer: Cannot connect to redis://127.0.0.1:6379/0: Error 111 connecting to "
        "127.0.0.1:6379. Connection refused..\nTrying again in 2.00 seconds... (1/100)\n"
    )
    (message,) = mail.outbox
    assert message.subject.endswith(
        "ERROR: consumer: Cannot connect to redis://127.0.0.1:6379/0: Error 111 connecting to "
        "127.0.0.1:6379. Connection refused.."
    )
    assert "\\n" not in message.subject
    assert "\n" not in message.subject
    assert "Trying again in 2.00 seconds" in message.body


def test_nothing_is_mailed_without_admins(client, admins):
    admins.ADMINS = []
    _post_boom(client)
    assert mail.outbox == []


def test_celery_worker_and_beat_mail_errors_too(admins):
    """Celery replaces the root logger's handlers when the worker starts: a task that raised
    (celery.app.trace's "Task ... raised unexpected") must still reach the owner."""
    root = logging.getLogger("celery-root-for-test")
    root.propagate = False
    after_setup_logger.send(
        sender=None, logger=root, loglevel=logging.INFO, logfile=None, format="", colorize=False
    )
    try:
        raise ValueError("expiry job failed")
    except ValueError:
        root.error("Task orders.tasks.expire_unpaid_orders_task raised unexpected", exc_info=True)
    assert len(mail.outbox) == 1
    assert "expire_unpaid_orders_task" in mail.outbox[0].subject
    assert "ValueError" in mail.outbox[0].body


def test_what_a_client_sends_wrong_is_journaled_not_mailed_as_an_error(settings):
    """A foreign Host, 10,000 fields, a body over the limit, a redirect too long to send:
    Django logs each as an ERROR of django.security; each mailed the owner an "error" (and
    used up the mails an interval allows for the shop's own), whenever anyone sent one."""
    settings.ADMINS = [("", "owner@shop.example")]
    forget_mailed_errors()
    client = Client()
    for response in (
        client.get("/", HTTP_HOST="evil.example"),
        client.post("/orders/inquiry/", {f"f{i}": "x" for i in range(10_000)}),
        client.post(
            "/orders/inquiry/", "x=" + "y" * 3_000_000, "application/x-www-form-urlencoded"
        ),
        client.get("/orders/mine/", {"page": "x" * 20_000}),  # to sign in, with it as next=
    ):
        assert response.status_code == 400
    assert mail.outbox == []
    journal = logging.getLogger("django.security")
    assert not journal.propagate
    assert logging.StreamHandler in [type(h) for h in journal.handlers]  # the journal
    assert not any(isinstance(h, ThrottledAdminEmailHandler) for h in journal.handlers)

"""The outbox under a failing mail server: backoff, one bad message never blocks the rest, a
server that is down ends the sweep early, nothing is ever dropped, and one message is sent
once even when two workers reach it at the same moment."""

import threading
import time
from datetime import timedelta
from smtplib import SMTPException, SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import (
    RETRY_MAX_DELAY,
    list_pending_message_ids,
    queue_message,
    retry_delay,
    send_outbox_message,
)
from core.tasks import send_pending_mail_task

pytestmark = pytest.mark.django_db

LOCMEM_SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


def queue(n: int) -> list[OutboxMessage]:
    return [
        queue_message(to=[f"c{i}@example.com"], subject=f"Mail {i}", body_text="x")
        for i in range(n)
    ]


def make_due(*messages: OutboxMessage) -> None:
    """Time passes: the backoff of these messages is over."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_the_delay_doubles_from_a_minute_up_to_six_hours_and_never_stops():
    delays = [retry_delay(attempts) for attempts in range(1, 40)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) == delays[-1] == RETRY_MAX_DELAY == timedelta(hours=6)
    assert retry_delay(60_000) == RETRY_MAX_DELAY


def test_a_failed_message_waits_for_its_backoff_before_the_sweep_tries_it_again():
    (message,) = queue(1)
    for attempts, minutes in [(1, 1), (2, 2), (3, 4)]:
        before = timezone.now()
        with mock.patch(LOCMEM_SEND, side_effect=SMTPException("451 try later")):
            send_pending_mail_task()
        message.refresh_from_db()
        assert message.attempts == attempts
        assert message.sent_at is None
        assert "451 try later" in message.last_error
        wait = message.next_attempt_at - before
        assert timedelta(minutes=minutes) <= wait < timedelta(minutes=minutes, seconds=5)
        # not due: the next sweeps leave it alone (no attempt, no mail)
        assert list_pending_message_ids() == []
        assert send_pending_mail_task() == 0
        message.refresh_from_db()
        assert message.attempts == attempts
        make_due(message)
    assert send_pending_mail_task() == 1
    assert [m.subject for m in mail.outbox] == ["Mail 0"]


def test_a_refused_recipient_does_not_stop_the_other_messages():
    first, refused, last = queue(3)
    real_send = locmem.EmailBackend.send_messages

    def send(backend, messages):
        if messages[0].to == refused.to:
            raise SMTPRecipientsRefused({refused.to[0]: (550, b"No such user")})
        return real_send(backend, messages)

    with mock.patch(LOCMEM_SEND, autospec=True, side_effect=send):
        assert send_pending_mail_task() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.to[0], last.to[0]])
    refused.refresh_from_db()
    assert (refused.sent_at, refused.attempts) == (None, 1)
    assert "No such user" in refused.last_error


def test_a_mail_server_that_is_down_ends_the_sweep_and_loses_nothing():
    messages = queue(5)
    calls = []

    def down(*args):
        calls.append(args)
        raise ConnectionRefusedError(111, "Connection refused")

    with mock.patch(LOCMEM_SEND, side_effect=down):
        assert send_pending_mail_task() == 0
    assert len(calls) == 1  # one probe, not one timeout per message
    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 0, 0, 1]
    # the server is back: everything goes out, once
    make_due(*messages)
    assert send_pending_mail_task() == 5
    assert send_pending_mail_task() == 0
    assert len(mail.outbox) == 5
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_staff_see_failing_messages_and_can_send_them_now(
    admin_client, django_capture_on_commit_callbacks
):
    failing, waiting = queue(2)
    OutboxMessage.objects.filter(pk=failing.pk).update(
        attempts=4,
        last_error="SMTPException: 451",
        next_attempt_at=timezone.now() + RETRY_MAX_DELAY,
    )
    url = reverse("admin:core_outboxmessage_changelist")
    page = admin_client.get(url, {"delivery": "failing"})
    assert list(page.context["cl"].result_list) == [failing]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "send_now", "_selected_action": [failing.pk]}, follow=True
        )
    assert "1 message will be sent now." in response.content.decode()
    failing.refresh_from_db()
    assert failing.sent_at is not None
    assert [m.subject for m in mail.outbox] == [failing.subject]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_message_at_once_mail_it_once(postgres_only):
    """The task after commit and the sweep reach one message together while the mail server is
    slow: the row lock makes the second one skip it instead of sending it again."""
    # a row as queue_message writes it, without its after-commit task (which would send it now)
    message = OutboxMessage.objects.create(to=["a@example.com"], subject="Hi", body_text="x")
    real_send = locmem.EmailBackend.send_messages

    def slow_send(backend, messages):
        time.sleep(0.5)  # the other worker arrives while this one is still talking to SMTP
        return real_send(backend, messages)

    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait(timeout=5)
        try:
            results.append(send_outbox_message(message_id=message.pk))
        finally:
            connection.close()

    with mock.patch(LOCMEM_SEND, autospec=True, side_effect=slow_send):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_send_now_does_not_wait_for_a_message_a_worker_is_sending(postgres_only):
    """A worker holds a message's row lock while it talks to the mail server (up to
    EMAIL_TIMEOUT a step, longer when the server is slow: when staff press "send now"). The
    action's UPDATE waited for it; it now leaves that message (it is being sent) and makes
    the others due at once."""
    from core.outbox import retry_now

    sending, failing = (
        OutboxMessage.objects.create(to=[f"{n}@example.com"], subject=n, body_text="x")
        for n in ("sending", "failing")
    )
    OutboxMessage.objects.filter(pk=failing.pk).update(
        attempts=4, next_attempt_at=timezone.now() + RETRY_MAX_DELAY
    )
    in_smtp, smtp_done = threading.Event(), threading.Event()
    real_send = locmem.EmailBackend.send_messages

    def slow_send(backend, messages):
        in_smtp.set()
        smtp_done.wait(timeout=20)
        return real_send(backend, messages)

    def worker():
        try:
            send_outbox_message(message_id=sending.pk)
        finally:
            connection.close()

    with (
        mock.patch(LOCMEM_SEND, autospec=True, side_effect=slow_send),
        mock.patch("core.tasks.send_outbox_messages_task.delay"),
        mock.patch("core.tasks.send_outbox_message_task.delay") as enqueued,
    ):
        thread = threading.Thread(target=worker)
        thread.start()
        try:
            assert in_smtp.wait(timeout=10)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")  # rather than hang
                assert retry_now(OutboxMessage.objects.all()) == 1
        finally:
            smtp_done.set()
            thread.join(timeout=30)
    assert [c.args for c in enqueued.call_args_list] == [(failing.pk,)]
    failing.refresh_from_db()
    assert failing.next_attempt_at <= timezone.now()
    sending.refresh_from_db()
    assert sending.sent_at is not None
    assert [m.subject for m in mail.outbox] == ["sending"]


def test_staff_who_may_only_view_messages_cannot_send_them(client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    (message,) = queue(1)
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + RETRY_MAX_DELAY
    )
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    url = reverse("admin:core_outboxmessage_changelist")
    assert "send_now" not in client.get(url).content.decode()
    client.post(url, {"action": "send_now", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now() + RETRY_MAX_DELAY - timedelta(minutes=1)
    assert mail.outbox == []


def test_send_now_on_many_messages_queues_them_in_batches(django_capture_on_commit_callbacks):
    from core.outbox import SEND_NOW_BATCH, retry_now

    queue(SEND_NOW_BATCH * 2 + 3)
    with (
        mock.patch("core.tasks.send_outbox_messages_task.delay") as many,
        mock.patch("core.tasks.send_outbox_message_task.delay") as one,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert retry_now(OutboxMessage.objects.all()) == SEND_NOW_BATCH * 2 + 3
    sizes = [len(c.args[0]) for c in many.call_args_list] + [1] * one.call_count
    assert sorted(sizes) == [3, SEND_NOW_BATCH, SEND_NOW_BATCH]  # several workers share them


def test_staff_send_a_copy_of_a_sent_message_once(admin_client, django_capture_on_commit_callbacks):
    sent, unsent = queue(2)
    OutboxMessage.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    url = reverse("admin:core_outboxmessage_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "send_copy", "_selected_action": [sent.pk, unsent.pk]}, follow=True
        )
    assert "A copy of 1 message is on its way." in response.content.decode()
    assert [m.subject for m in mail.outbox] == [sent.subject]  # the copy; the unsent one waits
    copy = OutboxMessage.objects.exclude(pk__in=[sent.pk, unsent.pk]).get()
    assert (copy.to, copy.body_text, copy.sent_at is not None) == (sent.to, sent.body_text, True)
    assert OutboxMessage.objects.get(pk=unsent.pk).sent_at is None

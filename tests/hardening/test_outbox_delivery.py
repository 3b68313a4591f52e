"""Found by the live chaos drill (issue #6): e-mail the mail server accepted must not be mailed
again because the worker lost its database connection or was killed right afterwards.

SMTP has no way to ask "did you get this one already?", so the outbox narrows the window in which
an accepted message is not yet recorded as sent, records it again when only the database
connection failed, and gives every message one Message-ID for all its attempts, so a copy sent
after a crash in that window is the same message to the receiving mail servers and programs."""

from contextlib import suppress
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import OperationalError, connection

from core.models import OutboxMessage
from core.outbox import queue_message, send_outbox_message
from core.tasks import send_pending_mail_task

pytestmark = pytest.mark.django_db


def queue_one(subject: str = "Your order MP-1") -> OutboxMessage:
    return queue_message(to=["ann@example.com"], subject=subject, body_text="Thanks")


def test_a_database_error_after_the_mail_server_took_the_message_does_not_mail_it_twice():
    """The drill: pg_terminate_backend between the mail server's "250 queued" and the commit
    of the sent marker; the sweep then mailed the staff notice a second time."""
    message = queue_one()
    real_save = OutboxMessage.save
    calls = []

    def connection_lost(self, *args, **kwargs):
        if not calls:  # the first save: the one that marks the message sent
            calls.append(1)
            raise OperationalError("terminating connection due to administrator command")
        return real_save(self, *args, **kwargs)

    with mock.patch.object(OutboxMessage, "save", connection_lost):
        assert send_outbox_message(message_id=message.pk) is True
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.last_error == ""
    # the sweep finds nothing to send
    assert send_pending_mail_task() == 0
    assert len(mail.outbox) == 1


#: What SmtpLikeBackend saw each time it closed a connection: was the message marked sent?
CLOSED_WITH_MESSAGE_SENT: list[bool] = []


class SmtpLikeBackend(locmem.EmailBackend):
    """locmem, with the connection handling of Django's SMTP backend: send_messages opens a
    connection unless one is open, and closes (QUIT) only one it opened itself."""

    is_open = False

    def open(self):
        if self.is_open:
            return False
        self.is_open = True
        return True

    def close(self):
        if self.is_open:
            CLOSED_WITH_MESSAGE_SENT.append(
                OutboxMessage.objects.filter(sent_at__isnull=False).exists()
            )
            self.is_open = False

    def send_messages(self, messages):
        opened = self.open()
        try:
            return super().send_messages(messages)
        finally:
            if opened:
                self.close()


def test_a_message_is_recorded_as_sent_before_the_mail_connection_is_closed(settings):
    """Closing the SMTP connection is one more round trip (QUIT) after the server took the
    message: a worker killed meanwhile left it unrecorded, and the sweep mailed it again."""
    settings.EMAIL_BACKEND = f"{__name__}.SmtpLikeBackend"
    CLOSED_WITH_MESSAGE_SENT.clear()
    message = queue_one()
    assert send_outbox_message(message_id=message.pk) is True
    assert CLOSED_WITH_MESSAGE_SENT == [True]
    assert len(mail.outbox) == 1


def test_every_attempt_at_one_message_carries_the_same_message_id():
    """A worker killed after the server took the message, before the sent marker was committed:
    the sweep sends it again, as the same message (one Message-ID), which mail servers and
    programs show once; two different messages never share one."""
    first = queue_one("Your order MP-1")
    queue_one("New order MP-1")
    with (
        mock.patch.object(OutboxMessage, "save", side_effect=SystemExit("kill -9")),
        pytest.raises(SystemExit),
    ):
        send_outbox_message(message_id=first.pk)
    assert OutboxMessage.objects.get(pk=first.pk).sent_at is None
    send_pending_mail_task()
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert [m.subject for m in mail.outbox] == [
        "Your order MP-1",
        "Your order MP-1",
        "New order MP-1",
    ]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("<outbox.")
    assert ids[0].endswith("@meadowpine.example>")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_connection_killed_after_the_server_took_the_message_is_replaced(postgres_only):
    """As in the drill: the server kills the worker's backend right after the mail went out."""
    # written directly: without a test transaction, queue_message would send it at once
    message = OutboxMessage.objects.create(
        to=["ann@example.com"], subject="Your order MP-1", body_text="Thanks"
    )
    real_send = locmem.EmailBackend.send_messages

    def send_then_lose_the_database(backend, messages):
        sent = real_send(backend, messages)
        # the server ends our own backend; the statement asking for it fails with it
        with suppress(OperationalError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return sent

    try:
        with mock.patch.object(locmem.EmailBackend, "send_messages", send_then_lose_the_database):
            assert send_outbox_message(message_id=message.pk) is True
        message.refresh_from_db()
        assert message.sent_at is not None
        assert send_pending_mail_task() == 0
        assert len(mail.outbox) == 1
    finally:
        connection.close()

"""The transactional outbox: queue an e-mail with the change that causes it, send after commit."""

import logging
import time
import unicodedata
from datetime import timedelta
from email.utils import parseaddr
from smtplib import SMTPAuthenticationError, SMTPConnectError, SMTPException, SMTPServerDisconnected

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import punycode

from .diskfull import is_disk_full
from .models import OutboxMessage
from .text import shorten

logger = logging.getLogger(__name__)

#: The sweep waits 1, 2, 4, ... minutes between attempts at a failing message, at most 6 hours,
#: and keeps trying: a message is never dropped (staff see it, and can send it now, in admin).
RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=6)
#: Staff's "send now" queues one task per this many messages.
SEND_NOW_BATCH = 50
#: Every message is sent by the shop, not typed by a person: out-of-office replies and
#: auto-responders must not answer it (RFC 3834; Exchange reads its own header).
AUTOMATIC_MAIL_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "OOF, AutoReply",
}


def retry_delay(attempts: int) -> timedelta:
    """How long the sweep leaves a message alone after its ``attempts``-th failure."""
    if attempts >= 20:  # 2**19 minutes is far past the cap; don't compute huge powers
        return RETRY_MAX_DELAY
    return min(RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0), RETRY_MAX_DELAY)


def server_unavailable(error: BaseException) -> bool:
    """True when the failure is the mail server's (down, unreachable, refusing our login), not
    this message's (a refused recipient): every other message would fail the same way now."""
    if isinstance(error, SMTPConnectError | SMTPServerDisconnected | SMTPAuthenticationError):
        return True
    return isinstance(error, OSError) and not isinstance(error, SMTPException)


def render_mail(
    *, to: list[str], template: str, context: dict, kind: str = "", reply_to: list[str] = ()
) -> OutboxMessage:
    """An e-mail rendered from ``template`` (``<template>_subject.txt``, ``<template>.txt`` and
    ``<template>.html``), not yet saved: give it to queue_messages."""
    context = {
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
        "SHOP_RETURN_DAYS": settings.SHOP_RETURN_DAYS,
        **context,
    }
    return _message(
        to=to,
        subject=render_to_string(f"{template}_subject.txt", context),
        body_text=render_to_string(f"{template}.txt", context),
        body_html=render_to_string(f"{template}.html", context),
        kind=kind or template.rsplit("/", 1)[-1],
        reply_to=reply_to,
    )


def queue_mail(
    *, to: list[str], template: str, context: dict, kind: str = "", reply_to: list[str] = ()
) -> OutboxMessage:
    """Write an e-mail to the outbox; a Celery task sends it once the transaction commits.

    ``template`` names ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html``.
    """
    mail = render_mail(to=to, template=template, context=context, kind=kind, reply_to=reply_to)
    return queue_messages([mail])[0]


def queue_message(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    kind: str = "",
    reply_to: list[str] = (),
) -> OutboxMessage:
    """Write an already rendered e-mail to the outbox; it is sent after the transaction commits."""
    mail = _message(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        reply_to=reply_to,
    )
    return queue_messages([mail])[0]


def queue_messages(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write several e-mails (from render_mail) to the outbox in one statement; after commit one
    Celery task sends them all (an order's e-mails: one round trip to the broker, not one each)."""
    saved = OutboxMessage.objects.bulk_create(messages)
    ids = [message.pk for message in saved]
    transaction.on_commit(lambda: _enqueue(ids))
    return saved


# Explicit direction controls (embeddings, overrides, isolates, RLM/LRM's stronger kin): in a
# name the subject quotes, a right-to-left override turned the rest of the subject round
# ("... from <U+202E>Ada, order paid" read backwards), so staff saw a line the shop never wrote.
# Arabic or Hebrew text needs none of them to show right.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _one_line(text: str) -> str:
    """``text`` fit for a header: line breaks and runs of spaces become one space, and other
    control characters (an escape or a bell typed into a name the subject quotes) and
    explicit direction controls go."""
    return "".join(
        ch
        for ch in " ".join(text.split())
        if unicodedata.category(ch) != "Cc" and ch not in DIRECTION_CONTROLS
    )


def _message(*, to, subject, body_text, body_html, kind, reply_to) -> OutboxMessage:
    return OutboxMessage(
        to=list(to),
        reply_to=list(reply_to),
        subject=shorten(_one_line(subject), 255),  # the column; never half an emoji
        body_text=body_text,
        body_html=body_html,
        kind=kind[:60],
    )


#: After a publish to the broker failed, new e-mails are left to the sweep (every minute) for
#: this many seconds instead of trying the broker for each: a stalled Redis made every request
#: that sent mail wait for it.
BROKER_PAUSE_SECONDS = 10.0
_broker_failed_at: list[float] = []  # time.monotonic() of the last failure, in this process


def forget_broker_failure() -> None:
    """Try the broker again at the next e-mail (tests)."""
    _broker_failed_at.clear()


def _enqueue(message_ids: list[int]) -> None:
    from .tasks import send_outbox_message_task, send_outbox_messages_task

    if _broker_failed_at and time.monotonic() - _broker_failed_at[-1] < BROKER_PAUSE_SECONDS:
        return  # the sweep sends them
    try:
        if len(message_ids) == 1:
            send_outbox_message_task.delay(message_ids[0])
        else:
            send_outbox_messages_task.delay(message_ids)
    except Exception:  # broker down: the beat sweep sends it later
        _broker_failed_at[:] = [time.monotonic()]
        logger.warning(
            "Could not queue outbox messages %s; the sweep will send them (and those of the "
            "next %s s)",
            message_ids,
            BROKER_PAUSE_SECONDS,
            exc_info=True,
        )


def send_outbox_message(*, message_id: int) -> bool:
    """Send one queued e-mail unless it was already sent. Returns True if it was sent now.

    The row is locked while sending, so two workers never send the same message twice.
    A failure is recorded on the row (attempts, last error, when the sweep may try again) and
    re-raised for the caller to log (the sweep also reads it to tell a server that is down).

    Once the mail server has taken the message it is recorded as sent before anything else
    (closing the mail connection comes after the commit), and recorded again on a fresh
    database connection if the commit failed: every attempt that fails after that point
    would mail the customer once more. Only a worker killed between the server's answer and
    the commit still sends a second copy, with the same Message-ID (outbox_message_id).
    """
    # The lock is held for the whole SMTP conversation, on purpose. Nothing waits for it: the
    # sweep and a second task skip a locked row (skip_locked), staff's "send now" does too
    # (retry_now), "send a copy" reads sent messages only, and the admin neither edits nor
    # deletes messages. The lock lasts exactly as long as the sender: a worker killed
    # mid-send loses its connection and the lock with it, and the sweep sends the message
    # (a worker's host lost outright: once PostgreSQL notices, see its tcp_keepalives_*).
    # Claim-then-send (mark the row claimed until a deadline, commit, send, mark it sent)
    # would have to guess that deadline: shorter than a slow conversation (EMAIL_TIMEOUT
    # bounds each step, not the whole) and a second worker mails it again; longer and a
    # killed worker's mail waits for it. Its cost here: one database connection stays in a
    # transaction per worker while it sends. (Mail accepted by the server just before the
    # worker dies is sent again either way: the sent marker could not be written.)
    error = None
    accepted = False
    mail_connection = get_connection()
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            email = EmailMultiAlternatives(
                subject=message.subject,
                body=message.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=message.to,
                # the sender may be an address nobody reads: answers go to the administrator,
                # whose address every e-mail gives for questions
                reply_to=message.reply_to or [settings.SHOP_ADMIN_EMAIL],
                headers={"Message-ID": outbox_message_id(message), **AUTOMATIC_MAIL_HEADERS},
                connection=mail_connection,
            )
            if message.body_html:
                email.attach_alternative(message.body_html, "text/html")
            message.attempts += 1
            try:
                # opened here, so that sending leaves it open and QUIT waits for the commit
                mail_connection.open()
                email.send()
            except Exception as exc:
                error = exc
            else:
                accepted = True
                message.sent_at = timezone.now()
                message.last_error = ""
                message.save(update_fields=["sent_at", "attempts", "last_error"])
                return True
    except DatabaseError:
        if not accepted:
            raise
        # The server has the message; only our record of it was lost (the connection dropped
        # before the commit): record it, or the sweep would mail it a second time.
        _record_sent(message_id=message_id, attempts=message.attempts)
        return True
    finally:
        _close_quietly(mail_connection)
    # Outside the locking transaction, so the record of the failure is kept.
    OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        attempts=message.attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=timezone.now() + retry_delay(message.attempts),
    )
    raise error


def outbox_message_id(message: OutboxMessage) -> str:
    """The Message-ID header of an outbox message: the same for every attempt at sending it,
    so a copy sent again after a crash is one message to mail servers and programs."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    # ASCII (bücher.example is xn--bcher-kva.example): an encoded word is no Message-ID
    return f"<outbox.{message.pk}.{message.created_at:%Y%m%d%H%M%S%f}@{punycode(domain)}>"


#: Waits before each attempt at recording a message the mail server took (the database may be
#: restarting): about five seconds in all.
RECORD_SENT_WAITS = (0, 0.5, 1.5, 3)


def _record_sent(*, message_id: int, attempts: int) -> None:
    for wait in RECORD_SENT_WAITS:
        time.sleep(wait)
        try:
            if not db_connection.in_atomic_block:
                # a connection the server dropped is replaced by the next query
                db_connection.close_if_unusable_or_obsolete()
            OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
                sent_at=timezone.now(), attempts=attempts, last_error=""
            )
            return
        except DatabaseError as exc:
            failure = exc
    logger.error(
        "Outbox message %s was sent but could not be recorded as sent; the sweep may send it "
        "again (with the same Message-ID)",
        message_id,
    )
    raise failure


def _close_quietly(mail_connection) -> None:
    try:
        mail_connection.close()
    except Exception:  # the message's fate is recorded already; a failed QUIT changes nothing
        logger.warning("Closing the mail connection failed", exc_info=True)


def send_each(message_ids: list[int]) -> int:
    """Send these messages one after the other; returns how many were sent now. A message that
    fails does not stop the others (its failure is recorded for the sweep); a mail server that
    is down ends the batch at once instead of timing out once per message."""
    sent = 0
    for message_id in message_ids:
        try:
            sent += send_outbox_message(message_id=message_id)
        except Exception as error:
            if is_disk_full(error):
                # not the mail server: the file outbox's disk (or a temporary file). An error,
                # so the owner hears of it (core.alerts), who has to make space.
                logger.error(
                    "Disk full: e-mail cannot be written (%s); the sweep tries again", error
                )
                break
            if server_unavailable(error):
                logger.warning("Mail server unavailable (%s); the sweep tries again", error)
                break
            logger.exception("Outbox message %s failed; it is tried again later", message_id)
    return sent


def list_pending_message_ids(*, limit: int = 500) -> list[int]:
    """Unsent messages that are due: new ones, and failed ones whose backoff has passed."""
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def send_again(queryset) -> int:
    """Queue a copy of each message already sent (staff, when a customer says the mail never
    came: a spam folder, a full mailbox); the copy is a message of its own, sent once."""
    copies = [
        _message(
            to=m.to,
            subject=m.subject,
            body_text=m.body_text,
            body_html=m.body_html,
            kind=m.kind,
            reply_to=m.reply_to,
        )
        for m in queryset.filter(sent_at__isnull=False).order_by("pk")[:SEND_NOW_BATCH]
    ]
    if copies:
        queue_messages(copies)
    return len(copies)


@transaction.atomic
def retry_now(queryset) -> int:
    """Make unsent messages due at once (staff's "send now"); returns how many. A message a
    worker is sending at this moment is left alone (it holds the row's lock until the mail
    server answers; staff would wait for that, and it is being sent)."""
    selected = queryset.filter(sent_at__isnull=True).values("pk")  # maybe a filtered list's
    ids = list(
        OutboxMessage.objects.filter(pk__in=selected)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
    for start in range(0, len(ids), SEND_NOW_BATCH):  # several workers share a large selection
        chunk = ids[start : start + SEND_NOW_BATCH]
        transaction.on_commit(lambda chunk=chunk: _enqueue(chunk))
    return len(ids)

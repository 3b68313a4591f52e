import logging

from celery import shared_task

from .outbox import list_pending_message_ids, send_each, send_outbox_message

logger = logging.getLogger(__name__)


@shared_task
def send_outbox_message_task(message_id: int) -> None:
    """Send one outbox e-mail (idempotent: a sent message is never sent again).

    A failure is recorded on the message with the time of its next attempt, which the sweep
    keeps (1, 2, 4 ... minutes): the task does not retry by itself, as each of its own retries
    would count as one more failure and push the next attempt hours away.
    """
    try:
        send_outbox_message(message_id=message_id)
    except Exception:
        logger.warning(
            "Outbox message %s failed; the sweep tries it again", message_id, exc_info=True
        )


@shared_task
def send_outbox_messages_task(message_ids: list[int]) -> int:
    """Send the e-mails one change queued together (an order's confirmation and staff notice),
    each once; what fails is left to the sweep, as in send_outbox_message_task."""
    return send_each(message_ids)


@shared_task
def send_pending_mail_task() -> int:
    """Sweep: send whatever is due (broker was down, worker killed mid-send, earlier failures
    whose backoff has passed). A message that fails does not stop the others; a mail server that
    is down ends the sweep at once instead of timing out once per message."""
    return send_each(list_pending_message_ids())


@shared_task
def delete_expired_sessions_task() -> int:
    """Nightly (Celery beat): expired sessions."""
    from .housekeeping import delete_expired_sessions

    return delete_expired_sessions()


@shared_task
def delete_old_sent_mail_task() -> int:
    """Nightly (Celery beat): copies of e-mails sent longer ago than SHOP_SENT_MAIL_DAYS, and
    without EMAIL_URL the files they were written to."""
    from .housekeeping import delete_old_mail_files, delete_old_sent_mail

    return delete_old_sent_mail() + delete_old_mail_files()


@shared_task
def delete_old_admin_log_task() -> int:
    """Nightly (Celery beat): the admin's history older than SHOP_ADMIN_LOG_DAYS."""
    from .housekeeping import delete_old_admin_log

    return delete_old_admin_log()

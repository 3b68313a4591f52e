import logging
from smtplib import SMTPException

from celery import shared_task

from .outbox import list_pending_message_ids, send_outbox_message

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_outbox_message_task(message_id: int) -> None:
    """Send one outbox e-mail (idempotent: a sent message is never sent again)."""
    send_outbox_message(message_id=message_id)


@shared_task
def send_pending_mail_task() -> int:
    """Sweep: send whatever is still pending (broker was down, worker killed mid-send)."""
    sent = 0
    for message_id in list_pending_message_ids():
        try:
            sent += send_outbox_message(message_id=message_id)
        except Exception:
            logger.exception("Outbox message %s failed; will retry on the next sweep", message_id)
    return sent

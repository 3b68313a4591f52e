import logging
from smtplib import SMTPException

from celery import shared_task

from .outbox import list_pending_message_ids, send_outbox_message, server_unavailable

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
    """Sweep: send whatever is due (broker was down, worker killed mid-send, earlier failures
    whose backoff has passed). A message that fails does not stop the others; a mail server that
    is down ends the sweep at once instead of timing out once per message."""
    sent = 0
    for message_id in list_pending_message_ids():
        try:
            sent += send_outbox_message(message_id=message_id)
        except Exception as error:
            if server_unavailable(error):
                logger.warning("Mail server unavailable (%s); the next sweep tries again", error)
                break
            logger.exception("Outbox message %s failed; it is tried again later", message_id)
    return sent

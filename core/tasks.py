import logging

from celery import shared_task

from .outbox import list_pending_message_ids, send_outbox_message, server_unavailable

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

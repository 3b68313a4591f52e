"""The Celery app: e-mail from the outbox and scheduled jobs."""

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
def mail_errors_to_admins(logger: logging.Logger, **kwargs) -> None:
    """Celery's worker and beat replace the root logger's handlers (settings.LOGGING's) with
    their own: put back the one that mails errors (a task that raised, a failed nightly job)
    to ADMINS, or nobody would hear of them."""
    from core.alerts import ThrottledAdminEmailHandler
    from core.requestlog import RequestContextFilter

    if not any(isinstance(h, ThrottledAdminEmailHandler) for h in logger.handlers):
        handler = ThrottledAdminEmailHandler()
        handler.setLevel(logging.ERROR)
        handler.addFilter(RequestContextFilter())
        logger.addHandler(handler)

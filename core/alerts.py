"""Error mails to the shop's owner (settings.ADMINS) that an outage cannot turn into a flood.

Every line logged at ERROR (a server error, a Celery task that raised, a job that failed) is
mailed to ADMINS, at most once per ``SHOP_ERROR_MAIL_MINUTES`` for the same error (the same
logger, exception type and place in the code, or the same message), and at most
``MAX_MAILS_PER_INTERVAL`` mails in that time altogether, per process; the processes (gunicorn's
workers, Celery's) agree through the cache while it answers, so five workers make one mail, not
five. The next mail about an error says how many were left out. The journal keeps every one.

The mail goes straight to the SMTP server of EMAIL_URL (Django's mail_admins), not through the
outbox: it must arrive while the database, Redis or the Celery worker is what failed. When the
mail server is what failed nothing can be mailed; /healthz's ``outbox_failing`` says so.
"""

import hashlib
import logging
import os
import threading
import time
import traceback

from django.conf import settings
from django.core.cache import cache
from django.utils.log import AdminEmailHandler

#: Mails about different errors per interval and process (a storm of distinct errors, e.g.
#: every page failing its own way while the database is gone).
MAX_MAILS_PER_INTERVAL = 10


def error_fingerprint(record: logging.LogRecord) -> tuple:
    """What makes two log records "the same error": a bug that fails on every page, or the
    database being away for every request, is one error however many requests hit it. A
    record may name its own kind (``extra={"alert_key": ...}``) when one message template
    carries several (the health check's problems)."""
    if getattr(record, "alert_key", None):
        return (record.name, record.alert_key)
    if record.exc_info and record.exc_info[0] is not None:
        exc_type, exc, tb = record.exc_info
        frames = traceback.extract_tb(tb)
        where = (frames[-1].filename, frames[-1].lineno) if frames else ()
        return (record.name, exc_type.__qualname__, *where)
    return (record.name, record.msg if isinstance(record.msg, str) else repr(record.msg))


class ThrottledAdminEmailHandler(AdminEmailHandler):
    """Django's AdminEmailHandler, sending each error once per interval (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._last_sent: dict[tuple, float] = {}
        self._left_out: dict[tuple, int] = {}
        self._window: list[float] = []
        self._note = ""

    def forget(self) -> None:
        """Forget what was mailed (tests)."""
        with self._lock:
            self._last_sent.clear()
            self._left_out.clear()
            self._window.clear()

    def interval(self) -> float:
        return settings.SHOP_ERROR_MAIL_MINUTES * 60.0

    def _may_send(self, key: tuple) -> tuple[bool, int]:
        now = time.monotonic()
        interval = self.interval()
        with self._lock:
            last = self._last_sent.get(key)
            self._window = [t for t in self._window if now - t < interval]
            if (last is not None and now - last < interval) or len(
                self._window
            ) >= MAX_MAILS_PER_INTERVAL:
                self._left_out[key] = self._left_out.get(key, 0) + 1
                return False, 0
            if len(self._last_sent) > 1000:  # a long-lived process: forget old errors
                self._last_sent = {k: t for k, t in self._last_sent.items() if now - t < interval}
            self._last_sent[key] = now
            self._window.append(now)
            return True, self._left_out.pop(key, 0)

    def emit(self, record: logging.LogRecord) -> None:
        if not settings.ADMINS:
            return
        key = error_fingerprint(record)
        send, left_out = self._may_send(key)
        if not send or self._sent_by_another_process(key):
            return
        minutes = settings.SHOP_ERROR_MAIL_MINUTES
        self._note = (
            f"\n\n(Process {os.getpid()}: {left_out} more of this error since the last mail "
            f"about it were logged, not mailed. The same error is mailed at most once every "
            f"{minutes} minutes; the journal has every one.)"
            if left_out
            else f"\n\n(The same error is mailed at most once every {minutes} minutes; the "
            "journal has every one.)"
        )
        super().emit(record)

    def _sent_by_another_process(self, key: tuple) -> bool:
        """Whether another process mailed this error within the interval. Without a cache
        that answers (Redis may be what failed), each process mails for itself."""
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        try:
            return not cache.add(f"alert-mail:{digest}", 1, timeout=int(self.interval()))
        except Exception:
            return False

    def format_subject(self, subject):
        """The message's first line: Django writes line breaks as a literal \\n, and Celery's
        "Cannot connect to redis://…: Error 111 … Connection refused.\\nTrying again in 2
        seconds…" made a subject with one in it. The body has the whole message."""
        first = next((line for line in subject.splitlines() if line.strip()), "")
        return super().format_subject(first.strip())

    def send_mail(self, subject, message, *args, **kwargs):
        super().send_mail(subject, message + self._note, *args, **kwargs)

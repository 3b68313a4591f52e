"""Nightly clean-up: rows that are of no further use are deleted, so no table grows for ever.

Each app deletes its own rows (cart/services.py ``delete_stale_carts``, search/services.py
``delete_old_search_counts``); this module has the shared batching and the rows of core itself:
expired sessions (Django never deletes them by itself: its ``clearsessions`` command is meant
for a cron job), copies of sent e-mails older than ``SHOP_SENT_MAIL_DAYS`` (the rows, and the
files the embedded default's file backend wrote them to) and entries of the admin's history
older than ``SHOP_ADMIN_LOG_DAYS``.

Deletes go a batch at a time, each batch its own short statement: a first run on a shop that
has collected a year of sessions neither locks a large table for long nor keeps one huge
transaction open. Every job is safe to run twice at the same time (a row deleted by the other
run is simply not there any more).
"""

import datetime
import logging
import os

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 2000
FILE_MAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def delete_in_batches(queryset: QuerySet, *, batch_size: int = BATCH) -> int:
    """Delete the rows ``queryset`` selects, ``batch_size`` at a time (related rows that
    cascade go with them); how many of the queryset's own rows were deleted."""
    model, label = queryset.model, queryset.model._meta.label
    deleted = 0
    while True:
        pks = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
        if not pks:
            return deleted
        _total, per_model = model._default_manager.filter(pk__in=pks).delete()
        deleted += per_model.get(label, 0)


def delete_expired_sessions(*, now: datetime.datetime | None = None) -> int:
    """Sessions past their expiry (a visitor who has not come back within SESSION_COOKIE_AGE
    of their last change, or who signed out); their cache copies expire by themselves."""
    return delete_in_batches(Session.objects.filter(expire_date__lt=now or timezone.now()))


def delete_old_sent_mail(*, now: datetime.datetime | None = None) -> int:
    """Copies of e-mails sent more than SHOP_SENT_MAIL_DAYS ago. Messages never sent stay,
    whatever their age: staff see them as failing e-mails until they deal with them."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SHOP_SENT_MAIL_DAYS)
    return delete_in_batches(OutboxMessage.objects.filter(sent_at__lt=cutoff))


def delete_old_mail_files(*, now: datetime.datetime | None = None) -> int:
    """Without ``EMAIL_URL`` every e-mail sent is also a file in ``EMAIL_FILE_PATH`` (Django's
    file backend: ``<date>-<time>-<number>.log``, one per connection): the files last written
    more than SHOP_SENT_MAIL_DAYS ago are deleted, as the rows are; how many. They held the same
    names and addresses as the copies the privacy page says are deleted, and filled the disk
    of a server left without SMTP. Other files in that folder are left alone."""
    if settings.EMAIL_BACKEND != FILE_MAIL_BACKEND:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SHOP_SENT_MAIL_DAYS)
    deleted = 0
    try:
        entries = os.scandir(settings.EMAIL_FILE_PATH)  # one at a time, however many there are
    except FileNotFoundError:
        return 0
    with entries:
        for entry in entries:
            if not entry.name.endswith(".log") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff.timestamp():
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:  # the other run of this job was first
                continue
            deleted += 1
    if deleted:
        logger.info("Deleted %s e-mail files older than %s", deleted, cutoff.date())
    return deleted


def delete_old_admin_log(*, now: datetime.datetime | None = None) -> int:
    """Entries of the admin's history older than SHOP_ADMIN_LOG_DAYS (0: none are deleted).
    They name what staff changed as its text (a customer's e-mail address, an address), also
    after the customer closed the account, and were never deleted."""
    if settings.SHOP_ADMIN_LOG_DAYS <= 0:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SHOP_ADMIN_LOG_DAYS)
    return delete_in_batches(LogEntry.objects.filter(action_time__lt=cutoff))

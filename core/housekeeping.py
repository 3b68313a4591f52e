"""Nightly clean-up: rows that are of no further use are deleted, so no table grows for ever.

Each app deletes its own rows (cart/services.py ``delete_stale_carts``, search/services.py
``delete_old_search_counts``); this module has the shared batching and the rows of core itself:
expired sessions (Django never deletes them by itself: its ``clearsessions`` command is meant
for a cron job) and copies of sent e-mails older than ``SHOP_SENT_MAIL_DAYS``.

Deletes go a batch at a time, each batch its own short statement: a first run on a shop that
has collected a year of sessions neither locks a large table for long nor keeps one huge
transaction open. Every job is safe to run twice at the same time (a row deleted by the other
run is simply not there any more).
"""

import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from .models import OutboxMessage

BATCH = 2000


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

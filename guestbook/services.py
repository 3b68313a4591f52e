"""Posting to the guestbook and moderating it."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.outbox import queue_mail

from .models import Entry


@transaction.atomic
def post_entry(*, name: str, email: str, message: str) -> Entry:
    """Store a visitor's message (waiting for review unless GUESTBOOK_PREMODERATE is off)
    and tell staff about it."""
    status = Entry.Status.PENDING if settings.GUESTBOOK_PREMODERATE else Entry.Status.PUBLISHED
    entry = Entry.objects.create(
        name=name.strip(), email=email.strip().lower(), message=message.strip(), status=status
    )
    queue_mail(
        to=list(settings.SHOP_STAFF_EMAILS),
        template="guestbook/email/staff_new_entry",
        context={
            "entry": entry,
            "admin_path": reverse("admin:guestbook_entry_change", args=[entry.pk]),
        },
        kind="guestbook_new_entry",
    )
    return entry


def publish_entries(*, entry_ids: list[int]) -> int:
    return Entry.objects.filter(pk__in=entry_ids).update(status=Entry.Status.PUBLISHED)


def hide_entries(*, entry_ids: list[int]) -> int:
    return Entry.objects.filter(pk__in=entry_ids).update(status=Entry.Status.HIDDEN)


@transaction.atomic
def reply_to_entry(*, entry: Entry, reply: str, staff_user) -> Entry:
    """Publish a staff reply under the entry (and the entry itself); e-mail the author once."""
    previous = Entry.objects.filter(pk=entry.pk).values_list("reply", flat=True).first()
    first_reply = not previous
    entry.reply = reply.strip()
    entry.replied_at = timezone.now()
    entry.replied_by = staff_user
    entry.status = Entry.Status.PUBLISHED
    entry.save(update_fields=["reply", "replied_at", "replied_by", "status"])
    if first_reply and entry.email and entry.reply:
        queue_mail(
            to=[entry.email],
            template="guestbook/email/reply",
            context={"entry": entry},
            kind="guestbook_reply",
        )
    return entry

"""Posting to the guestbook and moderating it."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.housekeeping import delete_in_batches
from core.migration_ops import update_in_batches
from core.outbox import queue_mail
from core.siteurl import shop_url

from .models import Entry


def _public_link(entry: Entry, site_url: str) -> str:
    """Where the author can read the answer: the guestbook, if the entry is public and the
    shop's address is known (the request's, or SHOP_URL); else ""."""
    site = (site_url or shop_url()).rstrip("/")
    if not site or entry.status != Entry.Status.PUBLISHED:
        return ""
    return site + reverse("guestbook:index")


@transaction.atomic
def post_entry(*, name: str, email: str, message: str, site_url: str) -> Entry:
    """Store a visitor's message (waiting for review unless GUESTBOOK_PREMODERATE is off)
    and tell staff about it.

    ``site_url`` is the shop's address as the visitor reached it ("https://shop.example/"):
    the e-mail's link to admin must work from a mail client, which knows no current site.
    """
    status = Entry.Status.PENDING if settings.GUESTBOOK_PREMODERATE else Entry.Status.PUBLISHED
    entry = Entry.objects.create(
        name=name.strip(), email=email.strip().lower(), message=message.strip(), status=status
    )
    if settings.SHOP_STAFF_EMAILS:  # set empty: nobody gets staff notices
        queue_mail(
            to=list(settings.SHOP_STAFF_EMAILS),
            template="guestbook/email/staff_new_entry",
            context={
                "entry": entry,
                "admin_url": site_url.rstrip("/")
                + reverse("admin:guestbook_entry_change", args=[entry.pk]),
            },
            kind="guestbook_new_entry",
        )
    return entry


def publish_entries(*, entry_ids: list[int]) -> int:
    """Show these entries on the guestbook; returns how many were changed."""
    return Entry.objects.filter(pk__in=entry_ids).update(status=Entry.Status.PUBLISHED)


def hide_entries(*, entry_ids: list[int]) -> int:
    """Take these entries off the guestbook (kept for staff); returns how many were changed."""
    return Entry.objects.filter(pk__in=entry_ids).update(status=Entry.Status.HIDDEN)


@transaction.atomic
def reply_to_entry(
    *, entry: Entry, reply: str, staff_user, status: str | None = None, site_url: str = ""
) -> Entry:
    """Put a staff reply under the entry; e-mail the author about the first one, and then
    forget their e-mail address.

    ``status`` is the one the moderator chose together with the reply, and it is kept: a
    reply never publishes an entry staff hide (it may hold an address or an order number).
    Without a choice, answering an entry still waiting for review approves it, since the
    answer is meant to be read; an entry already hidden or published keeps its status, so
    correcting the reply of a hidden entry never shows it again.
    """
    previous_reply, previous_status = (
        Entry.objects.select_for_update().filter(pk=entry.pk).values_list("reply", "status").get()
    )
    first_reply = not previous_reply
    if status is None:
        status = previous_status
        if status == Entry.Status.PENDING:
            status = Entry.Status.PUBLISHED
    entry.reply = reply.strip()
    entry.replied_at = timezone.now()
    entry.replied_by = staff_user
    entry.status = status
    fields = ["reply", "replied_at", "replied_by", "status"]
    if first_reply and entry.email and entry.reply:
        queue_mail(
            to=[entry.email],
            template="guestbook/email/reply",
            context={"entry": entry, "guestbook_url": _public_link(entry, site_url)},
            kind="guestbook_reply",
        )
        # The address was asked for only to tell the author about the reply (the privacy page
        # says so): told, it is of no further use.
        entry.email = ""
        fields.append("email")  # only then: a page opened before would write the old one back
    entry.save(update_fields=fields)
    return entry


def forget_unanswered_emails(
    *, now: datetime.datetime | None = None, batch_size: int = 1000
) -> int:
    """Clear the e-mail address of entries nobody replied to within SHOP_GUESTBOOK_EMAIL_DAYS
    (a reply forgets it at once): it is there only to tell the author about a reply. Returns
    how many were cleared. Batched, and safe to run twice at once (each update skips the
    addresses already cleared)."""
    days = datetime.timedelta(days=settings.SHOP_GUESTBOOK_EMAIL_DAYS)
    stale = Entry.objects.filter(created_at__lt=(now or timezone.now()) - days, reply="").exclude(
        email=""
    )
    return update_in_batches(stale, batch_size=batch_size, email="")


def delete_unpublished_entries(*, now: datetime.datetime | None = None) -> int:
    """Delete entries that were never published (still waiting for review, or hidden: mostly
    spam) SHOP_GUESTBOOK_UNPUBLISHED_DAYS after they arrived (0: kept). Nobody reads them any
    more, and each holds a name, maybe an address and whatever was written. Published entries
    stay. Batched, and safe to run twice at once."""
    if settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS <= 0:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(
        days=settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS
    )
    return delete_in_batches(
        Entry.objects.exclude(status=Entry.Status.PUBLISHED).filter(created_at__lt=cutoff)
    )

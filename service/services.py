"""Messages from the customer service form."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.housekeeping import delete_in_batches
from core.outbox import queue_mail

from .models import ContactMessage


@transaction.atomic
def send_contact_message(
    *, name: str, email: str, topic: str, order_number: str, message: str, site_url: str
) -> ContactMessage:
    """Keep the shopper's message for staff and e-mail it to the shop administrator, with the
    shopper's address as Reply-To (nothing is sent to the address the form was given: the form
    must not become a way to mail strangers).

    ``site_url`` is the shop's address as the shopper reached it ("https://shop.example/"):
    the e-mail's link to admin must work from a mail client, which knows no current site.
    """
    contact = ContactMessage.objects.create(
        name=name,
        email=email.strip().lower(),
        topic=topic,
        order_number=order_number,
        message=message,
    )
    queue_mail(
        to=[settings.SHOP_ADMIN_EMAIL],
        reply_to=[contact.email],
        template="service/email/contact_message",
        context={
            "contact": contact,
            "admin_url": site_url.rstrip("/")
            + reverse("admin:service_contactmessage_change", args=[contact.pk]),
        },
        kind="contact_message",
    )
    return contact


def mark_handled(*, message_ids: list[int]) -> int:
    """Mark these customer messages answered; returns how many were not already."""
    return ContactMessage.objects.filter(pk__in=message_ids, handled=False).update(handled=True)


def delete_old_contact_messages(*, now: datetime.datetime | None = None) -> int:
    """Delete messages that arrived more than SHOP_CONTACT_MESSAGE_DAYS ago, answered or not
    (the answer went out by e-mail; the privacy page says how long they stay). Batched, and
    safe to run twice at once."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SHOP_CONTACT_MESSAGE_DAYS)
    return delete_in_batches(ContactMessage.objects.filter(created_at__lt=cutoff))

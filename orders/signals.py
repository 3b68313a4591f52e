from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import ngettext

from . import services


@receiver(email_confirmed, dispatch_uid="orders.claim_guest_orders")
def claim_guest_orders_on_confirmation(sender, request, email_address, **kwargs):
    claimed = services.claim_guest_orders(user=email_address.user, email=email_address.email)
    # Told to the member confirming, not to staff marking an address verified in admin.
    user = getattr(request, "user", None)
    if claimed and user is not None and (user.is_anonymous or user.pk == email_address.user_id):
        messages.info(
            request,
            ngettext(
                "Your earlier order with this address is now under My orders.",
                "Your %(count)d earlier orders with this address are now under My orders.",
                claimed,
            )
            % {"count": claimed},
        )


# accounts deletes the user (close_account, or staff in admin) and may not import orders: the
# orders are marked here, in the same transaction, before the delete detaches them (SET_NULL).
@receiver(pre_delete, sender=get_user_model(), dispatch_uid="orders.mark_closed_account")
def mark_orders_when_an_account_goes(sender, instance, **kwargs):
    # confirmed addresses only: an unconfirmed sign-up with someone else's address (deleted
    # by the nightly clean-up) must not keep that person from their own guest orders
    confirmed = EmailAddress.objects.filter(user_id=instance.pk, verified=True)
    services.mark_orders_of_closed_account(
        user_id=instance.pk, emails=confirmed.values_list("email", flat=True)
    )

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from catalog.models import Variant
from core.pagecache import bump_content_version
from core.sessions import session_key_moved

from .models import Cart, CartLine, ShippingMethod
from .services import cart_changed, merge_anonymous_cart


@receiver(user_logged_in)
def merge_cart_at_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        merge_anonymous_cart(user=user, session=request.session)


@receiver(session_key_moved)
def cart_follows_its_session(sender, old_key: str, new_key: str, **kwargs) -> None:
    """A visitor's open cart is filed under their session's key: delete_stale_carts deletes a
    cart whose session is gone. When the session moves to a new key (the old one deleted),
    the cart moves with it, or it would be deleted while its visitor still uses it."""
    Cart.objects.filter(session_key=old_key, user__isnull=True, status=Cart.Status.OPEN).update(
        session_key=new_key
    )


@receiver([post_save, post_delete], sender=ShippingMethod)
def shipping_methods_changed(**kwargs) -> None:
    bump_content_version()  # now and after commit: no reader can keep the old list cached


@receiver(pre_delete, sender=Variant)
def variant_deleted(sender, instance, **kwargs) -> None:
    """A deleted variant (or product) takes its cart lines with it: those carts' counts change
    (bumped now and again when the deletion commits)."""
    carts = set(CartLine.objects.filter(variant_id=instance.pk).values_list("cart_id", flat=True))
    for cart_id in carts:
        cart_changed(cart_id)

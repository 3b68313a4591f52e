from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.pagecache import bump_content_version

from .models import ShippingMethod
from .services import merge_anonymous_cart


@receiver(user_logged_in)
def merge_cart_at_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        merge_anonymous_cart(user=user, session=request.session)


@receiver([post_save, post_delete], sender=ShippingMethod)
def shipping_methods_changed(**kwargs) -> None:
    bump_content_version()  # now and after commit: no reader can keep the old list cached

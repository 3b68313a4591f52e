from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import merge_anonymous_cart


@receiver(user_logged_in)
def merge_cart_at_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        merge_anonymous_cart(user=user, session=request.session)

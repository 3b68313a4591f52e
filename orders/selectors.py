from django.db.models import Prefetch

from cart.models import ShippingMethod
from cart.selectors import list_shipping_methods

from .models import Order, OrderEvent


def _with_details(queryset):
    return queryset.select_related("shipping_method").prefetch_related(
        "lines",
        # the customer's timeline: staff's internal notes left out
        Prefetch(
            "events",
            queryset=OrderEvent.objects.filter(internal=False).order_by("created_at", "id"),
        ),
    )


def find_order_for_inquiry(*, number: str, email: str) -> Order | None:
    """The order with this number *and* e-mail, or None (never says which half was wrong)."""
    number = number.strip().upper()
    email = email.strip().lower()
    if not number or not email:
        return None
    return _with_details(Order.objects.filter(number=number, email=email)).first()


def get_order_with_details(*, number: str) -> Order | None:
    return _with_details(Order.objects.filter(number=number)).first()


def list_member_orders(*, user):
    return Order.objects.filter(user=user).order_by("-created_at")


def get_member_order(*, user, number: str) -> Order | None:
    return _with_details(Order.objects.filter(user=user, number=number)).first()


def list_delivery_options() -> list[ShippingMethod]:
    """Active delivery methods, for the service pages."""
    return list_shipping_methods()

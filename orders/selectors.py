from django.db.models import Count, Prefetch, Q

from cart.models import ShippingMethod
from cart.pricing import CartPricing
from cart.selectors import list_shipping_methods
from catalog.models import Variant
from core.money import format_money

from .models import Order, OrderEvent
from .payments import list_payment_methods, payment_method_name


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
    return Order.objects.filter(user=user).order_by("-created_at", "-pk")


def get_member_order(*, user, number: str) -> Order | None:
    return _with_details(Order.objects.filter(user=user, number=number)).first()


def list_delivery_options() -> list[ShippingMethod]:
    """Active delivery methods, for the service pages."""
    return list_shipping_methods()


def list_member_order_data(*, user) -> list[dict]:
    """The member's orders as plain data, for their own download: what the confirmation and
    "My orders" show, timeline included (staff's internal notes left out). Three queries."""
    return [
        {
            "number": o.number,
            "placed": o.created_at,
            "status": o.customer_status,
            "email": o.email,
            "phone": o.phone,
            "delivery_address": {
                "full_name": o.full_name,
                "address": o.line1,
                "address_line_2": o.line2,
                "postcode": o.postcode,
                "city": o.city,
                "country": o.country,
            },
            "delivery": o.shipping_name,
            "payment_method": payment_method_name(o.payment_method),
            "came_from": o.channel,  # the promotion channel of the visit, if any
            "lines": [
                {
                    "product": line.product_name,
                    "option": line.variant_label,
                    "sku": line.sku,
                    "unit_price": line.unit_price,
                    "quantity": line.quantity,
                    "line_total": line.line_total,
                }
                for line in o.lines.all()
            ],
            "subtotal": o.subtotal,
            "delivery_fee": o.shipping_fee,
            "total": o.total,
            "paid": o.paid_at,
            "shipped": o.shipped_at,
            "carrier": o.carrier,
            "tracking_number": o.tracking_number,
            "delivered": o.delivered_at,
            "refunded": o.refunded_at,
            "timeline": [
                {"when": e.created_at, "status": e.customer_status, "note": e.note}
                for e in o.events.all()
            ],
        }
        for o in _with_details(Order.objects.filter(user=user).order_by("created_at", "pk"))
    ]


def work_queues() -> dict[str, Q]:
    """What staff do next, as conditions on orders: "payment" (a bank transfer to look for
    in the shop's account, then mark paid), "pack" (paid, or cash on delivery, which ships
    before payment), "ship" (packed), "refund" (cancelled after payment, money not sent back
    yet)."""
    S = Order.Status
    pay_later = [m.code for m in list_payment_methods() if m.ships_before_payment]
    return {
        "payment": Q(status=S.PENDING_PAYMENT) & ~Q(payment_method__in=pay_later),
        "pack": Q(status=S.PAID) | Q(status=S.PENDING_PAYMENT, payment_method__in=pay_later),
        "ship": Q(status=S.PACKED),
        "refund": Q(status=S.CANCELLED, paid_at__isnull=False, refunded_at__isnull=True),
    }


def count_work() -> dict[str, int]:
    """How many orders wait in each of work_queues() (one query)."""
    queues = work_queues()
    either = Q()
    for condition in queues.values():
        either |= condition
    return Order.objects.filter(either).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in queues.items()}
    )


def list_cart_changes(*, reviewed: str, pricing: CartPricing) -> list[str]:
    """What changed in the cart since a review showed ``reviewed`` (its pricing fingerprint),
    one sentence per line added, removed, or with another quantity or unit price. Empty when
    nothing did (or ``reviewed`` is no fingerprint). One query, for the lines removed."""
    before = CartPricing.fingerprint_lines(reviewed)
    if not before:
        return []

    def name(variant) -> str:
        return variant.product.name + (f" ({variant.label})" if variant.label else "")

    changes = []
    for line in pricing.lines:
        if line.variant.pk not in before:
            changes.append(f"{name(line.variant)}: added ({line.quantity})")
            continue
        quantity, price = before[line.variant.pk]
        if quantity != line.quantity:
            changes.append(f"{name(line.variant)}: quantity {quantity} → {line.quantity}")
        if price != line.unit_price:
            changes.append(
                f"{name(line.variant)}: price {format_money(price)} → "
                f"{format_money(line.unit_price)}"
            )
    gone = set(before) - {line.variant.pk for line in pricing.lines}
    if gone:
        removed = Variant.objects.filter(pk__in=gone).select_related("product").order_by("pk")
        changes += [f"{name(variant)}: removed" for variant in removed]
    return changes

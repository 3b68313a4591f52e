"""Order placement and every status change."""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import Address
from accounts.services import ADDRESS_FIELDS, keep_address
from cart.models import Cart, CartLine, ShippingMethod
from cart.pricing import price_lines
from cart.services import mark_cart_submitted
from catalog.models import Variant, stock_change_shows
from catalog.selectors import bump_catalog_version, shown_product_scopes
from catalog.services import refresh_stock_totals
from catalog.signals import stock_changed
from core.housekeeping import delete_in_batches
from core.outbox import queue_messages, render_mail
from core.siteurl import shop_url

from .exceptions import (
    CheckoutError,
    EmptyCart,
    IllegalTransition,
    OrderTooLarge,
    OutOfStock,
    PriceChanged,
)
from .models import Order, OrderEvent, OrderLine, days_later
from .payments import get_payment_method, payment_method_name
from .selectors import work_queues

logger = logging.getLogger(__name__)
S = Order.Status

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.PACKED, S.CANCELLED},
    S.PAID: {S.PACKED, S.CANCELLED},
    S.PACKED: {S.SHIPPED, S.CANCELLED},  # not yet handed to the carrier: it can be unpacked
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}

# The largest amount an order's money columns hold (max_digits=10, decimal_places=2).
ORDER_AMOUNT_MAX = Decimal("99999999.99")


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str


@dataclass(frozen=True)
class ShippingAddress:
    full_name: str
    line1: str
    postcode: str
    city: str
    country: str
    line2: str = ""


def save_member_address(*, user, address: ShippingAddress, phone: str = "") -> Address:
    """Keep the shipping address of an order in the member's address book, once (see
    accounts.services.keep_address); the member's first address becomes the default."""
    return keep_address(user=user, phone=phone, **{f: getattr(address, f) for f in ADDRESS_FIELDS})


def can_transition(order: Order, to: str) -> bool:
    """The one place that knows the allowed status changes."""
    if to not in TRANSITIONS.get(order.status, set()):
        return False
    if order.status == S.PENDING_PAYMENT and to == S.PACKED:
        method = get_payment_method(order.payment_method)
        return bool(method and method.ships_before_payment)
    return True


def _order_mail(
    order: Order,
    template: str,
    *,
    to: list[str] | None = None,
    lines: list | None = None,
    admin_url: str = "",
    corrected: bool = False,
    reason: str = "",
    site_url: str = "",
    reply_to: list[str] = (),
):
    """The e-mail ``template`` about ``order``, rendered; queue it with queue_messages.
    ``corrected``: it puts right an earlier one (a wrong tracking number). ``reason``: why
    the order changed, as its timeline tells the customer ("Not paid in time"). ``site_url``
    ("https://shop.example/", as the shopper or staff reached the shop; "" when unknown, as
    in a background job) gives the customer links to their order and the returns page."""
    return render_mail(
        to=[order.email] if to is None else to,
        template=f"orders/email/{template}",
        context={
            "order": order,
            "lines": lines if lines is not None else list(order.lines.all()),
            "payment": payment_summary(order),
            "admin_url": admin_url,
            "corrected": corrected,
            "reason": reason,
            **_customer_links(order, site_url),
        },
        kind=template,
        reply_to=reply_to,
    )


def _customer_links(order: Order, site_url: str) -> dict:
    """Where the customer follows the order: a member's own order page, else the order
    inquiry with the number filled in (they type their e-mail address); and the site itself,
    for the templates' links to the customer service pages."""
    site_url = site_url or shop_url()  # a background job's mail: SHOP_URL, if set
    if not site_url:
        return {"order_url": "", "site": ""}
    site = site_url.rstrip("/")
    if order.user_id:
        order_url = site + order.get_absolute_url()
    else:
        order_url = f"{site}{reverse('orders:inquiry')}?{urlencode({'number': order.number})}"
    return {"order_url": order_url, "site": site}


def payment_summary(order: Order) -> dict:
    """The payment method's name and what the customer must do (bank details), for pages and
    e-mails; ``due_on_delivery`` is the amount the carrier collects (cash on delivery, not yet
    paid), else None."""
    method = get_payment_method(order.payment_method)
    collects = method is not None and method.ships_before_payment and not order.is_paid
    return {
        "name": payment_method_name(order.payment_method),
        "instructions": method.instructions(order) if method else None,
        "due_on_delivery": order.total if collects else None,
    }


def place_order(
    *,
    cart: Cart,
    contact: Contact,
    address: ShippingAddress,
    shipping_method_id: int,
    payment_code: str,
    idempotency_key: str,
    user=None,
    channel: str = "",
    expected_fingerprint: str | None = None,
    site_url: str = "",
) -> Order:
    """Turn the cart into an order and take the stock, all or nothing.

    ``site_url`` ("https://shop.example/", as the shopper reached the shop) gives the staff
    e-mail a link to the order in admin that works from a mail client.

    A second call with the same idempotency key returns the first order. With
    ``expected_fingerprint`` (from the review page's pricing) a cart or price change since the
    review raises PriceChanged instead of charging a total the shopper never saw.
    Raises EmptyCart, OutOfStock(lines), PriceChanged, OrderTooLarge, CheckoutError; the cart
    is unchanged then.
    """
    try:
        return _place_order(
            cart=cart,
            contact=contact,
            address=address,
            shipping_method_id=shipping_method_id,
            payment_code=payment_code,
            idempotency_key=idempotency_key,
            user=user,
            channel=channel,
            expected_fingerprint=expected_fingerprint,
            site_url=site_url,
        )
    except IntegrityError:
        # The same key won a race on another connection; this attempt rolled back whole.
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _place_order(
    *,
    cart,
    contact,
    address,
    shipping_method_id,
    payment_code,
    idempotency_key,
    user,
    channel,
    expected_fingerprint,
    site_url,
) -> Order:
    # Lock the cart row first: a double-clicked "Buy now" waits here, then finds the order
    # the first click placed (the checkout view looked for it already, before the wait).
    locked_cart = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    existing = Order.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if locked_cart is None or locked_cart.status != Cart.Status.OPEN:
        raise CheckoutError("This cart was already checked out. Please review your cart.")
    method = get_payment_method(payment_code)
    if method is None:
        raise CheckoutError("Choose a payment method.")
    shipping = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if shipping is None:
        raise CheckoutError("Choose a delivery method.")
    quantities = dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))
    if not quantities:
        raise EmptyCart()
    # Price and check without locks, write the order and its e-mails, and only then lock the
    # variants: the stock rows are held for the last few statements of the transaction, not
    # for the whole of it (on a sale day every order of a hot product queues on that row).
    pricing = _price(quantities, shipping, lock=False)
    if pricing.problems:
        raise OutOfStock(pricing.problems)
    if expected_fingerprint is not None and pricing.fingerprint() != expected_fingerprint:
        raise PriceChanged()
    amounts = [pricing.subtotal, pricing.total, *(line.line_total for line in pricing.lines)]
    if max(amounts) > ORDER_AMOUNT_MAX:
        raise OrderTooLarge(ORDER_AMOUNT_MAX)
    order = Order.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        email=contact.email.strip().lower(),
        phone=contact.phone,
        full_name=address.full_name,
        line1=address.line1,
        line2=address.line2,
        postcode=address.postcode,
        city=address.city,
        country=address.country,
        shipping_method=shipping,
        shipping_name=shipping.name,
        payment_method=method.code,
        subtotal=pricing.subtotal,
        shipping_fee=pricing.shipping_fee,
        total=pricing.total,
        idempotency_key=idempotency_key,
        channel=channel[:80],
    )
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=line.variant,
                product_name=line.variant.product.name,
                variant_label=line.variant.label,
                sku=line.variant.sku,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in pricing.lines
        ]
    )
    OrderEvent.objects.create(order=order, status=order.status, note="Order placed")
    mark_cart_submitted(cart=locked_cart)
    mails = [_order_mail(order, "order_confirmation", lines=order_lines, site_url=site_url)]
    if settings.SHOP_STAFF_EMAILS:  # set empty: nobody gets staff notices
        mails.append(
            _order_mail(
                order,
                "staff_new_order",
                to=list(settings.SHOP_STAFF_EMAILS),
                reply_to=[order.email],  # staff answer the customer's questions about it
                lines=order_lines,
                admin_url=site_url.rstrip("/")
                + reverse("admin:orders_order_change", args=[order.pk])
                if site_url
                else "",
            )
        )
    queue_messages(mails)  # one INSERT, and one task for them all after commit
    # Now lock the variant rows (primary-key order: no deadlocks) and re-price with what is
    # locked. Anything that moved since the unlocked read rolls the whole order back.
    locked = _price(quantities, shipping, lock=True)
    if locked.problems:
        raise OutOfStock(locked.problems)
    if locked.fingerprint() != pricing.fingerprint():
        raise PriceChanged()
    shows = False
    for line in locked.lines:
        updated = Variant.objects.filter(pk=line.variant.pk, stock__gte=line.quantity).update(
            stock=F("stock") - line.quantity
        )
        if updated != 1:  # cannot happen under the lock; never oversell if it does
            raise OutOfStock([line])
        # the locked stock is exact: does a page show the difference? (see stock_shown)
        shows |= stock_change_shows(line.variant.stock, line.variant.stock - line.quantity)
    refresh_stock_totals(product_ids=[line.variant.product_id for line in locked.lines])
    products = [line.variant.product for line in locked.lines]  # (loaded with the variants)
    _after_stock_moved([(p.pk, p.category_id, p.series_id) for p in products], shows=shows)
    return order


def _price(quantities: dict[int, int], shipping: ShippingMethod, *, lock: bool):
    """Price ``{variant id: quantity}`` from the database; with ``lock``, row-lock the variants
    (in primary-key order) until the transaction ends.

    The lock is FOR NO KEY UPDATE, the one the stock UPDATE takes anyway: it queues behind
    another checkout's stock update but not behind the KEY SHARE locks of foreign-key checks
    (Django's are deferred to commit), so committing order lines never wait on it."""
    variants = Variant.objects.select_related("product").filter(pk__in=quantities).order_by("pk")
    if lock:
        variants = variants.select_for_update(of=("self",), no_key=True)
    return price_lines(
        items=[(None, v, quantities[v.pk]) for v in variants], shipping_method=shipping
    )


def _after_stock_moved(products: list[tuple[int, int, int]], *, shows: bool) -> None:
    """When the move changed what a page shows (a low or sold-out level, see
    catalog.models.stock_shown), after commit: tell listeners (search's in-stock flags) and
    make cached pages stale: these products' pages and cards, their categories' and series'
    listings (``products``: product id, category id, series id), home and search results. A
    move that leaves every level looking the same (plenty left) does neither: on a sale day
    every order would otherwise throw away cached pages and rewrite its products' search rows.
    A product that sells out or comes back always shows."""
    product_ids = list(dict.fromkeys(pk for pk, _category, _series in products))

    def notify() -> None:
        stock_changed.send(sender=Order, product_ids=product_ids)
        # after the listeners, so nothing caches the old state
        bump_catalog_version(scopes=shown_product_scopes(products))

    if shows:
        transaction.on_commit(notify)


def _restore_stock(order: Order) -> None:
    lines = sorted(
        order.lines.values_list(
            "variant_id",
            "quantity",
            "variant__product_id",
            "variant__product__category_id",
            "variant__product__series_id",
        )
    )
    for variant_id, quantity, *_product in lines:
        Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity)
    after = dict(
        Variant.objects.filter(pk__in=[v for v, *_rest in lines]).values_list("pk", "stock")
    )
    shows = any(stock_change_shows(after[v] - q, after[v]) for v, q, *_p in lines if v in after)
    products = [tuple(product) for _v, _q, *product in lines]
    refresh_stock_totals(product_ids=[pk for pk, _category, _series in products])
    _after_stock_moved(products, shows=shows)


@transaction.atomic
def change_status(
    *, order: Order, to: str, actor=None, note: str = "", site_url: str = "", **fields
) -> Order:
    """Move an order to another status, record the event, send the e-mail that goes with it
    (with links to the order when ``site_url`` is known, see _order_mail).

    Raises IllegalTransition (nothing changes then).
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not can_transition(locked, to):
        raise IllegalTransition(locked.get_status_display(), S(to).label)
    previous = locked.status
    now = timezone.now()
    locked.status = to
    if to == S.PAID:
        locked.paid_at = now
    elif to == S.SHIPPED:
        locked.shipped_at = now
        locked.carrier = fields.get("carrier", "")
        locked.tracking_number = fields.get("tracking_number", "")
    elif to == S.DELIVERED:
        locked.delivered_at = now
        if locked.paid_at is None:  # cash on delivery: paid at the door
            locked.paid_at = now
    elif to == S.CANCELLED:
        _restore_stock(locked)
    locked.save()
    OrderEvent.objects.create(
        order=locked, status=to, previous_status=previous, note=note[:300], actor=actor
    )
    mail = {
        S.PAID: "order_paid",
        S.SHIPPED: "order_shipped",
        S.DELIVERED: "order_delivered",
        S.CANCELLED: "order_cancelled",
    }.get(to)
    if mail:
        # the note the customer's timeline shows, unless it only repeats the status
        reason = note.strip().rstrip(".") if note.strip() != S(to).label else ""
        queue_messages([_order_mail(locked, mail, reason=reason, site_url=site_url)])
    order.__dict__.update(locked.__dict__)
    return locked


def mark_paid(*, order: Order, actor=None, site_url: str = "") -> Order:
    """The money arrived (bank transfer): paid, the customer is told. Raises IllegalTransition."""
    return change_status(
        order=order, to=S.PAID, actor=actor, note="Payment received", site_url=site_url
    )


def mark_packed(*, order: Order, actor=None, site_url: str = "") -> Order:
    """Packed and ready for the carrier. Raises IllegalTransition."""
    return change_status(order=order, to=S.PACKED, actor=actor, site_url=site_url)


def mark_shipped(
    *, order: Order, carrier: str, tracking_number: str, actor=None, site_url: str = ""
) -> Order:
    """Handed to the carrier with its tracking number; the customer is told. Raises
    IllegalTransition."""
    return change_status(
        order=order,
        to=S.SHIPPED,
        actor=actor,
        note=f"{carrier} {tracking_number}".strip(),
        site_url=site_url,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def _record(order: Order, note: str, *, actor, internal: bool = False) -> None:
    """A line on the order's timeline for a change that keeps its status."""
    OrderEvent.objects.create(
        order=order,
        status=order.status,
        previous_status=order.status,
        note=note[:300],
        actor=actor,
        internal=internal,
    )


@transaction.atomic
def mark_refunded(*, order: Order, actor=None, site_url: str = "") -> bool:
    """Record that the money of a cancelled, paid order went back; the customer is told. Once:
    a second call (a double click, two staff) changes nothing and returns False.

    Raises IllegalTransition for an order that is not cancelled or was never paid.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != S.CANCELLED or not locked.is_paid:
        raise IllegalTransition(locked.get_status_display(), "Refunded")
    if not locked.refund_due:  # refunded already
        return False
    locked.refunded_at = timezone.now()
    locked.save(update_fields=["refunded_at"])
    _record(locked, "Payment refunded", actor=actor)
    queue_messages([_order_mail(locked, "order_refunded", site_url=site_url)])
    order.__dict__.update(locked.__dict__)
    return True


def can_record_late_payment(order: Order) -> bool:
    """Cancelled before its money came, paid in advance (a bank transfer): a payment may still
    arrive. Cash on delivery is paid at the door, and a cancelled one had no parcel to pay."""
    method = get_payment_method(order.payment_method)
    return (
        order.status == S.CANCELLED
        and not order.is_paid
        and not (method is not None and method.ships_before_payment)
    )


@transaction.atomic
def record_late_payment(*, order: Order, actor=None) -> bool:
    """Record money that arrived for an order already cancelled unpaid (a bank transfer after
    the unpaid-order expiry cancelled it, or after the customer asked to cancel). The order
    stays cancelled and comes up as "refund due" (to-do list, Mark refunded, whose e-mail tells
    the customer). Once: a second call (a double click, two staff) changes nothing and returns
    False. Raises IllegalTransition for an order that is not cancelled.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == S.CANCELLED and locked.is_paid:
        return False
    if not can_record_late_payment(locked):
        raise IllegalTransition(locked.get_status_display(), "Paid after cancelling")
    locked.paid_at = timezone.now()
    locked.save(update_fields=["paid_at"])
    _record(locked, "Payment received after the order was cancelled: refund due", actor=actor)
    order.__dict__.update(locked.__dict__)
    return True


def add_staff_note(*, order: Order, note: str, actor=None) -> bool:
    """Staff's own note on the order's timeline (a customer's call, a packing remark): shown in
    admin, never to the customer. Returns False for an empty note."""
    note = " ".join(note.split())
    if not note:
        return False
    _record(order, note, actor=actor, internal=True)
    return True


#: Until it is handed to the carrier, staff may change where an order goes (a customer's call).
ADDRESS_EDITABLE = (S.PENDING_PAYMENT, S.PAID, S.PACKED)
ORDER_ADDRESS_FIELDS = ("full_name", "line1", "line2", "postcode", "city", "country", "phone")


@transaction.atomic
def change_shipping_address(*, order: Order, actor=None, **values: str) -> bool:
    """Change the delivery address (and phone) of an order not yet shipped, recording the old
    and new address on the timeline. Only these fields are written: a status or payment that
    changed meanwhile (another request) is never overwritten. Returns False when nothing changed.

    Raises IllegalTransition once the order has left (shipped, delivered, cancelled...).
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in ADDRESS_EDITABLE:
        raise IllegalTransition(locked.get_status_display(), "a changed address")
    changed = [f for f in ORDER_ADDRESS_FIELDS if f in values and getattr(locked, f) != values[f]]
    if not changed:
        return False

    def one_line(o) -> str:
        parts = [o.full_name, o.line1, o.line2, f"{o.postcode} {o.city}", o.country, o.phone]
        return ", ".join(p for p in parts if p)

    before = one_line(locked)
    for name in changed:
        setattr(locked, name, values[name])
    Order.objects.filter(pk=locked.pk).update(**{f: values[f] for f in changed})
    _record(locked, f"Address changed: {one_line(locked)} (was {before})", actor=actor)
    order.__dict__.update({f: values[f] for f in changed})
    return True


@transaction.atomic
def correct_tracking(
    *, order: Order, carrier: str, tracking_number: str, actor=None, site_url: str = ""
) -> bool:
    """Put right the carrier or tracking number of a shipped order (a typo the customer was
    already mailed): the change is recorded on the timeline and the customer gets the shipping
    e-mail again, saying it corrects the first. Returns False when nothing changed.

    Raises IllegalTransition unless the order is shipped (and not yet delivered).
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != S.SHIPPED:
        raise IllegalTransition(locked.get_status_display(), S.SHIPPED.label)
    before = f"{locked.carrier} {locked.tracking_number}".strip()
    if (locked.carrier, locked.tracking_number) == (carrier, tracking_number):
        return False
    locked.carrier, locked.tracking_number = carrier, tracking_number
    locked.save(update_fields=["carrier", "tracking_number"])
    _record(locked, f"Tracking corrected: {carrier} {tracking_number} (was {before})", actor=actor)
    queue_messages([_order_mail(locked, "order_shipped", corrected=True, site_url=site_url)])
    order.__dict__.update(locked.__dict__)
    return True


def mark_delivered(*, order: Order, actor=None, site_url: str = "") -> Order:
    """Delivered (cash on delivery: paid at the door now); the customer is told. Raises
    IllegalTransition."""
    return change_status(order=order, to=S.DELIVERED, actor=actor, site_url=site_url)


def mark_completed(*, order: Order, actor=None, site_url: str = "") -> Order:
    """Done: nothing more to do for this order. Raises IllegalTransition."""
    return change_status(order=order, to=S.COMPLETED, actor=actor, site_url=site_url)


def cancel_order(*, order: Order, actor=None, note: str = "Cancelled", site_url: str = "") -> Order:
    """Cancel, put the stock back and tell the customer (a paid order comes up as refund due).
    Raises IllegalTransition."""
    return change_status(order=order, to=S.CANCELLED, actor=actor, note=note, site_url=site_url)


def expire_unpaid_orders(*, now=None) -> int:
    """Cancel bank-transfer orders unpaid after SHOP_UNPAID_ORDER_DAYS; stock goes back once.

    Safe to run twice at once: each order is claimed with a row lock and skipped if taken.
    """
    now = now or timezone.now()
    # N days are not N x 24 hours across a change of summer time: the orders of a few hours
    # more are looked at, each cancelled after its own payment_deadline (which it was told).
    cutoff = now - timedelta(days=settings.SHOP_UNPAID_ORDER_DAYS) + timedelta(hours=3)
    expired = 0
    candidates = (
        Order.objects.filter(
            status=S.PENDING_PAYMENT, payment_method="bank_transfer", created_at__lt=cutoff
        )
        .order_by("created_at", "pk")
        .values_list("pk", "created_at")
    )
    due = [
        pk
        for pk, created_at in candidates[:500]
        if days_later(created_at, settings.SHOP_UNPAID_ORDER_DAYS) < now
    ]
    for pk in due:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.PENDING_PAYMENT)
                .first()
            )
            if order is None:
                continue
            change_status(order=order, to=S.CANCELLED, note="Not paid in time")
            expired += 1
    return expired


def claim_guest_orders(*, user, email: str) -> int:
    """Put the guest orders placed with ``email`` under ``user``'s account ("My orders").

    Only for an address the member has just proved is theirs (allauth's e-mail confirmation):
    whoever can read that mailbox could already look these orders up by number and e-mail.
    Never the orders of a closed account: whoever has that address now (a mailbox can change
    hands) would see the earlier owner's orders, addresses and phone number.
    """
    return Order.objects.filter(
        user__isnull=True, account_closed=False, email=email.strip().lower()
    ).update(user=user)


def mark_orders_of_closed_account(*, user_id: int, emails: Iterable[str] = ()) -> int:
    """Before an account goes (closed by its member, or deleted in admin): its orders stay,
    detached from it, and are never claimed by another account with the same address. So do
    the orders placed as a guest with one of ``emails`` (the addresses it had confirmed: its
    owner checking out signed out), which no account holds yet."""
    addresses = {email.strip().lower() for email in emails if email}
    return Order.objects.filter(
        Q(user_id=user_id) | Q(user__isnull=True, email__in=addresses)
    ).update(account_closed=True)


def delete_expired_orders(*, now=None) -> int:
    """Delete the orders placed in a year that ended more than SHOP_ORDER_KEEP_YEARS ago
    (with their lines and timeline): tax law's period to keep them is over (Germany: 10 years
    from the end of the calendar year of the booking, so an order paid, shipped, delivered or
    refunded in a later year waits for that year's to end). Batched, and safe to run twice at
    once. 0 (or less) keeps every order: it must never mean "delete this year's". An order
    staff still have work on (to be paid, packed or shipped, or a refund owed: the admin's
    to-do lists) stays, however old."""
    if settings.SHOP_ORDER_KEEP_YEARS < 1:
        return 0
    year = timezone.localtime(now or timezone.now()).year
    cutoff = timezone.make_aware(
        datetime.datetime(year - settings.SHOP_ORDER_KEEP_YEARS, 1, 1)  # noqa: DTZ001
    )
    open_work = Q()
    for condition in work_queues().values():
        open_work |= condition
    booked_later = (
        Q(paid_at__gte=cutoff)
        | Q(shipped_at__gte=cutoff)
        | Q(delivered_at__gte=cutoff)
        | Q(refunded_at__gte=cutoff)
    )
    return delete_in_batches(
        Order.objects.filter(created_at__lt=cutoff).exclude(open_work).exclude(booked_later)
    )

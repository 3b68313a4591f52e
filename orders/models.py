import secrets
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from catalog.models import Variant

from .payments import get_payment_method

# No 0/O, 1/I/L: readable over the phone.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 8


def format_order_number(raw: str, *, prefix: str = "") -> str:
    """The NUMBER_LENGTH characters of a number as it is stored and shown: ``MP-7KQ4-X2HD``
    (``prefix``, or the shop's SHOP_ORDER_PREFIX, in front)."""
    half = NUMBER_LENGTH // 2
    return f"{prefix or settings.SHOP_ORDER_PREFIX}-{raw[:half]}-{raw[half:]}"


def days_later(moment: datetime, days: int) -> datetime:
    """``days`` calendar days after ``moment``, at the same time of day on the shop's clock
    (TIME_ZONE): across a change to or from summer time one of the days has 23 or 25 hours.
    A time the clocks skip that day is the hour after it; one they repeat is its second time
    (the later: a deadline never comes early). In UTC, as Django keeps times (a time in a
    repeated hour does not compare equal to itself in another zone)."""
    zone = timezone.get_default_timezone()
    wall = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return max(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))


def new_order_number() -> str:
    """A short random order number, e.g. ``MP-7KQ4-X2HD`` (31^8 ≈ 8.5e11: not guessable)."""
    return format_order_number(
        "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))
    )


def customer_status_label(status: str, payment_method: str) -> str:
    """A status as the shopper reads it: a cash-on-delivery order that waits to be packed is
    confirmed, not waiting for a payment the shopper is meant to make now."""
    if status == Order.Status.PENDING_PAYMENT:
        method = get_payment_method(payment_method)
        if method and method.ships_before_payment:
            return "Confirmed, you pay on delivery"
    return Order.Status(status).label


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        PACKED = "packed", "Packed"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=20, unique=True, default=new_order_number, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    # Placed under an account since closed (or deleted): such an order is never put under
    # another account that confirms this address (a mailbox can change hands).
    account_closed = models.BooleanField(default=False, db_default=False, editable=False)
    # Indexed as the first column of order_status_created.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    full_name = models.CharField(max_length=120)
    line1 = models.CharField("address", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    postcode = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=60)
    shipping_method = models.ForeignKey(
        "cart.ShippingMethod", on_delete=models.PROTECT, related_name="orders"
    )
    shipping_name = models.CharField(max_length=100)
    # Its own index: no composite starts with it, and the admin's filter by payment method
    # (its count and date list) reads it (EXPLAIN on 200,000 orders: 19 ms, 76 ms without).
    payment_method = models.CharField(max_length=30, db_index=True)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    shipping_fee = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(
        max_length=80, blank=True, help_text="Promotion channel of the visit."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # a cancelled order that had been paid: when staff sent the money back (once)
    refunded_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["email", "-created_at"], name="order_email_created"),
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            # the orders staff still work on, and the paid ones they cancelled and still
            # owe the money for (the admin's "to do" lists and counts, newest first): few rows
            # at the end of the table, which the created_at index found only after reading
            # all the finished orders
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending_payment", "paid", "packed"]),
                name="order_open_created",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(status="cancelled", paid_at__isnull=False, refunded_at__isnull=True),
                name="order_refund_due_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(shipping_fee__gte=0) & Q(total__gte=0),
                name="order_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def payment_deadline(self) -> datetime:
        """When an unpaid bank transfer is cancelled (expire_unpaid_orders), as the shopper is
        told: SHOP_UNPAID_ORDER_DAYS days after the order, at the time of day it was placed."""
        return days_later(self.created_at, settings.SHOP_UNPAID_ORDER_DAYS)

    @property
    def return_until(self) -> date | None:
        """The last day (the shop's calendar) to return or exchange what was delivered:
        SHOP_RETURN_DAYS days after the day of delivery, as the pages and e-mail say; None
        before delivery."""
        if self.delivered_at is None:
            return None
        delivered = timezone.localdate(self.delivered_at, timezone.get_default_timezone())
        return delivered + timedelta(days=settings.SHOP_RETURN_DAYS)

    @property
    def can_return(self) -> bool:
        """Today is within the return window (up to the end of its last day, shop's time)."""
        until = self.return_until
        return (
            until is not None and timezone.localdate(None, timezone.get_default_timezone()) <= until
        )

    @property
    def refund_due(self) -> bool:
        """Cancelled after it was paid, and the money not sent back yet."""
        return self.status == self.Status.CANCELLED and self.is_paid and self.refunded_at is None

    @property
    def customer_status(self) -> str:
        """The status as the shopper reads it (see customer_status_label)."""
        return customer_status_label(self.status, self.payment_method)

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None

    @property
    def tracking_url(self) -> str:
        from .carriers import tracking_url

        return tracking_url(self.carrier, self.tracking_number)


class OrderLine(models.Model):
    """A snapshot: later catalog edits never rewrite what was ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=200)
    variant_label = models.CharField(max_length=100, blank=True)
    sku = models.CharField("SKU", max_length=64)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderEvent(models.Model):
    """One status change (or note) on an order's timeline."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=Order.Status.choices)
    previous_status = models.CharField(max_length=20, choices=Order.Status.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # staff's own note (a customer's call, a packing remark): on the admin timeline only, never
    # on the customer's order page or the public order inquiry
    internal = models.BooleanField(default=False, db_default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        before = self.get_previous_status_display() or "—"
        return f"{before} → {self.get_status_display()}"

    @property
    def customer_status(self) -> str:
        """This step as the shopper reads it (the order comes with order.events, no query)."""
        return customer_status_label(self.status, self.order.payment_method)

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import Variant


class Cart(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carts",
    )
    # no index of its own: cart_session_status (below) starts with it
    session_key = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # a member has at most one open cart, kept across devices
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="open", user__isnull=False),
                name="cart_one_open_per_user",
            ),
        ]
        indexes = [models.Index(fields=["session_key", "status"], name="cart_session_status")]

    def __str__(self) -> str:
        return f"Cart {self.pk} ({self.user or self.session_key[:8]})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


class ShippingMethod(models.Model):
    """A way to deliver, with its fee; the calculator applies it (staff edit it in admin)."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    fee = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    free_over = models.DecimalField(
        "free from",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Orders with a subtotal at or above this ship free. Empty: never free.",
    )
    min_days = models.PositiveSmallIntegerField("delivery days from", default=2)
    max_days = models.PositiveSmallIntegerField("delivery days to", default=4)
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "fee", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="shipping_fee_gte_0"),
            models.CheckConstraint(
                condition=Q(max_days__gte=models.F("min_days")),
                name="shipping_days_ordered",
                violation_error_message="“Delivery days to” must not be less than “delivery "
                "days from”.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def delivery_days_text(self) -> str:
        if self.min_days == self.max_days:
            return f"{self.min_days} working day{'s' if self.min_days != 1 else ''}"
        return f"{self.min_days}–{self.max_days} working days"

"""The one price calculator: a cart's lines + a moment -> priced lines and totals.

Pages, checkout and order placement all call ``price_lines``; nothing else does price
arithmetic. Promotions, member discounts and vouchers plug in here when they land.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from catalog.models import Variant
from core.money import ZERO, round_money

from .models import ShippingMethod


@dataclass
class PricedLine:
    line_id: int | None
    variant: Variant
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    problem: str = ""

    @property
    def product(self):
        return self.variant.product


@dataclass
class CartPricing:
    lines: list[PricedLine] = field(default_factory=list)
    subtotal: Decimal = ZERO
    shipping_method: ShippingMethod | None = None
    shipping_fee: Decimal = ZERO
    total: Decimal = ZERO

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem]

    def fingerprint(self) -> str:
        """What the shopper saw: lines, unit prices and totals. Changes if any of them change."""
        parts = [f"{ln.variant.pk}x{ln.quantity}@{ln.unit_price}" for ln in self.lines]
        parts.sort()
        return ";".join(parts) + f"|{self.shipping_fee}|{self.total}"

    @staticmethod
    def fingerprint_lines(fingerprint: str) -> dict[int, tuple[int, Decimal]]:
        """The lines a ``fingerprint()`` stands for: variant id -> (quantity, unit price); an
        empty dict for anything that is not one."""
        lines = {}
        try:
            for part in filter(None, fingerprint.partition("|")[0].split(";")):
                variant, _, rest = part.partition("x")
                quantity, _, price = rest.partition("@")
                lines[int(variant)] = (int(quantity), Decimal(price))
        except (ValueError, ArithmeticError):
            return {}
        return lines

    @property
    def free_shipping_missing(self) -> Decimal | None:
        """How much more to spend for free shipping with the chosen method, if that applies."""
        method = self.shipping_method
        if method is None or method.free_over is None or self.shipping_fee == ZERO:
            return None
        return round_money(method.free_over - self.subtotal)


def unit_price(variant: Variant) -> Decimal:
    """The price a shopper pays for one unit right now."""
    return round_money(variant.base_price)


def line_problem(variant: Variant, quantity: int) -> str:
    if not variant.product.is_active:
        return "This product is no longer sold. Remove it to check out."
    if variant.stock <= 0:
        return "Sold out. Remove it to check out."
    if quantity > variant.stock:
        return f"Only {variant.stock} left. Lower the quantity to check out."
    return ""


def shipping_fee(method: ShippingMethod | None, subtotal: Decimal) -> Decimal:
    if method is None:
        return ZERO
    if method.free_over is not None and subtotal >= method.free_over:
        return ZERO
    return round_money(method.fee)


def price_lines(
    *, items: list[tuple[int | None, Variant, int]], shipping_method: ShippingMethod | None = None
) -> CartPricing:
    """Price ``(line id, variant, quantity)`` items. Variants need their product loaded."""
    pricing = CartPricing(shipping_method=shipping_method)
    for line_id, variant, quantity in items:
        price = unit_price(variant)
        pricing.lines.append(
            PricedLine(
                line_id=line_id,
                variant=variant,
                quantity=quantity,
                unit_price=price,
                line_total=round_money(price * quantity),
                problem=line_problem(variant, quantity),
            )
        )
    pricing.subtotal = round_money(sum((line.line_total for line in pricing.lines), ZERO))
    pricing.shipping_fee = (
        shipping_fee(shipping_method, pricing.subtotal) if pricing.lines else ZERO
    )
    pricing.total = round_money(pricing.subtotal + pricing.shipping_fee)
    return pricing

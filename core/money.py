"""Money helpers: every amount is a Decimal and is rounded here, nowhere else."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal | int | str) -> Decimal:
    """Round an amount to cents, half up (the way a till does)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)

"""Money helpers: every amount is a Decimal and is rounded here, nowhere else."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal | int | str) -> Decimal:
    """Round an amount to cents, half up (the way a till does)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount) -> str:
    """An amount as the shop shows it, e.g. €1,234.50 ("" for nothing or garbage)."""
    if amount is None or amount == "":
        return ""
    try:
        value = round_money(Decimal(str(amount)))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if value.is_nan():  # "NaN" quantizes to itself (an infinity raised above): no amount
        return ""
    sign = "−" if value < 0 else ""
    amount = f"{abs(value):,.2f}"  # 1,234.50
    thousands, decimal = settings.SHOP_MONEY_SEPARATORS
    if (thousands, decimal) != (",", "."):
        whole, cents = amount.split(".")
        thousands = {"_": "", " ": "\u202f"}.get(thousands, thousands)  # a space never breaks
        amount = f"{whole.replace(',', thousands)}{decimal}{cents}"
    written = settings.SHOP_MONEY_FORMAT.format(symbol=settings.SHOP_CURRENCY_SYMBOL, amount=amount)
    return sign + written.replace(" ", "\u00a0")  # "12,50 €" stays on one line

import json
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from core.money import round_money

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def money(amount) -> str:
    """Format an amount as the shop's currency, e.g. €1,234.50."""
    if amount is None or amount == "":
        return ""
    try:
        value = round_money(Decimal(str(amount)))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    sign = "−" if value < 0 else ""
    return f"{sign}{settings.SHOP_CURRENCY_SYMBOL}{abs(value):,.2f}"


@register.filter
def jsonld(data) -> str:
    """Serialize structured data for a <script type="application/ld+json"> block, safely."""
    return mark_safe(json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES))  # noqa: S308

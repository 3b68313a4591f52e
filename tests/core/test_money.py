"""How amounts are written (core.money.format_money): the shop's symbol, where it goes and its
separators are settings, so a Swiss or German shop writes prices as its customers read them."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.money import format_money


@pytest.mark.parametrize(
    ("symbol", "layout", "separators", "written"),
    [
        ("€", "{symbol}{amount}", ",.", "€1,234.50"),  # the default
        ("€", "{amount} {symbol}", ".,", "1.234,50\u00a0€"),
        ("CHF", "{symbol} {amount}", "'.", "CHF\u00a01'234.50"),
        ("kr", "{amount} {symbol}", " ,", "1\u202f234,50\u00a0kr"),
        ("€", "{amount} {symbol}", "_,", "1234,50\u00a0€"),
    ],
)
def test_an_amount_is_written_as_the_shop_writes_it(settings, symbol, layout, separators, written):
    settings.SHOP_CURRENCY_SYMBOL = symbol
    settings.SHOP_MONEY_FORMAT = layout
    settings.SHOP_MONEY_SEPARATORS = separators
    assert format_money(Decimal("1234.5")) == written
    assert format_money(Decimal("-0.5")).startswith("−")
    assert format_money(Decimal("7")).replace("\u00a0", " ") in {
        "€7.00",
        "7,00 €",
        "CHF 7.00",
        "7,00 kr",
    }


def test_nothing_or_garbage_is_written_as_nothing():
    assert format_money(None) == ""
    assert format_money("") == ""
    assert format_money("abc") == ""


@pytest.mark.parametrize("garbage", [Decimal("NaN"), float("nan"), "nan", Decimal("Infinity")])
def test_not_a_number_is_written_as_nothing(garbage):
    # found by tests/core/test_money_properties.py: NaN raised InvalidOperation
    assert format_money(garbage) == ""


def test_the_templates_filter_writes_the_same(settings):
    settings.SHOP_MONEY_FORMAT = "{amount} {symbol}"
    settings.SHOP_MONEY_SEPARATORS = ".,"
    html = Template("{% load shop_tags %}{{ price|money }}").render(
        Context({"price": Decimal("19.9")})
    )
    assert html == "19,90\u00a0€"

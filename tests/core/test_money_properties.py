"""Properties of the money helper (core.money) for any amount Hypothesis makes up."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import CENT, format_money, round_money

amounts = st.decimals(
    min_value=Decimal("-99999999999"), max_value=Decimal("99999999999"), allow_nan=False
)


@settings(max_examples=200)
@given(amount=amounts)
def test_an_amount_is_rounded_to_the_nearest_cent_half_up(amount):
    rounded = round_money(amount)

    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - amount) <= CENT / 2
    if abs(rounded - amount) == CENT / 2:  # a tie goes away from zero, as a till rounds
        assert abs(rounded) > abs(amount)
    assert round_money(rounded) == rounded
    assert round_money(-amount) == -rounded


@settings(max_examples=100)
@given(amount=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2))
def test_an_amount_in_cents_is_rounded_to_itself_from_any_type(amount):
    assert round_money(amount) == amount
    assert round_money(str(amount)) == amount
    if amount == amount.to_integral_value():
        assert round_money(int(amount)) == amount


@settings(max_examples=150)
@given(
    amount=st.one_of(
        st.none(),
        st.decimals(),  # NaN, infinities and amounts past Decimal's precision too
        st.floats(),
        st.integers(),
        st.text(max_size=30),
    ),
    layout=st.sampled_from(["{symbol}{amount}", "{amount} {symbol}", "{symbol} {amount}"]),
    separators=st.sampled_from([",.", ".,", "'.", " ,", "_,"]),
)
def test_any_value_is_written_as_an_amount_or_as_nothing(settings, amount, layout, separators):
    settings.SHOP_MONEY_FORMAT = layout
    settings.SHOP_MONEY_SEPARATORS = separators

    written = format_money(amount)

    assert isinstance(written, str)
    if written:
        assert any(ch.isdigit() for ch in written)
        assert "NaN" not in written
        assert "Infinity" not in written


@settings(max_examples=100)
@given(amount=st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99")))
def test_a_written_amount_reads_back_as_the_rounded_amount(settings, amount):
    settings.SHOP_MONEY_FORMAT = "{symbol}{amount}"
    settings.SHOP_MONEY_SEPARATORS = ",."
    settings.SHOP_CURRENCY_SYMBOL = "€"

    written = format_money(amount)

    negative = written.startswith("−")
    digits = written.removeprefix("−").removeprefix("€").replace(",", "")
    assert Decimal(digits) * (-1 if negative else 1) == round_money(amount)
    assert negative == (round_money(amount) < 0)

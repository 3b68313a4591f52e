"""Properties of the one price calculator (cart.pricing.price_lines), for any cart Hypothesis
makes up: quantities, prices, delivery fees and free-delivery thresholds. No database: the
calculator prices the rows it is given."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cart.models import ShippingMethod
from cart.pricing import CartPricing, price_lines, unit_price
from catalog.models import MAX_LINE_QUANTITY, Product, Variant
from core.money import round_money

# What the money columns hold: max_digits=10, decimal_places=2, never negative.
MONEY_MAX = Decimal("99999999.99")
money = st.decimals(min_value=Decimal("0.00"), max_value=MONEY_MAX, places=2)
small_money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("500.00"), places=2)


@st.composite
def variants(draw):
    product = Product(
        name="Tent",
        price=draw(st.one_of(small_money, money)),
        is_active=draw(st.booleans()),
    )
    return Variant(
        product=product,
        sku="SKU",
        price_override=draw(st.none() | small_money | money),
        stock=draw(st.integers(min_value=0, max_value=2_000)),
    )


items = st.lists(
    st.tuples(variants(), st.integers(min_value=1, max_value=MAX_LINE_QUANTITY)), max_size=6
)
shipping_methods = st.none() | st.builds(
    ShippingMethod,
    name=st.just("Standard"),
    fee=small_money,
    free_over=st.none() | small_money | money,
)


def cents(amount: Decimal) -> bool:
    return isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


def price(cart, method):
    return price_lines(items=[(None, v, q) for v, q in cart], shipping_method=method)


@settings(max_examples=100)
@given(cart=items, method=shipping_methods)
def test_totals_are_the_sum_of_rounded_lines_and_never_negative(cart, method):
    pricing = price(cart, method)

    for line, (variant, quantity) in zip(pricing.lines, cart, strict=True):
        assert line.unit_price == round_money(variant.base_price)
        assert line.line_total == round_money(line.unit_price * quantity)
        assert cents(line.unit_price)
        assert cents(line.line_total)
        assert line.line_total >= 0
    assert pricing.subtotal == sum((line.line_total for line in pricing.lines), Decimal("0"))
    assert pricing.total == pricing.subtotal + pricing.shipping_fee
    for amount in (pricing.subtotal, pricing.shipping_fee, pricing.total):
        assert cents(amount)
        assert amount >= 0
    assert pricing.item_count == sum(quantity for _variant, quantity in cart)


@settings(max_examples=100)
@given(cart=items, method=shipping_methods)
def test_delivery_is_free_over_the_threshold_and_the_fee_below_it(cart, method):
    pricing = price(cart, method)

    if not cart or method is None:
        assert pricing.shipping_fee == 0
    elif method.free_over is not None and pricing.subtotal >= method.free_over:
        assert pricing.shipping_fee == 0
        assert pricing.free_shipping_missing is None
    else:
        assert pricing.shipping_fee == round_money(method.fee)
    missing = pricing.free_shipping_missing
    if missing is not None:  # "spend this much more": always a positive amount
        assert missing > 0
        assert pricing.subtotal + missing == method.free_over


@settings(max_examples=100)
@given(cart=items, method=shipping_methods, data=st.data())
def test_the_same_cart_gives_the_same_prices_in_any_order(cart, method, data):
    first = price(cart, method)
    again = price(cart, method)
    shuffled = price(data.draw(st.permutations(cart)), method)

    assert again.fingerprint() == first.fingerprint()
    assert [ln.line_total for ln in again.lines] == [ln.line_total for ln in first.lines]
    assert (shuffled.subtotal, shuffled.shipping_fee, shuffled.total) == (
        first.subtotal,
        first.shipping_fee,
        first.total,
    )


@settings(max_examples=100)
@given(variant=variants(), quantity=st.integers(min_value=1, max_value=MAX_LINE_QUANTITY))
def test_a_line_can_be_checked_out_only_when_its_units_are_there(variant, quantity):
    [line] = price([(variant, quantity)], None).lines

    orderable = variant.product.is_active and 0 < quantity <= variant.stock
    assert (line.problem == "") is orderable
    assert unit_price(variant) == line.unit_price


@settings(max_examples=100)
@given(cart=items, method=shipping_methods)
def test_a_fingerprint_reads_back_as_the_lines_it_stands_for(cart, method):
    variant_ids = iter(range(1, 100))
    for variant, _quantity in cart:
        variant.pk = next(variant_ids)
    pricing = price(cart, method)

    assert pricing.fingerprint_lines(pricing.fingerprint()) == {
        line.variant.pk: (line.quantity, line.unit_price) for line in pricing.lines
    }


@settings(max_examples=150)
@given(text=st.text() | st.from_regex(r"\A(\d{1,3}x\d{1,4}@[\d.]{1,8};?){0,4}\|[\d.]*\|[\d.]*\Z"))
def test_any_text_reads_as_the_lines_of_a_fingerprint_or_as_none(text):
    """The review page's fingerprint comes back from the session: anything there is lines
    (variant id -> quantity, unit price) or nothing, never an exception."""
    lines = CartPricing.fingerprint_lines(text)

    assert isinstance(lines, dict)
    for variant, (quantity, unit) in lines.items():
        assert isinstance(variant, int)
        assert isinstance(quantity, int)
        assert isinstance(unit, Decimal)

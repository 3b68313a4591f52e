"""Whatever is typed (or sent) as a quantity, the cart's forms and pages answer with a valid
quantity or a clear message: never an exception, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cart.forms import QUANTITY_ERRORS, AddToCartForm, LineQuantityForm
from cart.models import CartLine
from catalog.models import MAX_LINE_QUANTITY
from tests.factories import ProductFactory

typed = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.decimals(allow_nan=True).map(str),
    st.floats().map(str),
    st.from_regex(r"\A\s*[-+]?\d{1,6}([.,]\d{0,3})?\s*\Z"),
)
MESSAGES = {
    *QUANTITY_ERRORS.values(),
    "Choose a quantity of at least 1.",
    "Quantity cannot be negative.",
}


def outcome(form, field="quantity"):
    """The cleaned quantity, or the field's messages."""
    if form.is_valid():
        return form.cleaned_data[field]
    return form.errors[field]


@settings(max_examples=200)
@given(quantity=typed)
@example("1.0")
@example("٣")  # Arabic-Indic three
@example("9" * 5000)  # past int()'s 4300 digits
@example("1e3")
@example("\x00")
def test_any_typed_quantity_is_a_valid_one_or_a_clear_message(quantity):
    for form, lowest in (
        (AddToCartForm({"variant": "1", "quantity": quantity}), 1),
        (LineQuantityForm({"quantity": quantity}), 0),
    ):
        result = outcome(form)
        if isinstance(result, int):
            assert lowest <= result <= MAX_LINE_QUANTITY
        else:
            assert set(result) <= MESSAGES, result


@pytest.fixture
def tent(db):
    return ProductFactory(name="Tent", stock=5).variants.get()


@settings(max_examples=40)
@given(quantity=typed)
@example("2.0")
@example("-1")
@example("1000")
def test_any_quantity_sent_to_the_cart_pages_changes_it_or_says_why(tent, quantity):
    client = Client()  # a new visitor each example: no messages or cart from the one before
    CartLine.objects.all().delete()
    response = client.post(
        reverse("cart:add"), {"variant": tent.pk, "quantity": quantity}, follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    line = CartLine.objects.filter(variant=tent).first()
    assert len(messages) == 1
    if line is None:
        assert "Added" not in messages[0]
    else:
        assert messages[0].startswith(f"Added {line.quantity} ×")
        assert 1 <= line.quantity <= tent.stock

    if line is not None:
        before = line.quantity
        response = client.post(
            reverse("cart:update_line", args=[line.pk]), {"quantity": quantity}, follow=True
        )
        assert response.status_code == 200
        [message] = [str(m) for m in response.context["messages"]]
        after = CartLine.objects.filter(pk=line.pk).values_list("quantity", flat=True).first()
        if message == "Item removed.":
            assert after is None
        elif message == "Quantity updated.":
            assert 1 <= after <= tent.stock
        else:  # refused: nothing changed, and the page says why, naming the item
            assert after == before
            assert "Tent" in message

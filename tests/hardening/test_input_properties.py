"""Generated input for the listing filters and the checkout: every parameter or field gets its
own made-up value at once (test_hostile_input.py sends one fixed value to all of them). Any
combination is answered with a page or a clear error, never a 500; what is stored is escaped
wherever it is shown."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.models import Order

from .test_hostile_input import (
    CHECKOUT_FIELDS,
    MARKERS,
    assert_safe,
    shop,  # noqa: F401 (a fixture)
    valid_checkout,
)

values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "-0", "1e308", "1E+2", "0.001", "NaN", "-1", "on", "true"]),
    st.decimals(allow_nan=True).map(str),
    st.integers().map(str),
    st.sampled_from(MARKERS),
).filter(lambda v: not any("\ud800" <= ch <= "\udfff" for ch in v))  # no browser sends one
pytestmark = pytest.mark.django_db
LISTING_PARAMS = ["q", "min_price", "max_price", "in_stock", "series", "category", "sort", "page"]


@settings(max_examples=30)
@given(params=st.fixed_dictionaries({}, optional=dict.fromkeys(LISTING_PARAMS, values)))
def test_any_combination_of_listing_filters_gets_a_page(shop, params):  # noqa: F811
    product, _shipping = shop
    client = Client()
    for url in (reverse("catalog:products"), reverse("search:results")):
        assert_safe(client.get(url, params), f"{url}?{params}")
    assert_safe(client.get(product.category.get_absolute_url(), params), "category")


@settings(max_examples=30)
@given(typed=st.fixed_dictionaries({}, optional=dict.fromkeys(CHECKOUT_FIELDS, values)))
def test_any_combination_of_checkout_answers_gets_a_page_or_an_order(shop, typed):  # noqa: F811
    product, shipping = shop
    client = Client()
    client.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    details = client.post(reverse("orders:checkout"), {**valid_checkout(shipping), **typed})
    assert_safe(details, f"checkout {typed}")
    if details.status_code != 302:
        return
    review = client.get(reverse("orders:checkout_review"))
    assert_safe(review, "review")
    if review.status_code != 200:
        return
    state = review.context["state"]
    placed = client.post(
        reverse("orders:place_order"), {"idempotency_key": state["idempotency_key"]}
    )
    assert_safe(placed, "place")
    order = Order.objects.filter(idempotency_key=state["idempotency_key"]).first()
    assert order is not None
    assert order.email == state["email"].strip().lower()
    assert (order.full_name, order.city) == (
        state["address"]["full_name"],
        state["address"]["city"],
    )
    assert_safe(client.get(placed.url), "confirmation")

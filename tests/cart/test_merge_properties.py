"""Signing in moves the visitor's cart into the member's (cart.services.merge_anonymous_cart):
for any two carts and any stock, nothing that could be bought is lost, nothing beyond the stock
(or the line cap) is added, and the visitor's cart is gone."""

from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from cart.models import Cart, CartLine
from cart.services import SESSION_KEY, merge_anonymous_cart
from catalog.models import MAX_LINE_QUANTITY
from tests.factories import ProductFactory, UserFactory

quantities = st.none() | st.integers(min_value=1, max_value=MAX_LINE_QUANTITY)


@contextmanager
def rolled_back():
    """One example's rows, gone before the next (the test's database is shared by them)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=30)
@given(
    carts=st.lists(
        st.tuples(quantities, quantities, st.integers(min_value=0, max_value=1200)),
        min_size=1,
        max_size=3,
    )
)
def test_signing_in_keeps_what_can_be_bought_from_both_carts(carts):
    with rolled_back():
        member = UserFactory(email="merge@example.com")
        mine, visitors = Cart.objects.create(user=member), Cart.objects.create(session_key="s")
        variants = []
        for member_quantity, visitor_quantity, stock in carts:
            variant = ProductFactory(stock=stock).variants.get()
            variants.append(variant)
            if member_quantity:
                CartLine.objects.create(cart=mine, variant=variant, quantity=member_quantity)
            if visitor_quantity:
                CartLine.objects.create(cart=visitors, variant=variant, quantity=visitor_quantity)
        session = {SESSION_KEY: visitors.pk}

        merge_anonymous_cart(user=member, session=session)

        assert not Cart.objects.filter(pk=visitors.pk).exists()
        assert SESSION_KEY not in session
        merged = dict(CartLine.objects.filter(cart=mine).values_list("variant_id", "quantity"))
        for variant, (member_quantity, visitor_quantity, stock) in zip(
            variants, carts, strict=True
        ):
            had = member_quantity or 0
            wanted = had + (visitor_quantity or 0)
            quantity = merged.get(variant.pk, 0)
            # the member's own line is never cut; the visitor's units are added up to the
            # stock and the line cap
            assert quantity >= had
            assert quantity >= min(wanted, stock, MAX_LINE_QUANTITY)
            assert quantity <= max(had, min(wanted, stock, MAX_LINE_QUANTITY))

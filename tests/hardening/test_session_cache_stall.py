"""Found by the live chaos drill (issue #6): right after a Redis stall a shopper who had just
placed an order got 404 on its confirmation page. The order was placed and the session row in
the database listed it, but the session's cached copy could not be rewritten while Redis did
not answer, and once Redis answered again every worker read the older copy from before the
stall (a stalled Redis keeps its data; a restarted one does not). A session saved while its
cache copy cannot be rewritten now moves to a new key, which no stale copy is stored under."""

import datetime

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.urls import reverse
from django.utils import timezone

from cart.models import Cart, ShippingMethod
from cart.services import delete_stale_carts
from core.sessions import SessionStore
from orders.models import Order
from tests.factories import ProductFactory
from tests.orders.helpers import checkout_data

pytestmark = pytest.mark.django_db


class StallingCache(LocMemCache):
    """Local memory that, while ``stalled``, keeps what it holds but drops every write, as
    the resilient Redis cache does while Redis does not answer."""

    stalled = False

    def is_unavailable(self) -> bool:
        return type(self).stalled

    def set(self, *args, **kwargs):
        if not type(self).stalled:
            super().set(*args, **kwargs)

    def add(self, *args, **kwargs):
        return True if type(self).stalled else super().add(*args, **kwargs)

    def delete(self, *args, **kwargs):
        return False if type(self).stalled else super().delete(*args, **kwargs)


@pytest.fixture
def stalling_cache(settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.StallingCache", "LOCATION": "stall"}}
    StallingCache.stalled = False
    yield caches["default"]
    StallingCache.stalled = False
    caches["default"].clear()


def test_a_session_saved_while_its_cached_copy_is_stuck_is_read_back_as_saved(stalling_cache):
    session = SessionStore()
    session["step"] = "review"
    session.save()
    StallingCache.stalled = True
    later = SessionStore(session_key=session.session_key)
    later["step"] = "placed"
    later.save()  # the database has it; the cache still holds "review"
    StallingCache.stalled = False
    # the next request comes with the key the response gave the browser
    assert SessionStore(session_key=later.session_key)["step"] == "placed"


def test_the_order_placed_during_a_redis_stall_shows_its_confirmation_afterwards(
    client, stalling_cache
):
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")
    variant = ProductFactory(stock=5).variants.get()
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    details = client.post(
        reverse("orders:checkout"),
        checkout_data(shipping, payment="cod", email="ann@example.com", phone="030 1234567"),
    )
    assert details.status_code == 302
    key = client.get(reverse("orders:checkout_review")).context["state"]["idempotency_key"]
    StallingCache.stalled = True  # Redis stops answering as "Buy now" is pressed
    placed = client.post(reverse("orders:place_order"), {"idempotency_key": key})
    assert placed.status_code == 302
    StallingCache.stalled = False  # ... and answers again
    order = Order.objects.get(idempotency_key=key)
    confirmation = client.get(placed["Location"])
    assert confirmation.status_code == 200
    assert order.number in confirmation.content.decode()


def test_a_visitors_cart_moves_with_the_session_and_outlives_the_stale_cart_clean_up(
    client, stalling_cache
):
    """The key move deletes the old session row; a visitor's cart filed under the old key
    would then count as abandoned, and the clean-up would empty the cart its visitor still
    uses (the next morning: "your cart is empty")."""
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")
    variant = ProductFactory(stock=5).variants.get()
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 2})
    old_key = client.session.session_key
    StallingCache.stalled = True  # Redis stops answering as they fill in their details
    details = client.post(
        reverse("orders:checkout"),
        checkout_data(shipping, payment="cod", email="ann@example.com", phone="030 1234567"),
    )
    assert details.status_code == 302
    StallingCache.stalled = False
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key

    cart = Cart.objects.get()
    assert cart.session_key == new_key
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - datetime.timedelta(days=1))
    assert delete_stale_carts() == 0
    assert client.get(reverse("cart:detail")).context["cart_count"] == 2

"""Plain helpers shared by the order tests (fixtures live in conftest.py)."""

import secrets

from django.urls import reverse

from cart.models import Cart, CartLine
from orders import services

CONTACT = services.Contact(email="Guest@Example.com", phone="+49 30 1234567")
ADDRESS = services.ShippingAddress(
    full_name="Greta Guest",
    line1="Lindenstr. 1",
    postcode="10115",
    city="Berlin",
    country="Germany",
)
ADDRESS_FORM = {
    "full_name": "Greta Guest",
    "line1": "Lindenstr. 1",
    "line2": "",
    "postcode": "10115",
    "city": "Berlin",
    "country": "Germany",
}


def make_cart(*lines, user=None) -> Cart:
    """A cart with ``(variant, quantity)`` lines, for calling the services directly."""
    cart = Cart.objects.create(user=user, session_key="" if user else secrets.token_hex(16))
    for variant, quantity in lines:
        CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
    return cart


def place(cart, shipping, *, payment="cod", key=None, user=None):
    return services.place_order(
        cart=cart,
        contact=CONTACT,
        address=ADDRESS,
        shipping_method_id=shipping.pk,
        payment_code=payment,
        idempotency_key=key or secrets.token_urlsafe(24),
        user=user,
    )


def add_to_cart(client, variant, quantity=1):
    response = client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": quantity})
    assert response.status_code == 302
    return response


def walk_checkout(client, shipping, *, payment="cod", email="guest@example.com", address=None):
    """Fill in every checkout step as a shopper would; returns the review page."""
    steps = [
        ("orders:checkout_contact", {"email": email, "phone": "+49 30 1234567"}),
        ("orders:checkout_address", address or ADDRESS_FORM),
        ("orders:checkout_delivery", {"shipping_method": shipping.pk}),
        ("orders:checkout_payment", {"payment_method": payment}),
    ]
    for name, data in steps:
        response = client.post(reverse(name), data)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
    review = client.get(reverse("orders:checkout_review"))
    assert review.status_code == 200
    return review


def review_key(review) -> str:
    return review.context["state"]["idempotency_key"]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]

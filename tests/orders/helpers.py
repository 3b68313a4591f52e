"""Plain helpers shared by the order tests (fixtures live in conftest.py)."""

import secrets
from html.parser import HTMLParser

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


def checkout_data(
    shipping, *, payment="cod", email="guest@example.com", address=None, phone="+49 30 1234567"
) -> dict:
    """Every field of the checkout's details page, filled in as a shopper would."""
    return {
        "email": email,
        "phone": phone,
        **(address or ADDRESS_FORM),
        "shipping_method": shipping.pk,
        "payment_method": payment,
    }


def walk_checkout(client, shipping, *, payment="cod", email="guest@example.com", address=None):
    """Fill in the checkout's details page as a shopper would (one POST); returns the review
    page."""
    data = checkout_data(shipping, payment=payment, email=email, address=address)
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("orders:checkout_review")
    review = client.get(reverse("orders:checkout_review"))
    assert review.status_code == 200
    return review


def review_key(review) -> str:
    return review.context["state"]["idempotency_key"]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


class _FormDefaults(HTMLParser):
    """Collects what a browser would submit, unchanged, for the first form that posts to its
    own page (the header's sign-out form posts elsewhere)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self._done and not attrs.get("action"):
            self._in_form = (attrs.get("method") or "").lower() == "post"
        if self._in_form and tag == "select" and attrs.get("name"):
            self._select, self._select_first = attrs["name"], True
        elif self._in_form and tag == "option" and getattr(self, "_select", None):
            # a select sends its selected option, or its first one when none is selected
            if "selected" in attrs or self._select_first:
                self.data[self._select] = attrs.get("value") or ""
            self._select_first = False
        if not self._in_form or tag != "input" or not attrs.get("name"):
            return
        kind = (attrs.get("type") or "text").lower()
        if kind in ("radio", "checkbox"):
            if "checked" in attrs:
                self.data[attrs["name"]] = attrs.get("value") or "on"
        elif kind not in ("submit", "button", "image", "reset", "file"):
            self.data[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def form_defaults(response) -> dict[str, str]:
    """What pressing the submit button sends when the shopper changes nothing on the page."""
    parser = _FormDefaults()
    parser.feed(response.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def submit_as_rendered(client, url: str, **changes):
    """GET the page, then POST its form as a browser would, with ``changes`` typed in."""
    data = {**form_defaults(client.get(url)), **changes}
    return client.post(url, data)

"""One customer can never see or change another's order, address or cart line: every URL that
takes one (by id, number or key) answers 404 to anyone else, signed in or not, and changes
nothing. A guard keeps the table complete: a new URL with a path parameter, or a form field
that names an order, address or line, fails until it is listed here."""

import re
from types import SimpleNamespace

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from accounts.models import Address
from cart.models import CartLine, ShippingMethod
from orders.models import Order
from tests.factories import AddressFactory, ProductFactory, UserFactory
from tests.orders.helpers import checkout_data

from .public_inputs import INPUTS, list_routes

pytestmark = pytest.mark.django_db

#: URL name -> (what its path parameter names, the methods that reach it, a form to send).
OWNED_URLS = {
    "orders:detail": ("order", ("get",), {}),
    "orders:confirmation": ("order", ("get",), {}),
    "accounts:address_edit": (
        "address",
        ("get", "post"),
        {
            "full_name": "Taken",
            "line1": "Weg 1",
            "postcode": "10115",
            "city": "Berlin",
            "country": "Germany",
            "make_default": "on",
        },
    ),
    "accounts:address_delete": ("address", ("get", "post"), {}),
    "accounts:address_make_default": ("address", ("get", "post"), {}),
    "cart:update_line": ("line", ("post",), {"quantity": "7"}),
    "cart:remove_line": ("line", ("post",), {}),
}
#: URLs whose path parameter names nothing a customer owns.
NOT_OWNED_URLS = {
    "catalog:product": "a product on sale: public",
    "catalog:series": "public",
    "catalog:category": "public",
    "sitemap_section": "public",
    "account_confirm_email": "allauth's signed key from the e-mail: confirms that address only",
    "account_reset_password_from_key": "allauth's token from the e-mail (test_accounts.py)",
    "admin_view_on_site": "staff only",
    "media": "DEBUG only: public files",
}
#: Form fields that name something a customer owns, and the test that sends another's.
OWNED_FIELDS = {
    ("orders:checkout", "saved_address"): "test_another_customers_saved_address_is_refused",
    ("orders:place_order", "idempotency_key"): "test_another_customers_order_key_shows_nothing",
}
#: Fields that look like it but are not.
NOT_OWNED_FIELDS = {
    ("cart:add", "variant"): "a product's size or colour: public",
    ("orders:inquiry", "number"): "with the order's e-mail address only (test_inquiry.py)",
    ("service:contact", "order_number"): "text in a message to staff; shows nothing",
    ("service:contact", "order"): "?order= fills in the form's order number; shows nothing",
    ("orders:place_order", "reviewed"): "a digest of the visitor's own review page",
    ("accounts:address_add", "make_default"): "the new address is the member's own",
    ("accounts:address_edit", "make_default"): "the address of the URL (OWNED_URLS)",
    ("orders:checkout", "save_address"): "a yes/no",
}
LOOKS_OWNED = re.compile(r"(^|_)(id|pk|address|order|line|key|number|default)($|_)")


def test_every_url_with_a_path_parameter_is_in_the_authorization_table():
    with_parameters = {r.name for r in list_routes() if r.converters and r.name != "admin"}
    missing = with_parameters - set(OWNED_URLS) - set(NOT_OWNED_URLS)
    assert not missing, f"add to OWNED_URLS (and test) or NOT_OWNED_URLS: {missing}"
    assert set(OWNED_URLS) <= with_parameters


def test_every_form_field_that_may_name_an_order_address_or_line_is_in_the_table():
    fields = {
        (name, field)
        for name, inputs in INPUTS.items()
        for field in (*inputs.post, *inputs.get)
        if LOOKS_OWNED.search(field)
    }
    missing = fields - set(OWNED_FIELDS) - set(NOT_OWNED_FIELDS)
    assert not missing, f"add to OWNED_FIELDS (and test) or NOT_OWNED_FIELDS: {missing}"


@pytest.fixture
def two_customers(db):
    """Alice (a member) and Gus (a guest) each with an order, a cart line and, Alice, a saved
    address; the intruders: Mallory (a member with her own) and a new visitor."""
    product = ProductFactory(name="Camp Mug", stock=100)
    variant = product.variants.get()
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")

    def shopper(user=None):
        client = Client()
        if user:
            client.force_login(user)
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
        email = user.email if user else "gus@example.com"
        client.post(reverse("orders:checkout"), checkout_data(shipping, email=email))
        key = client.get(reverse("orders:checkout_review")).context["state"]["idempotency_key"]
        client.post(reverse("orders:place_order"), {"idempotency_key": key})
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 2})
        line = CartLine.objects.exclude(cart__status="ordered").latest("pk")
        return SimpleNamespace(
            client=client,
            order=Order.objects.get(idempotency_key=key),
            line=line,
            address=AddressFactory(user=user, is_default=False) if user else None,
            key=key,
        )

    alice = shopper(UserFactory(email="alice@example.com"))
    AddressFactory(user=alice.order.user)  # her default
    gus = shopper()
    mallory = shopper(UserFactory(email="mallory@example.com"))
    return SimpleNamespace(alice=alice, gus=gus, mallory=mallory, shipping=shipping)


def snapshot():
    return [
        sorted(tuple(model_to_dict(row).items()) for row in model.objects.all())
        for model in (Order, Address, CartLine)
    ]


def _target(victim, kind):
    return {
        "order": victim.order.number,
        "address": getattr(victim.address, "pk", None),
        "line": victim.line.pk,
    }[kind]


@pytest.mark.parametrize("name", OWNED_URLS)
def test_no_one_else_sees_or_changes_what_a_customer_owns(two_customers, name):
    kind, methods, data = OWNED_URLS[name]
    # a guest's order is found by its confirmation (in their session) and the order inquiry
    members_only = kind == "address" or name == "orders:detail"
    victims = [two_customers.alice] + ([] if members_only else [two_customers.gus])
    intruders = {
        "another member": two_customers.mallory.client,
        "a new visitor": Client(),
        "a guest with a cart": two_customers.gus.client,
    }
    for victim in victims:
        url = reverse(name, args=[_target(victim, kind)])
        for who, intruder in intruders.items():
            if intruder is victim.client:
                continue
            for method in methods:
                before = snapshot()
                response = getattr(intruder, method)(url, data)
                assert snapshot() == before, (name, who, method)
                if response.status_code == 302:  # members only: sign in first
                    assert response["Location"].startswith(reverse("account_login")), who
                    assert who != "another member"
                    continue
                assert response.status_code == 404, (name, who, method)
                shown = response.content.decode().split("<main", 1)[-1]  # not the URL typed
                assert victim.order.number not in shown, who
                assert "Lindenstr" not in shown, who
        # the owner reaches it: the 404s above are about whose it is
        owner = getattr(victim.client, methods[-1])(url, data)
        assert owner.status_code in (200, 302), (name, "owner")
        assert not owner.get("Location", "").startswith(reverse("account_login"))


def test_another_customers_saved_address_is_refused(two_customers):
    mallory = two_customers.mallory.client
    before = snapshot()
    response = mallory.post(
        reverse("orders:checkout"),
        {
            **checkout_data(two_customers.shipping, email="m@example.com"),
            "saved_address": two_customers.alice.address.pk,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Lindenstr" not in response.content.decode().split("<main", 1)[1].split("<form", 1)[0]
    assert snapshot() == before


def test_another_customers_order_key_shows_nothing(two_customers):
    for victim in (two_customers.alice, two_customers.gus):
        for intruder in (two_customers.mallory.client, Client()):
            response = intruder.post(reverse("orders:place_order"), {"idempotency_key": victim.key})
            assert response.status_code == 302
            assert victim.order.number not in response["Location"]
            page = intruder.get(response["Location"]).content.decode()
            assert victim.order.number not in page

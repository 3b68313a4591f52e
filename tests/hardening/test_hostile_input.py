"""A corpus of hostile input sent to every public form and query parameter: never a 5xx,
always escaped, and nothing stored that breaks a later page or the admin.

This file walks the deeper paths (each checkout section among valid answers, the review after
it, a member's checkout); test_public_inputs.py sends CORPUS to every entry of the table of
public inputs (public_inputs.py), which guard tests keep complete."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cart.models import CartLine, ShippingMethod
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import checkout_data

from .public_inputs import CHECKOUT, CHECKOUT_SECTIONS

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
CORPUS = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR '1'='1' --",
    "1; DROP TABLE catalog_product;",
    "a & b | !c :* <-> 'x' \\",
    "\x00\x01\x02\x7f",
    "\u202eevil\u202c",
    "ｓｃｒｉｐｔ ᴀdmin раураl",  # full-width and confusables
    "🙂" * 50,
    "x" * 100_000,
    "-1",
    "0",
    "1.5",
    "1e308",
    "99999999999999999999999999",
    "NaN",
    "",
    " ",
]
MARKERS = ["<script>alert('x')", "<img src=x onerror=alert(1)>"]


def assert_safe(response, where: str) -> None:
    assert response.status_code < 500, where
    if response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode(errors="replace")
        for marker in MARKERS:
            assert marker not in body, where


@pytest.fixture
def shop():
    product = ProductFactory(name="Camp Mug", stock=50)
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")
    return product, shipping


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_every_query_parameter_survives(client, shop, value):
    product, _ = shop
    params = ["q", "min_price", "max_price", "in_stock", "series", "category", "sort", "page"]
    assert_safe(client.get(reverse("guestbook:index"), {"page": value}), "guestbook page")
    for url in [
        reverse("catalog:products"),
        reverse("search:results"),
        product.category.get_absolute_url(),
        product.series.get_absolute_url(),
    ]:
        for name in params:
            assert_safe(client.get(url, {name: value}), f"{url}?{name}")
    assert_safe(client.get(reverse("search:suggest"), {"q": value}), "suggest")


CHECKOUT_FIELDS = list(CHECKOUT)


def valid_checkout(shipping) -> dict:
    return checkout_data(shipping, email="a@example.com", phone="030 1234")


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_every_public_form_survives(shop, value):
    product, shipping = shop
    variant = product.variants.get()
    client = Client()
    assert_safe(client.post(reverse("cart:add"), {"variant": value, "quantity": 1}), "add variant")
    assert_safe(
        client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": value, "next": value}),
        "add quantity",
    )
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    line = CartLine.objects.filter(variant=variant).last()
    assert_safe(
        client.post(reverse("cart:update_line", args=[line.pk]), {"quantity": value}), "qty"
    )
    # The checkout's one details page: every field at once, then each section alone among
    # valid answers (so a value valid there goes on to the review page as well).
    checkout = reverse("orders:checkout")
    assert_safe(client.post(checkout, dict.fromkeys(CHECKOUT_FIELDS, value)), "checkout")
    for section, names in CHECKOUT_SECTIONS.items():
        data = {**valid_checkout(shipping), **dict.fromkeys(names, value)}
        assert_safe(client.post(checkout, data), f"checkout {section}")
        assert_safe(client.get(reverse("orders:checkout_review")), f"review after {section}")
    member = Client()
    member.force_login(UserFactory())
    member.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    assert_safe(member.post(checkout, dict.fromkeys(CHECKOUT_FIELDS, value)), "member checkout")
    assert_safe(client.post(reverse("orders:place_order"), {"idempotency_key": value}), "place")
    assert_safe(
        client.post(reverse("orders:inquiry"), {"number": value, "email": value}), "inquiry"
    )
    assert_safe(client.post(reverse("account_login"), {"login": value, "password": value}), "login")
    assert_safe(
        client.post(
            reverse("account_signup"), {"email": value, "password1": value, "password2": value}
        ),
        "signup",
    )
    assert_safe(client.post(reverse("account_reset_password"), {"email": value}), "reset")
    assert_safe(
        client.post(
            reverse("guestbook:index"),
            {"name": value, "email": value, "message": value, "website": ""},
        ),
        "guestbook",
    )
    assert_safe(
        client.post(
            reverse("service:contact"),
            {
                "name": value,
                "email": value,
                "topic": value,
                "order_number": value,
                "message": value,
                "website": "",
            },
        ),
        "contact",
    )
    assert_safe(client.get(reverse("cart:detail")), "cart page after")


def test_hostile_text_stored_through_checkout_renders_escaped_everywhere(shop):
    """A name with markup goes through checkout: the confirmation, inquiry and admin escape it."""
    product, shipping = shop
    client = Client()
    client.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    client.post(
        reverse("orders:checkout"),
        {
            **valid_checkout(shipping),
            "full_name": SCRIPT,
            "line1": '"><img src=x onerror=alert(1)>',
            "postcode": "10115",
            "city": "\u202eevil",
            "country": "Germany",  # a list now: other values are refused (see the corpus test)
        },
    )
    key = client.get(reverse("orders:checkout_review")).context["state"]["idempotency_key"]
    confirmation = client.post(reverse("orders:place_order"), {"idempotency_key": key}, follow=True)
    assert_safe(confirmation, "confirmation")
    assert "&lt;script&gt;" in confirmation.content.decode()
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    from orders.models import Order

    order = Order.objects.get()
    assert_safe(staff.get(reverse("admin:orders_order_changelist")), "admin list")
    assert_safe(staff.get(reverse("admin:orders_order_change", args=[order.pk])), "admin order")
    from core.models import OutboxMessage

    mails = OutboxMessage.objects.all()
    assert sorted(m.kind for m in mails) == ["order_confirmation", "staff_new_order"]
    for message in mails:  # the shopper's confirmation and the staff notice
        for marker in MARKERS:
            assert marker not in message.body_html, message.kind
        assert "&lt;script&gt;" in message.body_html, message.kind


def test_hostile_product_text_entered_by_staff_renders_escaped_in_every_listing(client):
    """A product name and description with markup (staff pasted it from somewhere) is shown as
    text on the home page, listings, its category, search results and its own page."""
    product = ProductFactory(
        name=f"Mug {SCRIPT}", short_description=MARKERS[1], description=MARKERS[1], stock=5
    )
    from search.services import index_products

    index_products(product_ids=[product.pk])
    pages = {
        "home": reverse("home"),
        "all products": reverse("catalog:products"),
        "category": product.category.get_absolute_url(),
        "series": product.series.get_absolute_url(),
        "product": product.get_absolute_url(),
        "search": reverse("search:results") + "?q=mug",
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_safe(response, where)
        assert "Mug &lt;script&gt;" in response.content.decode(), where
    # autocomplete answers data, not markup: the name as it is, in JSON, which the script
    # puts on the page as text (textContent), never as HTML
    suggest = client.get(reverse("search:suggest"), {"q": "mug"})
    assert suggest["Content-Type"].startswith("application/json")
    assert suggest.json()["products"][0]["name"] == f"Mug {SCRIPT}"
    script = (settings.BASE_DIR / "static" / "js" / "shop.js").read_text()
    assert "insertAdjacentHTML" not in script
    assert re.findall(r"innerHTML\s*=\s*([^;]+);", script) == ['""']


def test_ten_thousand_form_fields_and_huge_bodies_get_a_clear_400(client, shop):
    fields = {f"f{i}": "x" for i in range(10_000)}
    response = client.post(reverse("orders:inquiry"), fields)
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()
    big = client.post(
        reverse("orders:inquiry"),
        data="x=" + "y" * 3_000_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert big.status_code == 400


def test_off_site_next_values_never_leave_the_site(client, shop):
    product, _ = shop
    variant = product.variants.get()
    for target in [
        "//evil.example",
        "https:evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "\\\\evil.example",
        " //evil.example",
    ]:
        response = client.post(
            reverse("cart:add"), {"variant": variant.pk, "quantity": 1, "next": target}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("cart:detail"), target
        login = client.post(
            reverse("account_login") + "?next=" + target,
            {"login": "nobody@example.com", "password": "whatever-long"},
        )
        assert "evil.example" not in login.get("Location", "")
    member = UserFactory(email="m@example.com")
    assert member
    response = client.post(
        reverse("account_login"),
        {"login": "m@example.com", "password": "correct-horse-battery", "next": "//evil.example"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_one_customer_cannot_use_another_customers_saved_address(client, shop):
    from accounts.models import Address

    product, _ = shop
    owner = UserFactory(email="owner@example.com")
    theirs = Address.objects.create(
        user=owner, full_name="Owner", line1="Secret St 1", postcode="1", city="X", country="Y"
    )
    client.force_login(UserFactory(email="intruder@example.com"))
    client.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    page = client.get(reverse("orders:checkout"))
    assert "Secret St 1" not in page.content.decode()
    response = client.post(
        reverse("orders:checkout"),
        {"email": "i@example.com", "phone": "030 1234", "saved_address": theirs.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_media_is_served_with_nosniff_in_production_nginx():
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy/nginx/shop.conf").read_text()
    media = conf[conf.index("location ^~ /media/") :]
    media = media[: media.index("\n    }\n")]
    assert "add_header X-Content-Type-Options nosniff always;" in media
    assert "sandbox" in media  # uploaded files can never run as a page


def test_production_nginx_drops_requests_for_a_foreign_host():
    """Django answers 400 to a Host it does not know (test_page_cache); nginx in front never
    passes them on: its default server, which gets every name but the shop's, closes the
    connection (444) instead of proxying, and the shop's own server is not the default."""
    import re
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy/nginx/shop.conf").read_text()
    servers = re.split(r"^server \{$", conf, flags=re.M)[1:]
    catch_all = [s for s in servers if "default_server" in s]
    assert len(catch_all) == 1
    block = catch_all[0][: catch_all[0].index("\n}\n")]
    assert "server_name _;" in block
    assert re.search(r"^\s*return 444;$", block, flags=re.M)
    assert "proxy_pass" not in block
    assert all("server_name __DOMAIN__;" in s for s in servers if s not in catch_all)


PATH_VALUES = ["%00", "a%00b", "%0A", "%27%3B--", "%E2%80%AE", "x" * 300, "99999999999999999999"]


@pytest.mark.parametrize("value", PATH_VALUES)
def test_hostile_values_in_url_paths_are_a_404_for_members_too(shop, value):
    """Path parameters reach the database only for signed-in members (their orders): a NUL
    there was a 500 on PostgreSQL."""
    member = Client(raise_request_exception=False)
    member.force_login(UserFactory())
    for path in (
        f"/orders/mine/{value}/",
        f"/orders/confirmation/{value}/",
        f"/products/{value}/",
        f"/category/{value}/",
        f"/series/{value}/",
    ):
        assert member.get(path).status_code == 404, path
    for path in (f"/cart/lines/{value}/", f"/cart/lines/{value}/remove/"):
        assert member.post(path, {"quantity": 1}).status_code in (302, 404), path

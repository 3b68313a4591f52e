import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cart.models import Cart, CartLine, ShippingMethod
from cart.pricing import line_problem, price_lines, shipping_fee, unit_price
from catalog.models import Product, ProductImage, Variant
from core.money import round_money
from tests.factories import ProductFactory, UserFactory, VariantFactory

PASSWORD = "correct-horse-battery"


# --- helpers ---------------------------------------------------------------------------------


def unsaved_variant(price="19.99", override=None, stock=10, active=True) -> Variant:
    product = Product(name="Mug", price=Decimal(price), is_active=active)
    return Variant(
        product=product,
        sku="MUG",
        stock=stock,
        price_override=None if override is None else Decimal(override),
    )


def add(client, variant, quantity=1, **extra):
    variant_id = variant.pk if isinstance(variant, Variant) else variant
    data = {"variant": variant_id, "quantity": quantity, **extra}
    return client.post(reverse("cart:add"), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def cart_rows() -> list[tuple]:
    """Every cart line in the database, to compare before and after."""
    return sorted(CartLine.objects.values_list("cart_id", "variant_id", "quantity"))


def header_count(response) -> str:
    body = response.content.decode()
    start = body.index('class="cart-count"')
    return body[body.index(">", start) + 1 : body.index("</span>", start)]


def only_variant(product) -> Variant:
    return product.variants.get()


# --- the calculator --------------------------------------------------------------------------


def test_unit_price_is_the_price_override_or_else_the_product_price():
    assert unit_price(unsaved_variant(price="19.99")) == Decimal("19.99")
    assert unit_price(unsaved_variant(price="19.99", override="15.00")) == Decimal("15.00")
    # an override of 0 is a real price (a free gift), not "no override"
    assert unit_price(unsaved_variant(price="19.99", override="0.00")) == Decimal("0.00")


def test_line_totals_and_subtotal_are_exact_decimals():
    dime = unsaved_variant(price="0.10")
    pricey = unsaved_variant(price="19.99")
    pricing = price_lines(items=[(1, dime, 3), (2, pricey, 3)])

    assert [line.line_total for line in pricing.lines] == [Decimal("0.30"), Decimal("59.97")]
    assert pricing.subtotal == Decimal("60.27")
    assert pricing.total == Decimal("60.27")  # no shipping method: no fee
    assert pricing.item_count == 6
    for amount in (pricing.subtotal, pricing.total, *(x.unit_price for x in pricing.lines)):
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == -2


def test_amounts_round_half_up_to_cents():
    assert round_money(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("0.124")) == Decimal("0.12")
    odd = unsaved_variant(override="0.125")
    pricing = price_lines(items=[(1, odd, 3)])
    assert pricing.lines[0].unit_price == Decimal("0.13")
    assert pricing.lines[0].line_total == Decimal("0.39")


@pytest.mark.parametrize(
    ("subtotal", "free_over", "expected"),
    [
        ("49.99", "50.00", "4.90"),
        ("50.00", "50.00", "0.00"),  # "at or above" ships free
        ("120.00", "50.00", "0.00"),
        ("500.00", None, "4.90"),  # no threshold: never free
    ],
)
def test_shipping_fee_is_free_at_or_above_the_threshold(subtotal, free_over, expected):
    method = ShippingMethod(
        name="Standard",
        fee=Decimal("4.90"),
        free_over=None if free_over is None else Decimal(free_over),
    )
    assert shipping_fee(method, Decimal(subtotal)) == Decimal(expected)


def test_totals_add_the_shipping_fee_and_say_what_is_missing_for_free_shipping():
    method = ShippingMethod(name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"))
    pricing = price_lines(items=[(1, unsaved_variant(price="19.99"), 2)], shipping_method=method)
    assert pricing.subtotal == Decimal("39.98")
    assert pricing.shipping_fee == Decimal("4.90")
    assert pricing.total == Decimal("44.88")
    assert pricing.free_shipping_missing == Decimal("10.02")

    free = price_lines(items=[(1, unsaved_variant(price="25.00"), 2)], shipping_method=method)
    assert free.shipping_fee == Decimal("0.00")
    assert free.total == Decimal("50.00")
    assert free.free_shipping_missing is None

    empty = price_lines(items=[], shipping_method=method)
    assert (empty.subtotal, empty.shipping_fee, empty.total) == (0, 0, 0)


def test_line_problems_name_what_blocks_checkout():
    assert line_problem(unsaved_variant(stock=5), 5) == ""
    assert "Only 2 left" in line_problem(unsaved_variant(stock=2), 3)
    assert "Sold out" in line_problem(unsaved_variant(stock=0), 1)
    assert "no longer sold" in line_problem(unsaved_variant(active=False), 1)


# --- adding, changing, removing --------------------------------------------------------------


@pytest.mark.django_db
def test_add_creates_a_line_and_the_header_count_shows_it(client):
    product = ProductFactory(name="Camp Mug", stock=5)
    variant = only_variant(product)

    response = add(client, variant, 2)

    line = CartLine.objects.get()
    assert (line.variant, line.quantity) == (variant, 2)
    assert line.cart.session_key == client.session.session_key
    assert messages_of(response) == ["Added 2 × <bdi>Camp Mug</bdi> to your cart."]
    assert header_count(response) == "2"
    assert "Camp Mug" in response.content.decode()


@pytest.mark.django_db
def test_adding_the_same_variant_again_adds_to_the_line(client):
    variant = only_variant(ProductFactory(stock=5))
    add(client, variant, 1)
    response = add(client, variant, 2)
    assert CartLine.objects.get().quantity == 3
    assert header_count(response) == "3"


@pytest.mark.django_db
def test_add_to_cart_returns_to_a_safe_next_page_only(client):
    product = ProductFactory(stock=5)
    variant = only_variant(product)
    response = client.post(
        reverse("cart:add"),
        {"variant": variant.pk, "quantity": 1, "next": product.get_absolute_url()},
    )
    assert response.url == product.get_absolute_url()
    response = client.post(
        reverse("cart:add"),
        {"variant": variant.pk, "quantity": 1, "next": "https://evil.example/"},
    )
    assert response.url == reverse("cart:detail")


@pytest.mark.django_db
def test_a_refused_add_goes_back_to_the_product_page_with_the_reason(client):
    product = ProductFactory(name="Tent", stock=3)
    response = add(client, only_variant(product), 4, on_error=product.get_absolute_url())
    assert response.redirect_chain[-1][0] == product.get_absolute_url()
    assert messages_of(response) == ["Only 3 of Tent available; please choose 3 or fewer."]
    assert "Only 3 of Tent available" in response.content.decode()  # shown on the product page
    assert cart_rows() == []

    away = add(client, only_variant(product), 4, on_error="https://evil.example/")
    assert away.redirect_chain[-1][0] == reverse("cart:detail")  # never off the site

    added = add(client, only_variant(product), 1, on_error=product.get_absolute_url())
    assert added.redirect_chain[-1][0] == reverse("cart:detail")  # success: to the cart


@pytest.mark.django_db
def test_a_product_with_several_options_makes_the_shopper_choose_one(client):
    product = ProductFactory(name="Rain Jacket", stock=False)
    small = VariantFactory(product=product, sku="RJ-S", size="S", stock=4)
    VariantFactory(product=product, sku="RJ-M", size="M", stock=2)
    page = client.get(product.get_absolute_url()).content.decode()
    assert " checked" not in page.split('<form class="buy-form"')[1].split("</form>")[0]
    assert f'name="on_error" value="{product.get_absolute_url()}"' in page

    response = client.post(
        reverse("cart:add"),
        {"quantity": 1, "on_error": product.get_absolute_url()},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == product.get_absolute_url()
    assert messages_of(response) == ["Choose an option (such as colour or size) first."]
    assert cart_rows() == []

    small.stock = 0
    small.save()
    page = client.get(product.get_absolute_url()).content.decode()
    assert re.search(r'value="\d+" required checked>', page)  # the one option left is chosen


@pytest.mark.django_db
def test_more_than_in_stock_is_refused_showing_what_is_available(client):
    variant = only_variant(ProductFactory(name="Tent", stock=3))

    response = add(client, variant, 4)
    assert messages_of(response) == ["Only 3 of Tent available; please choose 3 or fewer."]
    assert cart_rows() == []

    add(client, variant, 2)
    before = cart_rows()
    response = add(client, variant, 2)  # 2 + 2 > 3
    assert messages_of(response) == ["Only 3 of Tent available; please choose 3 or fewer."]
    assert cart_rows() == before
    assert header_count(response) == "2"


@pytest.mark.django_db
def test_a_sold_out_or_inactive_product_cannot_be_added(client):
    sold_out = only_variant(ProductFactory(name="Gone Pack", stock=0))
    hidden = only_variant(ProductFactory(name="Old Pack", stock=5, is_active=False))
    assert messages_of(add(client, sold_out)) == ["Sorry, Gone Pack is sold out."]
    assert messages_of(add(client, hidden)) == ["Sorry, Old Pack is no longer sold."]
    assert cart_rows() == []


@pytest.mark.django_db
def test_an_add_that_waited_for_its_carts_checkout_does_not_vanish_into_the_order(client):
    # Another tab's "Buy now" submits the cart while this add waits for the cart's row: the
    # add must not put the item into the submitted cart (the order is placed without it, and
    # the shopper, told "Added", finds an empty cart), but into a new one.
    from unittest import mock

    from cart import services

    lamp = only_variant(ProductFactory(name="Trail Lamp", stock=5))
    add(client, lamp)
    checked_out = Cart.objects.get()  # as the waiting add read it, before the checkout
    Cart.objects.filter(pk=checked_out.pk).update(status=Cart.Status.SUBMITTED)
    real, stale = services.get_or_create_cart, [checked_out]

    def get_or_create_cart(**kwargs):
        return stale.pop() if stale else real(**kwargs)

    with mock.patch.object(services, "get_or_create_cart", get_or_create_cart):
        response = add(client, lamp, 2)
    assert messages_of(response) == ["Added 2 × <bdi>Trail Lamp</bdi> to your cart."]
    assert list(checked_out.lines.values_list("quantity", flat=True)) == [1]  # as ordered
    open_cart = Cart.objects.get(status=Cart.Status.OPEN)
    assert list(open_cart.lines.values_list("variant_id", "quantity")) == [(lamp.pk, 2)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "data"), [("update_line", {"quantity": 4}), ("remove_line", {})]
)
def test_a_quantity_change_that_waited_for_its_carts_checkout_says_it_was_ordered(
    client, change, data
):
    """Another tab's "Buy now" submits the cart while a quantity change (or a removal) for it
    is on its way: it changed the ordered cart's line and answered "Quantity updated." (or
    "Item removed"), though the order was placed as it was."""
    from unittest import mock

    from cart import selectors

    lamp = only_variant(ProductFactory(name="Trail Lamp", stock=5))
    add(client, lamp)
    line = CartLine.objects.get()
    real = selectors.find_cart

    def find_cart(**kwargs):
        cart = real(**kwargs)  # found open; the other tab's order commits just now
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.SUBMITTED)
        return cart

    with mock.patch.object(selectors, "find_cart", find_cart):
        response = client.post(reverse(f"cart:{change}", args=[line.pk]), data, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [
        "This cart was already ordered (in another tab or window), so nothing was changed."
    ]
    assert list(CartLine.objects.values_list("pk", "quantity")) == [(line.pk, 1)]  # as ordered


@pytest.mark.django_db
def test_set_quantity_changes_the_line(client):
    variant = only_variant(ProductFactory(stock=5))
    add(client, variant, 1)
    line = CartLine.objects.get()

    response = client.post(
        reverse("cart:update_line", args=[line.pk]), {"quantity": 4}, follow=True
    )
    assert messages_of(response) == ["Quantity updated."]
    line.refresh_from_db()
    assert line.quantity == 4
    assert header_count(response) == "4"


@pytest.mark.django_db
def test_set_quantity_above_stock_is_refused_and_the_line_kept(client):
    variant = only_variant(ProductFactory(name="Lamp", stock=5))
    add(client, variant, 2)
    line = CartLine.objects.get()
    response = client.post(
        reverse("cart:update_line", args=[line.pk]), {"quantity": 6}, follow=True
    )
    assert messages_of(response) == ["Only 5 of Lamp available; please choose 5 or fewer."]
    assert cart_rows() == [(line.cart_id, variant.pk, 2)]


def quantity_field(response, line) -> str:
    page = response.content.decode()
    return re.search(rf'<input id="qty-{line.pk}"[^>]*>', page).group(0)


@pytest.mark.django_db
def test_a_refused_quantity_marks_its_field_and_says_why_next_to_it(client):
    """The message at the top said it; the field itself was not marked, so a screen reader on
    the quantity field heard nothing wrong. The refused line's field is now invalid and
    described by the reason; the other lines' fields are not."""
    lamp = only_variant(ProductFactory(name="Lamp", stock=5))
    mug = only_variant(ProductFactory(name="Mug", stock=5))
    add(client, lamp, 2)
    add(client, mug, 1)
    lamp_line, mug_line = CartLine.objects.get(variant=lamp), CartLine.objects.get(variant=mug)

    for quantity, reason in (
        (6, "Only 5 of Lamp available; please choose 5 or fewer."),
        ("abc", "Lamp: Enter the quantity as a whole number, such as 1 or 2."),
    ):
        response = client.post(
            reverse("cart:update_line", args=[lamp_line.pk]), {"quantity": quantity}, follow=True
        )
        field = quantity_field(response, lamp_line)
        assert 'aria-invalid="true"' in field
        assert f'aria-describedby="refused-{lamp_line.pk}"' in field
        assert 'value="2"' in field  # what the cart holds
        assert f'<p class="errorlist qty-error" id="refused-{lamp_line.pk}">{reason}</p>' in (
            response.content.decode()
        )
        assert "aria-invalid" not in quantity_field(response, mug_line)

    # the next visit of the cart is clean again
    assert "aria-invalid" not in quantity_field(client.get(reverse("cart:detail")), lamp_line)


@pytest.mark.django_db
def test_set_quantity_zero_removes_the_line(client):
    variant = only_variant(ProductFactory(stock=5))
    add(client, variant, 2)
    line = CartLine.objects.get()
    response = client.post(
        reverse("cart:update_line", args=[line.pk]), {"quantity": 0}, follow=True
    )
    assert messages_of(response) == ["Item removed."]
    assert cart_rows() == []
    assert "Your cart is empty." in response.content.decode()


@pytest.mark.django_db
def test_remove_line_removes_only_that_line(client):
    keep = only_variant(ProductFactory(name="Keeper", stock=5))
    drop = only_variant(ProductFactory(name="Dropper", stock=5))
    add(client, keep, 1)
    add(client, drop, 1)
    line = CartLine.objects.get(variant=drop)

    response = client.post(reverse("cart:remove_line", args=[line.pk]), follow=True)

    assert messages_of(response) == ["Item removed from your cart."]
    assert [v for _, v, _ in cart_rows()] == [keep.pk]
    body = response.content.decode()
    assert "Keeper" in body
    assert "Dropper" not in body


@pytest.mark.django_db
def test_empty_cart_asks_first_and_a_get_changes_nothing(client):
    assert client.get(reverse("cart:clear")).url == reverse("cart:detail")  # nothing to empty
    add(client, only_variant(ProductFactory(name="Tent", stock=5)), 2)
    cart_page = client.get(reverse("cart:detail")).content.decode()
    assert f'<a class="button secondary" href="{reverse("cart:clear")}">Empty cart' in cart_page
    before = cart_rows()
    confirm = client.get(reverse("cart:clear")).content.decode()
    assert "Empty your cart?" in confirm
    assert "2 × <bdi>Tent</bdi>" in confirm
    assert "Yes, empty my cart" in confirm
    assert cart_rows() == before


@pytest.mark.django_db
def test_empty_cart_removes_every_line(client):
    add(client, only_variant(ProductFactory(stock=5)), 1)
    add(client, only_variant(ProductFactory(stock=5)), 3)
    response = client.post(reverse("cart:clear"), follow=True)
    assert messages_of(response) == ["Your cart is now empty."]
    assert cart_rows() == []
    assert header_count(response) == "0"
    assert "Your cart is empty." in response.content.decode()


@pytest.mark.django_db
def test_sold_out_and_inactive_lines_are_flagged_and_checkout_disabled(client):
    fine = only_variant(ProductFactory(name="Fine Mug", stock=5, price=Decimal("10.00")))
    sells_out = only_variant(ProductFactory(name="Rare Mug", stock=5))
    retired = only_variant(ProductFactory(name="Retired Mug", stock=5))
    for variant in (fine, sells_out, retired):
        add(client, variant, 1)
    Variant.objects.filter(pk=sells_out.pk).update(stock=0)
    Product.objects.filter(pk=retired.product_id).update(is_active=False)
    before = cart_rows()

    response = client.get(reverse("cart:detail"))
    body = response.content.decode()

    assert "Sold out. Remove it to check out." in body
    assert "This product is no longer sold. Remove it to check out." in body
    assert "Some items can't be ordered as they are" in body
    assert '<button type="button" disabled>Checkout</button>' in body
    assert reverse("orders:checkout") not in body
    for name in ("Fine Mug", "Rare Mug", "Retired Mug"):
        assert name in body
    assert cart_rows() == before  # nothing was dropped silently
    assert [line.product.name for line in response.context["pricing"].problems] == [
        "Rare Mug",
        "Retired Mug",
    ]


@pytest.mark.django_db
def test_a_healthy_cart_offers_the_checkout_link(client, standard_shipping):
    add(client, only_variant(ProductFactory(stock=5, price=Decimal("20.00"))), 2)
    body = client.get(reverse("cart:detail")).content.decode()
    assert f'href="{reverse("orders:checkout")}"' in body
    assert "disabled" not in body
    assert "€40.00" in body  # subtotal
    assert "€4.90" in body  # shipping estimate
    assert "€44.90" in body  # estimated total
    assert "Add €10.00 more and delivery (Standard) is free." in body


@pytest.mark.django_db
def test_the_cart_spells_the_delivery_method_as_the_shop_named_it(client):
    ShippingMethod.objects.create(
        name="Swiss Post PostPac Economy", fee=Decimal("9.00"), free_over=Decimal("80.00")
    )
    add(client, only_variant(ProductFactory(stock=5, price=Decimal("18.50"))), 1)
    body = client.get(reverse("cart:detail")).content.decode()
    assert "Delivery (Swiss Post PostPac Economy)" in body
    assert "Add €61.50 more and delivery (Swiss Post PostPac Economy) is free." in body
    assert "swiss post" not in body


# --- sign-in merge ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cart_merges_into_the_member_cart_at_login(client):
    member = UserFactory(email="merge@example.com")
    shared = only_variant(ProductFactory(name="Shared", stock=5))
    only_anon = only_variant(ProductFactory(name="Anon Only", stock=5))
    only_member = only_variant(ProductFactory(name="Member Only", stock=5))
    member_cart = Cart.objects.create(user=member)
    CartLine.objects.create(cart=member_cart, variant=shared, quantity=2)
    CartLine.objects.create(cart=member_cart, variant=only_member, quantity=1)

    add(client, shared, 4)  # 4 + 2 = 6 > 5 in stock: capped at 5
    add(client, only_anon, 1)
    anon_cart = Cart.objects.get(user__isnull=True)

    response = client.post(
        reverse("account_login"), {"login": "merge@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302

    lines = dict(CartLine.objects.filter(cart=member_cart).values_list("variant_id", "quantity"))
    assert lines == {shared.pk: 5, only_anon.pk: 1, only_member.pk: 1}
    assert not Cart.objects.filter(pk=anon_cart.pk).exists()
    assert Cart.objects.filter(user=member, status=Cart.Status.OPEN).count() == 1
    assert header_count(client.get(reverse("cart:detail"))) == "7"


@pytest.mark.django_db
def test_anonymous_cart_becomes_the_member_cart_when_the_member_has_none(client):
    member = UserFactory()
    variant = only_variant(ProductFactory(stock=5))
    add(client, variant, 2)

    client.login(email=member.email, password=PASSWORD)

    assert cart_rows() == [(Cart.objects.get(user=member).pk, variant.pk, 2)]
    assert Cart.objects.count() == 1


# --- hostile and broken input ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-1", "Choose a quantity of at least 1."),
        ("0", "Choose a quantity of at least 1."),
        ("abc", "Enter the quantity as a whole number, such as 1 or 2."),
        ("1e9", "Enter the quantity as a whole number, such as 1 or 2."),
        ("", "Enter a quantity."),
        (str(10**30), "You can order at most 999 of an item at a time."),
        ("2.5", "Enter the quantity as a whole number, such as 1 or 2."),
    ],
)
def test_add_with_a_bad_quantity_explains_and_changes_nothing(client, quantity, message):
    variant = only_variant(ProductFactory(stock=5))
    add(client, variant, 1)
    before = cart_rows()

    response = add(client, variant, quantity)

    assert response.status_code == 200
    assert messages_of(response) == [message]
    assert cart_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant_id", "message"),
    [
        ("<script>alert(1)</script>", "Enter a whole number."),
        ("999999", "That product could not be found."),
        (str(2**62), "That product could not be found."),
        ("", "Choose an option (such as colour or size) first."),
        (str(10**30), "Ensure this value is less than or equal to 4611686018427387904."),
    ],
)
def test_add_with_a_bad_variant_explains_and_changes_nothing(client, variant_id, message):
    add(client, only_variant(ProductFactory(stock=5)), 1)
    before = cart_rows()

    response = add(client, variant_id, 1)

    assert response.status_code == 200
    assert messages_of(response) == [message]
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert cart_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-1", "Quantity cannot be negative."),
        ("abc", "Enter the quantity as a whole number, such as 1 or 2."),
        ("1e9", "Enter the quantity as a whole number, such as 1 or 2."),
        ("", "Enter a quantity."),
        (str(10**30), "You can order at most 999 of an item at a time."),
    ],
)
def test_set_quantity_with_bad_input_explains_and_changes_nothing(client, quantity, message):
    add(client, only_variant(ProductFactory(name="Tent", stock=5)), 2)
    line = CartLine.objects.get()
    before = cart_rows()

    response = client.post(
        reverse("cart:update_line", args=[line.pk]), {"quantity": quantity}, follow=True
    )

    assert response.status_code == 200
    assert messages_of(response) == [f"Tent: {message}"]  # which line it is about
    assert cart_rows() == before


@pytest.mark.django_db
def test_line_urls_with_a_non_numeric_or_unknown_id_never_fail(client):
    add(client, only_variant(ProductFactory(stock=5)), 2)
    before = cart_rows()
    assert client.post("/cart/lines/%3Cscript%3E/", {"quantity": 1}).status_code == 404
    huge = "9" * 30  # matches <int:line_id> but overflows a database integer
    for url in (
        reverse("cart:update_line", args=[999999]),
        reverse("cart:remove_line", args=[999999]),
        f"/cart/lines/{huge}/",
        f"/cart/lines/{huge}/remove/",
    ):
        response = client.post(url, {"quantity": 1})
        assert response.status_code == 404, url
        assert "That item is not in your cart" in response.content.decode()
    assert cart_rows() == before


@pytest.mark.django_db
def test_a_line_removed_by_a_double_click_or_in_another_tab_answers_like_any_other(client):
    """Gone or someone else's: the same 404 page (nothing changed, back to the cart), so the
    answer tells nobody which line ids exist."""
    add(client, only_variant(ProductFactory(stock=5)), 2)
    line = CartLine.objects.get()
    assert client.post(reverse("cart:remove_line", args=[line.pk])).status_code == 302
    again = client.post(reverse("cart:remove_line", args=[line.pk]))
    assert again.status_code == 404
    page = again.content.decode()
    assert "Nothing was changed." in page
    assert f'href="{reverse("cart:detail")}"' in page
    assert (
        client.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 3}).status_code == 404
    )
    assert cart_rows() == []


@pytest.mark.django_db
def test_cart_changes_need_post(client):
    variant = only_variant(ProductFactory(stock=5))
    assert (
        client.get(reverse("cart:add"), {"variant": variant.pk, "quantity": 1}).status_code == 405
    )
    assert cart_rows() == []


# --- other people's carts --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_customer_cannot_change_or_remove_another_customers_line(client):
    victim = only_variant(ProductFactory(stock=5))
    add(client, victim, 2)
    their_line = CartLine.objects.get()

    intruder = Client()
    add(intruder, only_variant(ProductFactory(stock=5)), 1)  # has a cart of their own
    before = cart_rows()

    for url, data in [
        (reverse("cart:update_line", args=[their_line.pk]), {"quantity": 5}),
        (reverse("cart:update_line", args=[their_line.pk]), {"quantity": 0}),
        (reverse("cart:remove_line", args=[their_line.pk]), {}),
    ]:
        assert intruder.post(url, data).status_code == 404

    assert cart_rows() == before


@pytest.mark.django_db
def test_a_member_cannot_change_another_members_line(client):
    owner, other = UserFactory(), UserFactory()
    owner_cart = Cart.objects.create(user=owner)
    line = CartLine.objects.create(
        cart=owner_cart, variant=only_variant(ProductFactory(stock=5)), quantity=1
    )
    client.force_login(other)

    assert (
        client.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 3}).status_code == 404
    )
    assert client.post(reverse("cart:remove_line", args=[line.pk])).status_code == 404
    client.post(reverse("cart:clear"))

    line.refresh_from_db()
    assert line.quantity == 1


@pytest.mark.django_db
def test_a_visitor_without_a_cart_gets_404_for_someone_elses_line(client):
    add(client, only_variant(ProductFactory(stock=5)), 2)
    line = CartLine.objects.get()
    stranger = Client()
    assert stranger.post(reverse("cart:remove_line", args=[line.pk])).status_code == 404
    assert (
        stranger.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 1}).status_code
        == 404
    )
    assert CartLine.objects.get().quantity == 2


# --- performance -----------------------------------------------------------------------------


# 1 for a visitor (the open cart's lines with their variants and products), 2 for a member
# (+ user): the session comes from the cache, the delivery methods are cached, the header's
# count comes from the priced cart.
CART_PAGE_MAX_QUERIES = 2


@pytest.mark.django_db
@pytest.mark.parametrize("line_count", [1, 10])
def test_cart_page_query_count_does_not_grow_with_lines(
    client, standard_shipping, django_assert_max_num_queries, line_count
):
    for _ in range(line_count):
        variant = VariantFactory(stock=5, colour="Green", size="L")
        ProductImage.objects.create(product=variant.product, image="products/a.png", position=0)
        ProductImage.objects.create(product=variant.product, image="products/b.png", position=1)
        add(client, variant, 1)
    assert CartLine.objects.count() == line_count

    with django_assert_max_num_queries(CART_PAGE_MAX_QUERIES):
        response = client.get(reverse("cart:detail"))
    assert len(response.context["pricing"].lines) == line_count
    assert response.content.decode().count('src="/media/products/a.png"') == line_count


@pytest.mark.django_db
def test_cart_page_shows_each_items_first_picture(client, standard_shipping):
    """Each line shows its product's first picture (the listing thumbnail where there is one),
    as a decoration beside the linked name; a product without pictures, the placeholder."""
    pictured, bare = VariantFactory(stock=5), VariantFactory(stock=5)
    ProductImage.objects.create(
        product=pictured.product, image="products/second.png", position=2, alt_text="Side"
    )
    ProductImage.objects.create(
        product=pictured.product,
        image="products/first.png",
        thumb_listing="thumbs/listing/first.jpg",
        position=1,
        alt_text="Front",
    )
    add(client, pictured, 1)
    add(client, bare, 1)

    body = client.get(reverse("cart:detail")).content.decode()

    assert re.search(r'<img class="cart-thumb" src="/media/thumbs/listing/first.jpg" alt=""', body)
    assert "second.png" not in body
    assert "products/first.png" not in body
    assert body.count('class="cart-thumb" src="/static/img/placeholder') == 1


@pytest.mark.django_db
@pytest.mark.parametrize("line_count", [1, 10])
def test_member_cart_page_query_count_does_not_grow_with_lines(
    client, standard_shipping, django_assert_max_num_queries, line_count
):
    member = UserFactory()
    cart = Cart.objects.create(user=member)
    for _ in range(line_count):
        CartLine.objects.create(cart=cart, variant=VariantFactory(stock=5), quantity=1)
    client.force_login(member)
    client.get(reverse("cart:detail"))  # warm the cached navigation, as in real traffic

    with django_assert_max_num_queries(CART_PAGE_MAX_QUERIES):
        response = client.get(reverse("cart:detail"))
    assert header_count(response) == str(line_count)


# Adding to a visitor's existing cart: the cart (session's id), the cart row touched (the lock),
# the variant with the cart's line of it, the line written; 2 more for the savepoint of the
# service's transaction inside the test's (BEGIN/COMMIT in production). The session is cached.
ADD_MAX_QUERIES = 6


@pytest.mark.django_db
@pytest.mark.parametrize("again", [False, True], ids=["new line", "same line again"])
def test_add_to_cart_query_count(client, django_assert_max_num_queries, again):
    variant = VariantFactory(stock=5)
    add(client, VariantFactory(stock=5), 1)  # the visitor has a cart
    if again:
        add(client, variant, 1)

    with django_assert_max_num_queries(ADD_MAX_QUERIES):
        response = client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 2})
    assert response.status_code == 302
    assert CartLine.objects.get(variant=variant).quantity == (3 if again else 2)


@pytest.mark.django_db
def test_a_changed_delivery_fee_shows_at_once_on_the_cart_page(
    client, standard_shipping, django_capture_on_commit_callbacks
):
    add(client, VariantFactory(stock=5, product__price=Decimal("10.00")), 1)
    assert "€4.90" in client.get(reverse("cart:detail")).content.decode()  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        standard_shipping.fee = Decimal("6.50")
        standard_shipping.save()
    assert "€6.50" in client.get(reverse("cart:detail")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        standard_shipping.delete()
    assert "€6.50" not in client.get(reverse("cart:detail")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["abc", "12", 2**70, 1.5, -3, 0, None, [1]])
def test_a_session_with_an_odd_cart_id_is_a_visitor_without_a_cart(client, stored):
    """Written by older code or corrupted: never a failing page, and adding starts a cart."""
    session = client.session
    session["cart_id"] = stored
    session.save()
    assert client.get(reverse("cart:detail")).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get(reverse("orders:checkout")).status_code == 302  # empty: to the cart
    response = add(client, only_variant(ProductFactory(name="Tent", stock=5)), 1)
    assert "Added 1 × <bdi>Tent</bdi> to your cart." in messages_of(response)
    assert [quantity for _cart, _variant, quantity in cart_rows()] == [1]


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1, -(2**31), 10**9])
def test_the_cart_services_refuse_quantities_no_form_checked(quantity):
    """The services keep their own rule on quantities (at least 1, at most MAX_LINE_QUANTITY;
    0 removes a line): callers other than the cart's forms (a merge at sign-in, staff tools,
    a form with a mistake) never store a line of 0 or fewer, or of more, units."""
    from cart import services
    from cart.exceptions import CartError

    variant = ProductFactory(stock=50).variants.get()
    cart = Cart.objects.create(session_key="s" * 32)
    with pytest.raises(CartError):
        services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=quantity)
    assert not CartLine.objects.exists()
    line = services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)
    if quantity:
        with pytest.raises(CartError):
            services.set_line_quantity(cart=cart, line_id=line.pk, quantity=quantity)
    assert CartLine.objects.get().quantity == 2

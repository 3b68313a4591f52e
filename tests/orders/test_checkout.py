import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import Address
from cart.models import Cart, CartLine, ShippingMethod
from catalog.models import Product, Variant
from core.models import OutboxMessage
from orders.models import Order
from tests.cart.test_cart import header_count
from tests.factories import ProductFactory, UserFactory, VariantFactory

from .helpers import (
    ADDRESS_FORM,
    add_to_cart,
    checkout_data,
    form_defaults,
    make_cart,
    messages_of,
    review_key,
    submit_as_rendered,
    walk_checkout,
)
from .helpers import place as place_directly

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug():
    """€19.99, 5 in stock."""
    product = ProductFactory(name="Camp Mug", price=Decimal("19.99"), stock=5)
    return product.variants.get()


CHECKOUT_URL = reverse("orders:checkout")


def place(client, key, **extra):
    return client.post(reverse("orders:place_order"), {"idempotency_key": key, **extra})


def cart_rows() -> list[tuple]:
    return sorted(CartLine.objects.values_list("cart_id", "variant_id", "quantity"))


# --- the happy paths -------------------------------------------------------------------------


def test_guest_checkout_with_cash_on_delivery(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    add_to_cart(client, mug, 2)
    cart = Cart.objects.get()
    review = walk_checkout(client, standard_shipping, payment="cod")
    body = review.content.decode()
    assert "you order these items and agree to pay €44.88." in body
    assert ">Buy now</button>" in body  # the button says it commits to paying
    assert "Cash on delivery" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = place(client, review_key(review))

    order = Order.objects.get()
    assert response.url == reverse("orders:confirmation", args=[order.number])
    assert (order.status, order.payment_method) == (Order.Status.PENDING_PAYMENT, "cod")
    assert (order.subtotal, order.shipping_fee, order.total) == (
        Decimal("39.98"),
        Decimal("4.90"),
        Decimal("44.88"),
    )
    assert (order.email, order.full_name, order.city) == (
        "guest@example.com",
        "Greta Guest",
        "Berlin",
    )
    assert order.shipping_name == "Standard"
    assert order.user is None
    assert list(
        order.lines.values_list("product_name", "sku", "unit_price", "quantity", "line_total")
    ) == [("Camp Mug", mug.sku, Decimal("19.99"), 2, Decimal("39.98"))]
    assert list(order.events.values_list("status", "note")) == [("pending_payment", "Order placed")]
    mug.refresh_from_db()
    assert mug.stock == 3
    cart.refresh_from_db()
    assert cart.status == Cart.Status.SUBMITTED

    page = client.get(response.url)
    text = page.content.decode()
    assert order.number in text
    assert "Thank you for your order" in text
    assert "IBAN" not in text  # nothing to transfer for cash on delivery
    assert 'aria-label="0 items in cart"' in page.content.decode()  # a fresh, empty cart


def test_order_lines_are_a_snapshot_that_later_catalog_edits_do_not_change(
    client, mug, standard_shipping
):
    add_to_cart(client, mug, 1)
    place(client, review_key(walk_checkout(client, standard_shipping)))
    Product.objects.filter(pk=mug.product_id).update(name="Renamed Mug", price=Decimal("99.00"))
    Variant.objects.filter(pk=mug.pk).update(sku="NEW-SKU", price_override=Decimal("1.00"))

    line = Order.objects.get().lines.get()
    assert (line.product_name, line.sku, line.unit_price) == ("Camp Mug", mug.sku, Decimal("19.99"))


def test_guest_checkout_with_bank_transfer_shows_bank_details(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    add_to_cart(client, mug, 3)  # 59.97: free shipping from 50.00
    review = walk_checkout(client, standard_shipping, payment="bank_transfer")
    assert "Bank transfer" in review.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = place(client, review_key(review))

    order = Order.objects.get()
    assert order.payment_method == "bank_transfer"
    assert (order.shipping_fee, order.total) == (Decimal("0.00"), Decimal("59.97"))
    mug.refresh_from_db()
    assert mug.stock == 2

    text = client.get(response.url).content.decode()
    assert order.number in text
    assert "Please transfer €59.97" in text
    assert settings.SHOP_BANK_IBAN in text
    assert settings.SHOP_BANK_BIC in text
    assert f"<dt>Reference</dt><dd><strong>{order.number}</strong></dd>" in text

    confirmation = next(m for m in mail.outbox if m.to == ["guest@example.com"])
    assert settings.SHOP_BANK_IBAN in confirmation.body
    assert f"reference {order.number}" in confirmation.body


def test_confirmation_and_staff_mails_are_sent_only_after_commit(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    add_to_cart(client, mug, 1)
    review = walk_checkout(client, standard_shipping)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        place(client, review_key(review))
        # inside the transaction: queued in the outbox, nothing sent yet
        assert mail.outbox == []
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2

    assert len(callbacks) >= 2
    order = Order.objects.get()
    by_kind = {m.kind: m for m in OutboxMessage.objects.all()}
    assert set(by_kind) == {"order_confirmation", "staff_new_order"}
    assert all(m.sent_at is not None for m in by_kind.values())

    assert len(mail.outbox) == 2
    customer, staff = sorted(mail.outbox, key=lambda m: m.to != ["guest@example.com"])
    assert customer.to == ["guest@example.com"]
    assert customer.subject == f"Your order {order.number} at {settings.SHOP_NAME}"
    assert "1 x Camp Mug" in customer.body
    assert "Total: €24.89" in customer.body
    assert staff.to == list(settings.SHOP_STAFF_EMAILS)
    assert staff.subject == f"New order {order.number}: €24.89"


# --- forms -----------------------------------------------------------------------------------


def test_contact_errors_keep_what_was_typed_on_the_whole_page(client, mug, standard_shipping):
    add_to_cart(client, mug)
    data = {**checkout_data(standard_shipping), "email": "greta-at-example", "phone": "+49 30 555"}
    response = client.post(CHECKOUT_URL, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid e-mail address." in body
    assert 'value="greta-at-example"' in body
    assert 'value="+49 30 555"' in body
    assert 'value="Lindenstr. 1"' in body  # the other sections keep what was typed too
    assert "Please correct the 1 field marked below." in body
    assert "email" not in client.session.get("checkout", {})
    # the title, the first thing a screen reader reads of the page, says so too
    assert "<title>Error: Checkout: Details · " in body
    assert "<title>Checkout: Details · " in client.get(CHECKOUT_URL).content.decode()


def test_address_errors_keep_what_was_typed_and_flag_empty_fields(client, mug, standard_shipping):
    add_to_cart(client, mug)
    data = {**checkout_data(standard_shipping), "line1": "   ", "city": ""}

    response = client.post(CHECKOUT_URL, data)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("This field is required.") == 2
    assert 'value="Greta Guest"' in body
    assert 'value="10115"' in body
    assert 'value="guest@example.com"' in body
    assert "Please correct the 2 fields marked below." in body
    assert "checkout" not in client.session  # nothing is kept until the whole page is valid


def test_every_sections_errors_show_at_once_with_one_summary_and_nothing_typed_is_lost(
    client, mug, standard_shipping
):
    add_to_cart(client, mug)
    data = {
        "email": "greta-at-example",
        "phone": "call me",
        "full_name": "Greta Guest",
        "line1": "Lindenstr. 1",
        "line2": "Hinterhaus",
        "postcode": "",
        "city": "Berlin",
        "country": "Narnia",
        "shipping_method": "999999",
        "payment_method": "gold-bars",
    }

    response = client.post(CHECKOUT_URL, data)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('role="alert"') == 1
    summary = body[body.index('id="form-errors"') : body.index("</div>", body.index("form-errors"))]
    assert "Please correct the 6 fields marked below." in summary
    for target, label in [
        ("id_email", "E-mail"),
        ("id_phone", "Phone"),
        ("id_postcode", "Postcode"),
        ("id_country", "Country"),
        ("delivery", "Delivery method"),  # a group of radio buttons: its section
        ("payment", "Payment method"),
    ]:
        assert f'<a href="#{target}">{label}</a>' in summary, target
    for section in ("contact", "address", "delivery", "payment"):
        assert f'<section id="{section}"' in body
    for message in (
        "Enter a valid e-mail address.",
        "Enter a phone number",
        "This field is required.",
        "We deliver to Germany only.",
        "Choose one of the delivery methods shown.",
        "Choose one of the payment methods shown.",
    ):
        assert message in body, message
    for value in ("greta-at-example", "call me", "Greta Guest", "Lindenstr. 1", "Hinterhaus"):
        assert f'value="{value}"' in body, value
    assert 'aria-describedby="shipping-error"' in body
    assert 'aria-describedby="payment-error"' in body
    assert "checkout" not in client.session


def test_one_valid_post_goes_straight_to_the_review(client, mug, standard_shipping):
    add_to_cart(client, mug, 2)

    response = client.post(CHECKOUT_URL, checkout_data(standard_shipping, payment="bank_transfer"))

    assert response.url == reverse("orders:checkout_review")
    state = client.session["checkout"]
    assert (state["email"], state["phone"]) == ("guest@example.com", "+49 30 1234567")
    assert state["address"] == ADDRESS_FORM
    assert state["address_choice"] == "new"
    assert (state["shipping_method_id"], state["payment_code"]) == (
        standard_shipping.pk,
        "bank_transfer",
    )
    review = client.get(response.url).content.decode()
    assert (
        "<bdi>Greta Guest</bdi>, <bdi>Lindenstr. 1</bdi>, 10115 <bdi>Berlin</bdi>, Germany"
        in review
    )
    assert "Bank transfer" in review


def test_the_details_page_has_the_four_sections_and_one_button(client, mug, standard_shipping):
    add_to_cart(client, mug)

    body = client.get(CHECKOUT_URL).content.decode()

    positions = [body.index(f'<section id="{s}"') for s in ("contact", "address", "delivery")]
    positions.append(body.index('<section id="payment"'))
    assert positions == sorted(positions)
    assert body.count("<legend>") >= 4
    assert body.count('<button type="submit">Review your order</button>') == 1
    assert 'role="alert"' not in body  # nothing posted yet: no errors
    assert "Sign in</a> to use your saved addresses" in body  # guests are offered to sign in
    assert '<li aria-current="step">Details</li>' in body


@pytest.mark.parametrize("section", ["contact", "address", "delivery", "payment"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_old_step_urls_redirect_to_their_section(client, mug, section, method):
    add_to_cart(client, mug)

    response = getattr(client, method)(f"/checkout/{section}/", {"email": "x@example.com"})

    assert response.status_code == 302
    assert response.url == f"/checkout/#{section}"
    assert "checkout" not in client.session  # a POST's data is dropped


def test_the_review_needs_every_detail(client, mug, standard_shipping):
    add_to_cart(client, mug)
    response = client.get(reverse("orders:checkout_review"))
    assert response.url == CHECKOUT_URL
    response = client.post(reverse("orders:place_order"), {"idempotency_key": "made-up"})
    assert response.url == reverse("cart:detail")
    assert not Order.objects.exists()


def test_the_reviews_change_links_go_to_the_sections(client, mug, standard_shipping):
    add_to_cart(client, mug)
    body = walk_checkout(client, standard_shipping).content.decode()
    for section in ("contact", "address", "delivery", "payment"):
        assert f'href="/checkout/#{section}">Change' in body
    assert '<li class="done"><a href="/checkout/">Details</a></li>' in body


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    response = client.get(CHECKOUT_URL, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cart:detail")
    assert "Your cart is empty." in messages_of(response)


# --- tampering and double submits ------------------------------------------------------------


def test_extra_price_fields_and_a_swapped_variant_change_nothing(client, mug, standard_shipping):
    cheap = ProductFactory(name="Cheap Thing", price=Decimal("0.50"), stock=100).variants.get()
    add_to_cart(client, mug, 2)
    review = walk_checkout(client, standard_shipping)
    reviewed_total = review.context["pricing"].total

    place(
        client,
        review_key(review),
        price="0.01",
        unit_price="0.01",
        subtotal="0.01",
        shipping_fee="0",
        total="0.01",
        variant=str(cheap.pk),
        quantity="100",
        payment_code="bank_transfer",
    )

    order = Order.objects.get()
    assert order.total == reviewed_total == Decimal("44.88")
    assert order.payment_method == "cod"
    assert list(order.lines.values_list("variant_id", "quantity", "unit_price")) == [
        (mug.pk, 2, Decimal("19.99"))
    ]
    cheap.refresh_from_db()
    assert cheap.stock == 100


def test_a_cart_changed_after_review_is_not_charged_without_a_new_review(
    client, mug, standard_shipping
):
    lamp = ProductFactory(name="Big Lamp", price=Decimal("120.00"), stock=5).variants.get()
    add_to_cart(client, mug, 1)
    review = walk_checkout(client, standard_shipping)
    reviewed_total = review.context["pricing"].total  # €24.89
    # another tab swaps the mug for the lamp; the old review page is still open
    client.post(reverse("cart:remove_line", args=[CartLine.objects.get().pk]))
    add_to_cart(client, lamp, 1)

    response = place(client, review_key(review))

    assert not Order.objects.exclude(total=reviewed_total).exists()
    assert response.url == reverse("orders:checkout_review")


def test_buy_now_on_an_older_review_tab_is_not_charged_the_total_of_a_later_review(
    client, mug, standard_shipping
):
    """Review in one tab, change the cart and review again in another, press "Buy now" in the
    first: its page promised €24.89, so it must not place the order at the second tab's total
    (the session's reviewed total is the later tab's)."""
    lamp = ProductFactory(name="Big Lamp", price=Decimal("120.00"), stock=5).variants.get()
    add_to_cart(client, mug, 1)
    first_tab = walk_checkout(client, standard_shipping)
    assert "agree to pay €24.89" in first_tab.content.decode()
    add_to_cart(client, lamp, 1)
    second_tab = client.get(reverse("orders:checkout_review"))
    assert "agree to pay €139.99" in second_tab.content.decode()

    # the first tab's form, as the browser sends it
    sent = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', first_tab.content.decode())
    )
    response = client.post(reverse("orders:place_order"), sent, follow=True)

    assert not Order.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("orders:checkout_review")
    assert "changed since you reviewed" in " ".join(messages_of(response))
    # the second tab's form places the order it shows
    sent = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.content.decode())
    )
    client.post(reverse("orders:place_order"), sent)
    assert Order.objects.get().total == Decimal("139.99")


def test_buy_now_on_an_older_review_tab_does_not_ship_to_an_address_entered_since(
    client, mug, standard_shipping
):
    """Pen test: review in one tab, enter another address in a second tab, press "Buy now" in
    the first: the order went to the second address, which the first page never showed."""
    add_to_cart(client, mug, 1)
    first_tab = walk_checkout(client, standard_shipping)
    assert "Lindenstr. 1" in first_tab.content.decode()
    moved = {**ADDRESS_FORM, "line1": "Elsewhere 99"}
    second_tab = walk_checkout(client, standard_shipping, address=moved)
    assert "Elsewhere 99" in second_tab.content.decode()

    def buy_now(review):
        sent = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review)
        return client.post(reverse("orders:place_order"), dict(sent), follow=True)

    response = buy_now(first_tab.content.decode())
    assert not Order.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("orders:checkout_review")
    assert "Your details (address, delivery or payment) changed" in " ".join(messages_of(response))
    buy_now(response.content.decode())  # the review shown now places the order it shows
    assert Order.objects.get().line1 == "Elsewhere 99"


def test_one_client_cannot_place_orders_without_end(
    client, mug, standard_shipping, settings, django_capture_on_commit_callbacks
):
    """Every order takes stock and mails the address typed in: without a limit one script
    sold out a product with cash-on-delivery orders in a second and mailed a stranger each
    time. A client places at most SHOP_ORDER_RATE orders an hour; a repeated "Buy now" of an
    order already placed still shows it."""
    settings.SHOP_ORDER_RATE = 2
    for _ in range(2):
        add_to_cart(client, mug, 1)
        key = review_key(walk_checkout(client, standard_shipping, email="stranger@example.com"))
        with django_capture_on_commit_callbacks(execute=True):
            placed = place(client, key)
    assert Order.objects.count() == 2

    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping, email="stranger@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        response = place(client, key)

    assert Order.objects.count() == 2
    mug.refresh_from_db()
    assert mug.stock == 3
    assert len([m for m in mail.outbox if m.to == ["stranger@example.com"]]) == 2
    assert response.url == reverse("orders:checkout_review")
    assert "Too many orders" in " ".join(messages_of(client.get(response.url)))
    # the cart is kept for later, and the orders already placed still show
    assert CartLine.objects.filter(cart__status=Cart.Status.OPEN).count() == 1
    assert client.get(placed.url).status_code == 200


def test_a_refused_buy_now_does_not_count_as_an_order_placed(
    client, mug, standard_shipping, settings
):
    """Review: the order limit counted attempts, so a "Buy now" refused because the item sold
    out meanwhile used up one of the client's orders for the hour."""
    settings.SHOP_ORDER_RATE = 1
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    Variant.objects.filter(pk=mug.pk).update(stock=0)  # sold out meanwhile
    refused = place(client, key)
    assert refused.url == reverse("cart:detail")
    assert not Order.objects.exists()

    Variant.objects.filter(pk=mug.pk).update(stock=5)  # back in stock
    key = review_key(walk_checkout(client, standard_shipping))
    placed = place(client, key)
    assert placed.url == reverse("orders:confirmation", args=[Order.objects.get().number])

    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    assert place(client, key).url == reverse("orders:checkout_review")  # the limit: 1 an hour
    assert Order.objects.count() == 1


def test_buy_nows_sent_at_once_cannot_place_more_orders_than_the_limit(
    client, mug, standard_shipping, settings, monkeypatch
):
    """Review: the limit looked at the orders counted so far and counted an order only once it
    was stored, so Buy nows sent at once (a script's sessions on one connection) all found the
    client under it and all placed their order. The order is counted before it is placed (and
    given back when it is refused), as the forms count theirs."""
    from orders import views

    settings.SHOP_ORDER_RATE = 1
    other = Client()
    add_to_cart(other, mug, 1)
    other_key = review_key(walk_checkout(other, standard_shipping))
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    real_place_order = views.services.place_order
    answers = []

    def place_order(**kwargs):
        if not answers:  # the other session's Buy now arrives while this order is placed
            answers.append(place(other, other_key))
        return real_place_order(**kwargs)

    monkeypatch.setattr(views.services, "place_order", place_order)
    placed = place(client, key)

    assert Order.objects.count() == 1
    assert placed.url == reverse("orders:confirmation", args=[Order.objects.get().number])
    assert answers[0].url == reverse("orders:checkout_review")
    assert "Too many orders" in " ".join(messages_of(other.get(answers[0].url)))


def test_placing_twice_with_the_same_key_creates_one_order(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    add_to_cart(client, mug, 2)
    key = review_key(walk_checkout(client, standard_shipping))

    with django_capture_on_commit_callbacks(execute=True):
        first = place(client, key)
        second = place(client, key)

    order = Order.objects.get()
    assert first.url == second.url == reverse("orders:confirmation", args=[order.number])
    mug.refresh_from_db()
    assert mug.stock == 3
    assert len(mail.outbox) == 2  # one confirmation, one staff notice


def test_an_order_key_from_another_visitor_shows_them_nothing(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    """The key of a placed order is no ticket to its confirmation page (name, address, phone)
    for anybody else: only the visitor who placed it (or the member it belongs to) gets there."""
    add_to_cart(client, mug, 2)
    key = review_key(walk_checkout(client, standard_shipping))
    with django_capture_on_commit_callbacks(execute=True):
        place(client, key)
    order = Order.objects.get()

    stranger = Client()
    stranger.get(reverse("cart:detail"))
    response = place(stranger, key)

    assert response.url != reverse("orders:confirmation", args=[order.number])
    page = stranger.get(reverse("orders:confirmation", args=[order.number]))
    assert page.status_code == 404
    assert Order.objects.count() == 1
    # the member it belongs to still gets it (e.g. the second click from another tab)
    member = UserFactory(email="member@example.com")
    Order.objects.filter(pk=order.pk).update(user=member)
    stranger.force_login(member)
    assert place(stranger, key).url == reverse("orders:confirmation", args=[order.number])


def test_stock_gone_before_placing_sends_back_to_the_cart_unchanged(
    client, mug, standard_shipping, django_capture_on_commit_callbacks
):
    add_to_cart(client, mug, 2)
    review = walk_checkout(client, standard_shipping)
    Variant.objects.filter(pk=mug.pk).update(stock=1)  # someone else bought 4 meanwhile
    before = cart_rows()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:place_order"), {"idempotency_key": review_key(review)}, follow=True
        )

    assert response.redirect_chain[-1][0] == reverse("cart:detail")
    assert "Camp Mug: Only 1 left. Lower the quantity to check out." in messages_of(response)
    assert not Order.objects.exists()
    assert cart_rows() == before
    assert Cart.objects.get().status == Cart.Status.OPEN
    mug.refresh_from_db()
    assert mug.stock == 1
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_sold_out_before_placing_names_the_product(client, mug, standard_shipping):
    add_to_cart(client, mug, 1)
    review = walk_checkout(client, standard_shipping)
    Variant.objects.filter(pk=mug.pk).update(stock=0)

    response = client.post(
        reverse("orders:place_order"), {"idempotency_key": review_key(review)}, follow=True
    )

    assert "Camp Mug: Sold out. Remove it to check out." in messages_of(response)
    assert not Order.objects.exists()


# --- members ---------------------------------------------------------------------------------


def test_member_checks_out_with_a_saved_address_and_finds_the_order(client, mug, standard_shipping):
    member = UserFactory(email="member@example.com")
    saved = Address.objects.create(
        user=member,
        full_name="Mia Member",
        line1="Hauptstr. 9",
        postcode="80331",
        city="München",
        country="Germany",
    )
    client.force_login(member)
    add_to_cart(client, mug, 1)

    page = client.get(CHECKOUT_URL).content.decode()
    assert 'value="member@example.com"' in page  # prefilled from the account
    review = walk_checkout(
        client, standard_shipping, email="member@example.com", address={"saved_address": saved.pk}
    )
    assert (
        "<bdi>Mia Member</bdi>, <bdi>Hauptstr. 9</bdi>, 80331 <bdi>München</bdi>"
        in review.content.decode()
    )
    place(client, review_key(review))

    order = Order.objects.get()
    assert order.user == member
    assert (order.full_name, order.line1, order.postcode, order.city) == (
        "Mia Member",
        "Hauptstr. 9",
        "80331",
        "München",
    )
    mine = client.get(reverse("orders:my_orders")).content.decode()
    assert order.number in mine
    detail = client.get(reverse("orders:detail", args=[order.number]))
    assert detail.status_code == 200
    assert "Camp Mug" in detail.content.decode()

    other = Client()
    other.force_login(UserFactory(email="other@example.com"))
    assert other.get(reverse("orders:detail", args=[order.number])).status_code == 404
    assert other.get(reverse("orders:confirmation", args=[order.number])).status_code == 404
    assert order.number not in other.get(reverse("orders:my_orders")).content.decode()


def test_member_can_save_a_new_address_during_checkout(client, mug, standard_shipping):
    member = UserFactory()
    client.force_login(member)
    add_to_cart(client, mug, 1)
    walk_checkout(client, standard_shipping, address={**ADDRESS_FORM, "save_address": "on"})
    assert list(Address.objects.filter(user=member).values_list("full_name", "city")) == [
        ("Greta Guest", "Berlin")
    ]


def test_an_address_typed_at_checkout_is_cleaned_as_the_address_book_cleans_it(
    client, mug, standard_shipping
):
    # one line of a shipping label: line breaks and tabs become a space, as in the address book
    member = UserFactory()
    client.force_login(member)
    add_to_cart(client, mug, 1)
    typed = {**ADDRESS_FORM, "full_name": "Greta\r\n Guest", "line1": "Lindenstr.\t1"}
    walk_checkout(client, standard_shipping, address={**typed, "save_address": "on"})
    assert client.session["checkout"]["address"]["full_name"] == "Greta Guest"
    assert client.session["checkout"]["address"]["line1"] == "Lindenstr. 1"
    saved = Address.objects.get(user=member)
    assert (saved.full_name, saved.line1) == ("Greta Guest", "Lindenstr. 1")


def test_control_characters_in_a_checkout_address_are_refused_as_in_the_address_book(
    client, mug, standard_shipping
):
    member = UserFactory()
    client.force_login(member)
    add_to_cart(client, mug, 1)
    typed = {**ADDRESS_FORM, "line1": "Main\x07Street", "save_address": "on"}
    response = client.post(CHECKOUT_URL, checkout_data(standard_shipping, address=typed))
    assert response.status_code == 200
    assert "Remove the control characters from this field." in response.content.decode()
    assert "checkout" not in client.session
    assert not Address.objects.exists()


def test_a_stranger_cannot_see_a_guest_confirmation(client, mug, standard_shipping):
    add_to_cart(client, mug, 1)
    place(client, review_key(walk_checkout(client, standard_shipping)))
    number = Order.objects.get().number
    assert Client().get(reverse("orders:confirmation", args=[number])).status_code == 404
    assert client.get(reverse("orders:confirmation", args=[number])).status_code == 200


def test_the_confirmation_shows_a_guest_the_lookup_and_a_member_their_order(
    client, mug, standard_shipping
):
    add_to_cart(client, mug, 1)
    place(client, review_key(walk_checkout(client, standard_shipping)))
    guest_order = Order.objects.get()
    page = client.get(reverse("orders:confirmation", args=[guest_order.number])).content.decode()
    assert f'{reverse("orders:inquiry")}?number={guest_order.number}"' in page
    assert reverse("orders:my_orders") not in page.split("<main", 1)[1].split("</main>")[0]

    member = UserFactory(email="mia@example.com")
    client.force_login(member)
    add_to_cart(client, mug, 1)
    response = place(client, review_key(walk_checkout(client, standard_shipping)))
    order = Order.objects.get(user=member)
    page = client.get(response.url).content.decode()
    assert f'href="{order.get_absolute_url()}">your account</a>' in page
    assert "?number=" not in page


# --- saved addresses ---------------------------------------------------------------------------


def saved_address(user, **fields) -> Address:
    values = {
        "full_name": "Mia Member",
        "line1": "Hauptstr. 9",
        "postcode": "80331",
        "city": "München",
        "country": "Germany",
        **fields,
    }
    return Address.objects.create(user=user, **values)


def test_a_saved_address_goes_on_the_order_with_its_postcode_as_the_country_writes_it(
    client, mug, standard_shipping, settings
):
    """A typed "1012ab" went on the order as "1012 AB"; the same postcode saved in the address
    book before postcodes were tidied went on it as stored."""
    settings.SHOP_DELIVERY_COUNTRIES = ["Germany", "Netherlands"]
    member = UserFactory(email="member@example.com")
    saved = saved_address(member, postcode="1012ab", city="Amsterdam", country="netherlands ")
    client.force_login(member)
    add_to_cart(client, mug, 1)
    review = walk_checkout(
        client, standard_shipping, email="member@example.com", address={"saved_address": saved.pk}
    )
    place(client, review_key(review))
    order = Order.objects.get()
    assert (order.postcode, order.country) == ("1012 AB", "Netherlands")


@pytest.fixture
def member_at_checkout(client, mug, standard_shipping):
    """A signed-in member with a mug in the cart."""
    member = UserFactory(email="member@example.com")
    client.force_login(member)
    add_to_cart(client, mug, 1)
    return member


#: What a member types besides the address: the e-mail comes from the account, the delivery
#: method is preselected.
MEMBER_TYPES = {"phone": "0171 555", "payment_method": "cod"}


def test_the_default_saved_address_is_preselected_and_a_new_one_offered(client, member_at_checkout):
    saved_address(member_at_checkout, full_name="Old Home", line1="Altweg 1")
    default = saved_address(member_at_checkout, is_default=True)
    saved_address(member_at_checkout, full_name="Newest Office", line1="Neuweg 3")

    response = client.get(CHECKOUT_URL)

    body = response.content.decode()
    assert form_defaults(response)["saved_address"] == str(default.pk)
    assert "A new address" in body
    assert 'value="new"' in body
    for label in ("Old Home, Altweg 1", "Mia Member, Hauptstr. 9", "Newest Office, Neuweg 3"):
        assert label in body


def test_without_a_default_the_most_recent_saved_address_is_preselected(client, member_at_checkout):
    saved_address(member_at_checkout, full_name="Old Home")
    newest = saved_address(member_at_checkout, full_name="New Home")

    assert form_defaults(client.get(CHECKOUT_URL))["saved_address"] == str(newest.pk)


def test_continue_with_the_preselected_saved_address_needs_no_other_fields(
    client, member_at_checkout
):
    saved = saved_address(member_at_checkout, line2="Hinterhaus")

    response = submit_as_rendered(client, CHECKOUT_URL, **MEMBER_TYPES)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == reverse("orders:checkout_review")
    assert client.session["checkout"]["address"] == {
        "full_name": "Mia Member",
        "line1": "Hauptstr. 9",
        "line2": "Hinterhaus",
        "postcode": "80331",
        "city": "München",
        "country": "Germany",
    }
    assert Address.objects.get() == saved  # nothing saved again


def test_a_new_address_is_validated_only_when_chosen_and_keeps_what_was_typed(
    client, member_at_checkout
):
    saved_address(member_at_checkout)

    response = submit_as_rendered(
        client, CHECKOUT_URL, saved_address="new", full_name="Neu Mann", **MEMBER_TYPES
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Please correct the 3 fields marked below." in body  # line1, postcode, city
    assert 'value="Neu Mann"' in body
    assert form_defaults(response)["saved_address"] == "new"  # the choice is kept too
    assert "checkout" not in client.session

    response = submit_as_rendered(
        client, CHECKOUT_URL, saved_address="new", **ADDRESS_FORM, **MEMBER_TYPES
    )

    assert response.url == reverse("orders:checkout_review")
    assert client.session["checkout"]["address"]["line1"] == "Lindenstr. 1"


def test_coming_back_from_the_review_keeps_the_address_choice(
    client, member_at_checkout, standard_shipping
):
    first = saved_address(member_at_checkout, full_name="First", is_default=True)
    second = saved_address(member_at_checkout, full_name="Second")
    walk_checkout(client, standard_shipping, address={"saved_address": second.pk})

    assert form_defaults(client.get(CHECKOUT_URL))["saved_address"] == str(second.pk)

    walk_checkout(client, standard_shipping, address={"saved_address": "new", **ADDRESS_FORM})
    again = form_defaults(client.get(CHECKOUT_URL))
    assert (again["saved_address"], again["full_name"], again["city"]) == (
        "new",
        "Greta Guest",
        "Berlin",
    )
    assert Address.objects.filter(pk=first.pk).exists()  # there, just not chosen


def test_saving_the_same_address_again_keeps_one_copy_with_the_latest_phone(
    client, member_at_checkout, standard_shipping
):
    def post(phone="0171 555", **address):
        data = checkout_data(standard_shipping, phone=phone, address={**ADDRESS_FORM, **address})
        return client.post(CHECKOUT_URL, {**data, "saved_address": "new"})

    post(save_address="on")
    assert list(Address.objects.values_list("line1", "phone")) == [("Lindenstr. 1", "0171 555")]
    response = post(
        phone="0171 999", full_name="greta  guest", line1=" LINDENSTR. 1 ", save_address="on"
    )

    assert response.status_code == 302
    assert list(Address.objects.filter(user=member_at_checkout).values_list("line1", "phone")) == [
        ("Lindenstr. 1", "0171 999")
    ]

    post(city="Potsdam")
    assert Address.objects.count() == 1  # not ticked: not saved
    post(city="Potsdam", save_address="on")
    assert sorted(Address.objects.values_list("city", flat=True)) == ["Berlin", "Potsdam"]


def test_the_contact_step_prefills_the_phone_kept_with_the_saved_address(client, mug):
    member = UserFactory(email="member@example.com")
    saved_address(member, phone="+49 89 7654321", is_default=True)
    client.force_login(member)
    add_to_cart(client, mug, 1)

    body = client.get(CHECKOUT_URL).content.decode()

    assert 'value="+49 89 7654321"' in body


def test_without_a_saved_phone_the_contact_step_prefills_the_last_orders_phone(
    client, mug, standard_shipping
):
    member = UserFactory(email="member@example.com")
    client.force_login(member)
    add_to_cart(client, mug, 1)
    place(client, review_key(walk_checkout(client, standard_shipping)))  # phone +49 30 1234567
    add_to_cart(client, mug, 1)

    body = client.get(CHECKOUT_URL).content.decode()

    assert 'value="+49 30 1234567"' in body


def test_another_customers_saved_address_is_refused_even_with_saved_addresses_of_ones_own(
    client, member_at_checkout
):
    saved_address(member_at_checkout)
    theirs = saved_address(UserFactory(email="owner@example.com"), line1="Secret St 1")

    response = client.post(CHECKOUT_URL, {**MEMBER_TYPES, "saved_address": theirs.pk})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert "Secret St 1" not in body
    assert "checkout" not in client.session
    assert client.get(reverse("orders:checkout_review")).url == CHECKOUT_URL


# --- delivery step -----------------------------------------------------------------------------


@pytest.fixture
def express(db):
    """Dearer than Standard, but listed first."""
    return ShippingMethod.objects.create(
        name="Express", fee=Decimal("9.90"), min_days=1, max_days=1, position=0
    )


def test_the_cheapest_delivery_method_is_preselected(client, mug, standard_shipping, express):
    add_to_cart(client, mug, 1)
    typed = {"email": "g@example.com", "phone": "12345", "payment_method": "cod"}

    response = submit_as_rendered(client, CHECKOUT_URL, **typed, **ADDRESS_FORM)

    assert response.url == reverse("orders:checkout_review")
    assert client.session["checkout"]["shipping_method_id"] == standard_shipping.pk


def test_the_only_delivery_method_is_preselected(client, mug, standard_shipping):
    add_to_cart(client, mug, 1)

    page = client.get(CHECKOUT_URL)

    assert form_defaults(page)["shipping_method"] == str(standard_shipping.pk)
    assert page.content.decode().count('name="shipping_method"') == 1


def test_the_delivery_quotes_show_each_methods_fee_for_this_cart(
    client, mug, standard_shipping, express
):
    add_to_cart(client, mug, 3)  # €59.97: Standard is free from €50.00

    body = client.get(CHECKOUT_URL).content.decode()

    assert "Standard — free" in body
    assert "Express — €9.90" in body


def test_coming_back_from_the_review_keeps_the_delivery_and_payment_choice(
    client, mug, standard_shipping, express
):
    add_to_cart(client, mug, 1)
    walk_checkout(client, express, payment="bank_transfer")

    page = client.get(CHECKOUT_URL)

    defaults = form_defaults(page)
    assert (defaults["shipping_method"], defaults["payment_method"]) == (
        str(express.pk),
        "bank_transfer",
    )
    assert (defaults["email"], defaults["city"]) == ("guest@example.com", "Berlin")
    assert "Choose a delivery method." not in page.content.decode()


def test_a_withdrawn_delivery_method_sends_the_review_back_to_the_delivery_section(
    client, mug, standard_shipping, express
):
    add_to_cart(client, mug, 1)
    walk_checkout(client, express)
    express.is_active = False
    express.save()

    response = client.get(reverse("orders:checkout_review"))

    assert response.url == CHECKOUT_URL + "#delivery"
    page = client.get(CHECKOUT_URL)
    assert form_defaults(page)["shipping_method"] == str(standard_shipping.pk)


# --- the confirmation e-mail -------------------------------------------------------------------


def confirmation_message() -> OutboxMessage:
    return OutboxMessage.objects.get(kind="order_confirmation")


def test_the_confirmation_email_has_lines_totals_address_and_the_bank_transfer_deadline(
    client, mug, standard_shipping, settings
):
    settings.SHOP_UNPAID_ORDER_DAYS = 5
    add_to_cart(client, mug, 2)
    address = {**ADDRESS_FORM, "line2": "3. OG links"}
    place(
        client,
        review_key(
            walk_checkout(client, standard_shipping, payment="bank_transfer", address=address)
        ),
    )
    order = Order.objects.get()
    message = confirmation_message()
    pay_by = dateformat.format(timezone.localtime(order.payment_deadline), "l j F Y, H:i")

    text = message.body_text
    for expected in (
        f"2 x Camp Mug [{mug.sku}]  €39.98",
        "Subtotal: €39.98",
        "Shipping (Standard): €4.90",
        "Total: €44.88",
        "Greta Guest\nLindenstr. 1\n3. OG links\n10115 Berlin\nGermany",
        f"IBAN {settings.SHOP_BANK_IBAN}",
        f"reference {order.number}",
        f"not paid within 5 days (by {pay_by}) are cancelled",
    ):
        assert expected in text, expected

    html = message.body_html
    for expected in (
        "2 × <bdi>Camp Mug</bdi>",
        '<td>Subtotal</td><td style="text-align: right; white-space: nowrap;">€39.98</td>',
        "€4.90",
        "€44.88",
        "<bdi>Greta Guest</bdi><br><bdi>Lindenstr. 1</bdi><br><bdi>3. OG links</bdi><br>"
        "<bdi>10115 Berlin</bdi><br>Germany",
        settings.SHOP_BANK_IBAN,
        f"not paid within 5 days (by {pay_by}) are cancelled",
    ):
        assert expected in html, expected


def test_the_cash_on_delivery_confirmation_email_has_the_address_and_no_bank_details(
    client, mug, standard_shipping
):
    add_to_cart(client, mug, 1)
    place(client, review_key(walk_checkout(client, standard_shipping, payment="cod")))
    message = confirmation_message()

    for body in (message.body_text, message.body_html):
        assert "Lindenstr. 1" in body
        assert "10115 Berlin" in body
        assert "Cash on delivery" in body
        assert "IBAN" not in body
        assert "cancelled" not in body
    assert "Subtotal" in message.body_html


# --- performance -----------------------------------------------------------------------------

# 1 for a guest (the open cart's lines with their variants and products): the delivery method
# is cached, the header's count comes from the priced cart. Must not grow.
REVIEW_MAX_QUERIES = 1


@pytest.mark.parametrize("line_count", [1, 8])
def test_review_page_query_count_does_not_grow_with_lines(
    client, standard_shipping, django_assert_max_num_queries, line_count
):
    for _ in range(line_count):
        add_to_cart(client, VariantFactory(stock=5, colour="Blue"), 2)
    walk_checkout(client, standard_shipping)

    with django_assert_max_num_queries(REVIEW_MAX_QUERIES):
        response = client.get(reverse("orders:checkout_review"))
    assert len(response.context["pricing"].lines) == line_count
    assert header_count(response) == str(2 * line_count)  # units, from the priced cart


def test_staff_are_told_of_a_new_order_with_its_address_and_a_link_to_it_in_admin(
    settings, mug, standard_shipping, django_capture_on_commit_callbacks
):
    from django.test import Client

    from core.models import OutboxMessage

    settings.ALLOWED_HOSTS = ["shop.example"]
    client = Client(HTTP_HOST="shop.example")
    add_to_cart(client, mug, 1)
    review = walk_checkout(client, standard_shipping)
    client.post(reverse("orders:place_order"), {"idempotency_key": review_key(review)})
    order = Order.objects.get()
    staff = OutboxMessage.objects.get(kind="staff_new_order")
    link = "http://shop.example" + reverse("admin:orders_order_change", args=[order.pk])
    assert f"Open it in admin: {link}\n" in staff.body_text
    assert f'<a href="{link}">Open the order in admin</a>' in staff.body_html
    assert "Lindenstr. 1" in staff.body_text
    assert "Lindenstr. 1" in staff.body_html


def summary_of(response) -> str:
    body = response.content.decode()
    return body[body.index('<aside class="panel wash"') : body.index("</aside>")]


def test_the_details_pages_total_includes_the_delivery_chosen_on_it(
    client, mug, standard_shipping, express
):
    add_to_cart(client, mug, 1)  # €19.99: Standard costs €4.90
    page = summary_of(client.get(CHECKOUT_URL))
    assert "Shipping (Standard)" in page  # the preselected, cheapest method
    assert "€24.89" in page  # what the review will charge, not €19.99

    data = checkout_data(standard_shipping)
    posted = summary_of(
        client.post(CHECKOUT_URL, {**data, "email": "x", "shipping_method": express.pk})
    )
    assert "Shipping (Express)" in posted  # as chosen on the page that came back with an error
    assert "€29.89" in posted

    nothing = summary_of(client.post(CHECKOUT_URL, {**data, "shipping_method": "999"}))
    assert "Total before delivery" in nothing
    assert "€19.99" in nothing


def test_my_orders_come_in_pages_of_25(client, standard_shipping, django_assert_max_num_queries):
    # "My orders" listed every order a member ever placed on one page
    member = UserFactory()
    lamp = ProductFactory(name="Desk Lamp", stock=100).variants.get()
    numbers = [
        place_directly(make_cart((lamp, 1)), standard_shipping, user=member).number
        for _ in range(27)
    ]
    newest_first = numbers[::-1]
    client.force_login(member)
    url = reverse("orders:my_orders")
    with django_assert_max_num_queries(8):
        first = client.get(url).content.decode()
    assert [n for n in newest_first if n in first] == newest_first[:25]
    assert 'href="?page=2"' in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert [n for n in newest_first if n in second] == newest_first[25:]
    assert "<title>My orders – page 2" in second
    assert client.get(url, {"page": "x"}).status_code == 200  # a bad number: the first page


def test_an_order_too_large_for_the_books_is_refused_with_a_message_not_an_error_page(
    client, standard_shipping
):
    """999 of a €99,999.99 sauna, twice over, is €199,799,980.02: more than an order's money
    columns hold (10 digits). Postgres refused the row (a 500); now the shopper is told."""
    sauna = ProductFactory(name="Sauna", price=Decimal("99999.99"), stock=5000).variants.get()
    hut = ProductFactory(name="Hut", price=Decimal("99999.99"), stock=5000).variants.get()
    add_to_cart(client, sauna, 999)
    add_to_cart(client, hut, 999)
    review = walk_checkout(client, standard_shipping)

    response = place(client, review_key(review))

    assert not Order.objects.exists()
    assert response.url == reverse("orders:checkout_review")
    told = messages_of(client.get(response.url))
    assert any("too large to place online" in m and "€99,999,999.99" in m for m in told), told
    assert CartLine.objects.count() == 2  # the cart is kept as it was


def test_a_right_to_left_name_and_street_keep_their_order_on_the_review(
    client, mug, standard_shipping
):
    """ "محمد, شارع الملك فهد 12, …" in one line: unisolated, the name and the street ran together
    as one right-to-left run and swapped places. Each part is isolated (<bdi>)."""
    add_to_cart(client, mug, 1)
    address = {**ADDRESS_FORM, "full_name": "محمد الحسيني", "line1": "شارع الملك فهد 12"}
    review = walk_checkout(client, standard_shipping, address=address).content.decode()
    assert "<dd><bdi>محمد الحسيني</bdi>, <bdi>شارع الملك فهد 12</bdi>," in review


# --- back, refresh and a lost session (what a browser does around the Buy now) --------------


def test_buy_now_again_from_a_stale_review_says_the_order_is_placed_once(
    client, mug, standard_shipping
):
    """Back to the review (a tab, or a page the browser kept), Buy now again: the same order,
    and the shopper is told it was not placed twice (the same confirmation alone looked like
    a second order)."""
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    place(client, key)

    again = client.get(place(client, key).url)

    assert Order.objects.count() == 1
    assert any("not placed twice" in m for m in messages_of(again))


def test_back_to_the_review_after_the_order_names_the_order_placed(client, mug, standard_shipping):
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    place(client, key)
    number = Order.objects.get().number

    back = client.get(reverse("orders:checkout_review"), follow=True)

    text = " ".join(messages_of(back))
    assert number in text
    assert "placed" in text


def test_a_session_lost_before_buy_now_says_so_and_orders_nothing(client, mug, standard_shipping):
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    client.cookies.pop(settings.SESSION_COOKIE_NAME)  # deleted, or expired, in the browser

    response = place(client, key)

    assert Order.objects.count() == 0
    text = " ".join(messages_of(client.get(response.url)))
    assert "session" in text
    assert "Nothing was ordered" in text


def test_details_sent_after_the_session_was_lost_say_so(client, mug, standard_shipping):
    """The session cookie deleted (or expired) while the details page was open: the guest's
    cart went with it. 'Your cart is empty.' alone read as a cart lost by the shop."""
    add_to_cart(client, mug, 1)
    client.get(reverse("orders:checkout"))
    client.cookies.pop(settings.SESSION_COOKIE_NAME)

    response = client.post(reverse("orders:checkout"), checkout_data(standard_shipping))

    assert response.url == reverse("cart:detail")
    text = " ".join(messages_of(client.get(response.url)))
    assert "Your session ended" in text
    assert "Nothing was ordered" in text


def test_cart_emptied_in_another_tab_then_buy_now_says_it_once(client, mug, standard_shipping):
    """The review open in one tab, the cart emptied in another, then Buy now: one clear
    message on the cart page ('Your cart is empty.' came twice, from the Buy now and from the
    review it bounced through)."""
    add_to_cart(client, mug, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    client.post(reverse("cart:clear"))
    client.get(reverse("cart:detail"))  # the other tab shows its own message

    response = place(client, key)

    assert response.url == reverse("cart:detail")
    shown = messages_of(client.get(response.url))
    assert len(shown) == 1
    assert "emptied" in shown[0]
    assert "Nothing was ordered" in shown[0]
    assert Order.objects.count() == 0


def test_cart_changed_in_another_tab_the_review_names_each_change(client, mug, standard_shipping):
    """The review open in one tab; in another the shopper adds a towel and a second mug. Buy
    now in the first: nothing is ordered, and the review they are sent back to says what
    changed, not only that something did."""
    towel = ProductFactory(name="Tea Towel", price=Decimal("9.90"), stock=5).variants.get()
    bottle = ProductFactory(name="Water Bottle", price=Decimal("15.00"), stock=5).variants.get()
    add_to_cart(client, mug, 1)
    add_to_cart(client, bottle, 1)
    key = review_key(walk_checkout(client, standard_shipping))
    add_to_cart(client, towel, 1)
    add_to_cart(client, mug, 1)
    cart = client.get(reverse("cart:detail")).content.decode()
    remove = re.findall(r'action="(/cart/lines/\d+/remove/)"', cart)
    client.post(remove[1])  # the bottle (lines in the order added)
    client.get(reverse("cart:detail"))  # the other tab shows its own messages

    response = place(client, key)

    assert Order.objects.count() == 0
    shown = messages_of(client.get(response.url))
    assert "Tea Towel: added (1)" in shown
    assert "Camp Mug: quantity 1 → 2" in shown
    assert "Water Bottle: removed" in shown
    # shown once: the review after that is a plain review
    assert not [m for m in messages_of(client.get(response.url)) if "added" in m]

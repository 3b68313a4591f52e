from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from orders import services
from orders.models import Order
from tests.factories import ProductFactory

from .helpers import make_cart, messages_of, place

pytestmark = pytest.mark.django_db

NO_MATCH = "No matching order. Check the order number and e-mail."
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."


@pytest.fixture
def shipped_order(standard_shipping):
    """A paid bank-transfer order that left with DHL (customer e-mail guest@example.com)."""
    variant = ProductFactory(name="Trail Lamp", price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    services.mark_paid(order=order)
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="JJD000390007")
    return order


def ask(client, number, email):
    return client.post(reverse("orders:inquiry"), {"number": number, "email": email})


def test_the_inquiry_page_shows_the_form(client):
    response = client.get(reverse("orders:inquiry"))
    assert response.status_code == 200
    assert 'name="number"' in response.content.decode()


def test_number_and_email_show_payment_shipping_tracking_and_timeline(client, shipped_order):
    response = ask(client, shipped_order.number, "guest@example.com")

    assert response.status_code == 200
    assert response.context["order"] == shipped_order
    body = response.content.decode()
    assert shipped_order.number in body
    assert 'Bank transfer: <span class="status yes">payment received</span>' in body
    assert "shipped on" in body
    assert "with DHL, tracking number" in body
    link = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JJD000390007"
    assert f'<a href="{link}" rel="noopener noreferrer">JJD000390007</a>' in body
    assert "Please transfer" not in body  # paid: no bank details any more
    timeline = body[body.index('<ol class="timeline">') :]
    for entry in (
        "Pending payment — Order placed",
        "Paid — Payment received",
        "Packed",
        "Shipped — DHL JJD000390007",
    ):
        assert entry in timeline
    assert "Trail Lamp" in body


def test_the_link_in_an_order_e_mail_fills_in_the_number(client):
    body = client.get(reverse("orders:inquiry"), {"number": "MP-7KQ4-X2HD"}).content.decode()
    assert 'value="MP-7KQ4-X2HD"' in body
    odd = client.get(reverse("orders:inquiry"), {"number": '"><b>x'}).content.decode()
    assert "&lt;b&gt;" not in odd  # not an order number: not filled in
    assert "<b>x" not in odd


def test_an_unpaid_order_shows_what_to_transfer(client, standard_shipping):
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 2)), standard_shipping, payment="bank_transfer")
    body = ask(client, order.number, "guest@example.com").content.decode()
    assert "not yet paid" in body
    assert "not shipped yet" in body
    assert "Please transfer €60.00" in body


def test_past_the_deadline_no_transfer_is_asked_for_while_the_order_waits_to_be_cancelled(
    client, standard_shipping, settings
):
    """The job that cancels unpaid orders runs every ten minutes: in between, the page still
    said "Please transfer" with a deadline already gone, and money sent then arrived for a
    cancelled order."""
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 2)), standard_shipping, payment="bank_transfer")
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(days=settings.SHOP_UNPAID_ORDER_DAYS, minutes=3)
    )

    body = ask(client, order.number, "guest@example.com").content.decode()

    assert "Please transfer" not in body
    assert "The time to pay has run out" in body
    assert "Please do not transfer the money now." in body
    assert f"?topic=payment&amp;order={order.number}" in body


def test_a_delivered_order_links_to_a_return_request_for_it(client, shipped_order):
    services.mark_delivered(order=shipped_order)
    body = ask(client, shipped_order.number, "guest@example.com").content.decode()
    link = f"{reverse('service:contact')}?topic=return&amp;order={shipped_order.number}"
    assert f'<a href="{link}">Return or exchange an item</a>' in body


def test_a_cancelled_paid_order_says_where_the_money_is(client, standard_shipping):
    """It said "Bank transfer: cancelled" and "not shipped yet" for an order paid, cancelled
    and refunded: the shopper could not tell whether their money was coming back."""
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    services.mark_paid(order=order)
    services.cancel_order(order=order)

    body = ask(client, order.number, "guest@example.com").content.decode()
    assert 'Bank transfer: <span class="status no">paid; we are sending the money back</span>' in (
        body
    )
    assert "not shipped: the order was cancelled" in body
    assert "not shipped yet" not in body

    services.mark_refunded(order=order)
    body = ask(client, order.number, "guest@example.com").content.decode()
    assert 'Bank transfer: <span class="status yes">refunded on <time' in body
    assert "we are sending the money back" not in body

    unpaid = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    services.cancel_order(order=unpaid)
    body = ask(client, unpaid.number, "guest@example.com").content.decode()
    assert 'Bank transfer: <span class="status no">cancelled</span>' in body


@pytest.mark.parametrize(
    ("number", "email"),
    [
        ("MP-ZZZZ-ZZZZ", "guest@example.com"),  # wrong number
        ("RIGHT", "someone.else@example.com"),  # wrong e-mail
        ("MP-ZZZZ-ZZZZ", "someone.else@example.com"),
    ],
)
def test_a_wrong_number_or_email_gets_the_same_generic_message(
    client, shipped_order, number, email
):
    number = shipped_order.number if number == "RIGHT" else number
    response = ask(client, number, email)
    assert response.status_code == 200
    assert response.context["order"] is None
    assert messages_of(response) == [NO_MATCH]
    body = response.content.decode()
    assert "Trail Lamp" not in body
    assert "DHL" not in body


@pytest.mark.parametrize(
    ("number", "email"),
    [
        ("lower", "guest@example.com"),
        ("  UPPER  ", "  GUEST@Example.COM  "),
        ("lower", "Guest@EXAMPLE.com"),
    ],
)
def test_number_and_email_are_case_and_whitespace_insensitive(client, shipped_order, number, email):
    number = number.replace("lower", shipped_order.number.lower()).replace(
        "UPPER", shipped_order.number
    )
    response = ask(client, number, email)
    assert response.context["order"] == shipped_order


@pytest.mark.parametrize(
    "typed",
    [
        "{plain}",  # MP3YMMWBCP
        "{plain_lower}",
        " MP {a} {b} ",
        "mp-{a}{b}",
        "MP–{a}–{b}",  # en dashes, as some phones and word processors type them
        "{a}-{b}",  # without the prefix
    ],
)
def test_a_number_typed_without_its_dashes_or_with_spaces_finds_the_order(
    client, shipped_order, typed
):
    a, b = shipped_order.number.split("-")[1:]
    number = typed.format(a=a, b=b, plain=f"MP{a}{b}", plain_lower=f"mp{a}{b}".lower())

    response = ask(client, number, "guest@example.com")

    assert response.context["order"] == shipped_order
    assert "Trail Lamp" in response.content.decode()


def test_a_number_without_dashes_and_the_wrong_email_gets_the_generic_message(
    client, shipped_order
):
    response = ask(client, shipped_order.number.replace("-", ""), "someone.else@example.com")

    assert response.context["order"] is None
    assert messages_of(response) == [NO_MATCH]
    assert "Trail Lamp" not in response.content.decode()


def test_too_many_attempts_are_refused_with_429(client, shipped_order, settings):
    settings.SHOP_INQUIRY_RATE = 3
    for _ in range(3):
        assert ask(client, "MP-ZZZZ-ZZZZ", "guest@example.com").status_code == 200

    response = ask(client, shipped_order.number, "guest@example.com")  # even the right answer

    assert response.status_code == 429
    assert messages_of(response) == [TOO_MANY]
    assert response.context["order"] is None
    assert "Trail Lamp" not in response.content.decode()
    assert client.get(reverse("orders:inquiry")).status_code == 200  # looking is not limited


def test_the_limit_is_per_client_address(client, shipped_order, settings):
    settings.SHOP_INQUIRY_RATE = 1
    ask(client, "MP-ZZZZ-ZZZZ", "guest@example.com")
    assert ask(client, "MP-ZZZZ-ZZZZ", "guest@example.com").status_code == 429
    response = client.post(
        reverse("orders:inquiry"),
        {"number": shipped_order.number, "email": "guest@example.com"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200
    assert response.context["order"] == shipped_order


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(client, settings):
    settings.SHOP_INQUIRY_RATE = 1
    ask(client, "MP-ZZZZ-ZZZZ", "guest@example.com")
    response = client.post(
        reverse("orders:inquiry"),
        {"number": "MP-ZZZZ-ZZZZ", "email": "guest@example.com"},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("number", "email"),
    [
        ("<script>alert(1)</script>", "guest@example.com"),
        ("<b>x</b>", "guest@example.com"),
        ("' OR 1=1 --", "guest@example.com"),
        ("MP-\x00-1", "guest@example.com"),
        ("MP-ÄÖÜ-😀", "guest@example.com"),
        ("A" * 5000, "guest@example.com"),
        ("MP-ZZZZ-ZZZZ", "<img src=x onerror=alert(1)>@example.com"),
        ("MP-ZZZZ-ZZZZ", "x@example.com' OR '1'='1"),
        ("MP-ZZZZ-ZZZZ", "a\x00@example.com"),
        ("", ""),
        ("%", "%@%.%"),
    ],
)
def test_hostile_input_never_fails_and_is_escaped(client, shipped_order, number, email):
    response = ask(client, number, email)

    assert response.status_code == 200
    assert response.context["order"] is None
    body = response.content.decode()
    for value in (number, email):
        if "<" in value:
            assert value not in body
    if number == "<b>x</b>":
        assert escape(number) in body  # echoed back in the form, escaped
    assert "Trail Lamp" not in body
    form = response.context["form"]
    assert form.errors or messages_of(response) == [NO_MATCH]


def test_the_inquiry_shows_only_name_and_town_while_my_orders_shows_the_whole_address(
    client, standard_shipping
):
    from tests.factories import UserFactory

    member = UserFactory(email="guest@example.com")
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 1), user=member), standard_shipping, user=member)

    public = ask(client, order.number, "guest@example.com").content.decode()
    assert "<bdi>Greta Guest</bdi>, 10115 <bdi>Berlin</bdi>" in public
    assert "Lindenstr. 1" not in public  # anyone with the number and e-mail: not the street

    client.force_login(member)
    mine = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "<bdi>Lindenstr. 1</bdi><br>" in mine  # the shopper can check where it goes
    # each line isolated: an Arabic or Hebrew line does not drag its neighbours' numbers along
    assert "<bdi>10115 Berlin</bdi><br>Germany" in mine


def test_a_phone_keyboard_types_the_order_number_in_capitals_without_autocorrect(client):
    body = client.get(reverse("orders:inquiry")).content.decode()
    number = body[body.index('name="number"') - 200 : body.index('name="number"') + 300]
    number = number[number.rindex("<input") :]
    number = number[: number.index(">")]
    for attribute in (
        'autocapitalize="characters"',
        'autocorrect="off"',
        'spellcheck="false"',
        'autocomplete="off"',
    ):
        assert attribute in number
    email = body[body.rindex("<input", 0, body.index('name="email"')) :]
    email = email[: email.index(">")]
    assert 'type="email"' in email
    assert 'autocomplete="email"' in email


def test_orders_take_the_shops_prefix_and_older_ones_are_still_found(
    client, shipped_order, settings, standard_shipping
):
    settings.SHOP_ORDER_PREFIX = "ATT"
    variant = ProductFactory(name="Camp Mug", price=Decimal("14.90"), stock=5).variants.get()
    new = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    a, b = shipped_order.number.split("-")[1:]

    assert new.number.startswith("ATT-")
    assert shipped_order.number.startswith("MP-")
    assert ask(client, f"mp {a} {b}", "guest@example.com").context["order"] == shipped_order
    assert ask(client, new.number.replace("-", ""), new.email).context["order"] == new
    assert ask(client, new.number[4:], new.email).context["order"] == new
    form = client.get(reverse("orders:inquiry")).content.decode()
    assert "e.g. ATT-7KQ4-X2HD" in form
    assert "MP-7KQ4-X2HD" not in form

"""Every kind of e-mail the shop sends, run through the flow that sends it and read as the
recipient's mail program and spam filter read it: headers, a plain-text part that reads well,
an HTML part that says the same, and links that open the page showing what the mail is about
(and nothing of another person's)."""

import email
import re
from decimal import Decimal
from email import policy
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from cart.models import ShippingMethod
from core.models import OutboxMessage
from core.money import format_money
from guestbook.models import Entry
from orders.models import Order
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import add_to_cart, review_key, walk_checkout

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"
LINK = re.compile(r"https?://[^\s<>\"']+")
#: Every kind of e-mail the shop sends (core.outbox: OutboxMessage.kind).
KINDS = {
    "order_confirmation",
    "staff_new_order",
    "order_paid",
    "order_shipped",
    "order_delivered",
    "order_cancelled",
    "order_refunded",
    "contact_message",
    "guestbook_new_entry",
    "guestbook_reply",
    "email_confirmation_signup",
    "account_already_exists",
    "password_reset_key",
    "unknown_account",
    "account_closed",
}


class Shop:
    """The shop's clients and what the flows made."""

    def __init__(self):
        self.guest = Client()
        self.member_client = Client()
        self.staff_client = Client()
        self.anonymous = Client()


@pytest.fixture
def shop(django_capture_on_commit_callbacks):
    """Every flow that sends mail, once: a guest's bank transfer order paid, packed, shipped
    (tracking corrected) and delivered; a member's cash on delivery order paid, cancelled and
    refunded; a contact message; a guestbook message and its answer; sign-up, sign-up with a
    known address, password reset for a known and an unknown address; an account closed."""
    shop = Shop()
    run = django_capture_on_commit_callbacks
    shipping = ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), min_days=2, max_days=4
    )
    lamp = ProductFactory(name="Trail Lamp", price=Decimal("30.00"), stock=20).variants.get()
    staff = UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True)
    shop.staff_client.force_login(staff)
    shop.member = UserFactory(email="mia@example.com")
    shop.member_client.force_login(shop.member)

    def order_as(client, payment, email):
        with run(execute=True):
            add_to_cart(client, lamp, 2)
            key = review_key(walk_checkout(client, shipping, payment=payment, email=email))
            client.post(reverse("orders:place_order"), {"idempotency_key": key})
        return Order.objects.get(email=email)

    def act(action, order, **fields):
        with run(execute=True):
            shop.staff_client.post(
                reverse("admin:orders_order_changelist"),
                {"action": action, "_selected_action": [order.pk], **fields},
            )

    def ship(order, tracking, **fields):
        with run(execute=True):
            shop.staff_client.post(
                reverse("admin:orders_order_ship") + f"?ids={order.pk}",
                {
                    "ids": str(order.pk),
                    "carrier": "DHL",
                    f"tracking_{order.pk}": tracking,
                    **fields,
                },
            )

    shop.guest_order = order_as(shop.guest, "bank_transfer", "guest@example.com")
    act("mark_paid", shop.guest_order)
    act("mark_packed", shop.guest_order)
    ship(shop.guest_order, "JJD01")
    ship(shop.guest_order, "JJD02", correct="1")
    act("mark_delivered", shop.guest_order)

    shop.member_order = order_as(shop.member_client, "cod", "mia@example.com")
    act("mark_paid", shop.member_order)
    act("cancel", shop.member_order, confirmed="yes", reason="Sold out, sorry")
    act("mark_refunded", shop.member_order)

    with run(execute=True):
        shop.guest.post(
            reverse("service:contact"),
            {
                "name": "Ada",
                "email": "ada@example.com",
                "topic": "order",
                "order_number": shop.guest_order.number,
                "message": "Where is it?",
            },
        )
        shop.guest.post(
            reverse("guestbook:index"),
            {"name": "Ada", "email": "ada@example.com", "message": "Lovely mugs & cups"},
        )
    shop.entry = Entry.objects.get()
    with run(execute=True):
        shop.staff_client.post(
            reverse("admin:guestbook_entry_change", args=[shop.entry.pk]),
            {"status": "published", "reply": "Thanks, Ada & co!"},
        )

    UserFactory(email="known@example.com")
    with run(execute=True):
        for email_address in ("fresh@example.com", "known@example.com"):
            shop.anonymous.post(
                reverse("account_signup"),
                {"email": email_address, "password1": PASSWORD, "password2": PASSWORD},
            )
        for email_address in ("known@example.com", "nobody@example.com"):
            shop.anonymous.post(reverse("account_reset_password"), {"email": email_address})
    leaving = UserFactory(email="leaving@example.com")
    leaving.set_password(PASSWORD)
    leaving.save()
    closing = Client()
    closing.force_login(leaving)
    with run(execute=True):
        asked = closing.post(reverse("accounts:close_account"))
        closing.post(asked.url, {"password": PASSWORD})

    kinds = dict(OutboxMessage.objects.values_list("pk", "kind"))
    shop.mails = {}  # kind: [messages], in the order sent
    for sent in mail.outbox:
        pk = int(re.match(r"<outbox\.(\d+)\.", sent.extra_headers["Message-ID"]).group(1))
        shop.mails.setdefault(kinds[pk], []).append(sent)
    return shop


def parsed(sent) -> email.message.EmailMessage:
    return email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)


def html_of(sent) -> str:
    return next((c for c, mime in getattr(sent, "alternatives", []) if mime == "text/html"), "")


def test_every_kind_of_mail_is_sent_by_its_flow(shop):
    assert set(shop.mails) == KINDS


def test_every_mail_comes_from_the_shop_and_says_it_is_automatic(shop):
    for kind, messages in shop.mails.items():
        for sent in messages:
            headers = parsed(sent)
            sender = headers["From"].addresses[0]
            assert (sender.display_name, sender.addr_spec) == (
                settings.SHOP_NAME,
                settings.SHOP_ADMIN_EMAIL,
            ), kind
            assert headers["Auto-Submitted"] == "auto-generated", kind
            assert headers["Message-ID"].endswith("@meadowpine.example>"), kind
            assert not headers["Cc"], kind
            assert not headers["Bcc"], kind
            assert not sent.bcc, kind
            assert len(headers["To"].addresses) >= 1, kind
            reply_to = [a.addr_spec for a in headers["Reply-To"].addresses]
            if kind == "contact_message":
                expected = ["ada@example.com"]
            elif kind == "staff_new_order":  # staff answer the customer who ordered
                expected = [o.email for o in Order.objects.all() if o.number in sent.subject]
            else:
                expected = [settings.SHOP_ADMIN_EMAIL]
            assert reply_to == expected, kind


def test_each_mail_goes_to_the_person_it_is_about_and_staff_notices_to_staff(shop):
    to = {kind: [sent.to for sent in messages] for kind, messages in shop.mails.items()}
    staff = [list(settings.SHOP_STAFF_EMAILS)]
    assert to["staff_new_order"] == staff * 2
    assert to["guestbook_new_entry"] == staff
    assert to["contact_message"] == [[settings.SHOP_ADMIN_EMAIL]]
    assert to["order_confirmation"] == [["guest@example.com"], ["mia@example.com"]]
    assert to["order_shipped"] == [["guest@example.com"]] * 2
    for kind in ("order_delivered",):
        assert to[kind] == [["guest@example.com"]]
    for kind in ("order_cancelled", "order_refunded"):
        assert to[kind] == [["mia@example.com"]]
    assert to["order_paid"] == [["guest@example.com"], ["mia@example.com"]]
    assert to["guestbook_reply"] == [["ada@example.com"]]
    assert to["account_closed"] == [["leaving@example.com"]]


def test_every_plain_text_part_reads_well(shop):
    for kind, messages in shop.mails.items():
        for sent in messages:
            text = sent.body
            assert text.strip(), kind
            assert not re.search(r"<(p|br|a|strong|div|table|td)\b", text), kind  # no HTML tags
            assert not re.search(r"&(amp|lt|gt|quot|#x?[0-9a-f]+);", text, re.I), kind
            assert "\n\n\n" not in text.strip(), kind  # no runs of blank lines
            assert "{{" not in text, kind
            assert "{%" not in text, kind
            # a line on the wire is never over 998 characters (RFC 5322)
            wire = sent.message().as_bytes()
            assert max(len(line) for line in wire.split(b"\n")) <= 998, kind


def test_every_html_part_says_what_the_text_says(shop):
    for kind, messages in shop.mails.items():
        for sent in messages:
            html = html_of(sent)
            if not html:
                assert kind in {
                    "email_confirmation_signup",
                    "account_already_exists",
                    "password_reset_key",
                    "unknown_account",
                }, kind
                continue
            html_text = unescape(re.sub(r"<[^>]+>", " ", html))
            # every link, amount and order number of the text is in the HTML too
            for link in LINK.findall(sent.body):
                assert link.rstrip(".") in html, (kind, link)
            for amount in re.findall(r"€[0-9.,]+[0-9]", sent.body):
                assert amount in html_text, (kind, amount)
            for number in re.findall(r"MP-[A-Z0-9]{4}-[A-Z0-9]{4}", sent.body):
                assert number in html_text, (kind, number)
            assert "<img" not in html or 'alt="' in html, kind
            # laid out at the phone's width, not shrunk from 980 px (tests/e2e/test_phone.py)
            assert html.startswith("<!doctype html>"), kind
            assert '<meta name="viewport" content="width=device-width' in html, kind


def test_amounts_are_written_as_on_the_shops_pages(shop):
    order = shop.guest_order
    (confirmation, _member) = shop.mails["order_confirmation"]
    total = format_money(order.total)
    assert f"Total: {total}" in confirmation.body
    assert f"Please transfer {total}" in confirmation.body
    page = shop.guest.get(reverse("orders:confirmation", args=[order.number]))
    assert total in page.content.decode()
    assert settings.SHOP_ADMIN_EMAIL in confirmation.body
    cancelled = shop.mails["order_cancelled"][0]
    assert format_money(shop.member_order.total) in cancelled.body


def links(shop, kind, index=0) -> list[str]:
    sent = shop.mails[kind][index]
    found = [link.rstrip(".") for link in LINK.findall(sent.body)]
    hrefs = re.findall(r'href="(https?://[^"]+)"', html_of(sent))
    return found + [unescape(h) for h in hrefs]


def path_of(link: str) -> str:
    bits = urlsplit(link)
    assert bits.netloc == "testserver", link  # the shop's own address, as the request came in
    return bits.path + (f"?{bits.query}" if bits.query else "")


def test_a_guests_order_links_open_the_order_inquiry_with_the_number_filled_in(shop):
    order = shop.guest_order
    for kind in ("order_confirmation", "order_paid", "order_shipped", "order_delivered"):
        (own,) = {link for link in links(shop, kind) if "inquiry" in link}
        page = Client().get(path_of(own))  # no sign-in: the mail promises it
        body = page.content.decode()
        assert page.status_code == 200, kind
        assert f'value="{order.number}"' in body, kind
        assert "Lindenstr. 1" not in body  # the order itself only with its e-mail address
    found = Client().post(path_of(own), {"number": order.number, "email": "guest@example.com"})
    assert "JJD02" in found.content.decode()  # with the e-mail address: the order


def test_a_members_order_link_opens_their_order_and_no_one_elses(shop):
    order = shop.member_order
    (own,) = {link for link in links(shop, "order_cancelled") if order.number in link}
    path = path_of(own)
    assert shop.member_client.get(path).status_code == 200
    assert order.number in shop.member_client.get(path).content.decode()
    signed_out = Client().get(path)
    assert signed_out.status_code == 302
    assert signed_out.url.startswith(reverse("account_login"))
    stranger = Client()
    stranger.force_login(UserFactory(email="stranger@example.com"))
    assert stranger.get(path).status_code == 404


def test_the_delivered_mail_links_the_returns_page_and_the_shipped_mail_the_carrier(shop):
    returns = [link for link in links(shop, "order_delivered") if "returns" in link]
    assert returns
    for link in returns:
        page = Client().get(path_of(link))
        assert page.status_code == 200
        assert "return" in page.content.decode().lower()
    tracking = [link for link in links(shop, "order_shipped", 1) if "dhl" in link]
    assert tracking
    assert all(link.startswith("https://") and "JJD02" in link for link in tracking)


def test_staff_notices_link_to_the_thing_in_admin(shop):
    for kind, thing in [
        ("staff_new_order", shop.guest_order.number),
        ("contact_message", "Where is it?"),
        ("guestbook_new_entry", "Lovely mugs"),
    ]:
        admin_links = [link for link in links(shop, kind) if "/admin/" in link]
        assert admin_links, kind
        for link in admin_links:
            page = shop.staff_client.get(path_of(link))
            assert page.status_code == 200, (kind, link)
            assert thing in page.content.decode(), kind
            assert Client().get(path_of(link)).status_code == 302  # sign-in first


def test_the_guestbook_answer_links_the_guestbook_that_shows_it(shop):
    (link,) = set(links(shop, "guestbook_reply"))
    page = Client().get(path_of(link))
    assert "Thanks, Ada &amp; co!" in page.content.decode()


def test_account_mail_links_open_the_page_they_promise(shop):
    (confirm,) = [link for link in links(shop, "email_confirmation_signup") if "confirm" in link]
    assert "Confirm" in Client().get(path_of(confirm)).content.decode()
    (reset,) = [link for link in links(shop, "password_reset_key") if "/key/" in link]
    opened = Client().get(path_of(reset), follow=True)
    assert opened.status_code == 200
    assert 'name="password1"' in opened.content.decode()
    for kind in ("account_already_exists", "unknown_account"):
        for link in links(shop, kind):
            assert Client().get(path_of(link)).status_code == 200, (kind, link)


def test_links_name_the_configured_https_address_in_production(
    settings, django_capture_on_commit_callbacks
):
    """SHOP_URL set (provision.sh sets https://DOMAIN): every link names it, also in mail a
    background job sends (an unpaid bank transfer cancelled)."""
    settings.SHOP_URL = "https://shop.example.com"
    from orders import services
    from tests.orders.helpers import make_cart, place

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    variant = ProductFactory(stock=5).variants.get()
    order = place(make_cart((variant, 1)), shipping, payment="bank_transfer")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, note="Not paid in time")
    for sent in mail.outbox:
        for link in LINK.findall(sent.body) + re.findall(r'href="(http[^"]+)"', html_of(sent)):
            assert link.startswith("https://shop.example.com/"), link

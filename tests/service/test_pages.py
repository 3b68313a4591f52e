"""The customer service center describes the shop as it is."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cart.models import ShippingMethod
from orders.payments import list_payment_methods
from service.models import ServiceText
from service.views import PAGES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_service_pages_promise_only_the_payment_methods_the_shop_takes(client):
    """No card payments until a card method exists: a shopper reading "pay by card" in the
    service center would find no way to do it at checkout."""
    names = [method.name for method in list_payment_methods()]
    takes_cards = any("card" in name.lower() for name in names)
    for slug in ["index", *(slug for slug, _title, _summary in PAGES)]:
        if slug == "contact":
            continue
        body = client.get(reverse(f"service:{slug}")).content.decode()
        main = body[body.index("<main") : body.index("</main>")]
        text = re.sub(r"<[^>]+>", " ", main)
        if not takes_cards:
            assert not re.search(r"\bcards?\b", text, re.IGNORECASE), slug
    payment = client.get(reverse("service:payment")).content.decode()
    for name in names:
        assert name in payment


@pytest.mark.django_db
def test_the_return_period_and_the_bank_transfer_deadline_follow_the_settings(client, settings):
    settings.SHOP_RETURN_DAYS = 14
    settings.SHOP_UNPAID_ORDER_DAYS = 5
    returns = client.get(reverse("service:returns")).content.decode()
    assert "within <strong>14 days</strong> of receiving it" in returns
    assert "7 days" not in returns
    # distance-selling law: a whole order sent back gets its standard delivery refunded too
    assert "we also refund what you paid for its standard delivery" in returns
    commitments = client.get(reverse("service:commitments")).content.decode()
    assert "14 days to change your mind." in commitments
    assert "newsletter" not in commitments  # no mailing list yet: promise nothing about one
    payment = client.get(reverse("service:payment")).content.decode()
    assert "not been paid within 5 days" in payment
    assert "14 days to change your mind" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_legal_notice_names_who_runs_the_shop_from_the_settings(client, settings):
    settings.SHOP_LEGAL_NAME = "Pine <Trading> GmbH"
    settings.SHOP_LEGAL_ADDRESS = ["Hafenweg 3", "", "20457 Hamburg", "Germany"]
    settings.SHOP_LEGAL_REGISTER = "Amtsgericht Hamburg, HRB 123"
    settings.SHOP_VAT_ID = ""
    settings.SHOP_PHONE = "+49 40 123456"
    body = client.get(reverse("service:legal")).content.decode()
    assert "Pine &lt;Trading&gt; GmbH<br>Hafenweg 3<br>20457 Hamburg<br>Germany</address>" in body
    assert "Amtsgericht Hamburg, HRB 123" in body
    assert "+49 40 123456" in body
    assert "VAT ID" not in body  # an empty value leaves its line out
    assert settings.SHOP_ADMIN_EMAIL in body


@pytest.mark.django_db
def test_the_legal_notice_no_longer_links_the_closed_eu_dispute_platform(client):
    # Regulation (EU) 2024/3228 closed the ODR platform on 20 July 2025; a link to it on a
    # legal notice is out of date (and was never right for a shop outside the EU).
    body = client.get(reverse("service:legal")).content.decode()
    assert "ec.europa.eu/consumers/odr" not in body
    assert "We prefer to solve any problem with you directly" in body


@pytest.mark.django_db
def test_every_page_links_the_legal_notice_and_privacy(client, settings):
    settings.SHOP_UNPAID_ORDER_DAYS = 5
    settings.SHOP_SENT_MAIL_DAYS = 90
    home = client.get("/").content.decode()
    assert f'<a href="{reverse("service:legal")}">Legal notice</a>' in home
    assert f'<a href="{reverse("service:privacy")}">Privacy</a>' in home
    privacy = client.get(reverse("service:privacy")).content.decode()
    assert "No tracking, no analytics, no advertising cookies" in privacy
    assert "not paid within 5 days" in privacy
    assert "deleted after two weeks" in privacy
    # what the nightly clean-up deletes (core/housekeeping.py), as configured
    assert "e-mails we send you about it are deleted 90 days after sending" in privacy
    assert (
        "your cart and its session are deleted about 30 days after you last changed your" in privacy
    )


@pytest.mark.django_db
def test_the_overview_says_the_return_period_not_a_placeholder(client, settings):
    """The overview listed "within {days} days": the summary was formatted for the returns
    page's meta description only."""
    settings.SHOP_RETURN_DAYS = 30
    overview = client.get(reverse("service:index")).content.decode()
    assert "{days}" not in overview
    assert "Send back or exchange any item within 30 days." in overview
    returns = client.get(reverse("service:returns")).content.decode()
    assert '<meta name="description" content="Send back or exchange any item within 30 days.">' in (
        returns
    )
    settings.SHOP_RETURN_DAYS = 1
    assert "within 1 day." in client.get(reverse("service:index")).content.decode()


@pytest.mark.django_db
def test_what_the_prices_include_is_the_shops_to_say(client, settings):
    settings.SHOP_PRICES_NOTE = "No VAT is charged (small business, § 19 UStG)."
    home = client.get("/").content.decode()
    commitments = client.get(reverse("service:commitments")).content.decode()
    assert "Prices include VAT" not in home + commitments
    assert "Meadow &amp; Pine. No VAT is charged (small business, § 19 UStG)." in home
    assert "<strong>Clear prices.</strong> No VAT is charged" in commitments

    settings.SHOP_PRICES_NOTE = ""
    assert "Meadow &amp; Pine. <a" in client.get(reverse("service:guide")).content.decode()


def test_staff_write_the_shops_own_service_texts_in_admin(client):
    ShippingMethod.objects.create(name="PostPac Economy", fee=Decimal("9.00"))
    owner = UserFactory(is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(owner)
    add = reverse("admin:service_servicetext_add")
    text = "Orders before noon <b>ship</b> today.\n\nAsk Lena."
    staff.post(add, {"page": "commitments", "text": text})
    staff.post(add, {"page": "delivery", "text": "We pack on Tuesdays and Fridays."})

    commitments = client.get(reverse("service:commitments")).content.decode()
    own = "<p>Orders before noon &lt;b&gt;ship&lt;/b&gt; today.</p>\n<p>Ask Lena.</p>"
    assert own in commitments
    assert "before 14:00" not in commitments
    delivery = client.get(reverse("service:delivery")).content.decode()
    assert "PostPac Economy" in delivery  # the fees still come from the delivery methods
    assert "We pack on Tuesdays and Fridays." in delivery
    assert "packed on the next working day" not in delivery
    guide = client.get(reverse("service:guide")).content.decode()
    assert "1. Find what you need" in guide  # no text of its own: the standard one

    ServiceText.objects.filter(page="commitments").delete()
    assert "before 14:00" in client.get(reverse("service:commitments")).content.decode()


def test_a_service_text_has_headings_lists_links_and_bold_and_nothing_else():
    from service.text import render_service_text

    text = (
        "## Returns\r\n\r\nSend it back within **30 days**.\nNo questions.\n\n"
        "- unused\n- <script>alert(1)</script>\n\n1. [Write to us](/service/contact/)\n"
        "2. [Mail](mailto:help@shop.example) or [site](https://post.example/a?b=1&c=2)\n\n"
        '[bad](javascript:alert(1)) [worse](//evil.example) [quote](/"onmouseover=x)'
    )
    assert render_service_text(text) == (
        "<h2>Returns</h2>\n"
        "<p>Send it back within <strong>30 days</strong>.<br>No questions.</p>\n"
        "<ul><li>unused</li><li>&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>\n"
        '<ol><li><a href="/service/contact/">Write to us</a></li><li><a href="mailto:help@'
        'shop.example">Mail</a> or <a href="https://post.example/a?b=1&amp;c=2">site</a></li>'
        "</ol>\n"
        "<p>[bad](javascript:alert(1)) [worse](//evil.example) "
        '<a href="/&quot;onmouseover=x">quote</a></p>'
    )


def test_a_new_service_text_starts_from_the_pages_standard_text(settings):
    """Writing a page's text began from an empty box: the merchant lost the standard text's
    headings, lists and link, and had to retype what they wanted to keep."""
    from service.text import render_service_text

    settings.SHOP_RETURN_DAYS = 30
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    add = reverse("admin:service_servicetext_add")
    ServiceText.objects.create(page="guide", text="Our own guide.")
    form = staff.get(add).content.decode()
    assert '<a href="?page=returns">Returns and exchanges</a>' in form
    assert "?page=guide" not in form  # written already: changed on its own page

    page = staff.get(add, {"page": "returns"})
    text = page.context["adminform"].form.initial["text"]
    assert text.startswith("You can return or exchange any item within **30 days** of")
    assert "\n\n## What can be returned\n\n- Unused items" in text
    assert "1. [Write to us](/service/contact/?topic=return) with your order number" in text
    assert "{%" not in text
    assert "<" not in text
    # saved as it came, the page reads as the standard one did
    standard = Client().get(reverse("service:returns")).content.decode()
    staff.post(add, {"page": "returns", "text": text})
    own = Client().get(reverse("service:returns")).content.decode()
    assert ServiceText.objects.get(page="returns").text.startswith("You can return")
    for part in (
        "<h2>What can be returned</h2>",
        "<strong>30 days</strong>",
        '<a href="/service/contact/?topic=return">Write to us</a>',
    ):
        assert part in standard
        assert part in own
    assert render_service_text(text).count("<li>") == 5


def test_bold_markup_never_lands_inside_a_links_address():
    """The address of a link may not hold "**": bold was applied after the links and put
    <strong> inside the href (a broken address, and a <strong> left open across the link)."""
    from service.text import render_service_text

    html = render_service_text("See [the list](/products/?q=a**b) and **this** too**")
    assert html == (
        '<p>See <a href="/products/?q=a**b">the list</a> and <strong>this</strong> too**</p>'
    )
    # bold around a whole link, and inside its label, as before
    assert render_service_text("**[Write](/service/contact/)** or [**call**](/x)") == (
        '<p><strong><a href="/service/contact/">Write</a></strong> or '
        '<a href="/x"><strong>call</strong></a></p>'
    )


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("a **b** c", "<p>a <strong>b</strong> c</p>"),
        ("a** b **c", "<p>a** b **c</p>"),  # a marker next to a space is no bold
        ("**open", "<p>**open</p>"),
        ("**a** and **b**", "<p><strong>a</strong> and <strong>b</strong></p>"),
        ("x **y** **", "<p>x <strong>y</strong> **</p>"),
    ],
)
def test_bold_needs_two_markers_hugging_the_text(typed, shown):
    from service.text import render_service_text

    assert render_service_text(typed) == shown


def test_a_long_line_of_unclosed_markers_is_read_in_one_pass():
    """A backtracking pattern took about a second for this line, on every view of the page."""
    from service.text import render_service_text

    html = render_service_text("**a" * 7000)
    assert html.count("<strong>a</strong>") == 3500


@pytest.mark.django_db
def test_the_privacy_page_says_how_long_each_cookie_stays(client, settings):
    """The cookies paragraph named the three cookies but not how long each stays in the
    visitor's browser (the CSRF cookie: a year)."""
    settings.CSRF_COOKIE_AGE = 60 * 60 * 24 * 365
    body = client.get(reverse("service:privacy")).content.decode()
    assert "the session: 30 days after your cart or sign-in last changed" in body
    assert "the forgery protection: 365 days" in body
    assert "the notice: until the next page" in body

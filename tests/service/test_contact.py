"""The customer service form: the question reaches the shop administrator, answers go back to
the shopper, bad input keeps what was typed, and the form cannot be used to mail strangers."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from service.models import ContactMessage
from service.services import delete_old_contact_messages
from service.tasks import delete_old_contact_messages_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("service:contact")
GOOD = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "topic": "order",
    "order_number": "mp-7kq4-x2hd",
    "message": "My parcel has not arrived yet.",
}


def post(client, **data):
    return client.post(URL, {**GOOD, **data})


def test_the_form_is_reachable_from_every_page_and_labelled(client):
    home = client.get("/").content.decode()
    assert f'href="{URL}"' in home  # the footer
    page = client.get(URL)
    body = page.content.decode()
    assert page.status_code == 200
    for field in ("name", "email", "topic", "order_number", "message"):
        assert f'<label for="id_{field}">' in body
    assert 'aria-current="page">Write to us<' in body
    assert settings.SHOP_ADMIN_EMAIL in body


def test_a_question_reaches_the_administrator_with_the_shopper_as_reply_to(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 302
    assert response["Location"] == URL
    message = ContactMessage.objects.get()
    assert (message.name, message.email, message.topic, message.order_number) == (
        "Ada Lovelace",
        "ada@example.com",
        "order",
        "MP-7KQ4-X2HD",
    )
    assert not message.handled
    sent = mail.outbox[-1]
    assert sent.to == [settings.SHOP_ADMIN_EMAIL]
    assert sent.reply_to == ["ada@example.com"]
    assert sent.subject == "Customer message: An order (MP-7KQ4-X2HD), from Ada Lovelace"
    assert "My parcel has not arrived yet." in sent.body
    assert OutboxMessage.objects.get().sent_at is not None
    # and nothing goes to the address typed into the form
    assert all("ada@example.com" not in m.to for m in mail.outbox)
    assert "your message is on its way" in client.get(URL).content.decode()


def test_the_administrator_gets_a_link_to_admin_that_works_from_a_mail_client(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["shop.example"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, GOOD, HTTP_HOST="shop.example", secure=True)
    link = "https://shop.example" + reverse(
        "admin:service_contactmessage_change", args=[ContactMessage.objects.get().pk]
    )
    sent = mail.outbox[-1]
    assert f"in admin: {link}\n" in sent.body
    assert f'<a href="{link}">' in sent.alternatives[0][0]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "message": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid e-mail address."),
        ({"email": "a@example.com\nBcc: victim@example.com"}, "Enter a valid e-mail address."),
        ({"message": "x" * 3001}, "at most 3000 characters"),
        ({"message": " \n "}, "This field is required."),
        ({"message": "\x00nul"}, "Null characters are not allowed."),
        ({"topic": "<script>"}, "Select a valid choice."),
        ({"order_number": "<b>x</b>"}, "does not look like an order number"),
        ({"order_number": "'; DROP TABLE orders;--"}, "at most 20 characters"),
        ({"message": "y" * 100_000}, "at most 3000 characters"),
    ],
)
def test_bad_input_explains_keeps_what_was_typed_and_sends_nothing(client, data, error):
    response = post(client, **data)
    assert response.status_code == 200
    body = response.content.decode()
    assert error in body
    assert not ContactMessage.objects.exists()
    assert not OutboxMessage.objects.exists()
    if "message" not in data:
        assert GOOD["message"] in body
    if data.get("email") == "not-an-email":
        assert 'value="not-an-email"' in body


def test_hostile_text_is_stored_as_typed_and_shown_escaped(
    client, admin_client, django_capture_on_commit_callbacks
):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    with django_capture_on_commit_callbacks(execute=True):
        post(client, name="<b>Eve</b>", message=hostile)
    message = ContactMessage.objects.get()
    assert message.message == hostile
    html = mail.outbox[-1].alternatives[0][0]
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    for url in (
        reverse("admin:service_contactmessage_changelist"),
        reverse("admin:service_contactmessage_change", args=[message.pk]),
    ):
        body = admin_client.get(url).content.decode()
        assert "<script>alert(1)" not in body
        assert "<b>Eve</b>" not in body


def test_a_hostile_but_valid_e_mail_address_is_shown_escaped_in_admin(client, admin_client):
    """A quoted local part may hold markup and still be a valid address (RFC 5322, and
    Django's EmailField takes it): the admin's "write back" link escapes it like any text."""
    address = '"<script>alert(1)</script>"@example.com'
    assert post(client, email=address).status_code == 302
    message = ContactMessage.objects.get()
    assert message.email == address
    for url in (
        reverse("admin:service_contactmessage_changelist"),
        reverse("admin:service_contactmessage_change", args=[message.pk]),
    ):
        body = admin_client.get(url).content.decode()
        assert "<script>alert(1)" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url


def test_bots_filling_the_hidden_field_are_silently_dropped(client):
    response = post(client, website="http://spam.example")
    assert response.status_code == 302
    assert not ContactMessage.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_sending_is_rate_limited_per_client_and_the_text_is_kept(client, settings):
    settings.CONTACT_RATE = 2
    post(client)
    post(client)
    response = post(client, message="My third question")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Please wait a little" in body
    assert "My third question" in body
    assert ContactMessage.objects.count() == 2
    # another client is not affected
    other = client.post(URL, {**GOOD}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


def test_questions_with_mistakes_do_not_count_toward_the_limit(client, settings):
    """A shopper who mistyped a few times can still send the corrected question."""
    settings.CONTACT_RATE = 2
    for _ in range(5):
        assert post(client, order_number="<b>x</b>").status_code == 200
    assert post(client).status_code == 302
    assert post(client, message="Second question").status_code == 302
    assert ContactMessage.objects.count() == 2
    response = post(client, order_number="<b>x</b>", message="Third question")
    assert response.status_code == 429
    assert "Please wait a little" in response.content.decode()
    assert "Third question" in response.content.decode()


def test_a_flood_of_invalid_posts_is_refused_and_the_text_kept(client, settings):
    settings.CONTACT_RATE = 2  # invalid posts allowed: 10 times as many
    for _ in range(20):
        assert post(client, email="not-an-email").status_code == 200
    response = post(client, message="Now a real question")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Please wait a little" in body
    assert "Now a real question" in body
    assert not ContactMessage.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_bots_filling_the_hidden_field_count_like_senders_so_the_answers_match(client, settings):
    """The honeypot stays invisible: a bot is answered exactly as a person would be."""
    settings.CONTACT_RATE = 2
    assert post(client, website="http://spam.example").status_code == 302
    assert post(client, website="http://spam.example").status_code == 302
    assert post(client, website="http://spam.example").status_code == 429
    assert not ContactMessage.objects.exists()


def test_staff_see_the_messages_and_mark_them_handled(client):
    first = ContactMessage.objects.create(name="A", email="a@example.com", message="first")
    second = ContactMessage.objects.create(name="B", email="b@example.com", message="second")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:service_contactmessage_changelist")
    page = client.get(changelist + "?handled__exact=0")
    assert "first" in page.content.decode()
    client.post(changelist, {"action": "mark_handled", "_selected_action": [first.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.handled
    assert not second.handled
    assert client.get(reverse("admin:service_contactmessage_add")).status_code == 403


@pytest.mark.parametrize("url", [URL, reverse("guestbook:index")])
def test_an_empty_post_over_the_limit_is_told_so_not_an_error(client, settings, url):
    settings.CONTACT_RATE = settings.GUESTBOOK_RATE = 1
    assert client.post(url, GOOD).status_code == 302
    response = client.post(url)  # no fields at all
    assert response.status_code == 429
    assert "Please wait" in response.content.decode()


def test_an_address_that_grows_when_lowercased_is_refused_by_the_form_not_the_database(client):
    """ "İ" lowercases to two characters: a valid address can outgrow its column."""
    email = "a@" + ".".join(["\u0130" * 60] * 3) + ".com"
    assert len(email) <= 254
    response = post(client, email=email)
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not ContactMessage.objects.exists()


def test_addresses_are_stored_lowercased_by_every_public_form():
    from guestbook.forms import EntryForm
    from orders.forms import ContactForm as CheckoutContactForm
    from service.forms import ContactForm

    for form in (
        ContactForm({**GOOD, "email": " Ada@Example.COM "}),
        EntryForm({"name": "Ada", "email": "Ada@Example.COM", "message": "Hello"}),
        CheckoutContactForm({"email": "Ada@Example.COM", "phone": "030 1234"}),
    ):
        assert form.is_valid(), form.errors
        assert form.cleaned_data["email"] == "ada@example.com"


@pytest.mark.django_db
def test_staff_reach_the_order_and_write_back_from_a_message(client):
    message = ContactMessage.objects.create(
        name="Ann",
        email="ann@example.com",
        topic="order",
        order_number="MP-ABCD-2345",
        message="Where is my parcel?",
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(
        reverse("admin:service_contactmessage_change", args=[message.pk])
    ).content.decode()
    assert f'href="{reverse("admin:orders_order_changelist")}?q=MP-ABCD-2345"' in body
    assert 'href="mailto:ann@example.com?subject=Re%3A%20your%20message%20to%20' in body


@pytest.mark.parametrize("typed", ["mp 7kq4 x2hd", "MP7KQ4X2HD", "7KQ4-X2HD", "mp–7kq4–x2hd"])
def test_an_order_number_is_kept_as_orders_store_it_so_the_staff_link_finds_it(client, typed):
    # the admin's link to the order searches the orders for this text: "MP7KQ4X2HD" is not
    # contained in the stored "MP-7KQ4-X2HD", so it found nothing
    post(client, order_number=typed)
    assert ContactMessage.objects.get().order_number == "MP-7KQ4-X2HD"


@pytest.mark.django_db
def test_an_outbox_message_is_read_only_in_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    message = OutboxMessage.objects.create(to=["a@example.com"], subject="Hi", body_text="x")
    body = client.get(
        reverse("admin:core_outboxmessage_change", args=[message.pk])
    ).content.decode()
    assert 'name="_save"' not in body
    assert "deletelink" not in body
    assert (
        client.post(
            reverse("admin:core_outboxmessage_delete", args=[message.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert OutboxMessage.objects.filter(pk=message.pk).exists()


@pytest.mark.django_db
def test_an_outbox_message_is_shown_as_the_customer_sees_it_in_a_sandbox(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = '<p style="color: green">Thank you</p><script>alert(1)</script>'
    message = OutboxMessage.objects.create(
        to=["a@example.com"], subject="Hi <b>", body_text="x", body_html=html
    )
    preview = reverse("admin:core_outboxmessage_preview", args=[message.pk])
    page = client.get(reverse("admin:core_outboxmessage_change", args=[message.pk]))
    body = page.content.decode()
    assert f'<iframe class="outbox-preview" sandbox src="{preview}"' in body
    assert "Hi &lt;b&gt;" in body
    assert "Hi <b>" not in body

    response = client.get(preview)
    assert response.status_code == 200
    assert response.content.decode() == html  # the message itself, in a frame that runs nothing
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]
    # the admin's own pages keep their stricter policy
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_text_only_outbox_message_is_previewed_escaped(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    message = OutboxMessage.objects.create(
        to=["a@example.com"], subject="Hi", body_text="<img src=x onerror=alert(1)> & more"
    )
    body = client.get(reverse("admin:core_outboxmessage_preview", args=[message.pk]))
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in body.content.decode()


@pytest.mark.django_db
def test_only_staff_who_may_read_the_outbox_see_a_preview(client):
    message = OutboxMessage.objects.create(to=["a@example.com"], subject="Hi", body_text="x")
    preview = reverse("admin:core_outboxmessage_preview", args=[message.pk])
    assert client.get(preview).status_code == 302  # to the admin login
    client.force_login(UserFactory(is_staff=True))  # staff without the outbox permission
    assert client.get(preview).status_code == 404
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(preview.replace(f"/{message.pk}/", "/nope/")).status_code == 404
    assert client.get(preview.replace(f"/{message.pk}/", "/999999/")).status_code == 404


def test_a_link_from_the_returns_page_or_an_order_fills_in_the_topic_and_number(client):
    """Asking for a return, the shopper found the form set to "Something else" and had to
    copy the order number from their e-mail."""
    returns = client.get(reverse("service:returns")).content.decode()
    assert f'<a href="{URL}?topic=return">Write to us</a> with your order number' in returns

    body = client.get(URL, {"topic": "return", "order": " mp-pwcv-dc38"}).content.decode()
    assert '<option value="return" selected>A return or exchange</option>' in body
    assert 'value="MP-PWCV-DC38"' in body

    ignored = client.get(URL, {"topic": "refund-now", "order": "<script>"}).content.decode()
    assert '<option value="other" selected>' in ignored
    assert "&lt;script&gt;" not in ignored  # not a number: not filled in


def test_a_member_finds_their_e_mail_address_filled_in(client):
    client.force_login(UserFactory(email="mia@example.com"))
    body = client.get(URL).content.decode()
    assert 'value="mia@example.com"' in body


def test_mistakes_are_listed_on_top_of_the_form_each_linking_to_its_field(client):
    body = post(client, email="ada@", message="").content.decode()
    summary = body[body.index('id="form-errors"') : body.index('class="contact-form"')]
    assert 'role="alert"' in body[body.index('<div class="message error error-summary"') :]
    assert "Please correct the 2 fields marked below." in summary
    assert '<a href="#id_email">Your e-mail</a>' in summary
    assert '<a href="#id_message">Your message</a>' in summary
    assert "id_name" not in summary


def test_a_rate_limit_alone_is_no_field_to_correct(client, settings):
    settings.CONTACT_RATE = 1
    post(client)
    body = post(client).content.decode()
    assert "Please wait a little" in body
    assert 'id="form-errors"' not in body


def test_the_order_number_field_gets_capitals_and_no_autocorrect_on_a_phone(client):
    body = client.get(URL).content.decode()
    start = body.index('id="id_order_number"')
    field = body[body.rindex("<input", 0, start) : body.index(">", start)]
    assert 'autocapitalize="characters"' in field
    assert 'autocorrect="off"' in field
    assert 'spellcheck="false"' in field


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("MP-7KQ4-X2H", "MP-7KQ4-X2H"),  # a character short: was "M-P7KQ-4X2H"
        ("mp-7kq4-x2hdd", "MP-7KQ4-X2HDD"),  # one too many: was "MP7-KQ4X-2HDD"
        ("MP–7KQ4–X2H", "MP-7KQ4-X2H"),  # en dashes (a phone's) become plain ones
        ("Order 1234", "ORDER1234"),  # no 1 in any number: was "O-RDER-1234"
        ("mp-7kq4-x2ho", "MP-7KQ4-X2HO"),  # an O (numbers have none) is kept as typed
    ],
)
def test_a_mistyped_order_number_is_kept_as_typed_not_cut_into_another_number(client, typed, kept):
    """Any prefix is accepted now (SHOP_ORDER_PREFIX may have changed), and a number with a
    typo was cut at the wrong place into one that looks real ("M-P7KQ-4X2H"): staff searched
    for that and found nothing, where the typed text finds the order it nearly names."""
    post(client, order_number=typed)
    assert ContactMessage.objects.get().order_number == kept


def test_messages_are_deleted_after_the_retention_period(settings):
    """Messages to customer service were kept for ever: each holds a name, an e-mail address
    and often an order number or a phone number. They go SHOP_CONTACT_MESSAGE_DAYS after they
    arrived, answered or not."""
    settings.SHOP_CONTACT_MESSAGE_DAYS = 100
    now = timezone.now()
    for name, age, handled in (("old", 101, True), ("old unread", 101, False), ("kept", 99, True)):
        message = ContactMessage.objects.create(
            name=name, email="ada@example.com", message="Hello", handled=handled
        )
        ContactMessage.objects.filter(pk=message.pk).update(
            created_at=now - datetime.timedelta(days=age)
        )

    assert delete_old_contact_messages(now=now) == 2

    assert list(ContactMessage.objects.values_list("name", flat=True)) == ["kept"]
    assert delete_old_contact_messages_task.delay().get() == 0  # a second run: nothing left


def test_the_privacy_page_says_how_long_messages_are_kept(client, settings):
    settings.SHOP_CONTACT_MESSAGE_DAYS = 365
    body = client.get(reverse("service:privacy")).content.decode()
    assert "to answer you; they are deleted 365 days after they arrive" in body

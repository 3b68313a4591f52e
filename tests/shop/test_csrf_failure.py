"""The page a form refused by the CSRF check shows (settings.CSRF_FAILURE_VIEW).

The three ways a shopper meets it: cookies blocked (the browser sends none), a form left open
in one tab while they signed in or out in another (the token changed), and a page open for a
very long time. Each is named in plain words with the way on, and what they typed is kept.
"""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from guestbook.models import Entry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"


def _token(client: Client, path: str = "/guestbook/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def test_no_cookies_at_all_says_the_shop_needs_cookies():
    browser = Client(enforce_csrf_checks=True)  # sends no cookie: a browser that blocks them

    response = browser.post(
        "/cart/add/", {"variant": "1", "quantity": "1", "csrfmiddlewaretoken": "x" * 32}
    )

    assert response.status_code == 403
    text = response.content.decode()
    assert "cookies" in text.lower()
    assert "allow them for testserver" in text
    assert "CSRF verification failed" not in text  # not Django's default page
    # no Origin: not known to come from the shop's own page, so nothing is written back
    assert "Send it again" not in text


def test_cookies_just_deleted_what_was_typed_is_kept_and_sent_again():
    """A message typed, then the browser's cookies deleted (or blocked, then allowed): the page
    said "go back, reload the page and send the form again", and a reload emptied the form."""
    browser = Client(enforce_csrf_checks=True)  # no cookie at all
    message = "Where is my parcel?\nIt has been two weeks."
    refused = browser.post(
        "/guestbook/",
        {"name": "Zoë", "message": message, "csrfmiddlewaretoken": "x" * 32},
        HTTP_ORIGIN=ORIGIN,
    )
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "This shop needs cookies" in text
    assert "allow them for testserver" in text
    assert 'value="Zoë"' in text
    assert "Where is my parcel?<br>It has been two weeks." in text  # to copy, too
    assert "csrftoken" in browser.cookies  # the page gave the browser its cookie
    form = dict(refused.context["resend"])
    form["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]

    response = browser.post(refused.context["action"], form, HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.name, entry.message.replace("\r\n", "\n")) == ("Zoë", message)


def test_a_token_changed_in_another_tab_explains_and_offers_to_send_again():
    browser = Client(enforce_csrf_checks=True)
    _token(browser)
    browser.cookies["csrftoken"] = "b" * 32  # signed in in another tab: a new secret

    response = browser.post(
        "/guestbook/",
        {
            "name": "Tab Bee",
            "message": "A long message typed with care.",
            "csrfmiddlewaretoken": "a" * 32,
        },
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 403
    text = response.content.decode()
    assert "another window or tab" in text
    assert "Send it again" in text
    # what was typed is in the form that sends it again (and nothing else of the old token)
    assert 'value="Tab Bee"' in text
    assert "A long message typed with care." in text
    assert "a" * 32 not in text
    assert Entry.objects.count() == 0


def test_send_it_again_posts_what_was_typed_once():
    browser = Client(enforce_csrf_checks=True)
    _token(browser)
    browser.cookies["csrftoken"] = "b" * 32
    refused = browser.post(
        "/guestbook/",
        {"name": "Tab Bee", "message": "Hello from tab B.", "csrfmiddlewaretoken": "a" * 32},
        HTTP_ORIGIN=ORIGIN,
    )
    form = dict(refused.context["resend"])
    form["csrfmiddlewaretoken"] = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', refused.content.decode()
    )[1]

    response = browser.post(refused.context["action"], form, HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 302
    assert Entry.objects.get().message == "Hello from tab B."


def test_passwords_are_never_written_back_into_the_page():
    browser = Client(enforce_csrf_checks=True)
    _token(browser, "/accounts/login/")
    browser.cookies["csrftoken"] = "b" * 32

    response = browser.post(
        "/accounts/login/",
        {"login": "a@example.com", "password": "s3cret-Pa55", "csrfmiddlewaretoken": "a" * 32},
        HTTP_ORIGIN=ORIGIN,
    )

    text = response.content.decode()
    assert response.status_code == 403
    assert "s3cret-Pa55" not in text
    assert "Send it again" not in text
    assert "reload" in text.lower()


def test_a_post_from_another_site_gets_no_send_again_form():
    browser = Client(enforce_csrf_checks=True)
    _token(browser)

    response = browser.post(
        "/guestbook/",
        {"name": "Mallory", "message": "Buy pills", "csrfmiddlewaretoken": "a" * 32},
        HTTP_ORIGIN="https://evil.example",
    )

    text = response.content.decode()
    assert response.status_code == 403
    assert "Send it again" not in text
    assert "Buy pills" not in text


def test_signing_out_changes_the_token_so_a_form_open_elsewhere_is_not_sent_signed_out():
    """Signed out in one tab, a member's form sent from another: without a new token the
    address went to the sign-in page and was lost without a word; now the CSRF page says what
    happened and keeps what was typed."""
    member = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    browser.get("/accounts/addresses/add/")
    old = browser.cookies["csrftoken"].value
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": old}, HTTP_ORIGIN=ORIGIN)
    assert browser.cookies["csrftoken"].value != old

    response = browser.post(
        "/accounts/addresses/add/",
        {"full_name": "Tab Bee", "line1": "Street 1", "csrfmiddlewaretoken": old},
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 403
    text = response.content.decode()
    assert "signed in or out" in text
    assert "Street 1" in text


def test_sign_out_from_a_tab_already_signed_out_elsewhere_just_signs_out():
    member = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    browser.get("/")
    old = browser.cookies["csrftoken"].value
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": old}, HTTP_ORIGIN=ORIGIN)

    # the other tab's "Sign out" button still carries the old token
    response = browser.post(
        "/accounts/logout/", {"csrfmiddlewaretoken": old}, HTTP_ORIGIN=ORIGIN, follow=True
    )

    assert response.status_code == 200
    assert "You are signed out." in [str(m) for m in response.context["messages"]]


def test_sign_in_from_a_tab_already_signed_in_elsewhere_goes_on_signed_in():
    member = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    old = _token(browser, "/accounts/login/")
    browser.force_login(member)  # in the other tab (a new token there)
    browser.cookies["csrftoken"] = "b" * 32

    response = browser.post(
        "/accounts/login/",
        {"login": member.email, "password": "whatever", "csrfmiddlewaretoken": old},
        HTTP_ORIGIN=ORIGIN,
        follow=True,
    )

    assert response.status_code == 200
    assert f"You are signed in as {member.email}." in [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("after", "lands_on"),
    [
        ("/orders/mine/", "/orders/mine/"),
        ("checkout", "/"),  # a word: was taken for a URL name, NoReverseMatch, a 500
        ('"><img src=x onerror=alert(1)>', "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
    ],
)
def test_sign_in_from_a_tab_already_signed_in_goes_on_to_a_next_on_this_site_only(after, lands_on):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory())
    browser.cookies["csrftoken"] = "b" * 32

    response = browser.post(
        f"/accounts/login/?{urlencode({'next': after})}",
        {"login": "x@example.com", "csrfmiddlewaretoken": "a" * 32},
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_what_was_typed_is_listed_under_words_a_shopper_knows_without_hidden_fields():
    """The list showed the fields' names ("line1", "idempotency_key"); hidden fields are still
    sent again, but only what the person typed is listed, under its label."""
    browser = Client(enforce_csrf_checks=True)
    _token(browser)  # the cookie; the form below carries none (another tab changed it)
    response = browser.post(
        "/checkout/",
        {"full_name": "Tab Bee", "line1": "Street 1", "idempotency_key": "k" * 32},
        HTTP_ORIGIN=ORIGIN,
    )
    assert response.status_code == 403
    assert response.context["typed"] == [("Name", "Tab Bee"), ("Address", "Street 1")]
    text = response.content.decode()
    assert 'name="idempotency_key" value="' + "k" * 32 in text  # sent again as it was
    assert "<dt>idempotency_key</dt>" not in text
    assert "<dt>line1</dt>" not in text


def test_signed_out_the_way_the_page_gives_to_send_it_again_works():
    """The page said: sign in again in another tab first, then send it from here. Signing in
    changes the code again, so that send met this page once more; it says so now, and the
    second send goes through."""
    member = UserFactory()
    member.set_password("a-long-pass-phrase")
    member.save()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    browser.get("/accounts/addresses/add/")
    old = browser.cookies["csrftoken"].value
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": old}, HTTP_ORIGIN=ORIGIN)
    typed = {
        "full_name": "Tab Bee",
        "line1": "Street 1",
        "postcode": "10115",
        "city": "Berlin",
        "country": "Germany",
    }
    refused = browser.post(
        "/accounts/addresses/add/", {**typed, "csrfmiddlewaretoken": old}, HTTP_ORIGIN=ORIGIN
    )
    text = refused.content.decode()
    assert "once more" in text  # what the next send will meet, said before it happens

    def send_from(page):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        form = {**dict(page.context["resend"]), "csrfmiddlewaretoken": token[1]}
        return browser.post(page.context["action"], form, HTTP_ORIGIN=ORIGIN)

    browser.get("/accounts/login/")  # the other tab: sign in again
    browser.post(
        "/accounts/login/",
        {
            "login": member.email,
            "password": "a-long-pass-phrase",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
        HTTP_ORIGIN=ORIGIN,
    )

    again = send_from(refused)
    assert again.status_code == 403  # the sign-in changed the code
    assert again.context["typed"] == refused.context["typed"]
    sent = send_from(again)
    assert sent.status_code == 302
    assert member.addresses.get().line1 == "Street 1"

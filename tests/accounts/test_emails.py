"""Account e-mails (allauth's, sent through the outbox) name the shop and the address."""

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"


def test_sign_up_mail_names_the_shop_and_the_address(client):
    client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    message = OutboxMessage.objects.get(to=["fresh@example.com"])
    assert message.subject.startswith(f"{settings.SHOP_NAME}: ")
    assert "testserver" not in message.subject
    assert f"account at {settings.SHOP_NAME}" not in message.body_text
    assert f"your {settings.SHOP_NAME} account" in message.body_text
    assert "http://testserver/accounts/" in message.body_text  # the confirmation link
    # the shop's words, not the library's ("user x has given your email address to register")
    assert "has given your email" not in message.body_text
    assert "ignore this e-mail" in message.body_text
    assert message.body_text.rstrip().endswith(f"Questions? Write to {settings.SHOP_ADMIN_EMAIL}.")
    assert "http://testserver/\n" in message.body_text  # the shop's address under its name


def test_password_reset_mails_name_the_shop_and_the_address(client):
    UserFactory(email="known@example.com")
    client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    known = OutboxMessage.objects.get(to=["known@example.com"])
    unknown = OutboxMessage.objects.get(to=["nobody@example.com"])
    for message in (known, unknown):
        assert settings.SHOP_NAME in message.body_text
        assert "from !" not in message.body_text
        assert " on ." not in message.body_text
    assert "nobody@example.com" in unknown.body_text  # "an account with email ..."
    assert "http://testserver/accounts/password/reset/key/" in known.body_text
    # a guest who forgot they ordered as a guest is shown where to look the order up
    assert f"http://testserver{reverse('orders:inquiry')}" in unknown.body_text
    assert "http://testserver/accounts/signup/" in unknown.body_text


def test_signing_up_with_a_known_address_mails_its_owner_a_reset_link(client):
    UserFactory(email="known@example.com")
    client.post(
        reverse("account_signup"),
        {"email": "known@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    message = OutboxMessage.objects.get(to=["known@example.com"])
    assert message.subject == f"{settings.SHOP_NAME}: You already have an account"
    assert "already have an account with this address" in message.body_text
    assert "http://testserver/accounts/password/reset/" in message.body_text


def test_account_mail_subjects_use_the_shops_words(client):
    UserFactory(email="known@example.com")
    client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    subjects = {m.to[0]: m.subject for m in OutboxMessage.objects.all()}
    assert subjects["fresh@example.com"] == (
        f"{settings.SHOP_NAME}: Please confirm your e-mail address"
    )
    assert subjects["known@example.com"] == f"{settings.SHOP_NAME}: Choose a new password"


def test_account_mails_name_the_configured_address_of_the_shop(client, settings):
    """With SHOP_URL the shop's own links name its public address, whatever Host the request
    came in with (a second host name, the server's own)."""
    settings.SHOP_URL = "https://shop.example.com"
    UserFactory(email="known@example.com")
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    message = OutboxMessage.objects.get(to=["nobody@example.com"])
    assert "https://shop.example.com/orders/inquiry/" in message.body_text
    assert "https://shop.example.com/\n" in message.body_text
    assert "https://shop.example.com/accounts/signup/" in message.body_text
    # allauth's own links too: the reset key and the confirmation key
    reset = OutboxMessage.objects.get(to=["known@example.com"]).body_text
    assert "https://shop.example.com/accounts/password/reset/key/" in reset
    confirm = OutboxMessage.objects.get(to=["fresh@example.com"]).body_text
    assert "https://shop.example.com/accounts/confirm-email/" in confirm
    for body in (message.body_text, reset, confirm):
        assert "testserver" not in body

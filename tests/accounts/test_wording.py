"""django-allauth's pages in the shop's own words (locale/en/LC_MESSAGES/django.po)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def heading(body: str) -> str:
    return " ".join(re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1).split())


LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def test_sign_in_and_register_pages_say_what_the_header_says(client):
    login = client.get(reverse("account_login")).content.decode()
    assert heading(login) == "Sign in"
    assert "Sign In" not in login
    assert "Keep me signed in on this device" in login
    assert ">E-mail" in login
    assert "or order as a guest" in login
    signup = client.get(reverse("account_signup")).content.decode()
    assert heading(signup) == "Register"
    assert "Sign Up" not in signup
    assert "Password again" in signup


def test_the_account_link_leads_to_the_account_pages_and_they_use_the_shops_words(client):
    client.force_login(UserFactory())
    home = client.get("/").content.decode()
    assert f'<a href="{reverse("accounts:addresses")}">Account</a>' in home
    email = client.get(reverse("account_email")).content.decode()
    assert "E-mail addresses" in email
    assert "Email Addresses" not in email
    password = client.get(reverse("account_change_password")).content.decode()
    assert heading(password) == "Change password"


def test_account_messages_say_e_mail_and_name_a_way_to_reach_the_shop(client):
    """allauth's and Django's wording said "email" and "contact us" without saying how."""
    login = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "wrong-pass"}
    ).content.decode()
    assert "The e-mail address or the password is not correct." in login
    signup = client.post(
        reverse("account_signup"), {"email": "nonsense", "password1": "x", "password2": "x"}
    ).content.decode()
    assert "Enter a valid e-mail address." in signup
    mailto = f'href="mailto:{settings.SHOP_ADMIN_EMAIL}"'
    reset = client.get(reverse("account_reset_password")).content.decode()
    assert mailto in reset
    assert f'href="{reverse("orders:inquiry")}"' in reset
    sent = client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True
    ).content.decode()
    assert "We have sent an e-mail to that address" in sent
    assert mailto in sent
    signed_up = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
        follow=True,
    ).content.decode()
    assert "follow it to confirm your address" in signed_up
    assert mailto in signed_up
    for body in (login, signup, reset, sent, signed_up):
        assert not re.search(r"\b[Ee]mail\b", re.sub(r"<[^>]+>", " ", body)), "say e-mail"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext's msgfmt")
def test_the_committed_translations_are_compiled_from_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(  # noqa: S603 - fixed arguments, our own file
        ["msgfmt", "--check", "-o", str(compiled), str(LOCALE / "django.po")],  # noqa: S607
        check=True,
    )
    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes(), "run `make messages`"

"""Pages write their forms' CSRF token with core.csrf (two random reads, not 64 system calls),
and it is the token Django would give: valid for the visitor's cookie, accepted by a POST."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_pages_form_token_is_made_without_djangos_per_character_draws(client, monkeypatch):
    def per_character(*args, **kwargs):
        raise AssertionError("get_random_string drew the token")

    monkeypatch.setattr("django.middleware.csrf.get_random_string", per_character)
    product = ProductFactory()
    response = client.get(product.get_absolute_url())
    tokens = TOKEN.findall(response.content.decode())
    assert tokens
    assert {_unmask_cipher_token(t) for t in tokens} == {client.cookies["csrftoken"].value}


def test_the_token_a_page_writes_is_accepted_and_a_missing_one_refused():
    product = ProductFactory(stock=5)
    shopper = Client(enforce_csrf_checks=True)
    page = shopper.get(product.get_absolute_url()).content.decode()
    token = TOKEN.search(page).group(1)
    variant = product.variants.get().pk
    refused = shopper.post("/cart/add/", {"variant": variant, "quantity": 1})
    assert refused.status_code == 403
    added = shopper.post(
        "/cart/add/", {"variant": variant, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302
    # the next page keeps the same cookie secret (a new mask, the same secret)
    again = TOKEN.search(shopper.get("/cart/").content.decode()).group(1)
    assert again != token
    assert _unmask_cipher_token(again) == _unmask_cipher_token(token)

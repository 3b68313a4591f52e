"""The session store (core.sessions): an existing session is written in one statement."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_changed_session_is_one_update_and_reads_back():
    store = SessionStore()
    store["cart_id"] = 7
    store.save()  # created (Django's way)
    key = store.session_key
    store["step"] = "address"
    with CaptureQueriesContext(connection) as queries:
        store.save()
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1
    assert statements[0].startswith("UPDATE")
    again = SessionStore(session_key=key)
    assert again["cart_id"] == 7
    assert again["step"] == "address"
    from django.core.cache import cache

    cache.clear()  # from the database too, not only the cache
    assert SessionStore(session_key=key)["step"] == "address"


def test_a_session_deleted_meanwhile_is_not_brought_back():
    store = SessionStore()
    store["cart_id"] = 7
    store.save()
    Session.objects.filter(session_key=store.session_key).delete()
    store["step"] = "address"
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_checkout_steps_still_keep_the_session(client):
    from tests.factories import ProductFactory

    product = ProductFactory(stock=5)
    client.get("/")
    token = client.cookies["csrftoken"].value
    client.post(
        "/cart/add/",
        {"variant": product.variants.get().pk, "quantity": 2, "csrfmiddlewaretoken": token},
    )
    body = client.get("/cart/").content.decode()
    assert 'aria-label="2 items in cart"' in body

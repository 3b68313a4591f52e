"""Admin lists on big tables: the outbox (100,000 e-mails with their bodies) is listed,
filtered and searched from indexes (PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.adminlists import search_terms
from core.models import OutboxMessage
from tests.conftest import list_query
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUTBOX = reverse("admin:core_outboxmessage_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    return client


def mail(to, subject, **fields):
    return OutboxMessage.objects.create(to=[to], subject=subject, body_text="Hello", **fields)


def test_search_terms_split_as_django_does():
    assert search_terms('greta "Trail Lamp" MP-7KQ4') == ["greta", "Trail Lamp", "MP-7KQ4"]


def test_staff_find_e_mails_by_recipient_or_subject(staff_client):
    mail("ann@example.com", "Your order MP-7KQ4-X2HD")
    mail("bo@example.com", "Your order MP-AAAA-BBBB", attempts=2)

    def found(**params):
        return staff_client.get(OUTBOX, params).content.decode()

    assert "ann@example.com" in found(q="ANN@example")
    assert "bo@example.com" not in found(q="ann@example.com")
    assert "ann@example.com" in found(q="mp-7kq4 ann")
    assert "ann@example.com" not in found(q="mp-7kq4 bo@")
    failing = found(delivery="failing")
    assert "bo@example.com" in failing
    assert "ann@example.com" not in failing
    assert "Failing (not sent, tried) (1)" in found(_facets="True")


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "outbox_newest"),
        ({"kind": "order_paid"}, "outbox_kind_newest"),
        ({"q": "ann@example"}, "outbox_to_trgm"),
        ({"q": "MP-7KQ4"}, "outbox_subject_trgm"),
    ],
)
def test_the_outbox_list_reads_indexes(staff_client, query_plan, params, index):
    mail("ann@example.com", "Your order MP-7KQ4-X2HD", kind="order_paid")
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(OUTBOX, params).status_code == 200
    sql = list_query(captured.captured_queries, "core_outboxmessage")
    assert index in query_plan(sql, sorted_by_index="q" not in params)

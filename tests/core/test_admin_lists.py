"""Admin lists on big tables: the outbox (100,000 e-mails with their bodies) is listed,
filtered and searched from indexes (PostgreSQL)."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.adminlists import MAX_SEARCH_WORDS, search_terms
from core.models import OutboxMessage
from tests.conftest import list_query

pytestmark = pytest.mark.django_db

OUTBOX = reverse("admin:core_outboxmessage_changelist")


def mail(to, subject, **fields):
    return OutboxMessage.objects.create(to=[to], subject=subject, body_text="Hello", **fields)


def test_the_outbox_list_says_how_long_copies_are_kept(staff_client, settings):
    settings.SHOP_SENT_MAIL_DAYS = 90
    body = staff_client.get(OUTBOX).content.decode()
    assert "Copies are deleted 90 days after sending" in body


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


def test_a_search_of_many_words_looks_for_the_first_ten(staff_client):
    # Each word is a subquery: 1,000 words (a 6 KB link) kept PostgreSQL planning for half a
    # minute on 2.5 GB, on empty tables, long after gunicorn gave up on the request.
    mail("ann@example.com", "Your order MP-7KQ4-X2HD")
    words = ["your", "order", "your"] + [f"w{n}" for n in range(300)]
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(OUTBOX, {"q": " ".join(words), "_facets": "True"})
    assert response.status_code == 200
    sql = list_query(captured.captured_queries, "core_outboxmessage")
    assert sql.count("SELECT") <= 1 + MAX_SEARCH_WORDS
    page = response.content.decode()
    assert "ann@example.com" not in page  # "w0" is one of the first ten: still looked for
    assert page.count(f"Only the first {MAX_SEARCH_WORDS} different words were looked for") == 1
    # a repeated word is looked for once, and counts once
    response = staff_client.get(OUTBOX, {"q": " ".join(["your", "order"] * 50)})
    assert "ann@example.com" in response.content.decode()
    assert "Only the first" not in response.content.decode()


def test_a_search_of_many_words_also_works_without_the_messages_framework(rf):
    mail("ann@example.com", "Your order MP-7KQ4-X2HD")
    outbox_admin = admin.site._registry[OutboxMessage]
    words = " ".join(["your", "order", *(["mp-7kq4"] * 3), *(f"w{n}" for n in range(20))])
    found, _ = outbox_admin.get_search_results(rf.get("/"), OutboxMessage.objects.all(), words)
    assert not found.exists()
    found, _ = outbox_admin.get_search_results(rf.get("/"), OutboxMessage.objects.all(), "your")
    assert found.exists()


def test_django_searched_lists_also_look_for_at_most_ten_words(staff_client):
    """The lists that keep Django's own search (every word a condition on every field) are
    capped too: 200 words there kept a PostgreSQL backend busy for minutes."""
    from guestbook.models import Entry

    Entry.objects.create(name="Ada Lovelace", message='She wrote "a poem" about tea')
    url = reverse("admin:guestbook_entry_changelist")
    words = ["ada", '"a poem"'] + [f"w{n}" for n in range(8)] + ["lovelace"] * 3 + ["zz"] * 40
    with CaptureQueriesContext(connection) as captured:
        page = staff_client.get(url, {"q": " ".join(words)}).content.decode()
    assert page.count("Only the first 10 different words were looked for") == 1
    list_sql = list_query(captured.captured_queries, "guestbook_entry")
    assert list_sql.count("LIKE") <= 4 * MAX_SEARCH_WORDS  # 4 search fields
    assert "Ada Lovelace" not in page.split('id="result_list"')[-1]  # "w0" … are looked for
    # a phrase in quotes is kept as one word through the cut
    found = staff_client.get(url, {"q": " ".join(['"a poem"', "ada"] + ["ada"] * 20)})
    assert "Ada Lovelace" in found.content.decode()
    short = staff_client.get(url, {"q": '"a poem" tea'}).content.decode()
    assert "Ada Lovelace" in short
    assert "Only the first" not in short


@pytest.mark.parametrize(
    ("model", "field"), [("category", "parent"), ("product", "category"), ("variant", "product")]
)
def test_a_nul_in_an_autocomplete_search_is_ignored_not_a_server_error(staff_client, model, field):
    """PostgreSQL refuses a NUL in a text value: the autocomplete answered 500."""
    from tests.factories import ProductFactory

    product = ProductFactory(name="Blue kettle")
    params = {"app_label": "catalog", "model_name": model, "field_name": field}
    for term in ("\x00", "Blue\x00"):
        response = staff_client.get(reverse("admin:autocomplete"), {**params, "term": term})
        assert response.status_code == 200
    if model == "variant":  # the product search finds what the term without its NUL finds
        assert [r["text"] for r in response.json()["results"]] == [str(product)]


def test_the_outbox_filters_sent_and_unsent_e_mails_in_plain_words(staff_client):
    """Beside "By delivery" the list had Django's "By sent at: Empty / Not empty", which
    staff had to read as "not sent" and "sent"; "By delivery" now also offers "Sent"."""
    from django.utils import timezone

    mail("ann@example.com", "Your order MP-7KQ4-X2HD", sent_at=timezone.now())
    mail("bo@example.com", "Your order MP-AAAA-BBBB")

    page = staff_client.get(OUTBOX).content.decode()
    assert "Not empty" not in page
    assert "By sent at" not in page
    sent = staff_client.get(OUTBOX, {"delivery": "sent"}).content.decode()
    assert "ann@example.com" in sent
    assert "bo@example.com" not in sent
    waiting = staff_client.get(OUTBOX, {"delivery": "waiting"}).content.decode()
    assert "bo@example.com" in waiting
    assert "ann@example.com" not in waiting

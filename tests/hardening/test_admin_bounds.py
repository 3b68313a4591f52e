"""The staff admin on a shop of some years: every list page costs the same few queries
however many rows it shows, pages deep in a list show what Django's paging shows, and
"Delete selected" asks about at most DELETE_MAX_ROWS rows (its page lists every one)."""

import re
from datetime import date, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Address, User
from cart.models import Cart, ShippingMethod
from core import adminlists
from core.adminlists import TailPaginator
from core.models import OutboxMessage
from guestbook.admin import EntryAdmin
from guestbook.models import Entry
from search.models import SearchCount
from service.models import ContactMessage
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    return client


def members(n):
    users = User.objects.bulk_create(
        User(email=f"member{i}@example.com", first_name="Mia", last_name=f"Berg{i}")
        for i in range(n)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    return users


def rows(kind, n):
    """``n`` rows for the list ``kind``."""
    if kind in ("user", "emailaddress"):
        members(n)
    elif kind == "address":
        Address.objects.bulk_create(
            Address(user=u, full_name="Mia Berg", line1="Weg 1", postcode="10115", city="Berlin")
            for u in members(n)
        )
    elif kind == "cart":
        Cart.objects.bulk_create(Cart(user=u) for u in members(n))
    elif kind == "entry":
        Entry.objects.bulk_create(Entry(name="Mia", message=f"Hello {i}") for i in range(n))
    elif kind == "contactmessage":
        ContactMessage.objects.bulk_create(
            ContactMessage(name="Mia", email="m@example.com", message="Hi", order_number=f"MP-{i}")
            for i in range(n)
        )
    elif kind == "searchcount":
        today = timezone.localdate()
        SearchCount.objects.bulk_create(
            SearchCount(query="tea", day=today - timedelta(days=i), count=3) for i in range(n)
        )
    elif kind == "outboxmessage":
        OutboxMessage.objects.bulk_create(
            OutboxMessage(to=[f"m{i}@example.com"], subject="Hi", body_text="Hi") for i in range(n)
        )
    elif kind in ("product", "variant"):
        for i in range(n):
            ProductFactory(name=f"Lamp {i}")


LISTS = {
    # list: (its admin URL name, the most queries its page may take)
    "user": ("admin:accounts_user_changelist", 6),
    "address": ("admin:accounts_address_changelist", 6),
    "emailaddress": ("admin:account_emailaddress_changelist", 6),
    "cart": ("admin:cart_cart_changelist", 6),
    "entry": ("admin:guestbook_entry_changelist", 8),
    "contactmessage": ("admin:service_contactmessage_changelist", 8),
    "searchcount": ("admin:search_searchcount_changelist", 10),
    "outboxmessage": ("admin:core_outboxmessage_changelist", 7),
    "product": ("admin:catalog_product_changelist", 9),
    "variant": ("admin:catalog_variant_changelist", 8),
}


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize("kind", LISTS)
def test_a_list_page_costs_the_same_queries_for_3_or_30_rows(
    staff_client, django_assert_max_num_queries, kind, n
):
    rows(kind, n)
    name, budget = LISTS[kind]
    with django_assert_max_num_queries(budget):
        response = staff_client.get(reverse(name))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= n


@pytest.mark.parametrize("orphans", [0, 1])
def test_the_tail_paginator_pages_as_django_does(orphans):
    """Past the middle a page is read from the other end: the same rows, in the same order,
    on every page, with ties (the same moment) ordered by id."""
    moment = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(to=["a@example.com"], subject=f"{i}", body_text="x", created_at=moment)
        for i in range(11)
    )
    listed = OutboxMessage.objects.order_by("-created_at", "-pk")
    django, tail = Paginator(listed, 3, orphans=orphans), TailPaginator(listed, 3, orphans=orphans)
    assert tail.num_pages == django.num_pages
    for number in django.page_range:
        assert [m.pk for m in tail.page(number)] == [m.pk for m in django.page(number)]


def test_the_last_page_of_a_list_shows_the_oldest_rows(staff_client, monkeypatch):
    for i in range(7):
        Entry.objects.create(name="Mia", message=f"Message {i}")
    monkeypatch.setattr(EntryAdmin, "list_per_page", 3)
    response = staff_client.get(reverse("admin:guestbook_entry_changelist"), {"p": "3"})
    assert [e.message for e in response.context["cl"].result_list] == ["Message 0"]


def delete_all(client, url_name, model):
    return client.post(
        reverse(url_name),
        {
            "action": "delete_selected",
            "_selected_action": [model.objects.values_list("pk", flat=True).first()],
            "select_across": "1",
            "index": "0",
        },
    )


def test_delete_selected_on_more_rows_than_its_page_can_list_is_refused(staff_client, monkeypatch):
    monkeypatch.setattr(adminlists, "DELETE_MAX_ROWS", 2)
    for i in range(3):
        Entry.objects.create(name="Spam", message=f"Buy now {i}")
    response = delete_all(staff_client, "admin:guestbook_entry_changelist", Entry)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "3 guestbook entries selected: at most 2 at a time. Narrow the list first (a filter, "
        "the dates above it, a search) and run it on each part."
    ]
    assert Entry.objects.count() == 3


def test_delete_selected_within_the_limit_asks_and_deletes_as_django_does(
    staff_client, monkeypatch
):
    monkeypatch.setattr(adminlists, "DELETE_MAX_ROWS", 2)
    for i in range(2):
        Entry.objects.create(name="Spam", message=f"Buy now {i}")
    asked = delete_all(staff_client, "admin:guestbook_entry_changelist", Entry)
    assert asked.status_code == 200
    assert "Are you sure you want to delete the selected guestbook entries?" in asked.text
    staff_client.post(
        reverse("admin:guestbook_entry_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(Entry.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert not Entry.objects.exists()


def year_links(body: str, field: str) -> list[str]:
    return re.findall(rf'<a href="\?{field}__year=(\d{{4}})"', body)


def test_the_order_lists_year_links_are_the_years_with_orders(staff_client):
    """Read from the first and last order and one look per year between (an index each),
    not by grouping every order by its year; a year without orders has no link."""
    from orders.models import Order
    from tests.orders.helpers import make_cart, place

    lamp = ProductFactory(name="Lamp", stock=50).variants.get()
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")
    zone = timezone.get_current_timezone()
    for year in (2022, 2024, 2025):
        order = place(make_cart((lamp, 1)), shipping)
        moment = datetime(year, 12, 31, 23, 30, tzinfo=zone)  # the shop's year, not UTC's
        Order.objects.filter(pk=order.pk).update(created_at=moment)
    with CaptureQueriesContext(connection) as queries:
        body = staff_client.get(reverse("admin:orders_order_changelist")).text
    assert year_links(body, "created_at") == ["2022", "2024", "2025"]
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    expected = [d.year for d in Order.objects.datetimes("created_at", "year")]
    assert expected == [2022, 2024, 2025]


def test_the_search_reports_year_links_are_the_years_with_searches(staff_client):
    for day in (date(2023, 1, 1), date(2025, 6, 1), date(2026, 1, 1)):
        SearchCount.objects.create(query="tea", day=day, count=1)
    with CaptureQueriesContext(connection) as queries:
        body = staff_client.get(reverse("admin:search_searchcount_changelist")).text
    assert year_links(body, "day") == ["2023", "2025", "2026"]
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]


def test_the_outbox_filters_by_kind_with_choices_read_from_the_index(staff_client):
    for kind in ("order_paid", "order_confirmation", "order_paid", "guestbook_reply"):
        OutboxMessage.objects.create(to=["a@example.com"], subject="Hi", body_text="x", kind=kind)
    with CaptureQueriesContext(connection) as queries:
        body = staff_client.get(reverse("admin:core_outboxmessage_changelist")).text
    kinds = re.findall(r'href="\?kind=([a-z_]+)"', body)
    assert kinds == ["guestbook_reply", "order_confirmation", "order_paid"]
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    filtered = staff_client.get(
        reverse("admin:core_outboxmessage_changelist"), {"kind": "order_paid"}
    )
    assert filtered.context["cl"].result_count == 2

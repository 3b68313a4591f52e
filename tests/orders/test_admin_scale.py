"""The order admin on a big shop: a page costs the same few queries whatever the number of
orders, lines or timeline steps, and searches and to-do lists read indexes (PostgreSQL)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.adminlists import name_some
from orders import admin as order_admin
from orders import services
from orders.models import Order, OrderEvent
from tests.conftest import list_query
from tests.factories import ProductFactory

from .helpers import make_cart, place

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def lamp():
    return ProductFactory(name="Trail Lamp", price=Decimal("30.00"), stock=500).variants.get()


@pytest.fixture
def mug():
    return ProductFactory(name="Camp Mug", price=Decimal("9.00"), stock=500).variants.get()


def listed(body: str) -> list[str]:
    """The order numbers of the list's rows, in order."""
    return [
        part.split("</a>")[0].rsplit(">", 1)[-1]
        for part in body.split('<th class="field-number">')[1:]
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_order_list_costs_the_same_queries_for_3_or_30_orders(
    staff_client, lamp, mug, standard_shipping, django_assert_max_num_queries, n
):
    orders = [place(make_cart((lamp, 1), (mug, 2)), standard_shipping) for _ in range(n)]
    with django_assert_max_num_queries(9):
        body = staff_client.get(CHANGELIST).content.decode()
    assert sorted(listed(body)) == sorted(o.number for o in orders)
    assert body.count('<td class="field-line_count">2</td>') == n  # each order's lines


def test_the_order_list_sorts_by_the_number_of_lines(staff_client, lamp, mug, standard_shipping):
    two = place(make_cart((lamp, 1), (mug, 1)), standard_shipping)
    one = place(make_cart((lamp, 1)), standard_shipping)
    response = staff_client.get(CHANGELIST, {"o": "9"})  # the "lines" column (after the box)
    assert listed(response.content.decode()) == [one.number, two.number]
    response = staff_client.get(CHANGELIST, {"o": "-9"})
    assert listed(response.content.decode()) == [two.number, one.number]


@pytest.mark.parametrize("n", [3, 30])
def test_the_order_page_costs_the_same_queries_for_3_or_30_timeline_steps(
    staff_client, staff, lamp, standard_shipping, django_assert_max_num_queries, n
):
    order = place(make_cart((lamp, 1)), standard_shipping)
    for i in range(n):  # each step names the staff member who took it
        services.add_staff_note(order=order, note=f"Customer called ({i})", actor=staff)
    with django_assert_max_num_queries(8):
        body = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content
    assert body.decode().count("boss@shop.example") >= n


def test_staff_find_an_order_by_any_part_of_what_they_know(
    staff_client, lamp, mug, standard_shipping
):
    order = place(make_cart((lamp, 1), (mug, 1)), standard_shipping)
    other = place(make_cart((mug, 1)), standard_shipping)

    def found(term):
        return listed(staff_client.get(CHANGELIST, {"q": term}).content.decode())

    assert found(order.number.lower()) == [order.number]
    assert found(order.number[3:7]) == [order.number]  # part of the number
    assert found(lamp.sku) == [order.number]  # a line's SKU: the order once
    assert sorted(found("SKU-")) == sorted([order.number, other.number])  # two lines match
    assert sorted(found("greta")) == sorted([order.number, other.number])  # the name
    assert found(f"greta {lamp.sku.lower()}") == [order.number]  # every word matches
    assert found('"Greta Guest"') != []  # a quoted phrase is one word
    assert found("Greta Nobody") == []
    assert found("guest@example.com") != []  # the e-mail


def test_the_order_list_shows_counts_of_its_filters(staff_client, lamp, standard_shipping):
    place(make_cart((lamp, 1)), standard_shipping)  # cash on delivery: ready to pack
    paid = place(make_cart((lamp, 1)), standard_shipping, payment="bank_transfer")
    services.mark_paid(order=paid)
    services.mark_packed(order=paid)
    body = staff_client.get(CHANGELIST, {"_facets": "True"}).content.decode()
    assert "Ready to pack (1)" in body
    assert "Packed, to ship (1)" in body
    assert "Cancelled after payment: refund due (0)" in body
    assert "Cash on delivery (1)" in body
    assert "Bank transfer (1)" in body


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"q": "MP-7KQ4"}, "order_number_trgm"),
        ({"q": "someone@example.com"}, "order_email_trgm"),
        ({"q": "Greta"}, "order_name_trgm"),
        ({"q": "SKU-00001"}, "orderline_sku_trgm"),
        ({"todo": "pack"}, "order_open_created"),
        ({"todo": "refund"}, "order_refund_due_created"),
    ],
)
def test_order_searches_and_to_do_lists_read_indexes(
    staff_client, lamp, standard_shipping, query_plan, params, index
):
    place(make_cart((lamp, 1)), standard_shipping)
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(CHANGELIST, params).status_code == 200
    sql = list_query(captured.captured_queries, "orders_order")
    assert index in query_plan(sql, sorted_by_index="todo" in params)


def test_the_admin_home_pages_to_do_counts_read_indexes(query_plan):
    from orders.selectors import count_work

    with CaptureQueriesContext(connection) as captured:
        assert count_work() == {"payment": 0, "pack": 0, "ship": 0, "refund": 0}
    assert "order_refund_due_created" in query_plan(captured.captured_queries[0]["sql"])


def run_on_all(client, action, **filters):
    """An action on "select all" of the order list (filtered by ``filters``)."""
    url = CHANGELIST + ("?" + "&".join(f"{k}={v}" for k, v in filters.items()) if filters else "")
    any_order = Order.objects.values_list("pk", flat=True).first()
    return client.post(
        url,
        {"action": action, "_selected_action": [any_order], "select_across": "1", "index": "0"},
    )


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "action", ["mark_paid", "mark_packed", "cancel", "mark_refunded", "record_late_payment"]
)
def test_a_status_action_on_more_orders_than_a_request_can_handle_is_refused_whole(
    staff_client, lamp, standard_shipping, monkeypatch, action
):
    monkeypatch.setattr(order_admin, "ACTION_MAX_ORDERS", 2)
    orders = [
        place(make_cart((lamp, 1)), standard_shipping, payment="bank_transfer") for _ in "abc"
    ]
    response = run_on_all(staff_client, action)
    assert response.status_code == 302  # back to the list, nothing asked
    assert flashed(response) == [
        "3 orders selected: at most 2 at a time. Narrow the list first (a filter, the dates "
        "above it, a search) and run it on each part."
    ]
    assert set(Order.objects.values_list("status", flat=True)) == {"pending_payment"}
    assert not OrderEvent.objects.filter(order__in=orders).exclude(status="pending_payment")


def test_a_status_action_within_the_limit_still_runs_on_all_selected(
    staff_client, lamp, standard_shipping, monkeypatch
):
    monkeypatch.setattr(order_admin, "ACTION_MAX_ORDERS", 2)
    for _ in "ab":
        place(make_cart((lamp, 1)), standard_shipping, payment="bank_transfer")
    response = run_on_all(staff_client, "mark_paid")
    assert flashed(response) == ["2 order(s) marked paid."]
    assert set(Order.objects.values_list("status", flat=True)) == {"paid"}


def test_refusals_for_the_same_reason_are_one_message_naming_the_orders(
    staff_client, lamp, standard_shipping
):
    unpaid = [
        place(make_cart((lamp, 1)), standard_shipping, payment="bank_transfer") for _ in "abc"
    ]
    response = run_on_all(staff_client, "mark_packed")
    numbers = ", ".join(o.number for o in sorted(unpaid, key=lambda o: o.pk))
    assert flashed(response) == [
        f"{numbers}: An order cannot go from “Pending payment” to “Packed”. "
        "It is not paid yet: mark it paid first."
    ]


def test_a_long_list_of_refused_orders_names_the_first_twenty():
    numbers = [f"MP-{i:04d}" for i in range(25)]
    assert name_some(numbers) == ", ".join(numbers[:20]) + " and 5 more"
    assert name_some(numbers[:3]) == "MP-0000, MP-0001, MP-0002"


@pytest.mark.parametrize("action", ["mark_shipped", "correct_tracking"])
def test_shipping_more_orders_than_the_ship_page_asks_for_is_refused(
    staff_client, lamp, standard_shipping, monkeypatch, action
):
    monkeypatch.setattr(order_admin, "SHIP_MAX_ORDERS", 2)
    for _ in "abc":
        place(make_cart((lamp, 1)), standard_shipping)
    response = run_on_all(staff_client, action)
    assert response.url == CHANGELIST  # not to the ship page with some of them left out
    assert flashed(response)[0].startswith("3 orders selected: at most 2 at a time.")


@pytest.mark.parametrize("page", ["1", "2", "3"])
def test_every_page_of_the_order_list_shows_the_orders_django_would(
    staff_client, lamp, standard_shipping, monkeypatch, django_assert_max_num_queries, page
):
    """The pages past the middle are read from the end (TailPaginator): the same orders, in
    the same order, as Django's paging; placed in the same instant, the id decides."""
    monkeypatch.setattr(order_admin.OrderAdmin, "list_per_page", 2)
    orders = [place(make_cart((lamp, 1)), standard_shipping) for _ in range(5)]
    Order.objects.update(created_at=orders[0].created_at)  # every order in the same instant
    newest_first = [o.number for o in sorted(orders, key=lambda o: -o.pk)]
    with django_assert_max_num_queries(10):
        body = staff_client.get(CHANGELIST, {"p": page}).content.decode()
    start = (int(page) - 1) * 2
    assert listed(body) == newest_first[start : start + 2]


def test_a_whole_e_mail_or_order_number_finds_its_orders_by_the_index(
    staff_client, lamp, mug, standard_shipping
):
    order = place(make_cart((lamp, 1)), standard_shipping)
    again = place(make_cart((mug, 1)), standard_shipping)  # the same customer
    Order.objects.filter(pk=again.pk).update(email="greta@example.com")
    Order.objects.filter(pk=order.pk).update(email="greta@example.com")
    place(make_cart((mug, 1)), standard_shipping)  # someone else
    Order.objects.exclude(pk__in=[order.pk, again.pk]).update(email="margreta@example.com")

    def found(term):
        with CaptureQueriesContext(connection) as queries:
            body = staff_client.get(CHANGELIST, {"q": term}).content.decode()
        likes = [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"]]
        return sorted(listed(body)), likes

    assert found("Greta@Example.com ") == (sorted([order.number, again.number]), [])
    assert found(order.number.lower()) == ([order.number], [])
    # part of an address, or one nobody has exactly: the substring search, as before
    numbers, likes = found("reta@example.com")
    assert len(numbers) == 3
    assert likes
    numbers, likes = found("eta@example.co")
    assert len(numbers) == 3
    assert likes

"""The order admin on a big shop: a page costs the same few queries whatever the number of
orders, lines or timeline steps, and searches and to-do lists read indexes (PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
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

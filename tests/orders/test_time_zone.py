"""Dates and times shoppers and staff read are the shop's (TIME_ZONE), not UTC: an order placed
at 23:30 in Berlin (22:30 UTC) shows, exports and counts on its Berlin day."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import ProductFactory

from .helpers import make_cart, place

pytestmark = pytest.mark.django_db

LATE = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)  # Friday 4 December, 23:30 in Berlin


@pytest.fixture
def late_order(db, standard_shipping, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    order = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    Order.objects.filter(pk=order.pk).update(created_at=LATE)
    order.refresh_from_db()
    return order


def test_the_order_inquiry_shows_the_time_an_order_was_placed_in_the_shops_time(client, late_order):
    body = client.post(
        reverse("orders:inquiry"), {"number": late_order.number, "email": late_order.email}
    ).content.decode()
    assert "4 December 2026, 23:30" in body
    assert "2026-12-04T23:30:00+01:00" in body


def test_the_admin_shows_and_exports_the_shops_time(staff_client, late_order):
    listing = staff_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "Dec. 4, 2026, 11:30 p.m." in listing
    page = staff_client.get(reverse("admin:orders_order_change", args=[late_order.pk]))
    assert "Dec. 4, 2026, 11:30 p.m." in page.content.decode()
    slip = staff_client.get(reverse("admin:orders_order_packing_slip", args=[late_order.pk]))
    assert "Ordered 4 December 2026" in slip.content.decode()
    response = staff_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "export_csv", "_selected_action": [late_order.pk]},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "2026-12-04 23:30" in rows[1]


def test_the_admin_date_filters_put_a_late_order_on_its_local_day(staff_client, late_order):
    url = reverse("admin:orders_order_changelist")
    on_the_4th = staff_client.get(
        url, {"created_at__day": 4, "created_at__month": 12, "created_at__year": 2026}
    )
    assert late_order.number in on_the_4th.content.decode()
    on_the_5th = staff_client.get(
        url, {"created_at__day": 5, "created_at__month": 12, "created_at__year": 2026}
    )
    assert late_order.number not in on_the_5th.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"created_at__year": "x"},
        {"created_at__year": "2026", "created_at__month": "13"},
        {"created_at__year": "2026", "created_at__month": "2", "created_at__day": "30"},
        {"created_at__gte": "yesterday"},
        {"created_at__gte": "2026-12-05", "created_at__lt": "2026-12-01"},
        {"created_at__year": "99999"},
    ],
)
def test_a_malformed_admin_date_filter_is_no_500(staff_client, late_order, query):
    response = staff_client.get(reverse("admin:orders_order_changelist"), query)
    assert response.status_code in (200, 302)

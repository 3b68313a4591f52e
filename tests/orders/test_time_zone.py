"""Dates and times shoppers and staff read are the shop's (TIME_ZONE), not UTC: an order placed
at 23:30 in Berlin (22:30 UTC) shows, exports and counts on its Berlin day."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from core.models import OutboxMessage
from orders import services
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


# --- the bank transfer deadline --------------------------------------------------------------


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def expire_at(moment: datetime) -> int:
    return services.expire_unpaid_orders(now=moment.astimezone(UTC))


def test_the_bank_transfer_deadline_shown_is_the_one_the_expiry_job_applies(
    client, late_order, settings
):
    """Placed Friday 4 December at 23:30 in Berlin: 7 days are up on Friday 11 December at
    23:30 Berlin time, which the order inquiry and the confirmation e-mail say; the order is
    cancelled after that minute, not before."""
    body = client.post(
        reverse("orders:inquiry"), {"number": late_order.number, "email": late_order.email}
    ).content.decode()
    assert "not paid within 7 days (by Friday 11 December 2026, 23:30) are cancelled" in body
    mail = OutboxMessage.objects.get(kind="order_confirmation")
    assert "not paid within 7 days (by " in mail.body_text  # (placed today, in the test)
    assert late_order.payment_deadline == berlin(2026, 12, 11, 23, 30)

    assert expire_at(berlin(2026, 12, 11, 23, 29)) == 0
    assert expire_at(berlin(2026, 12, 11, 23, 31)) == 1
    late_order.refresh_from_db()
    assert late_order.status == Order.Status.CANCELLED


@pytest.mark.parametrize(
    ("placed", "deadline"),
    [
        # the Saturday before summer time ends (Sunday 25 October 2026): 3 days later at 10:00
        # is 09:00 UTC, not the 08:00 UTC that 72 hours make
        (berlin(2026, 10, 24, 10, 0), berlin(2026, 10, 27, 10, 0)),
        # the Saturday before summer time starts (Sunday 29 March 2026): 08:00 UTC, not 09:00
        (berlin(2026, 3, 28, 10, 0), berlin(2026, 3, 31, 10, 0)),
        # due at 02:30 on the night 02:00-03:00 does not exist: at 03:30 summer time
        (berlin(2026, 3, 26, 2, 30), berlin(2026, 3, 29, 3, 30)),
        # due at 02:30 on the night 02:00-03:00 comes twice: at the second 02:30
        (berlin(2026, 10, 22, 2, 30), berlin(2026, 10, 25, 2, 30, 0, 0).replace(fold=1)),
    ],
)
def test_a_bank_transfer_deadline_across_a_change_of_summer_time_keeps_the_time_of_day(
    late_order, settings, placed, deadline
):
    settings.SHOP_UNPAID_ORDER_DAYS = 3
    Order.objects.filter(pk=late_order.pk).update(created_at=placed)
    late_order.refresh_from_db()
    due = deadline.astimezone(UTC)  # (arithmetic on a wall time would drop its fold)
    assert expire_at(due - timedelta(minutes=1)) == 0
    assert expire_at(due + timedelta(minutes=1)) == 1
    assert late_order.payment_deadline == due


# --- the return window -----------------------------------------------------------------------


@pytest.fixture
def delivered_order(late_order, settings):
    """Delivered at 00:30 on Saturday 5 December in Berlin (23:30 UTC on the 4th)."""
    settings.SHOP_RETURN_DAYS = 14
    services.mark_paid(order=late_order)
    services.mark_packed(order=late_order)
    services.mark_shipped(order=late_order, carrier="DHL", tracking_number="JJD000390007")
    with mock.patch("django.utils.timezone.now", return_value=berlin(2026, 12, 5, 0, 30)):
        services.mark_delivered(order=late_order)
    late_order.refresh_from_db()
    return late_order


def inquiry_at(client, order, moment) -> str:
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(UTC)):
        return client.post(
            reverse("orders:inquiry"), {"number": order.number, "email": order.email}
        ).content.decode()


def test_the_return_window_counts_from_the_local_day_of_delivery_and_the_pages_say_its_end(
    client, delivered_order
):
    """14 days from delivery on 5 December (Berlin; the 4th in UTC): returns are offered up to
    the end of 19 December, Berlin time, and the page and e-mail name that day."""
    link = f"?topic=return&amp;order={delivered_order.number}"
    last_minute = inquiry_at(client, delivered_order, berlin(2026, 12, 19, 23, 59))
    assert link in last_minute
    assert "Return or exchange an item</a> until 19 December 2026" in last_minute
    one_minute_after = inquiry_at(client, delivered_order, berlin(2026, 12, 20, 0, 0))
    assert link not in one_minute_after
    assert "The 14 days to return or exchange it ended on 19 December 2026" in one_minute_after

    mail = OutboxMessage.objects.get(kind="order_delivered")
    for body in (mail.body_text, mail.body_html):
        assert "within 14 days of receiving it (until 19 December 2026)" in body
    assert delivered_order.return_until == date(2026, 12, 19)


def test_staff_see_the_last_day_of_the_return_window_on_the_order_page(
    staff_client, delivered_order
):
    page = staff_client.get(reverse("admin:orders_order_change", args=[delivered_order.pk]))
    assert "Returns until" in page.content.decode()
    assert "Dec. 19, 2026" in page.content.decode()


def test_an_order_not_delivered_has_no_return_window(client, late_order):
    body = inquiry_at(client, late_order, berlin(2026, 12, 5, 12, 0))
    assert "topic=return" not in body
    assert late_order.return_until is None


def test_the_admins_today_filter_is_the_shops_today(staff_client, late_order, standard_shipping):
    """Just after midnight in Berlin (still the 4th in UTC) "Today" lists the order of 00:10,
    not the one of 23:30 the evening before; across the night summer time ends as well."""
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    url = reverse("admin:orders_order_changelist")
    for placed_late, placed_early, now in [
        (berlin(2026, 12, 4, 23, 30), berlin(2026, 12, 5, 0, 10), berlin(2026, 12, 5, 0, 20)),
        (berlin(2026, 10, 24, 23, 30), berlin(2026, 10, 25, 0, 10), berlin(2026, 10, 25, 23, 50)),
    ]:
        early = place(make_cart((variant, 1)), standard_shipping)
        Order.objects.filter(pk=late_order.pk).update(created_at=placed_late)
        Order.objects.filter(pk=early.pk).update(created_at=placed_early)
        with mock.patch("django.utils.timezone.now", return_value=now.astimezone(UTC)):
            listing = staff_client.get(url).content.decode()
            link = re.search(r'href="(\?created_at__gte=[^"]+)"[^>]*>Today<', listing)
            body = staff_client.get(url + link.group(1).replace("&amp;", "&")).content.decode()
        assert early.number in body
        assert late_order.number not in body


@pytest.mark.parametrize(
    ("zone", "placed", "due"),
    [
        ("America/New_York", (2026, 3, 7, 10, 0), (2026, 3, 10, 10, 0)),  # 8 March: 23 hours
        ("America/New_York", (2026, 10, 31, 10, 0), (2026, 11, 3, 10, 0)),  # 1 Nov: 25 hours
        ("Australia/Sydney", (2026, 4, 4, 10, 0), (2026, 4, 7, 10, 0)),  # 5 April: 25 hours
        ("Asia/Taipei", (2026, 12, 31, 23, 30), (2027, 1, 3, 23, 30)),  # no summer time
    ],
)
def test_a_payment_deadline_keeps_the_time_of_day_in_the_shops_own_time_zone(
    settings, zone, placed, due
):
    settings.TIME_ZONE = zone
    settings.SHOP_UNPAID_ORDER_DAYS = 3
    local = ZoneInfo(zone)
    order = Order(created_at=datetime(*placed, tzinfo=local).astimezone(UTC))
    assert order.payment_deadline == datetime(*due, tzinfo=local).astimezone(UTC)


def test_the_csv_names_the_time_zone_and_tells_the_repeated_hour_apart(
    staff_client, standard_shipping, settings
):
    """The CSV's times carried no zone, and in the hour that comes twice when summer time ends
    two orders at "02:30", an hour apart, read the same."""
    settings.TIME_ZONE = "Europe/Berlin"
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    times = [
        datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    ]
    orders = []
    for moment in times:
        order = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
        Order.objects.filter(pk=order.pk).update(created_at=moment)
        orders.append(order.pk)
    response = staff_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "export_csv", "_selected_action": orders},
    )
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    placed = header.index("placed (Europe/Berlin time)")
    assert "delivered (Europe/Berlin time)" in header
    assert [row[placed] for row in rows] == [
        "2026-07-01 12:00",
        "2026-10-25 02:30 +02:00",
        "2026-10-25 02:30 +01:00",
    ]

"""Orders are kept as long as tax law requires (SHOP_ORDER_KEEP_YEARS, counted from the end of
the year the order was placed in), then deleted by the nightly clean-up: before, nothing ever
deleted them, and the admin cannot (orders have no delete there)."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from orders.models import Order, OrderEvent, OrderLine
from orders.services import delete_expired_orders
from orders.tasks import delete_expired_orders_task
from tests.factories import VariantFactory

from .helpers import make_cart, place

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def order_placed(shipping, when: datetime.datetime, **fields) -> Order:
    """An order placed at ``when``, finished (completed) unless ``fields`` say otherwise."""
    order = place(make_cart((VariantFactory(stock=5), 1)), shipping)
    fields.setdefault("status", Order.Status.COMPLETED)
    Order.objects.filter(pk=order.pk).update(created_at=when, **fields)
    return order


def test_orders_go_once_their_year_is_kept_long_enough(standard_shipping, settings):
    settings.SHOP_ORDER_KEEP_YEARS = 10
    settings.TIME_ZONE = "Europe/Berlin"
    last_of_2015 = order_placed(
        standard_shipping, datetime.datetime(2015, 12, 31, 23, 30, tzinfo=BERLIN)
    )
    first_of_2016 = order_placed(
        standard_shipping, datetime.datetime(2016, 1, 1, 0, 30, tzinfo=BERLIN)
    )
    now = datetime.datetime(2026, 1, 2, 3, 0, tzinfo=BERLIN)  # 2015's ten years ended with 2025

    assert delete_expired_orders(now=now) == 1

    assert list(Order.objects.values_list("pk", flat=True)) == [first_of_2016.pk]
    assert not OrderLine.objects.filter(order_id=last_of_2015.pk).exists()
    assert not OrderEvent.objects.filter(order_id=last_of_2015.pk).exists()
    assert delete_expired_orders(now=now) == 0  # a second run: nothing left
    # the year before: 2015's orders still had to be kept
    assert delete_expired_orders(now=now - datetime.timedelta(days=2)) == 0


def test_orders_staff_still_have_work_on_are_kept_however_old(standard_shipping, settings):
    """An order still waiting to be paid, packed or shipped, or cancelled after payment with
    the money not sent back yet, is in staff's to-do lists (and the refund is owed): the
    clean-up took it away from them without a word."""
    settings.SHOP_ORDER_KEEP_YEARS = 10
    settings.TIME_ZONE = "Europe/Berlin"
    when = datetime.datetime(2012, 6, 1, 12, 0, tzinfo=BERLIN)
    S = Order.Status
    finished = order_placed(standard_shipping, when)
    open_orders = [
        order_placed(standard_shipping, when, status=S.PENDING_PAYMENT),  # cash on delivery
        order_placed(standard_shipping, when, status=S.PAID),
        order_placed(standard_shipping, when, status=S.PACKED),
        order_placed(standard_shipping, when, status=S.CANCELLED, paid_at=when),  # refund due
    ]
    now = datetime.datetime(2026, 1, 2, 3, 0, tzinfo=BERLIN)

    assert delete_expired_orders(now=now) == 1

    assert not Order.objects.filter(pk=finished.pk).exists()
    assert set(Order.objects.values_list("pk", flat=True)) == {o.pk for o in open_orders}


def test_an_order_paid_shipped_or_refunded_in_a_later_year_is_kept_for_that_year(
    standard_shipping, settings
):
    """The period runs from the end of the year of the booking (AO § 147): an order placed in
    December 2015 but paid, delivered or refunded in 2016 or later is part of that year's
    accounts, and was deleted with 2015's."""
    settings.SHOP_ORDER_KEEP_YEARS = 10
    settings.TIME_ZONE = "Europe/Berlin"
    placed = datetime.datetime(2015, 12, 20, 12, 0, tzinfo=BERLIN)
    in_2016 = datetime.datetime(2016, 1, 5, 12, 0, tzinfo=BERLIN)
    in_2015 = datetime.datetime(2015, 12, 28, 12, 0, tzinfo=BERLIN)
    gone = order_placed(standard_shipping, placed, paid_at=in_2015, delivered_at=in_2015)
    kept = [
        order_placed(standard_shipping, placed, paid_at=in_2016),
        order_placed(standard_shipping, placed, paid_at=in_2015, shipped_at=in_2016),
        order_placed(standard_shipping, placed, paid_at=in_2015, delivered_at=in_2016),
        order_placed(
            standard_shipping,
            placed,
            status=Order.Status.CANCELLED,
            paid_at=in_2015,
            refunded_at=in_2016,
        ),
    ]
    now = datetime.datetime(2026, 1, 2, 3, 0, tzinfo=BERLIN)

    assert delete_expired_orders(now=now) == 1

    assert not Order.objects.filter(pk=gone.pk).exists()
    assert set(Order.objects.values_list("pk", flat=True)) == {o.pk for o in kept}
    # a year later, 2016's ten years are over too
    assert delete_expired_orders(now=now.replace(year=2027)) == len(kept)


def test_zero_years_keeps_every_order(standard_shipping, settings):
    settings.SHOP_ORDER_KEEP_YEARS = 0
    order_placed(standard_shipping, datetime.datetime(2001, 1, 1, tzinfo=BERLIN))
    assert delete_expired_orders() == 0
    assert Order.objects.count() == 1


def test_the_job_runs_and_the_privacy_page_says_how_long(client, settings):
    settings.SHOP_ORDER_KEEP_YEARS = 8
    assert delete_expired_orders_task.delay().get() == 0
    body = client.get(reverse("service:privacy")).content.decode()
    assert (
        "8 years after the end of the year you ordered in (or, if later, the year it was paid, "
        "delivered or refunded), then deleted"
    ) in body

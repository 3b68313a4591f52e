"""Two members of staff changing delivery methods at the same moment (PostgreSQL row locks);
skipped on SQLite."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from cart import admin as cart_admin
from cart.admin import NONE_ACTIVE
from cart.models import ShippingMethod
from cart.services import check_a_shipping_method_stays_active
from orders.models import Order
from tests.concurrency import Meeting, run_at_once
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import make_cart, place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_staff_switching_off_the_last_two_delivery_methods_at_once_leave_one_active(
    postgres_only,
):
    """One unticks Standard on its page while the other unticks Express in the list: each
    check saw the other method still active, and both saved (no way to check out). The second
    check now waits for the first change to commit, sees it, and refuses."""
    standard = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"), position=1)
    express = ShippingMethod.objects.create(name="Express", fee=Decimal("9.90"), position=2)
    staff = [Client(), Client()]
    for i, client in enumerate(staff):
        client.force_login(
            UserFactory(email=f"staff{i}@shop.example", is_staff=True, is_superuser=True)
        )

    page = {"name": "Standard", "description": "", "fee": "4.90", "free_over": ""}
    page |= {"min_days": "2", "max_days": "4", "position": "1"}  # is_active unticked
    listing = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save"}
    listing |= {"form-0-id": express.pk, "form-0-fee": "9.90", "form-0-free_over": ""}
    listing |= {"form-0-position": "2"}  # is_active unticked

    meeting = Meeting()
    real_form_clean = cart_admin.ShippingMethodForm.clean
    real_formset_clean = cart_admin.ShippingMethodListFormSet.clean

    def form_clean(self):
        cleaned = real_form_clean(self)
        meeting.arrive()  # checked, not yet saved
        return cleaned

    def formset_clean(self):
        real_formset_clean(self)
        meeting.arrive()

    with (
        mock.patch.object(cart_admin.ShippingMethodForm, "clean", form_clean),
        mock.patch.object(cart_admin.ShippingMethodListFormSet, "clean", formset_clean),
    ):
        results = run_at_once(
            [
                lambda: staff[0].post(
                    reverse("admin:cart_shippingmethod_change", args=[standard.pk]), page
                ),
                lambda: staff[1].post(reverse("admin:cart_shippingmethod_changelist"), listing),
            ]
        )

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 302], results  # one saved, the other was told why not
    refused = next(r for r in results if r.status_code == 200)
    assert NONE_ACTIVE in refused.content.decode()
    assert ShippingMethod.objects.filter(is_active=True).count() == 1


def test_an_order_placed_while_staff_save_a_delivery_method_does_not_wait_for_the_save(
    postgres_only, standard_shipping
):
    """The check's row lock is held until the staff save commits. With FOR UPDATE, every
    order naming a delivery method waited for it (the order's foreign-key check takes a KEY
    SHARE lock); FOR NO KEY UPDATE leaves orders alone."""
    variant = ProductFactory(price=Decimal("12.00"), stock=5).variants.get()
    cart = make_cart((variant, 1))
    locked, done = threading.Event(), threading.Event()

    def staff_save():
        try:
            with transaction.atomic():
                check_a_shipping_method_stays_active(active={})
                locked.set()
                done.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=staff_save)
    holder.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            order = place(cart, standard_shipping)
    finally:
        done.set()
        holder.join(10)
    assert Order.objects.filter(pk=order.pk, shipping_method=standard_shipping).exists()

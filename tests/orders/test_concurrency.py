"""Real concurrent checkouts against PostgreSQL (row locks); skipped on SQLite."""

import contextlib
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail

from cart import services as cart_services
from cart.exceptions import CartError
from cart.models import CartLine
from catalog.models import Product, Variant
from core.models import OutboxMessage
from orders import services
from orders.exceptions import OutOfStock, PriceChanged
from orders.models import Order, OrderLine
from tests.concurrency import Meeting, run_at_once
from tests.factories import ProductFactory

from .helpers import make_cart, place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_buyers_for_three_units_make_exactly_three_orders(postgres_only, standard_shipping):
    variant = ProductFactory(name="Last Lamps", price=Decimal("30.00"), stock=3).variants.get()
    carts = [make_cart((variant, 1)) for _ in range(8)]

    results = run_at_once([lambda cart=cart: place(cart, standard_shipping) for cart in carts])

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert len(orders) == 3, results
    assert len(refused) == 5, results
    assert Order.objects.count() == 3
    assert OrderLine.objects.filter(variant=variant).count() == 3
    variant.refresh_from_db()
    assert variant.stock == 0
    assert all("Sold out" in str(exc) for exc in refused)
    assert len(mail.outbox) == 6  # confirmation + staff notice for each order, none for the rest


def test_crossed_carts_of_the_same_products_all_check_out_without_deadlock(
    postgres_only, standard_shipping
):
    # Every checkout writes its order and lines before it locks the variants for the stock
    # update. All checkouts are held at that point until every one has written its lines, then
    # lock at once; carts list the products in both orders. Locks taken in primary-key order
    # queue, they never deadlock, and each checkout gets its stock.
    first = ProductFactory(price=Decimal("10.00"), stock=100).variants.get()
    second = ProductFactory(price=Decimal("20.00"), stock=100).variants.get()
    carts = [
        make_cart((first, 1), (second, 2)) if i % 2 else make_cart((second, 2), (first, 1))
        for i in range(4)
    ]
    all_lines_written = threading.Barrier(len(carts))
    real = services._price

    def price(quantities, shipping, *, lock):
        if lock:
            all_lines_written.wait(timeout=20)
        return real(quantities, shipping, lock=lock)

    with mock.patch.object(services, "_price", price):
        results = run_at_once([lambda cart=cart: place(cart, standard_shipping) for cart in carts])

    assert all(isinstance(r, Order) for r in results), results
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (96, 92)
    assert OrderLine.objects.count() == 8


def test_a_double_submit_from_two_threads_makes_one_order(postgres_only, standard_shipping):
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    cart = make_cart((variant, 2))

    results = run_at_once(
        [lambda: place(cart, standard_shipping, key="same-key-twice") for _ in range(2)]
    )

    assert all(isinstance(r, Order) for r in results), results
    assert results[0].pk == results[1].pk
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 3
    assert len(mail.outbox) == 2


def test_one_cart_checked_out_at_once_under_two_keys_makes_one_order(
    postgres_only, standard_shipping
):
    """A member's cart is shared by their devices: "Buy now" on the phone and on the laptop
    carry different idempotency keys. The cart's row lock makes the second wait, then find the
    cart checked out; both got past an unlocked check before."""
    variant = ProductFactory(price=Decimal("30.00"), stock=5).variants.get()
    cart = make_cart((variant, 2))
    meeting = Meeting()
    real = services._price

    def price(quantities, shipping, *, lock):
        if not lock:  # past the cart's check, before the order is written
            meeting.arrive()
        return real(quantities, shipping, lock=lock)

    with mock.patch.object(services, "_price", price):
        results = run_at_once(
            [lambda key=key: place(cart, standard_shipping, key=key) for key in ("phone", "laptop")]
        )

    assert sorted(type(r).__name__ for r in results) == ["CheckoutError", "Order"], results
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 3


def test_a_double_clicked_add_to_cart_never_errors(postgres_only):
    variant = ProductFactory(stock=5).variants.get()
    cart = make_cart()
    both_looked = threading.Barrier(2)
    real_check = cart_services._check_quantity

    def check_then_wait(quantity):
        # the second check runs after the line lookup, just before the insert
        real_check(quantity)
        if getattr(local, "checked", False):
            # Without a lock both threads meet here; with the cart lock the other one waits
            # for our commit instead, so stop waiting for it after a moment.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_looked.wait(timeout=2)
        local.checked = True

    local = threading.local()
    with mock.patch.object(cart_services, "_check_quantity", check_then_wait):
        results = run_at_once(
            [lambda: cart_services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)] * 2
        )

    assert all(r is None or isinstance(r, CartLine | CartError) for r in results), results
    assert CartLine.objects.get(cart=cart).quantity in (1, 2)


def _moves_before_the_lock(change):
    """Wrap services._price so that ``change()`` commits on another connection just before the
    checkout locks its variants: another checkout or a staff edit landing between the
    checkout's unlocked read and its lock."""
    real = services._price

    def price(quantities, shipping, *, lock):
        if lock:
            run_at_once([change])
        return real(quantities, shipping, lock=lock)

    return mock.patch.object(services, "_price", price)


def test_stock_taken_between_the_read_and_the_lock_rolls_the_order_back(
    postgres_only, standard_shipping
):
    variant = ProductFactory(price=Decimal("30.00"), stock=10).variants.get()
    cart = make_cart((variant, 3))
    take = lambda: Variant.objects.filter(pk=variant.pk).update(stock=2)  # noqa: E731
    with _moves_before_the_lock(take), pytest.raises(OutOfStock) as refused:
        place(cart, standard_shipping)
    assert "Only 2 left" in str(refused.value)
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not OutboxMessage.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 2
    assert cart.lines.get().quantity == 3  # the cart is unchanged


def test_a_price_change_between_the_read_and_the_lock_rolls_the_order_back(
    postgres_only, standard_shipping
):
    variant = ProductFactory(price=Decimal("30.00"), stock=10).variants.get()
    cart = make_cart((variant, 1))
    with (
        _moves_before_the_lock(
            lambda: Product.objects.filter(pk=variant.product_id).update(price=Decimal("99.00"))
        ),
        pytest.raises(PriceChanged),
    ):
        place(cart, standard_shipping)
    assert not Order.objects.exists()
    assert not OutboxMessage.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 10

    order = place(cart, standard_shipping)  # placing again charges the new price
    assert order.subtotal == Decimal("99.00")


def test_two_expiry_runs_at_once_cancel_each_order_and_restore_its_stock_once(
    postgres_only, standard_shipping
):
    """Beat fired twice (or a second worker took the same schedule): both runs see the same
    unpaid orders; each order is cancelled by one of them, and its stock comes back once."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    variant = ProductFactory(stock=20).variants.get()
    orders = [
        place(make_cart((variant, 2)), standard_shipping, payment="bank_transfer") for _ in range(5)
    ]
    Order.objects.update(created_at=timezone.now() - timedelta(days=30))
    variant.refresh_from_db()
    assert variant.stock == 10
    real_change_status = services.change_status

    def slow_change_status(**kwargs):
        time.sleep(0.05)  # the other run reaches the same order meanwhile
        return real_change_status(**kwargs)

    with mock.patch.object(services, "change_status", slow_change_status):
        results = run_at_once([services.expire_unpaid_orders, services.expire_unpaid_orders])
    assert all(isinstance(r, int) for r in results), results  # neither run failed
    assert sum(results) == 5
    variant.refresh_from_db()
    assert variant.stock == 20
    for order in orders:
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        assert order.events.filter(note="Not paid in time").count() == 1


def test_two_cancels_of_one_order_at_once_put_its_stock_back_once(postgres_only, standard_shipping):
    """Staff cancel an order while the expiry job (or a second member of staff) does too: the
    order's row lock in change_status lets one of them cancel it; the other finds it cancelled
    already and changes nothing, so the stock comes back once."""
    variant = ProductFactory(stock=10).variants.get()
    order = place(make_cart((variant, 2)), standard_shipping, payment="bank_transfer")
    meeting = Meeting()
    real = services.can_transition

    def can_transition(locked, to):
        meeting.arrive()  # after the order's status was read
        return real(locked, to)

    with mock.patch.object(services, "can_transition", can_transition):
        results = run_at_once(
            [lambda: services.cancel_order(order=Order.objects.get(pk=order.pk))] * 2
        )

    assert sorted(type(r).__name__ for r in results) == ["IllegalTransition", "Order"], results
    variant.refresh_from_db()
    assert variant.stock == 10
    assert order.events.filter(status=Order.Status.CANCELLED).count() == 1
    assert OutboxMessage.objects.filter(kind="order_cancelled").count() == 1


def test_checkout_locks_its_variants_in_primary_key_order(postgres_only, standard_shipping):
    """Every transaction that locks several variants (checkout, a cancelled order's stock
    coming back, staff's stock edits) takes them in primary-key order, so two of them queue
    instead of deadlocking. The rows' order in the table is not that order once they have
    been updated, so the locking query itself must sort them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = ProductFactory(stock=10).variants.get()
    second = ProductFactory(stock=10).variants.get()
    with CaptureQueriesContext(connection) as queries:
        place(make_cart((second, 1), (first, 1)), standard_shipping)

    locking = [q["sql"] for q in queries if "FOR NO KEY UPDATE" in q["sql"]]
    assert len(locking) == 1, locking
    assert locking[0].split(" ORDER BY ", 1)[-1].startswith('"catalog_variant"."id" ASC')


def test_two_staff_marking_one_refund_at_once_refund_it_once(postgres_only, standard_shipping):
    from core.models import OutboxMessage

    variant = ProductFactory(stock=3).variants.get()
    order = place(make_cart((variant, 1)), standard_shipping, payment="bank_transfer")
    services.mark_paid(order=order)
    services.cancel_order(order=order)
    before = OutboxMessage.objects.count()

    results = run_at_once(
        [lambda: services.mark_refunded(order=Order.objects.get(pk=order.pk)) for _ in range(4)]
    )

    assert sorted(results) == [False, False, False, True], results
    assert order.events.filter(note="Payment refunded").count() == 1
    assert OutboxMessage.objects.count() == before + 1  # one "refunded" e-mail

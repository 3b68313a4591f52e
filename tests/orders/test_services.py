from datetime import timedelta
from decimal import Decimal
from smtplib import SMTPException, SMTPRecipientsRefused
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from core.models import OutboxMessage
from core.outbox import queue_mail, send_outbox_message
from core.tasks import (
    send_outbox_message_task,
    send_outbox_messages_task,
    send_pending_mail_task,
)
from orders import services
from orders.exceptions import IllegalTransition, OutOfStock
from orders.models import Order
from tests.factories import ProductFactory, UserFactory

from .helpers import ADDRESS, make_cart, place

pytestmark = pytest.mark.django_db

S = Order.Status
FAILING_SMTP = mock.patch(
    "django.core.mail.backends.locmem.EmailBackend.send_messages",
    side_effect=SMTPException("451 relay temporarily unavailable"),
)


@pytest.fixture
def variant():
    return ProductFactory(name="Trail Lamp", price=Decimal("30.00"), stock=10).variants.get()


@pytest.fixture
def make_order(variant, standard_shipping):
    """An order for 2 lamps (stock goes 10 -> 8), with nothing in the outbox yet."""

    def make(payment="cod", quantity=2):
        order = place(make_cart((variant, quantity)), standard_shipping, payment=payment)
        OutboxMessage.objects.all().delete()
        return order

    return make


def stock_of(variant) -> int:
    variant.refresh_from_db()
    return variant.stock


def snapshot(order) -> tuple:
    """What an illegal transition must leave untouched."""
    order.refresh_from_db()
    return (
        order.status,
        order.paid_at,
        order.shipped_at,
        order.delivered_at,
        order.events.count(),
        OutboxMessage.objects.count(),
    )


def kinds() -> list[str]:
    return sorted(OutboxMessage.objects.values_list("kind", flat=True))


# --- status transitions ----------------------------------------------------------------------


def test_the_regular_path_from_payment_to_completion(make_order, variant):
    order = make_order(payment="bank_transfer")
    staff = UserFactory(is_staff=True)

    services.mark_paid(order=order, actor=staff)
    assert order.status == S.PAID
    assert order.paid_at is not None
    services.mark_packed(order=order, actor=staff)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="00340434", actor=staff)
    assert (order.carrier, order.tracking_number) == ("DHL", "00340434")
    assert order.shipped_at is not None
    services.mark_delivered(order=order, actor=staff)
    assert order.delivered_at is not None
    services.mark_completed(order=order, actor=staff)

    order.refresh_from_db()
    assert order.status == S.COMPLETED
    events = list(order.events.values_list("previous_status", "status", "actor_id"))
    assert events == [
        ("", S.PENDING_PAYMENT, None),
        (S.PENDING_PAYMENT, S.PAID, staff.pk),
        (S.PAID, S.PACKED, staff.pk),
        (S.PACKED, S.SHIPPED, staff.pk),
        (S.SHIPPED, S.DELIVERED, staff.pk),
        (S.DELIVERED, S.COMPLETED, staff.pk),
    ]
    assert order.events.get(status=S.SHIPPED).note == "DHL 00340434"
    assert order.events.get(status=S.PAID).note == "Payment received"
    assert stock_of(variant) == 8


def test_cash_on_delivery_is_packed_before_payment_and_paid_at_the_door(make_order):
    order = make_order(payment="cod")
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DPD", tracking_number="X1")
    assert order.paid_at is None
    services.mark_delivered(order=order)
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert order.paid_at == order.delivered_at


def test_bank_transfer_cannot_be_packed_before_payment(make_order):
    order = make_order(payment="bank_transfer")
    before = snapshot(order)
    with pytest.raises(IllegalTransition, match="Pending payment.*Packed"):
        services.mark_packed(order=order)
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.SHIPPED),
        ([], S.DELIVERED),
        ([], S.COMPLETED),
        ([], S.PENDING_PAYMENT),
        ([S.PAID], S.PAID),
        ([S.PAID], S.SHIPPED),
        ([S.PAID, S.PACKED], S.PAID),
        ([S.PAID, S.PACKED], S.DELIVERED),
        ([S.PAID, S.PACKED, S.SHIPPED], S.CANCELLED),
        ([S.PAID, S.PACKED, S.SHIPPED], S.PAID),
        ([S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED], S.CANCELLED),
        ([S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED], S.CANCELLED),
        ([S.CANCELLED], S.PAID),
        ([S.CANCELLED], S.PENDING_PAYMENT),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(make_order, variant, path, illegal):
    order = make_order(payment="bank_transfer")
    for status in path:
        services.change_status(order=order, to=status)
    before = snapshot(order)
    stock = stock_of(variant)

    with pytest.raises(IllegalTransition):
        services.change_status(order=order, to=illegal)

    assert snapshot(order) == before
    assert stock_of(variant) == stock


def test_every_status_change_writes_an_event(make_order):
    order = make_order()
    services.change_status(order=order, to=S.PAID, note="Paid by card at the counter")
    services.cancel_order(order=order, note="Customer changed their mind")
    assert list(order.events.values_list("status", "note")) == [
        (S.PENDING_PAYMENT, "Order placed"),
        (S.PAID, "Paid by card at the counter"),
        (S.CANCELLED, "Customer changed their mind"),
    ]


# --- cancelling ------------------------------------------------------------------------------


def test_a_cash_on_delivery_order_reads_as_confirmed_to_the_shopper(make_order):
    cod, bank = make_order(payment="cod"), make_order(payment="bank_transfer")
    assert cod.status == bank.status == S.PENDING_PAYMENT
    assert cod.customer_status == "Confirmed, you pay on delivery"
    assert bank.customer_status == "Pending payment"
    assert [e.customer_status for e in cod.events.all()] == ["Confirmed, you pay on delivery"]
    services.change_status(order=cod, to=S.PACKED)
    assert cod.customer_status == "Packed"


@pytest.mark.parametrize(
    "path", [[], [S.PAID], [S.PAID, S.PACKED]], ids=["pending", "paid", "packed"]
)
def test_cancel_restores_stock_exactly_once(make_order, variant, path):
    order = make_order(payment="bank_transfer", quantity=3)
    for status in path:
        services.change_status(order=order, to=status)
    assert stock_of(variant) == 7

    services.cancel_order(order=order)
    assert stock_of(variant) == 10
    assert order.status == S.CANCELLED

    with pytest.raises(IllegalTransition):
        services.cancel_order(order=order)
    assert stock_of(variant) == 10
    assert order.events.filter(status=S.CANCELLED).count() == 1
    assert kinds().count("order_cancelled") == 1


def test_a_stale_copy_cannot_cancel_twice(make_order, variant):
    order = make_order(quantity=2)
    stale = Order.objects.get(pk=order.pk)  # e.g. a second admin tab
    services.cancel_order(order=order)
    with pytest.raises(IllegalTransition):
        services.cancel_order(order=stale)
    assert stock_of(variant) == 10


# --- e-mails ---------------------------------------------------------------------------------


def test_paid_shipped_and_delivered_each_send_their_email(
    make_order, django_capture_on_commit_callbacks
):
    order = make_order(payment="bank_transfer")

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_paid(order=order)
    assert [m.subject for m in mail.outbox] == [f"Payment received for order {order.number}"]
    assert mail.outbox[0].to == ["guest@example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_packed(order=order)
    assert len(mail.outbox) == 1  # packing is not worth an e-mail

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_shipped(order=order, carrier="DHL", tracking_number="JD0001 42")
    shipped = mail.outbox[-1]
    assert shipped.subject == f"Your order {order.number} is on its way"
    assert "is on its way with DHL" in shipped.body
    link = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0001%2042"
    assert f"Track it: {link}" in shipped.body
    html = shipped.alternatives[0][0]
    assert f'href="{link}"' in html

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delivered(order=order)
    assert mail.outbox[-1].subject == f"Your order {order.number} was delivered"
    assert len(mail.outbox) == 3


def test_cash_on_delivery_mails_say_what_to_have_ready_for_the_carrier(
    variant, standard_shipping, django_capture_on_commit_callbacks
):
    """The confirmation and the shipping e-mail of a cash-on-delivery order named no amount
    to pay at the door; the packing slip did (for the carrier), the shopper had to add up."""
    with django_capture_on_commit_callbacks(execute=True):
        order = place(make_cart((variant, 1)), standard_shipping, payment="cod")  # €34.90
    confirmation = next(m for m in mail.outbox if m.to == ["guest@example.com"])
    assert "You pay €34.90 in cash to the carrier when the parcel arrives." in confirmation.body
    assert "You pay <strong>€34.90</strong> in cash" in confirmation.alternatives[0][0]

    services.mark_packed(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_shipped(order=order, carrier="DHL", tracking_number="JD0001")
    shipped = mail.outbox[-1]
    assert "Cash on delivery: please have €34.90 ready for the carrier." in shipped.body
    assert "please have <strong>€34.90</strong> ready" in shipped.alternatives[0][0]


def test_a_bank_transfer_paid_in_advance_asks_nothing_at_the_door(
    make_order, django_capture_on_commit_callbacks
):
    order = make_order(payment="bank_transfer")
    services.mark_paid(order=order)
    services.mark_packed(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_shipped(order=order, carrier="DHL", tracking_number="JD0001")
    assert "ready for the carrier" not in mail.outbox[-1].body


def test_the_cancellation_mail_says_whether_money_goes_back(
    make_order, django_capture_on_commit_callbacks
):
    """It said "If you already paid, we refund you" to everyone: the shop knows who paid."""
    paid = make_order(payment="bank_transfer")  # 2 lamps, free delivery: €60.00
    services.mark_paid(order=paid)
    unpaid = make_order(payment="bank_transfer")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=paid)
        services.cancel_order(order=unpaid)
    to_paid, to_unpaid = (
        next(m for m in mail.outbox if o.number in m.subject and "cancelled" in m.subject)
        for o in (paid, unpaid)
    )
    assert "We send back the €60.00 you paid to the account it came from" in to_paid.body
    assert "<strong>€60.00</strong> you paid" in to_paid.alternatives[0][0]
    assert "send back" not in to_unpaid.body
    assert "If you already paid" not in to_paid.body + to_unpaid.body


def test_the_cancellation_mail_gives_the_reason_the_customers_timeline_shows(
    make_order, django_capture_on_commit_callbacks
):
    """An unpaid bank transfer cancelled after 7 days was told "has been cancelled" and no
    more, while the order's page said why ("Not paid in time"); so was staff's reason."""
    expired = make_order(payment="bank_transfer")
    by_staff = make_order(payment="cod")
    plain = make_order(payment="cod")
    Order.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        services.expire_unpaid_orders()
        services.cancel_order(order=by_staff, note="The lamp broke in our store, sorry")
        services.cancel_order(order=plain)  # no reason given
    told = {
        o.number: next(m for m in mail.outbox if o.number in m.subject)
        for o in (expired, by_staff, plain)
    }
    assert "has been cancelled: Not paid in time." in told[expired.number].body
    assert "has been cancelled: Not paid in time." in told[expired.number].alternatives[0][0]
    assert "cancelled: The lamp broke in our store, sorry." in told[by_staff.number].body
    assert f"your order {plain.number} has been cancelled.\n" in told[plain.number].body


def test_order_mails_link_to_the_order_when_the_shop_address_is_known(
    variant, standard_shipping, django_capture_on_commit_callbacks
):
    """No customer e-mail linked back to the shop: a guest had to find "Where is my order?"
    and type the number, a member to find "My orders"."""
    site = "https://shop.example/"
    with django_capture_on_commit_callbacks(execute=True):
        guest = services.place_order(
            cart=make_cart((variant, 1)),
            contact=services.Contact(email="guest@example.com", phone="030 1"),
            address=ADDRESS,
            shipping_method_id=standard_shipping.pk,
            payment_code="cod",
            idempotency_key="k-guest",
            site_url=site,
        )
    inquiry = f"https://shop.example/orders/inquiry/?number={guest.number}"
    confirmation = next(m for m in mail.outbox if m.to == ["guest@example.com"])
    assert f"Your order online: {inquiry}\n" in confirmation.body
    assert f'<a href="{inquiry}">See your order online</a>' in confirmation.alternatives[0][0]
    staff = next(m for m in mail.outbox if m.to != ["guest@example.com"])
    assert "Your order online" not in staff.body  # staff get their admin link instead

    member = UserFactory(email="mia@example.com")
    order = place(make_cart((variant, 1), user=member), standard_shipping, user=member)
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="1")
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delivered(order=order, site_url=site)
    delivered = mail.outbox[-1]
    assert f"Your order online: https://shop.example/orders/mine/{order.number}/\n" in (
        delivered.body
    )
    assert "of receiving it (until " in delivered.body
    # the link on a line of its own: a full stop after it joined the link in some programs
    assert "\nHow to return or exchange: https://shop.example/service/returns/\n" in delivered.body
    assert (
        '<a href="https://shop.example/service/returns/">return or exchange it</a>'
        in (delivered.alternatives[0][0])
    )


def test_a_mail_sent_by_a_background_job_has_no_broken_links(
    make_order, django_capture_on_commit_callbacks
):
    order = make_order(payment="bank_transfer")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order)  # as expire_unpaid_orders does: no address known
    assert "Your order online" not in mail.outbox[-1].body
    assert 'href="/' not in mail.outbox[-1].alternatives[0][0]


def test_nothing_is_mailed_or_queued_when_the_transaction_rolls_back(
    make_order, django_capture_on_commit_callbacks
):
    order = make_order(payment="bank_transfer")

    def pay_then_fail():
        with transaction.atomic():
            services.mark_paid(order=order)
            raise RuntimeError("something after the change failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        pay_then_fail()

    assert callbacks == []
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT
    assert order.events.count() == 1


def test_a_failed_placement_queues_no_mail(variant, standard_shipping):
    cart = make_cart((variant, 50))  # more than in stock
    with pytest.raises(services.OutOfStock):
        place(cart, standard_shipping)
    assert not OutboxMessage.objects.exists()
    assert not Order.objects.exists()
    assert stock_of(variant) == 10


class _MissesTheFirstOrder:
    """``Order.objects`` as a racing request sees it: the other order is not committed yet
    (its look-up before the insert misses; after the failed insert it is visible)."""

    def __init__(self):
        self.misses = 1

    def filter(self, **kwargs):
        if self.misses:
            self.misses -= 1
            return Order.objects.none()
        return Order.objects.filter(**kwargs)

    def __getattr__(self, name):
        return getattr(Order.objects, name)


def test_losing_the_idempotency_key_race_takes_no_stock(standard_shipping):
    first_item = ProductFactory(stock=5).variants.get()
    second_item = ProductFactory(stock=5).variants.get()
    first = place(make_cart((first_item, 1)), standard_shipping, key="shared-key")
    racing_cart = make_cart((second_item, 2))

    with mock.patch.object(services, "Order", SimpleNamespace(objects=_MissesTheFirstOrder())):
        returned = place(racing_cart, standard_shipping, key="shared-key")

    assert returned.pk == first.pk
    assert Order.objects.count() == 1
    assert stock_of(second_item) == 5  # nothing was ordered from it


def test_stock_gone_under_a_stale_locked_read_is_refused_not_oversold(standard_shipping):
    """The stock UPDATE takes units only where they are still there (``stock >= quantity``):
    the row lock makes this a second line of defence, which must still answer "sold out" (and
    take nothing) if the locked read were ever stale, not fail on the database's constraint."""
    variant = ProductFactory(price=Decimal("30.00"), stock=3).variants.get()
    cart = make_cart((variant, 2))
    real = services._price

    def stale_after_the_lock(quantities, shipping, *, lock):
        pricing = real(quantities, shipping, lock=lock)
        if lock:  # what the lock should have kept from happening: units gone meanwhile
            type(variant).objects.filter(pk=variant.pk).update(stock=1)
        return pricing

    with (
        mock.patch.object(services, "_price", stale_after_the_lock),
        pytest.raises(OutOfStock),
    ):
        place(cart, standard_shipping)
    assert stock_of(variant) == 3  # the whole order rolled back, the stock untouched
    assert not Order.objects.exists()


def test_order_numbers_are_random_not_sequential(make_order):
    """An order number and the e-mail open a guest's order (inquiry, the link in its e-mails):
    numbers are drawn at random (31^8), so nobody works out others' numbers from their own."""
    import re

    from orders.models import NUMBER_ALPHABET, new_order_number

    numbers = [new_order_number() for _ in range(300)] + [make_order().number for _ in range(3)]
    assert len(set(numbers)) == len(numbers)
    pattern = re.compile(rf"MP-[{NUMBER_ALPHABET}]{{4}}-[{NUMBER_ALPHABET}]{{4}}")
    assert all(pattern.fullmatch(number) for number in numbers), numbers[:5]
    codes = [number[3:].replace("-", "") for number in numbers]
    # every position takes any of the 31 characters (a counter would keep its first ones)
    for position in range(8):
        assert len({code[position] for code in codes}) >= 20, position


# --- the outbox ------------------------------------------------------------------------------


def queued_message() -> OutboxMessage:
    return queue_mail(
        to=["ada@example.com"],
        template="orders/email/order_paid",
        context={"order": Order(number="MP-TEST-0001", full_name="Ada"), "lines": []},
    )


def test_sending_an_outbox_message_twice_sends_it_once():
    message = queued_message()

    assert send_outbox_message(message_id=message.pk) is True
    assert send_outbox_message(message_id=message.pk) is False
    send_outbox_message_task.apply(args=[message.pk])

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Payment received for order MP-TEST-0001"
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 1


def test_smtp_failure_leaves_the_message_pending_and_the_error_raised():
    message = queued_message()
    with FAILING_SMTP, pytest.raises(SMTPException):
        send_outbox_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.sent_at is None
    assert mail.outbox == []


def test_smtp_failure_records_the_attempt_and_the_error():
    message = queued_message()
    with FAILING_SMTP, pytest.raises(SMTPException):
        send_outbox_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.attempts == 1
    assert "451 relay temporarily unavailable" in message.last_error


def test_the_sweep_sends_what_failed_before():
    failed, fine = queued_message(), queued_message()
    OutboxMessage.objects.filter(pk=fine.pk).update(sent_at=timezone.now())
    with FAILING_SMTP, pytest.raises(SMTPException):
        send_outbox_message(message_id=failed.pk)

    assert send_pending_mail_task() == 0  # backing off: not tried again at once
    OutboxMessage.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    with FAILING_SMTP:
        assert send_pending_mail_task() == 0  # still down: logged, kept for the next sweep
    OutboxMessage.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    assert send_pending_mail_task() == 1
    assert send_pending_mail_task() == 0

    assert len(mail.outbox) == 1
    failed.refresh_from_db()
    assert failed.sent_at is not None
    assert failed.last_error == ""


def test_an_order_is_placed_even_when_mail_is_down(
    variant, standard_shipping, django_capture_on_commit_callbacks
):
    with FAILING_SMTP, django_capture_on_commit_callbacks(execute=True):
        order = place(make_cart((variant, 1)), standard_shipping)

    assert Order.objects.filter(pk=order.pk).exists()
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    assert mail.outbox == []
    assert send_pending_mail_task() == 0  # backing off
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert send_pending_mail_task() == 2
    assert (
        sorted(m.subject for m in mail.outbox)[1]
        == f"Your order {order.number} at {settings.SHOP_NAME}"
    )


def test_an_order_queues_both_e_mails_in_one_task_after_commit(
    variant, standard_shipping, django_capture_on_commit_callbacks
):
    with (
        mock.patch("core.tasks.send_outbox_messages_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(make_cart((variant, 1)), standard_shipping)
    queued = list(OutboxMessage.objects.order_by("pk"))
    assert [m.kind for m in queued] == ["order_confirmation", "staff_new_order"]
    delay.assert_called_once_with([m.pk for m in queued])

    send_outbox_messages_task.apply(args=[[m.pk for m in queued]])
    send_outbox_messages_task.apply(args=[[m.pk for m in queued]])  # delivered twice: once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [order.email, settings.SHOP_STAFF_EMAILS[0]]
    )


def test_without_staff_addresses_the_staff_notice_is_not_sent_to_the_customer(
    variant, standard_shipping, settings
):
    # SHOP_STAFF_EMAILS set empty: nobody gets staff notices (an empty list of recipients
    # must not fall back to the order's own address)
    settings.SHOP_STAFF_EMAILS = []
    order = place(make_cart((variant, 1)), standard_shipping)
    queued = list(OutboxMessage.objects.order_by("pk"))
    assert [(m.kind, m.to) for m in queued] == [("order_confirmation", [order.email])]


def test_one_refused_recipient_does_not_keep_the_other_e_mail_of_the_order(
    variant, standard_shipping
):
    place(make_cart((variant, 1)), standard_shipping)
    customer, staff = OutboxMessage.objects.order_by("pk")
    refused = SMTPRecipientsRefused({customer.to[0]: (550, b"no such mailbox")})
    real_send = mail.get_connection().__class__.send_messages

    def send(backend, messages):
        if messages[0].to == customer.to:
            raise refused
        return real_send(backend, messages)

    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", send):
        assert send_outbox_messages_task.apply(args=[[customer.pk, staff.pk]]).get() == 1
    assert [m.to for m in mail.outbox] == [staff.to]
    customer.refresh_from_db()
    assert customer.sent_at is None  # the sweep tries it again
    assert customer.attempts == 1


def test_a_mail_server_that_is_down_ends_the_batch_and_leaves_it_to_the_sweep(
    variant, standard_shipping
):
    place(make_cart((variant, 1)), standard_shipping)
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=ConnectionRefusedError(111, "Connection refused"),
    ) as send:
        assert send_outbox_messages_task.apply(args=[ids]).get() == 0
    assert send.call_count == 1  # not once per message
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert send_pending_mail_task() == 2


# --- expiring unpaid orders ------------------------------------------------------------------


def test_expire_cancels_only_old_unpaid_bank_transfers_and_restores_stock_once(make_order, variant):
    old = timezone.now() - timedelta(days=8)
    old_unpaid = make_order(payment="bank_transfer", quantity=1)
    recent_unpaid = make_order(payment="bank_transfer", quantity=1)
    old_cod = make_order(payment="cod", quantity=1)
    old_paid = make_order(payment="bank_transfer", quantity=1)
    services.mark_paid(order=old_paid)
    Order.objects.filter(pk__in=[old_unpaid.pk, old_cod.pk, old_paid.pk]).update(created_at=old)
    assert stock_of(variant) == 6

    assert services.expire_unpaid_orders() == 1
    assert services.expire_unpaid_orders() == 0

    assert stock_of(variant) == 7
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        old_unpaid.pk: S.CANCELLED,
        recent_unpaid.pk: S.PENDING_PAYMENT,
        old_cod.pk: S.PENDING_PAYMENT,
        old_paid.pk: S.PAID,
    }
    assert old_unpaid.events.get(status=S.CANCELLED).note == "Not paid in time"
    assert kinds().count("order_cancelled") == 1


def test_a_background_jobs_mail_links_the_order_when_the_shops_address_is_set(make_order, settings):
    """The expiry job has no request: its cancellation mail links the order (the lookup,
    number filled in) when SHOP_URL says where the shop is, and leaves links out otherwise."""
    old = timezone.now() - timedelta(days=8)
    first, second = make_order(payment="bank_transfer"), make_order(payment="bank_transfer")
    Order.objects.filter(pk=first.pk).update(created_at=old)
    services.expire_unpaid_orders()
    settings.SHOP_URL = "https://shop.example.com"
    Order.objects.filter(pk=second.pk).update(created_at=old)
    services.expire_unpaid_orders()

    without, with_url = (
        OutboxMessage.objects.get(
            kind="order_cancelled", to=[o.email], body_text__contains=o.number
        )
        for o in (first, second)
    )
    assert "http" not in without.body_text
    assert f"https://shop.example.com/orders/inquiry/?number={second.number}" in (
        with_url.body_text
    )


def test_expire_respects_the_configured_number_of_days(make_order, settings):
    settings.SHOP_UNPAID_ORDER_DAYS = 3
    order = make_order(payment="bank_transfer")
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert services.expire_unpaid_orders() == 0
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(days=2)) == 1


def test_orders_and_cancels_keep_the_listing_stock_total_current(standard_shipping):
    product = ProductFactory(stock=5)
    variant = product.variants.get()
    order = place(make_cart((variant, 5)), standard_shipping)
    product.refresh_from_db()
    assert product.stock_total == 0
    assert not Product.objects.in_stock().filter(pk=product.pk).exists()
    services.cancel_order(order=order)
    product.refresh_from_db()
    assert product.stock_total == 5


def test_free_shipping_reads_free_in_both_order_e_mails(standard_shipping):
    variant = ProductFactory(price=Decimal("60.00"), stock=5).variants.get()  # over 50: free
    place(make_cart((variant, 1)), standard_shipping)
    for message in OutboxMessage.objects.all():
        assert "Shipping (Standard): free" in message.body_text
        assert "€0.00" not in message.body_text
        assert "Free</td>" in message.body_html

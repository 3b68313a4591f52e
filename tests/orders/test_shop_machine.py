"""A stateful test of the whole shop: Hypothesis invents the sequences.

Shoppers fill carts (through the services, and one through the real pages with the test
Client, who also signs in and out: their cart joins the member's), change quantities, remove
lines and place orders (cash on delivery and bank transfer); staff change stock and prices,
take products off sale, move orders along (through the services and the admin's actions),
cancel them, record late payments and refunds; the clock moves and unpaid bank transfers
expire. After every step the shop must still add up:

- no stock is negative, and for each variant units in stock + units in orders that are not
  cancelled = units received (a cancelled order gives its units back exactly once);
- a product's listing total is the sum of its variants' stock;
- an order has lines, its total is its lines + delivery, each line its unit price x quantity;
- an order's timeline starts with "Order placed" and moves only along the allowed transitions;
- every e-mail the flow promises is in the outbox exactly once, and was sent exactly once;
- order lines are a snapshot nothing later rewrites; the header's cart count is current.

Returns have no service of their own (a shopper writes to customer service): not modelled.

Each example runs in a savepoint rolled back at its end, on a clock of its own (Django's
timezone.now, which auto_now fields and every service read, is the machine's).
"""

import os
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cart import services as cart_services
from cart.exceptions import CartError, NotEnoughStock
from cart.models import Cart, CartLine, ShippingMethod
from cart.selectors import get_cart_count
from catalog.models import MAX_LINE_QUANTITY, Product, Variant
from catalog.services import StaffStockEdit, save_variant_for_staff, set_products_active
from core.models import OutboxMessage
from core.money import round_money
from orders import services
from orders.exceptions import EmptyCart, IllegalTransition, OutOfStock
from orders.models import Order, OrderLine, days_later
from tests.factories import ProductFactory, UserFactory, VariantFactory

from .helpers import ADDRESS, CONTACT, checkout_data

S = Order.Status
COD, BANK = "cod", "bank_transfer"

# The allowed status changes, as the shop promises them (written out here, not read from
# orders.services.TRANSITIONS, so a change there must be a decision): (from, to, payment
# methods it is allowed for).
ALLOWED = {
    (S.PENDING_PAYMENT, S.PAID): {COD, BANK},
    (S.PENDING_PAYMENT, S.PACKED): {COD},  # cash on delivery ships before the money
    (S.PENDING_PAYMENT, S.CANCELLED): {COD, BANK},
    (S.PAID, S.PACKED): {COD, BANK},
    (S.PAID, S.CANCELLED): {COD, BANK},
    (S.PACKED, S.SHIPPED): {COD, BANK},
    (S.PACKED, S.CANCELLED): {COD, BANK},
    (S.SHIPPED, S.DELIVERED): {COD, BANK},
    (S.DELIVERED, S.COMPLETED): {COD, BANK},
}
# The e-mail each status change promises the customer (packing and completing send none).
STATUS_MAIL = {
    S.PAID: "order_paid",
    S.SHIPPED: "order_shipped",
    S.DELIVERED: "order_delivered",
    S.CANCELLED: "order_cancelled",
}
UNPAID_DAYS = 7
# (TIME_ZONE Europe/Berlin) a week and a bit before the clocks go forward, and back, in 2027
BEFORE_SPRING = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
BEFORE_AUTUMN = datetime(2027, 10, 23, 9, 0, tzinfo=UTC)
STAFF_EMAIL = "staff@shop.example"
MEMBER_EMAIL = "member@example.com"
MEMBER_PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

shoppers = st.integers(min_value=0, max_value=1)
QUICK = 2  # the shopper of buy_one_thing
variant_indexes = st.integers(min_value=0, max_value=2)
any_order = st.integers(min_value=0, max_value=10_000)
payments = st.sampled_from([COD, BANK])


def allowed(order: Order, to: str) -> bool:
    return order.payment_method in ALLOWED.get((order.status, to), set())


class Shop(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = timezone.now()
        self.days_moved = 0
        self._clock = mock.patch("django.utils.timezone.now", new=self.clock)
        self._clock.start()
        cache.clear()  # rate limits (order placement counts per client) and cached pages
        mail.outbox = []

    def teardown(self):
        self._clock.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------

    def clock(self):
        return self.now

    def tick(self):
        """Every step takes a minute of the shop's clock (orders keep their order in time)."""
        self.now += timedelta(minutes=1)

    def mails(self):
        """Run what the step left for after commit (the outbox's sending), as a commit would."""
        return TestCase.captureOnCommitCallbacks(execute=True)

    def variant(self, index: int) -> Variant:
        return Variant.objects.select_related("product").get(pk=self.variant_ids[index])

    def lines_of(self, cart: Cart) -> dict[int, int]:
        return dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))

    def order(self, index: int) -> Order:
        return Order.objects.get(pk=self.order_ids[index % len(self.order_ids)])

    def expected_order(self, cart_lines: dict[int, int]):
        """What placing these lines must do: ("empty"|"problem", None) or ("ok", lines)."""
        if not cart_lines:
            return "empty", None
        variants = Variant.objects.select_related("product").in_bulk(cart_lines)
        for pk, quantity in cart_lines.items():
            v = variants[pk]
            if not v.product.is_active or v.stock <= 0 or quantity > v.stock:
                return "problem", None
        return "ok", {pk: (q, round_money(variants[pk].base_price)) for pk, q in cart_lines.items()}

    def check_placed(self, order: Order, lines: dict, stock_before: dict[int, int]):
        got = {
            line.variant_id: (line.quantity, line.unit_price)
            for line in OrderLine.objects.filter(order=order)
        }
        assert got == lines
        self.snapshots[order.pk] = self.order_lines(order.pk)
        for pk, (quantity, _price) in lines.items():
            assert Variant.objects.get(pk=pk).stock == stock_before[pk] - quantity
        self.order_ids.append(order.pk)

    def order_lines(self, order_pk: int) -> list[tuple]:
        return list(
            OrderLine.objects.filter(order_id=order_pk)
            .order_by("pk")
            .values_list(
                "variant_id", "product_name", "sku", "unit_price", "quantity", "line_total"
            )
        )

    def stock(self) -> dict[int, int]:
        return dict(Variant.objects.filter(pk__in=self.variant_ids).values_list("pk", "stock"))

    def view_cart(self) -> Cart | None:
        """The page shopper's open cart: the member's once signed in, else their session's."""
        if self.signed_in:
            return Cart.objects.filter(user=self.member, status=Cart.Status.OPEN).first()
        cart_id = self.client.session.get(cart_services.SESSION_KEY)
        return Cart.objects.filter(pk=cart_id, status=Cart.Status.OPEN).first()

    def messages(self, response) -> list[str]:
        """The messages this response set for the next page, which the shopper has now read."""
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        for client in (self.client, self.staff_client):
            client.cookies.pop("messages", None)
        return texts

    # --- the shop ---------------------------------------------------------------------------

    @initialize(
        stocks=st.lists(st.integers(min_value=1, max_value=8), min_size=3, max_size=3),
        free_over=st.sampled_from([None, Decimal("50.00"), Decimal("20.00")]),
        start=st.sampled_from(["now", BEFORE_SPRING, BEFORE_AUTUMN]),
        saved=st.dictionaries(variant_indexes, st.integers(1, 4), max_size=2),
    )
    def open_shop(self, stocks, free_over, start, saved):
        if start != "now":  # payment deadlines across a change to or from summer time
            self.now = start
        tent = ProductFactory(name="Tent", price=Decimal("19.99"), stock=False)
        mug = ProductFactory(name="Mug", price=Decimal("7.35"), stock=False)
        variants = [
            VariantFactory(product=tent, stock=stocks[0], colour="Green"),
            VariantFactory(
                product=tent, stock=stocks[1], colour="Red", price_override=Decimal("24.50")
            ),
            VariantFactory(product=mug, stock=stocks[2]),
        ]
        self.variant_ids = [v.pk for v in variants]
        self.received = {v.pk: v.stock for v in variants}
        self.standard = ShippingMethod.objects.create(
            name="Standard", fee=Decimal("4.90"), free_over=free_over, position=1
        )
        self.express = ShippingMethod.objects.create(
            name="Express", fee=Decimal("9.90"), position=2
        )
        self.carts = [self.new_cart(), self.new_cart(), None]  # the last: buy_one_thing's
        self.order_ids: list[int] = []
        self.snapshots: dict[int, list[tuple]] = {}
        self.refunded: set[int] = set()
        self.corrections: Counter[str] = Counter()  # tracking numbers corrected, per order
        self.client = Client()
        self.tabs: list[dict] = []  # review pages shown, oldest first
        self.latest_review: dict | None = None
        self.stock_pages: list[tuple[int, StaffStockEdit]] = []
        self.member = UserFactory(email=MEMBER_EMAIL)
        if saved:  # what the member left in their cart on another device
            mine = Cart.objects.create(user=self.member)
            for index, quantity in saved.items():
                CartLine.objects.create(cart=mine, variant=variants[index], quantity=quantity)
        self.signed_in = False
        self.staff = UserFactory(email=STAFF_EMAIL, is_staff=True, is_superuser=True)
        self.staff_client = Client()

    def new_cart(self) -> Cart:
        return Cart.objects.create(session_key=secrets.token_hex(16))

    # --- shoppers, through the services ---------------------------------------------------------

    @rule(shopper=shoppers, index=variant_indexes, quantity=st.integers(1, 4))
    def add_to_cart(self, shopper, index, quantity):
        self.tick()
        cart, v = self.carts[shopper], self.variant(index)
        before = self.lines_of(cart).get(v.pk, 0)
        try:
            cart_services.add_to_cart(cart=cart, variant_id=v.pk, quantity=quantity)
        except NotEnoughStock:
            assert v.product.is_active
            assert before + quantity > v.stock
        except CartError:
            assert not v.product.is_active
        else:
            assert v.product.is_active
            assert before + quantity <= v.stock
            assert self.lines_of(cart)[v.pk] == before + quantity

    @rule(shopper=shoppers, index=variant_indexes, quantity=st.integers(0, 7))
    def change_quantity(self, shopper, index, quantity):
        self.tick()
        cart, v = self.carts[shopper], self.variant(index)
        line = CartLine.objects.filter(cart=cart, variant=v).first()
        if line is None:
            return
        try:
            cart_services.set_line_quantity(cart=cart, line_id=line.pk, quantity=quantity)
        except NotEnoughStock:
            assert line.quantity < quantity
            assert quantity > v.stock
            assert self.lines_of(cart)[v.pk] == line.quantity
        else:  # (lowering is always allowed, even to more than is left: the cart says so)
            assert quantity <= line.quantity or quantity <= v.stock
            assert self.lines_of(cart).get(v.pk) == (quantity or None)

    @rule(shopper=shoppers, index=variant_indexes)
    def remove_line(self, shopper, index):
        self.tick()
        cart = self.carts[shopper]
        line = CartLine.objects.filter(cart=cart, variant_id=self.variant_ids[index]).first()
        removed = cart_services.remove_line(cart=cart, line_id=line.pk if line else 0)
        assert removed == (line is not None)
        assert self.variant_ids[index] not in self.lines_of(cart)

    @rule(shopper=shoppers, payment=payments, express=st.booleans())
    def place_order(self, shopper, payment, express):
        self.tick()
        cart = self.carts[shopper]
        outcome, lines = self.expected_order(self.lines_of(cart))
        stock_before = self.stock()
        shipping = self.express if express else self.standard
        try:
            with self.mails():
                order = services.place_order(
                    cart=cart,
                    contact=CONTACT,
                    address=ADDRESS,
                    shipping_method_id=shipping.pk,
                    payment_code=payment,
                    idempotency_key=secrets.token_urlsafe(24),
                )
        except EmptyCart:
            assert outcome == "empty"
        except OutOfStock:
            assert outcome == "problem"
            assert self.stock() == stock_before  # all or nothing
        else:
            assert outcome == "ok"
            assert (order.payment_method, order.shipping_method_id) == (payment, shipping.pk)
            self.check_placed(order, lines, stock_before)
            self.carts[shopper] = self.new_cart()

    @rule(
        index=variant_indexes, quantity=st.integers(1, 3), payment=payments, express=st.booleans()
    )
    def buy_one_thing(self, index, quantity, payment, express):
        """A shopper who adds one thing to a new cart and checks out at once (the shortest way
        to an order: more orders for the staff rules to work on)."""
        self.carts[QUICK] = self.new_cart()
        self.add_to_cart(QUICK, index, quantity)
        self.place_order(QUICK, payment, express)

    # --- a shopper on the real pages ----------------------------------------------------------

    @rule(index=variant_indexes, quantity=st.integers(1, 4))
    def add_on_the_product_page(self, index, quantity):
        self.tick()
        v = self.variant(index)
        cart = self.view_cart()
        before = self.lines_of(cart).get(v.pk, 0) if cart else 0
        response = self.client.post(reverse("cart:add"), {"variant": v.pk, "quantity": quantity})
        assert response.status_code == 302
        [message] = self.messages(response)
        cart = self.view_cart()
        if v.product.is_active and before + quantity <= v.stock:
            assert message.startswith(f"Added {quantity} ×")
            assert self.lines_of(cart)[v.pk] == before + quantity
        else:
            assert "sold out" in message or "available" in message or "no longer" in message
            assert (self.lines_of(cart).get(v.pk, 0) if cart else 0) == before

    @rule(index=variant_indexes, quantity=st.sampled_from(["0", "1", "3", "7", "-1", "x"]))
    def change_quantity_on_the_cart_page(self, index, quantity):
        self.tick()
        cart = self.view_cart()
        line = CartLine.objects.filter(cart=cart, variant_id=self.variant_ids[index]).first()
        if line is None:
            return
        v = self.variant(index)
        response = self.client.post(
            reverse("cart:update_line", args=[line.pk]), {"quantity": quantity}
        )
        assert response.status_code == 302
        [message] = self.messages(response)
        now = self.lines_of(cart).get(v.pk)
        wanted = int(quantity) if quantity.lstrip("-").isdigit() else None
        if wanted == 0:
            assert (message, now) == ("Item removed.", None)
        elif wanted is None or wanted < 0 or (wanted > line.quantity and wanted > v.stock):
            assert now == line.quantity  # refused, and the page says why
            assert message != "Quantity updated."
        else:
            assert (message, now) == ("Quantity updated.", wanted)

    @rule()
    def sign_in_on_the_pages(self):
        """The page shopper signs in: their cart joins the member's (capped at the stock and
        the line cap; the member's own lines are never cut)."""
        if self.signed_in:
            return
        self.tick()
        visitors = self.view_cart()
        visitor_lines = self.lines_of(visitors) if visitors else {}
        mine = Cart.objects.filter(user=self.member, status=Cart.Status.OPEN).first()
        member_lines = self.lines_of(mine) if mine else {}
        stock = self.stock()
        response = self.client.post(
            reverse("account_login"), {"login": MEMBER_EMAIL, "password": MEMBER_PASSWORD}
        )
        assert response.status_code == 302
        self.messages(response)
        self.signed_in = True
        merged = self.lines_of(self.view_cart()) if self.view_cart() else {}
        for pk in set(visitor_lines) | set(member_lines):
            had = member_lines.get(pk, 0)
            best = min(had + visitor_lines.get(pk, 0), stock[pk], MAX_LINE_QUANTITY)
            assert max(had, best) == merged.get(pk, 0), (pk, had, visitor_lines, stock, merged)
        if visitors is not None:
            assert not Cart.objects.filter(pk=visitors.pk).exists()

    @rule()
    def sign_out_on_the_pages(self):
        if not self.signed_in:
            return
        self.tick()
        response = self.client.post(reverse("account_logout"))
        assert response.status_code == 302
        self.messages(response)
        self.signed_in = False
        assert self.view_cart() is None  # a new visitor: the member's cart waits for them

    @rule()
    def empty_the_cart_on_the_cart_page(self):
        self.tick()
        cart = self.view_cart()
        response = self.client.post(reverse("cart:clear"))
        assert response.status_code == 302
        self.messages(response)
        if cart is not None:
            assert self.lines_of(cart) == {}

    @rule()
    def remove_what_cannot_be_ordered_on_the_cart_page(self):
        """What the cart page asks of a line that is sold out, short or off sale."""
        self.tick()
        cart = self.view_cart()
        if cart is None:
            return
        for line in CartLine.objects.filter(cart=cart).select_related("variant__product"):
            v = line.variant
            if v.product.is_active and line.quantity <= v.stock:
                continue
            response = self.client.post(reverse("cart:remove_line", args=[line.pk]))
            assert response.status_code == 302
            assert self.messages(response) == ["Item removed from your cart."]
            assert not CartLine.objects.filter(pk=line.pk).exists()

    @rule(payment=payments, express=st.booleans())
    def review_the_order_on_the_pages(self, payment, express):
        """The details page, then the review: what it shows is what Buy now may charge."""
        self.tick()
        cart = self.view_cart()
        outcome, lines = self.expected_order(self.lines_of(cart) if cart else {})
        shipping = self.express if express else self.standard
        details = self.client.post(
            reverse("orders:checkout"), checkout_data(shipping, payment=payment)
        )
        said = self.messages(details)
        if outcome != "ok":  # an empty or blocked cart goes back to the cart page, which says why
            assert details.url == reverse("cart:detail")
            assert said
            return
        assert details.url == reverse("orders:checkout_review")
        review = self.client.get(details.url)
        assert review.status_code == 200
        pricing = review.context["pricing"]
        assert {ln.variant.pk: (ln.quantity, ln.unit_price) for ln in pricing.lines} == lines
        self.tabs.append(
            {
                "form": {
                    "idempotency_key": review.context["state"]["idempotency_key"],
                    "reviewed": review.context["reviewed"],
                },
                "lines": lines,
                "payment": payment,
                "total": pricing.total,
            }
        )
        self.latest_review = self.tabs[-1]["form"]

    @precondition(lambda self: self.tabs)
    @rule(tab=st.integers(min_value=0, max_value=5))
    def buy_now(self, tab):
        """Buy now on a review page, the latest or one left open in another tab, whatever
        happened since it was shown (the cart changed, staff changed stock or prices): the order
        is placed exactly as reviewed, or not at all and the shopper is told why."""
        self.tick()
        reviewed = self.tabs[-1 - tab % len(self.tabs)]
        key = reviewed["form"]["idempotency_key"]
        already = Order.objects.filter(idempotency_key=key).first()
        cart = self.view_cart()
        outcome, lines = self.expected_order(self.lines_of(cart) if cart else {})
        stock_before = self.stock()
        orders_before = set(Order.objects.values_list("pk", flat=True))
        with self.mails():
            placed = self.client.post(reverse("orders:place_order"), reviewed["form"])
        said = self.messages(placed)
        new = list(Order.objects.exclude(pk__in=orders_before))
        if already is not None:  # a second Buy now: the same order, not a second one
            assert new == []
            assert placed.url == reverse("orders:confirmation", args=[already.number])
            assert said == [f"Order {already.number} was placed already; not placed twice."]
            return
        latest = reviewed["form"] == self.latest_review
        if latest and outcome == "ok" and lines == reviewed["lines"]:
            [order] = new
            assert placed.url == reverse("orders:confirmation", args=[order.number])
            assert (order.payment_method, order.total) == (reviewed["payment"], reviewed["total"])
            assert order.user_id == (self.member.pk if self.signed_in else None)
            self.check_placed(order, lines, stock_before)
            assert self.view_cart() is None  # the next add starts a new cart
        else:
            assert new == [], (latest, outcome, lines, reviewed["lines"])
            assert said  # why not (sold out, changed since the review, ...)
            assert self.stock() == stock_before

    # --- staff ----------------------------------------------------------------------------

    @rule(index=variant_indexes, change=st.integers(-5, 8))
    def staff_change_stock(self, index, change):
        self.tick()
        v = self.variant(index)
        edit = StaffStockEdit(shown=v.stock, edits=v.stock_edits, typed=v.stock + change)
        outcome, shortfall = save_variant_for_staff(variant=v, edit=edit)
        assert outcome == StaffStockEdit.SAVED
        assert shortfall == max(-(edit.shown + change), 0)
        self.received[v.pk] += max(edit.shown + change, 0) - edit.shown

    @rule(index=variant_indexes, change=st.integers(-5, 8))
    def staff_open_the_stock_page(self, index, change):
        """Staff load a variant's page and type a new stock; they save it later (below)."""
        v = self.variant(index)
        self.stock_pages.append(
            (v.pk, StaffStockEdit(shown=v.stock, edits=v.stock_edits, typed=v.stock + change))
        )

    @precondition(lambda self: self.stock_pages)
    @rule()
    def staff_save_the_stock_page(self):
        """Saved after orders, cancellations and other staff's edits: the stock moves by what
        was typed over what the page showed, from the stock as it is now; over another staff
        edit (or a second send of the same form) nothing is saved."""
        self.tick()
        pk, edit = self.stock_pages.pop(0)
        v = Variant.objects.get(pk=pk)
        stock, edits, change = v.stock, v.stock_edits, edit.typed - edit.shown
        outcome, shortfall = save_variant_for_staff(variant=v, edit=edit)
        after = Variant.objects.get(pk=pk)
        if change and edit.edits != edits:
            assert outcome == StaffStockEdit.EDITED_MEANWHILE
            assert (after.stock, after.stock_edits) == (stock, edits)
            return
        assert outcome == StaffStockEdit.SAVED
        assert after.stock == max(stock + change, 0)
        assert shortfall == max(-(stock + change), 0)
        assert after.stock_edits == edits + (1 if change else 0)
        self.received[pk] += after.stock - stock

    @rule(index=variant_indexes, active=st.booleans())
    def staff_put_on_or_off_sale(self, index, active):
        self.tick()
        set_products_active(product_ids=[self.variant(index).product_id], active=active)

    @rule(index=variant_indexes, price=st.sampled_from(["19.99", "24.50", "5.00", "49.95"]))
    def staff_change_a_price(self, index, price):
        """A new price for the product (or, for the red tent, the variant's own price)."""
        self.tick()
        v = self.variant(index)
        if v.price_override is not None:
            v.price_override = Decimal(price)
            save_variant_for_staff(variant=v, edit=None)
        else:
            v.product.price = Decimal(price)
            v.product.compare_at_price = None
            v.product.save()

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order, to=st.sampled_from(list(S)))
    def staff_change_status(self, which, to):
        self.tick()
        order = self.order(which)
        before = order.status
        may = allowed(order, to)
        try:
            with self.mails():
                services.change_status(order=order, to=to, actor=self.staff, note="")
        except IllegalTransition:
            assert not may
            assert Order.objects.get(pk=order.pk).status == before
        else:
            assert may, f"{before} -> {to} ({order.payment_method}) was allowed"
            assert Order.objects.get(pk=order.pk).status == to

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order, choices=st.lists(st.integers(0, 3), min_size=1, max_size=6))
    def staff_move_an_order_along(self, which, choices):
        """Some of the next steps the order may take, one after the other (staff mostly do what
        is allowed; this takes orders as far as delivered and completed)."""
        for choice in choices:
            order = self.order(which)
            steps = sorted(
                to
                for (fro, to), methods in ALLOWED.items()
                if fro == order.status and order.payment_method in methods
            )
            if not steps:
                return
            self.staff_change_status(which, steps[choice % len(steps)])

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order, action=st.sampled_from(["mark_paid", "cancel", "mark_packed"]))
    def staff_action_in_the_admin(self, which, action):
        self.tick()
        order = self.order(which)
        to = {"mark_paid": S.PAID, "cancel": S.CANCELLED, "mark_packed": S.PACKED}[action]
        may = allowed(order, to)
        self.staff_client.force_login(self.staff)
        with self.mails():
            response = self.staff_client.post(
                reverse("admin:orders_order_changelist"),
                {"action": action, "_selected_action": [order.pk], "confirmed": "yes"},
            )
        assert response.status_code == 302
        texts = self.messages(response)
        assert Order.objects.get(pk=order.pk).status == (to if may else order.status)
        assert any(order.number in t for t in texts) != may, texts

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order, tracking=st.sampled_from(["", "JD0001", "JD0002"]))
    def staff_correct_the_tracking_number(self, which, tracking):
        """Only while shipped; the customer gets the shipping e-mail again, marked corrected."""
        self.tick()
        order = self.order(which)
        shipped = list(Order.objects.filter(pk__in=self.order_ids, status=S.SHIPPED))
        if shipped and which % 4:  # mostly one it applies to
            order = shipped[which % len(shipped)]
        status, before = order.status, (order.carrier, order.tracking_number)
        try:
            with self.mails():
                changed = services.correct_tracking(
                    order=order, carrier="DHL", tracking_number=tracking, actor=self.staff
                )
        except IllegalTransition:
            assert status != S.SHIPPED
        else:
            assert status == S.SHIPPED
            assert changed == (before != ("DHL", tracking))
            self.corrections[order.number] += changed

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order, city=st.sampled_from(["Berlin", "Köln", "Potsdam"]))
    def staff_change_the_address(self, which, city):
        """Until it is shipped; the status and payment are never touched."""
        self.tick()
        order = self.order(which)
        status, paid_at, was = order.status, order.paid_at, order.city
        try:
            changed = services.change_shipping_address(order=order, actor=self.staff, city=city)
        except IllegalTransition:
            assert status not in (S.PENDING_PAYMENT, S.PAID, S.PACKED)
        else:
            assert changed == (was != city)
            saved = Order.objects.get(pk=order.pk)
            assert (saved.city, saved.status, saved.paid_at) == (city, status, paid_at)

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order)
    def staff_record_late_payment(self, which):
        self.tick()
        order = self.order(which)
        was_paid = order.paid_at is not None
        try:
            recorded = services.record_late_payment(order=order, actor=self.staff)
        except IllegalTransition:
            assert order.status != S.CANCELLED or (order.payment_method == COD and not was_paid)
        else:
            assert order.status == S.CANCELLED
            assert recorded == (not was_paid)
            assert Order.objects.get(pk=order.pk).paid_at is not None

    @precondition(lambda self: self.order_ids)
    @rule(which=any_order)
    def staff_mark_refunded(self, which):
        self.tick()
        order = self.order(which)
        was_paid = order.paid_at is not None
        try:
            with self.mails():
                refunded = services.mark_refunded(order=order, actor=self.staff)
        except IllegalTransition:
            assert order.status != S.CANCELLED or not was_paid
        else:
            assert refunded == (order.pk not in self.refunded)
            self.refunded.add(order.pk)

    @precondition(lambda self: self.days_moved < 20)
    @rule(days=st.sampled_from([1, 3, 8]))
    def days_pass_and_unpaid_orders_expire(self, days):
        self.now += timedelta(days=days)
        self.days_moved += days
        due = {
            o.pk
            for o in Order.objects.filter(status=S.PENDING_PAYMENT, payment_method=BANK)
            if days_later(o.created_at, UNPAID_DAYS) < self.now
        }
        with self.mails():
            expired = services.expire_unpaid_orders()
        assert expired == len(due)
        assert (
            set(Order.objects.filter(pk__in=due, status=S.CANCELLED).values_list("pk", flat=True))
            == due
        )
        for pk in due:
            assert Order.objects.get(pk=pk).events.last().note == "Not paid in time"

    # --- what must hold after every step ------------------------------------------------------

    @invariant()
    def stock_adds_up(self):
        if not hasattr(self, "variant_ids"):
            return
        in_orders = dict(
            OrderLine.objects.exclude(order__status=S.CANCELLED)
            .values("variant_id")
            .annotate(units=Sum("quantity"))
            .values_list("variant_id", "units")
        )
        variants = Variant.objects.filter(pk__in=self.variant_ids).values_list(
            "pk", "stock", "product_id"
        )
        per_product = Counter()
        for pk, stock, product_id in variants:
            assert stock >= 0
            assert stock + in_orders.get(pk, 0) == self.received[pk], (pk, stock, in_orders)
            per_product[product_id] += stock
        listed = dict(Product.objects.filter(pk__in=per_product).values_list("pk", "stock_total"))
        assert listed == dict(per_product)

    @invariant()
    def the_header_counts_what_is_in_the_cart(self):
        """The page shopper's count (cached per cart generation) is the units in their cart."""
        if not hasattr(self, "client"):
            return
        cart = self.view_cart()
        units = sum(self.lines_of(cart).values()) if cart else 0
        user = self.member if self.signed_in else None
        assert get_cart_count(user=user, session=self.client.session) == units

    @invariant()
    def orders_keep_what_was_ordered(self):
        """Lines are a snapshot: later price, stock and catalog changes never rewrite them."""
        if not hasattr(self, "snapshots"):
            return
        now = {pk: [] for pk in self.snapshots}
        for order_id, *line in (
            OrderLine.objects.filter(order_id__in=self.snapshots)
            .order_by("pk")
            .values_list(
                "order_id",
                "variant_id",
                "product_name",
                "sku",
                "unit_price",
                "quantity",
                "line_total",
            )
        ):
            now[order_id].append(tuple(line))
        assert now == self.snapshots

    @invariant()
    def orders_add_up_move_only_as_allowed_and_mail_once(self):
        """(One invariant for orders and their e-mails: the orders are read once per step.)"""
        if not hasattr(self, "order_ids"):
            return
        expected_mail = Counter()
        orders = (
            Order.objects.filter(pk__in=self.order_ids)
            .select_related("shipping_method")
            .prefetch_related("lines", "events")
        )
        for order in orders:
            # it adds up: lines + delivery
            lines = list(order.lines.all())
            assert lines
            for line in lines:
                assert line.line_total == round_money(line.unit_price * line.quantity)
            assert order.subtotal == sum(line.line_total for line in lines)
            method = order.shipping_method
            free = method.free_over is not None and order.subtotal >= method.free_over
            assert order.shipping_fee == (Decimal("0.00") if free else method.fee)
            assert order.total == order.subtotal + order.shipping_fee
            # its timeline starts with the order and moves only along the allowed transitions
            first, *later = sorted(order.events.all(), key=lambda e: e.pk)
            assert (first.status, first.previous_status, first.note) == (
                S.PENDING_PAYMENT,
                "",
                "Order placed",
            )
            status = first.status
            for step in later:
                assert step.previous_status == status
                if step.status != status:
                    assert order.payment_method in ALLOWED[(status, step.status)]
                    if step.status in STATUS_MAIL:
                        expected_mail[(order.number, STATUS_MAIL[step.status])] += 1
                status = step.status
            assert status == order.status
            assert order.refund_due == (
                order.status == S.CANCELLED
                and order.paid_at is not None
                and order.pk not in self.refunded
            )
            expected_mail[(order.number, "order_confirmation")] += 1
            expected_mail[(order.number, "staff_new_order")] += 1
            if order.refunded_at is not None:
                expected_mail[(order.number, "order_refunded")] += 1
            expected_mail[(order.number, "order_shipped")] += self.corrections[order.number]
            if not expected_mail[(order.number, "order_shipped")]:
                del expected_mail[(order.number, "order_shipped")]
        # every e-mail promised is in the outbox once, and was sent once
        numbers = [order.number for order in orders]
        queued, outbox = Counter(), Counter()
        for to, subject, kind, sent_at in OutboxMessage.objects.values_list(
            "to", "subject", "kind", "sent_at"
        ):
            assert sent_at is not None
            queued[(next((n for n in numbers if n in subject), None), kind)] += 1
            outbox[(tuple(to), subject)] += 1
        assert queued == expected_mail
        assert Counter((tuple(m.to), m.subject) for m in mail.outbox) == outbox


@pytest.mark.django_db
def test_the_shop_adds_up_whatever_shoppers_and_staff_do(settings):
    settings.SHOP_STAFF_EMAILS = ["orders@shop.example"]
    settings.SHOP_UNPAID_ORDER_DAYS = UNPAID_DAYS
    settings.TIME_ZONE = "Europe/Berlin"
    settings.SHOP_ORDER_RATE = 1000
    # ~1 s an example on an idle machine. A longer hunt (before a change to orders or cart):
    # HYPOTHESIS_MACHINE_EXAMPLES=300 (the dev profile keeps what it finds in .hypothesis/).
    examples = int(os.environ.get("HYPOTHESIS_MACHINE_EXAMPLES", "10"))
    run_state_machine_as_test(
        Shop,
        settings=hypothesis_settings(max_examples=examples, stateful_step_count=25, deadline=None),
    )

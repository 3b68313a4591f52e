from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.urls import reverse
from django.utils.timezone import localtime

from core.money import format_money as money
from orders import services
from orders.exceptions import IllegalTransition
from orders.models import Order
from tests.factories import ProductFactory, UserFactory

from .helpers import make_cart, place

pytestmark = pytest.mark.django_db

S = Order.Status
CHANGELIST = "admin:orders_order_changelist"


@pytest.fixture
def lamp():
    return ProductFactory(name="Trail Lamp", price=Decimal("30.00"), stock=20).variants.get()


@pytest.fixture
def new_order(lamp, standard_shipping):
    def make(payment="cod"):
        return place(make_cart((lamp, 1)), standard_shipping, payment=payment)

    return make


def run_action(client, action, *orders, follow=False):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [o.pk for o in orders]},
        follow=follow,
    )


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_list_orders_and_filter_them(staff_client, new_order):
    cod = new_order(payment="cod")
    bank = new_order(payment="bank_transfer")
    services.mark_paid(order=bank)
    url = reverse(CHANGELIST)

    body = staff_client.get(url).content.decode()
    assert cod.number in body
    assert bank.number in body

    paid_only = staff_client.get(url, {"status__exact": "paid"}).content.decode()
    assert bank.number in paid_only
    assert cod.number not in paid_only

    cod_only = staff_client.get(url, {"payment": "cod"}).content.decode()
    assert cod.number in cod_only
    assert bank.number not in cod_only

    found = staff_client.get(url, {"q": bank.number}).content.decode()
    assert bank.number in found
    assert cod.number not in found


def test_staff_open_an_order_with_its_lines_and_events(staff_client, new_order, lamp):
    order = new_order(payment="bank_transfer")
    services.mark_paid(order=order)

    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert order.number in body
    assert "Trail Lamp" in body
    assert lamp.sku in body
    assert "Order placed" in body
    assert "Payment received" in body
    assert "Greta Guest" in body


def test_orders_cannot_be_added_or_deleted_in_admin(staff_client, new_order):
    order = new_order()
    assert staff_client.get(reverse("admin:orders_order_add")).status_code == 403
    staff_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"})
    assert Order.objects.filter(pk=order.pk).exists()


def test_mark_paid_action(staff_client, staff, new_order, django_capture_on_commit_callbacks):
    order = new_order(payment="bank_transfer")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, "mark_paid", order)

    assert flash(response) == ["1 order(s) marked paid."]
    order.refresh_from_db()
    assert order.status == S.PAID
    event = order.events.get(status=S.PAID)
    assert event.actor == staff
    assert any(m.subject == f"Payment received for order {order.number}" for m in mail.outbox)


def test_an_illegal_action_is_refused_per_order(staff_client, new_order):
    bank = new_order(payment="bank_transfer")
    cod = new_order(payment="cod")

    response = run_action(staff_client, "mark_packed", bank, cod)

    messages = flash(response)
    assert "1 order(s) marked packed." in messages
    assert any(m.startswith(f"{bank.number}: An order cannot go from") for m in messages)
    assert dict(Order.objects.values_list("pk", "status")) == {
        bank.pk: S.PENDING_PAYMENT,
        cod.pk: S.PACKED,
    }


def confirm_cancel(client, *orders, reason=""):
    return client.post(
        reverse(CHANGELIST),
        {
            "action": "cancel",
            "_selected_action": [o.pk for o in orders],
            "confirmed": "yes",
            "reason": reason,
        },
    )


def test_cancel_asks_first_then_puts_the_stock_back(staff_client, new_order, lamp):
    order = new_order(payment="bank_transfer")
    services.mark_paid(order=order)
    question = run_action(staff_client, "cancel", order)
    page = question.content.decode()
    assert "Cancel orders?" in page
    # the amount as the shop writes amounts, the status said once
    assert f"{money(order.total)} · Paid: <strong>the money must be refunded</strong>" in page
    assert "paid: paid" not in page
    order.refresh_from_db()
    assert order.status == S.PAID  # asking changes nothing
    lamp.refresh_from_db()
    assert lamp.stock == 19

    confirm_cancel(staff_client, order, reason="Customer asked by phone")
    confirm_cancel(staff_client, order)  # a second click changes nothing
    lamp.refresh_from_db()
    assert lamp.stock == 20
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.events.last().note == "Customer asked by phone"


def test_cancelling_a_packed_paid_order_asks_with_the_amount_and_that_it_was_paid(
    staff_client, new_order
):
    order = new_order(payment="bank_transfer")
    services.mark_paid(order=order)
    services.mark_packed(order=order)
    page = run_action(staff_client, "cancel", order).content.decode()
    assert (
        f"{money(order.total)} · Packed: <strong>paid, so the money must be refunded</strong>"
        in page
    )
    assert "the customer sees it" in page  # the reason goes on their order's timeline


def test_ship_flow_then_the_public_inquiry_shows_tracking(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    order = new_order(payment="cod")
    run_action(staff_client, "mark_packed", order)

    response = run_action(staff_client, "mark_shipped", order)
    ship_url = reverse("admin:orders_order_ship") + f"?ids={order.pk}"
    assert response.status_code == 302
    assert response.url == ship_url

    form = staff_client.get(ship_url)
    assert form.status_code == 200
    assert order.number in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            ship_url, {"ids": str(order.pk), "carrier": "DHL", f"tracking_{order.pk}": "123"}
        )
    assert response.url == reverse(CHANGELIST)
    assert flash(response) == [f"{order.number} marked shipped."]

    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (S.SHIPPED, "DHL", "123")
    assert order.shipped_at is not None
    shipped_mail = mail.outbox[-1]
    link = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=123"
    assert link in shipped_mail.body

    public = Client().post(
        reverse("orders:inquiry"), {"number": order.number, "email": "guest@example.com"}
    )
    body = public.content.decode()
    shipped_on = date_filter(localtime(order.shipped_at), "j F Y")
    assert "shipped on <time datetime=" in body
    assert f">{shipped_on}</time></span> with DHL" in body
    assert f'<a href="{link}" rel="noopener noreferrer">123</a>' in body


def test_ship_form_needs_a_known_carrier_and_a_tracking_number(staff_client, new_order):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    ship_url = reverse("admin:orders_order_ship") + f"?ids={order.pk}"

    response = staff_client.post(ship_url, {"ids": str(order.pk), "carrier": "Pigeon"})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.PACKED


def test_the_shop_offers_its_own_carriers_with_their_tracking_links(
    staff_client, new_order, settings, django_capture_on_commit_callbacks
):
    settings.SHOP_CARRIERS = {
        "Swiss Post": "https://service.post.ch/track?formattedParcelCodes={}",
        "Planzer": "",
    }
    order, other = new_order(payment="cod"), new_order(payment="cod")
    services.mark_packed(order=order)
    services.mark_packed(order=other)
    ship_url = reverse("admin:orders_order_ship") + f"?ids={order.pk}"

    form = staff_client.get(ship_url).content.decode()
    assert '<option value="Swiss Post">Swiss Post</option>' in form
    assert "DHL" not in form
    refused = staff_client.post(
        ship_url, {"ids": str(order.pk), "carrier": "DHL", f"tracking_{order.pk}": "1"}
    )
    assert "Select a valid choice." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            ship_url,
            {"ids": str(order.pk), "carrier": "Swiss Post", f"tracking_{order.pk}": "99.60 1"},
        )
    order.refresh_from_db()
    assert order.carrier == "Swiss Post"
    assert "https://service.post.ch/track?formattedParcelCodes=99.60%201" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_shipped(order=other, carrier="Planzer", tracking_number="P-7")
    other.refresh_from_db()
    assert other.tracking_url == ""  # a carrier without a link: the number alone
    assert "P-7" in mail.outbox[-1].body


def test_a_shop_carrier_without_a_link_has_none_even_if_a_built_in_one_shares_its_name(
    new_order, settings, django_capture_on_commit_callbacks
):
    """The shop lists "DHL" without a link (say its DHL is a freight service the public page
    does not track): its shoppers got the built-in DHL parcel link all the same. A carrier the
    shop no longer lists keeps its built-in link (orders shipped before the list was set)."""
    settings.SHOP_CARRIERS = {"DHL": "", "Planzer": ""}
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_shipped(order=order, carrier="DHL", tracking_number="F-123")
    order.refresh_from_db()
    assert order.tracking_url == ""
    assert "dhl.com" not in mail.outbox[-1].body
    assert "F-123" in mail.outbox[-1].body

    order.carrier = "UPS"  # shipped with UPS before the shop listed its own carriers
    assert order.tracking_url == "https://www.ups.com/track?tracknum=F-123"


def test_shipping_an_order_that_is_not_packed_is_refused(staff_client, new_order):
    order = new_order(payment="bank_transfer")
    ship_url = reverse("admin:orders_order_ship")
    page = staff_client.get(ship_url, {"ids": f"{order.pk},junk,<script>"}).content.decode()
    assert f"<strong>{order.number}</strong>: Pending payment (not paid yet" in page
    assert f'name="tracking_{order.pk}"' not in page  # not asked for a number it cannot use
    response = staff_client.post(
        ship_url,
        {"ids": f"{order.pk},junk,<script>", "carrier": "DHL", f"tracking_{order.pk}": "1"},
    )
    assert response.status_code == 200
    assert "None of the selected orders can be shipped now." in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


@pytest.mark.parametrize("junk", ["²", "٣", "9" * 30])
def test_ship_page_ignores_ids_that_are_digits_but_no_order_id(staff_client, new_order, junk):
    # "²" and "٣" are digits to str.isdigit() but not to int(); 30 digits fit no id column
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    response = staff_client.get(reverse("admin:orders_order_ship"), {"ids": f"{order.pk},{junk}"})
    assert response.status_code == 200
    assert f'name="tracking_{order.pk}"' in response.content.decode()


def test_staff_correct_a_wrong_tracking_number_and_the_customer_is_told(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="JJD0001")
    mail.outbox.clear()
    response = run_action(staff_client, "correct_tracking", order)
    form_url = reverse("admin:orders_order_ship") + f"?ids={order.pk}&correct=1"
    assert response.url == form_url
    page = staff_client.get(form_url).content.decode()
    assert 'value="JJD0001"' in page  # the number to correct, as it is

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            form_url,
            {
                "ids": str(order.pk),
                "correct": "1",
                "carrier": "DHL",
                f"tracking_{order.pk}": "JJD0002",
            },
            follow=True,
        )
    assert f"{order.number}: tracking corrected; the customer is told." in [
        str(m) for m in response.context["messages"]
    ]
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (S.SHIPPED, "JJD0002")
    assert order.events.last().note == "Tracking corrected: DHL JJD0002 (was DHL JJD0001)"
    (sent,) = mail.outbox
    assert sent.subject.startswith(f"Corrected tracking number for order {order.number}")
    assert "JJD0002" in sent.body
    assert "was wrong, sorry" in sent.body
    # a new sentence after "This is the right one.", as in the HTML part
    assert f"This is the right one.\n\nYour order {order.number} is on its way" in sent.body


def test_only_shipped_orders_can_have_their_tracking_corrected(staff_client, new_order):
    order = new_order(payment="cod")
    with pytest.raises(IllegalTransition):
        services.correct_tracking(order=order, carrier="DHL", tracking_number="1")
    page = staff_client.get(
        reverse("admin:orders_order_ship"), {"ids": str(order.pk), "correct": "1"}
    ).content.decode()
    assert "None of the selected orders can be corrected now." in page


def test_customers_cannot_reach_the_ship_view(client, new_order):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    client.force_login(UserFactory())
    response = client.post(
        reverse("admin:orders_order_ship"),
        {"ids": str(order.pk), "carrier": "DHL", f"tracking_{order.pk}": "1"},
    )
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    order.refresh_from_db()
    assert order.status == S.PACKED


def test_shipping_several_orders_asks_a_tracking_number_for_each(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    first, second = new_order(payment="cod"), new_order(payment="cod")
    for order in (first, second):
        services.mark_packed(order=order)
    ship_url = reverse("admin:orders_order_ship") + f"?ids={first.pk},{second.pk}"
    page = staff_client.get(ship_url).content.decode()
    assert f'name="tracking_{first.pk}"' in page
    assert f'name="tracking_{second.pk}"' in page

    same = {"ids": f"{first.pk},{second.pk}", "carrier": "DHL"}
    same |= {f"tracking_{first.pk}": "1Z0034", f"tracking_{second.pk}": "1Z0034"}
    refused = staff_client.post(ship_url, same)
    assert refused.status_code == 200
    assert f"{first.number} already has this tracking number." in refused.content.decode()
    assert 'value="1Z0034"' in refused.content.decode()  # what was typed is kept
    assert Order.objects.filter(status=S.SHIPPED).count() == 0

    own = same | {f"tracking_{second.pk}": "1Z0035"}
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(ship_url, own)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.tracking_number) == (S.SHIPPED, "1Z0034")
    assert (second.status, second.tracking_number) == (S.SHIPPED, "1Z0035")
    # (numbers that no SKU of the mails' lines can contain: "SKU-00035")
    shipped = [m.body for m in mail.outbox if "1Z0034" in m.body or "1Z0035" in m.body]
    assert sorted("1Z0034" in body for body in shipped) == [False, True]  # one number each
    assert not any("1Z0034" in body and "1Z0035" in body for body in shipped)


def test_order_admin_names_payment_methods_and_shows_amounts_as_money(staff_client, new_order):
    order = new_order(payment="bank_transfer")
    listing = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "Bank transfer" in listing
    assert ">bank_transfer<" not in listing
    assert f"€{order.total:,.2f}" in listing
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    body = page.content.decode()
    assert "Bank transfer" in body
    assert f"€{order.subtotal:,.2f}" in body
    assert "View on site" not in body  # the order's page is its customer's, not staff's


def test_staff_find_what_to_pack_and_ship_and_orders_by_sku(staff_client, new_order, lamp):
    paid = new_order(payment="bank_transfer")
    services.mark_paid(order=paid)
    unpaid = new_order(payment="bank_transfer")
    cod = new_order(payment="cod")
    packed = new_order(payment="cod")
    services.mark_packed(order=packed)

    def listed(**params):
        return {
            o.pk for o in staff_client.get(reverse(CHANGELIST), params).context["cl"].result_list
        }

    assert listed(todo="pack") == {paid.pk, cod.pk}  # not the unpaid bank transfer
    assert listed(todo="ship") == {packed.pk}
    assert unpaid.pk in listed(q=lamp.sku)


def test_the_order_page_links_a_printable_packing_slip_and_the_orders_e_mails(
    staff_client, new_order
):
    order = new_order(payment="cod")
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    slip_url = reverse("admin:orders_order_packing_slip", args=[order.pk])
    body = page.content.decode()
    assert f'href="{slip_url}"' in body
    assert f"?q={order.number}" in body  # the outbox, searched for this order

    slip = staff_client.get(slip_url).content.decode()
    assert f"Packing slip {order.number}" in slip
    assert "Lindenstr. 1" in slip
    assert order.lines.get().sku in slip
    assert "Cash on delivery: the carrier collects" in slip
    assert 'rel="icon"' in slip  # else the browser asks for /favicon.ico: a 404 on every print
    assert (
        staff_client.get(
            reverse("admin:orders_order_packing_slip", args=[order.pk + 999])
        ).status_code
        == 404
    )


def test_customers_cannot_open_a_packing_slip(client, new_order):
    order = new_order(payment="cod")
    client.force_login(UserFactory())
    response = client.get(reverse("admin:orders_order_packing_slip", args=[order.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_the_order_page_offers_the_next_steps_its_status_allows(staff_client, new_order):
    order = new_order(payment="bank_transfer")
    url = reverse("admin:orders_order_change", args=[order.pk])

    def steps():
        body = staff_client.get(url).content.decode()
        return [
            v
            for v in ("mark_paid", "mark_packed", "mark_shipped", "cancel")
            if f'value="{v}"' in body
        ]

    assert steps() == ["mark_paid", "cancel"]  # not packed before it is paid
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "mark_paid", "_selected_action": [order.pk]}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.PAID
    assert steps() == ["mark_packed", "cancel"]


def next_step(client, action, order, **extra):
    """A "Next step" button of the order page, as the browser sends it."""
    data = {"action": action, "_selected_action": [order.pk], "_back_to_order": order.pk}
    return client.post(reverse(CHANGELIST), {**data, **extra})


def test_a_next_step_pressed_on_the_order_page_returns_to_that_order(staff_client, new_order):
    """Staff working through one order (paid, packed, shipped) were sent to the list after
    each step and had to find the order again."""
    order = new_order(payment="bank_transfer")
    page = reverse("admin:orders_order_change", args=[order.pk])
    assert f'name="_back_to_order" value="{order.pk}"' in (staff_client.get(page).content.decode())

    response = next_step(staff_client, "mark_paid", order)
    assert response.status_code == 302
    assert response.url == page
    assert flash(response) == ["1 order(s) marked paid."]  # shown on the order page
    assert run_action(staff_client, "mark_packed", order).url == reverse(CHANGELIST)  # the list

    ship = next_step(staff_client, "mark_shipped", order)
    assert f"_back_to_order={order.pk}" in ship.url
    form = staff_client.get(ship.url).content.decode()
    assert f'href="{page}" class="closelink">Cancel</a>' in form
    shipped = staff_client.post(
        ship.url,
        {
            "ids": str(order.pk),
            "carrier": "DHL",
            f"tracking_{order.pk}": "JJD0001",
            "_back_to_order": order.pk,
        },
    )
    assert shipped.url == page
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_e_mails_of_steps_taken_in_admin_link_the_customer_to_their_order(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    order = new_order(payment="bank_transfer")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(staff_client, "mark_paid", order)
    link = f"http://testserver/orders/inquiry/?number={order.number}"
    assert f"Your order online: {link}" in mail.outbox[-1].body


def test_cancelling_from_the_order_page_asks_then_returns_to_the_order(staff_client, new_order):
    order = new_order(payment="cod")
    page = reverse("admin:orders_order_change", args=[order.pk])
    question = next_step(staff_client, "cancel", order).content.decode()
    assert f'<a href="{page}" class="closelink">No, keep it</a>' in question
    assert f'name="_back_to_order" value="{order.pk}"' in question
    done = next_step(staff_client, "cancel", order, confirmed="yes", reason="Asked by phone")
    assert done.url == page
    order.refresh_from_db()
    assert order.status == S.CANCELLED


def test_the_way_back_is_only_ever_to_the_order_the_step_was_for(staff_client, new_order):
    order, other = new_order(payment="bank_transfer"), new_order(payment="bank_transfer")
    response = next_step(staff_client, "mark_paid", order, _back_to_order=other.pk)
    assert response.url == reverse(CHANGELIST)
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "mark_paid", "_selected_action": [other.pk], "_back_to_order": "//evil"},
    )
    assert response.url == reverse(CHANGELIST)


def test_packing_an_unpaid_bank_transfer_says_to_mark_it_paid_first(staff_client, new_order):
    order = new_order(payment="bank_transfer")
    response = run_action(staff_client, "mark_packed", order)
    assert flash(response) == [
        f"{order.number}: An order cannot go from “Pending payment” to “Packed”. "
        "It is not paid yet: mark it paid first."
    ]


def address_form(client, order, **changes) -> dict:
    """The order page's form as the browser sends it (inline management forms included)."""
    from .helpers import form_defaults

    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    return {**form_defaults(page), **changes}


def test_staff_change_the_address_of_an_order_not_yet_shipped(staff_client, new_order):
    order = new_order(payment="cod")
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert 'name="line1"' in staff_client.get(url).content.decode()

    response = staff_client.post(
        url, address_form(staff_client, order, line1="Lindenstr. 10", postcode=" 10117")
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    order.refresh_from_db()
    assert (order.line1, order.postcode, order.status) == (
        "Lindenstr. 10",
        "10117",
        S.PENDING_PAYMENT,
    )
    assert order.events.last().note.startswith("Address changed: Greta Guest, Lindenstr. 10,")
    assert "(was Greta Guest, Lindenstr. 1, 10115 Berlin" in order.events.last().note

    refused = staff_client.post(url, address_form(staff_client, order, postcode="1062"))
    assert "Enter a postcode as it is written in Germany" in refused.content.decode()
    abroad = staff_client.post(url, address_form(staff_client, order, country="Narnia"))
    assert "We deliver to Germany only." in abroad.content.decode()
    order.refresh_from_db()
    assert order.postcode == "10117"


def test_an_address_edit_never_overwrites_a_status_changed_meanwhile(staff_client, new_order):
    from unittest import mock

    from orders.admin import OrderAdmin

    order = new_order(payment="bank_transfer")
    url = reverse("admin:orders_order_change", args=[order.pk])
    data = address_form(staff_client, order, city="Potsdam", postcode="14467")
    stale = Order.objects.get(pk=order.pk)  # as admin loads it for the POST...
    services.mark_paid(order=order)  # ...while another request marks it paid
    with mock.patch.object(OrderAdmin, "get_object", return_value=stale):
        staff_client.post(url, data)
    order.refresh_from_db()
    assert (order.status, order.city) == (S.PAID, "Potsdam")
    assert order.paid_at is not None


def test_a_shipped_orders_address_cannot_change(staff_client, new_order):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="1")
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert 'name="line1"' not in staff_client.get(url).content.decode()
    staff_client.post(url, address_form(staff_client, order, line1="Elsewhere 1"))
    order.refresh_from_db()
    assert order.line1 == "Lindenstr. 1"
    with pytest.raises(IllegalTransition):
        services.change_shipping_address(order=order, line1="Elsewhere 1")


def test_deleting_an_ordered_product_suggests_deactivating_it(staff_client, new_order, lamp):
    new_order(payment="cod")
    url = reverse("admin:catalog_product_delete", args=[lamp.product_id])
    body = staff_client.get(url).content.decode()
    assert "has been ordered: its order lines keep it, so it cannot be deleted." in body
    assert "untick “Active”" in body
    staff_client.post(url, {"post": "yes"})
    assert type(lamp).objects.filter(pk=lamp.pk).exists()


def test_the_order_page_shows_money_and_statuses_as_staff_read_them(staff_client, new_order):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    body = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert money(order.lines.get().unit_price) in body  # "€30.00", not "30.00"
    assert "Pending payment → Packed" in body
    assert "pending_payment" not in body.split('id="events-group"')[-1][:3000]


def test_staff_notes_show_in_admin_and_never_to_the_customer(staff_client, client, new_order):
    order = new_order(payment="cod")
    services.mark_packed(order=order)
    services.mark_shipped(order=order, carrier="DHL", tracking_number="JJD1")  # address fixed now
    url = reverse("admin:orders_order_change", args=[order.pk])
    data = address_form(staff_client, order, staff_note="Customer called: leave at the kiosk")
    response = staff_client.post(url, data, follow=True)
    assert "Note added to the timeline (staff only)." in [
        str(m) for m in response.context["messages"]
    ]
    assert "Customer called: leave at the kiosk" in staff_client.get(url).content.decode()
    note = order.events.get(internal=True)
    assert (note.status, note.note) == (S.SHIPPED, "Customer called: leave at the kiosk")

    public = client.post(
        reverse("orders:inquiry"), {"number": order.number, "email": order.email}
    ).content.decode()
    assert "Shipped" in public
    assert "kiosk" not in public


def test_a_cancelled_paid_order_is_refund_due_until_staff_mark_it_refunded_once(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    paid = new_order(payment="bank_transfer")
    services.mark_paid(order=paid)
    services.cancel_order(order=paid)
    unpaid = new_order(payment="bank_transfer")
    services.cancel_order(order=unpaid)

    def due():
        page = staff_client.get(reverse(CHANGELIST), {"todo": "refund"})
        return {o.pk for o in page.context["cl"].result_list}

    assert due() == {paid.pk}
    change = staff_client.get(reverse("admin:orders_order_change", args=[paid.pk]))
    assert 'value="mark_refunded"' in change.content.decode()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, "mark_refunded", paid, unpaid)
        run_action(staff_client, "mark_refunded", paid)  # a second click: nothing more
    assert "1 order(s) marked refunded." in flash(response)
    assert f"Not cancelled after payment, so nothing to refund: {unpaid.number}." in flash(response)
    assert due() == set()
    paid.refresh_from_db()
    assert paid.refunded_at is not None
    assert paid.events.filter(note="Payment refunded").count() == 1
    (sent,) = mail.outbox
    assert sent.subject == f"Your payment for order {paid.number} was refunded"


def test_a_payment_that_arrives_after_the_order_was_cancelled_is_recorded_and_refunded(
    staff_client, new_order, django_capture_on_commit_callbacks
):
    """A bank transfer that arrived after the unpaid-order expiry cancelled its order could not
    be recorded anywhere (a cancelled order cannot be marked paid), so nothing reminded anyone
    to send it back. Recorded, it comes up as refund due; staff refund it as any other."""
    late = new_order(payment="bank_transfer")
    services.cancel_order(order=late, note="Not paid in time")
    open_order = new_order(payment="bank_transfer")
    change = staff_client.get(reverse("admin:orders_order_change", args=[late.pk]))
    assert 'value="record_late_payment"' in change.content.decode()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, "record_late_payment", late, open_order)
        run_action(staff_client, "record_late_payment", late)  # a second click: nothing more
    assert any(m.startswith("Payment recorded on 1 cancelled order(s)") for m in flash(response))
    assert f"paid at the door): {open_order.number}." in " ".join(flash(response))
    late.refresh_from_db()
    open_order.refresh_from_db()
    assert (late.status, late.refund_due) == (Order.Status.CANCELLED, True)
    assert open_order.paid_at is None
    assert late.events.filter(note__startswith="Payment received after").count() == 1
    assert mail.outbox == []  # the customer hears when the money goes back
    page = staff_client.get(reverse(CHANGELIST), {"todo": "refund"})
    assert [o.pk for o in page.context["cl"].result_list] == [late.pk]
    change = staff_client.get(reverse("admin:orders_order_change", args=[late.pk]))
    assert 'value="mark_refunded"' in change.content.decode()
    assert 'value="record_late_payment"' not in change.content.decode()

    # cash on delivery is paid at the door: a cancelled one was never paid, and is not offered
    cod = new_order(payment="cod")
    services.cancel_order(order=cod)
    change = staff_client.get(reverse("admin:orders_order_change", args=[cod.pk]))
    assert 'value="record_late_payment"' not in change.content.decode()
    with pytest.raises(IllegalTransition):
        services.record_late_payment(order=cod)

    with django_capture_on_commit_callbacks(execute=True):
        run_action(staff_client, "mark_refunded", late)
    late.refresh_from_db()
    assert late.refunded_at is not None
    (sent,) = mail.outbox
    assert sent.subject == f"Your payment for order {late.number} was refunded"


# --- export for the bookkeeping --------------------------------------------------------------


def exported_rows(response) -> list[dict]:
    import csv
    import io

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read the accents right
    # the time columns name the shop's time zone: "paid (UTC time)"
    return [
        {key.split(" (")[0]: value for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text[1:]))
    ]


def test_staff_export_the_selected_orders_as_csv(staff_client, new_order, lamp, standard_shipping):
    first = new_order(payment="bank_transfer")
    services.mark_paid(order=first)
    second = place(make_cart((lamp, 2)), standard_shipping)
    Order.objects.filter(pk=second.pk).update(full_name='=HYPERLINK("http://evil.example")')
    not_selected = new_order()

    response = run_action(staff_client, "export_csv", second, first)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    rows = exported_rows(response)
    assert [r["order number"] for r in rows] == [first.number, second.number]  # oldest first
    paid = rows[0]
    assert paid["payment method"] == "Bank transfer"
    assert paid["status"] == "Paid"
    assert paid["paid"] == localtime(Order.objects.get(pk=first.pk).paid_at).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert paid["total"] == str(first.total)  # exact, with a decimal point
    assert paid["items"] == f"1 × Trail Lamp [{lamp.sku}]"
    assert rows[1]["items"].startswith("2 × Trail Lamp")
    # a name typed as a formula stays text in a spreadsheet
    assert rows[1]["name"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1]["phone"] == second.phone  # "+49 ..." runs nothing: left as typed
    assert not_selected.number not in response.content.decode()


def test_the_export_costs_a_few_queries_for_many_orders(
    staff_client, new_order, django_assert_max_num_queries
):
    orders = [new_order() for _ in range(12)]
    # session, user, the selection, its count, orders, lines
    with django_assert_max_num_queries(8):
        rows = exported_rows(run_action(staff_client, "export_csv", *orders))
    assert len(rows) == 12


def test_an_export_too_big_for_one_request_asks_to_narrow_the_list(
    staff_client, new_order, monkeypatch
):
    monkeypatch.setattr("orders.admin.EXPORT_MAX_ORDERS", 2)
    orders = [new_order() for _ in range(3)]
    response = run_action(staff_client, "export_csv", *orders)
    assert response.status_code == 302  # back to the list, with the message
    page = staff_client.get(response.url).content.decode()
    assert "3 orders selected: export at most 2 at a time." in page
    assert run_action(staff_client, "export_csv", *orders[:2])["Content-Type"].startswith(
        "text/csv"
    )


def test_staff_without_order_rights_cannot_export(client, new_order):
    order = new_order()
    client.force_login(UserFactory(is_staff=True))
    response = run_action(client, "export_csv", order)
    assert response.status_code == 403
    assert order.number not in response.content.decode()


def test_staff_who_may_only_view_orders_can_export_but_not_change_them(client, new_order):
    """Actions without a permission of their own are offered to anyone who may open the list:
    staff who may only view orders (a bookkeeper) could mark them paid, refunded, cancelled."""
    from django.contrib.auth.models import Permission

    viewer = UserFactory(email="books@shop.example", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    order = new_order(payment="bank_transfer")

    page = client.get(reverse(CHANGELIST)).content.decode()
    assert '<option value="export_csv">' in page
    for action in ("mark_paid", "mark_packed", "mark_shipped", "cancel", "mark_refunded"):
        assert f'<option value="{action}">' not in page
    for action in ("mark_paid", "cancel"):
        response = run_action(client, action, order, follow=True)
        assert "No action selected." in [str(m) for m in response.context["messages"]]
    order.refresh_from_db()
    assert (order.status, order.paid_at) == (S.PENDING_PAYMENT, None)
    assert not mail.outbox or all("Payment received" not in m.subject for m in mail.outbox)


def test_the_order_page_links_the_e_mails_sent_only_for_staff_who_may_read_them(client, new_order):
    """Its "E-mails sent" button led staff who may not read the outbox to a refusal (403)."""
    from django.contrib.auth.models import Permission

    order = new_order()
    clerk = UserFactory(email="clerk@shop.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_order"))
    client.force_login(clerk)
    page = reverse("admin:orders_order_change", args=[order.pk])
    outbox = reverse("admin:core_outboxmessage_changelist")

    body = client.get(page).content.decode()
    assert "Packing slip" in body
    assert "E-mails sent" not in body
    assert client.get(outbox).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached on the user
    client.force_login(clerk)
    body = client.get(page).content.decode()
    assert f'href="{outbox}?q={order.number}">E-mails sent</a>' in body


def test_the_order_page_leads_to_what_the_customer_wrote_about_it(client, new_order):
    """Staff walkthrough: a return asked for from the order inquiry page arrives as a customer
    message naming the order, but nothing on the order's page led to it."""
    from django.contrib.auth.models import Permission

    from service.models import ContactMessage

    order, other = new_order(), new_order()
    ContactMessage.objects.create(
        name="Ann",
        email="ann@example.com",
        topic="return",
        order_number=order.number,
        message="The lamp is too small; may I exchange it?",
    )
    ContactMessage.objects.create(
        name="Bob", email="bob@example.com", order_number=other.number, message="Where is it?"
    )
    clerk = UserFactory(email="clerk@shop.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_order"))
    client.force_login(clerk)
    page = reverse("admin:orders_order_change", args=[order.pk])
    assert "Customer messages" not in client.get(page).content.decode()  # may not read them

    clerk.user_permissions.add(Permission.objects.get(codename="view_contactmessage"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached on the user
    client.force_login(clerk)
    body = client.get(page).content.decode()
    messages_url = reverse("admin:service_contactmessage_changelist") + f"?q={order.number}"
    assert f'href="{messages_url}">Customer messages</a>' in body
    listed = client.get(messages_url).content.decode()
    assert "The lamp is too small" in listed
    assert "Where is it?" not in listed


def test_staff_without_order_rights_are_refused_the_packing_slip_and_ship_page(client, new_order):
    """The order's own pages (packing slip, ship) sent staff without the right to the admin's
    home page, as if nothing were wrong; now they answer 403 like every admin page, and show
    nothing of the order."""
    from django.contrib.auth.models import Permission

    order = new_order()
    catalog_editor = UserFactory(email="catalog@shop.example", is_staff=True)
    catalog_editor.user_permissions.add(Permission.objects.get(codename="change_product"))
    client.force_login(catalog_editor)
    slip = reverse("admin:orders_order_packing_slip", args=[order.pk])
    ship = reverse("admin:orders_order_ship") + f"?ids={order.pk}"
    for response in (client.get(slip), client.get(ship)):
        assert response.status_code == 403
        body = response.content.decode()
        assert order.number not in body
        assert order.full_name not in body
        assert "Your staff account may not do this." in body

    client.logout()
    response = client.get(slip)  # signed out: to the sign-in page
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_who_may_only_view_orders_cannot_ship_them(client, new_order):
    """A view-only account (a bookkeeper) printing packing slips, but not shipping: the ship
    page answers 403 and a crafted post changes nothing."""
    from django.contrib.auth.models import Permission

    order = new_order()
    services.mark_packed(order=order)
    viewer = UserFactory(email="books@shop.example", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    slip = client.get(reverse("admin:orders_order_packing_slip", args=[order.pk]))
    assert slip.status_code == 200
    assert order.full_name in slip.content.decode()

    ship = reverse("admin:orders_order_ship")
    assert client.get(ship, {"ids": order.pk}).status_code == 403
    response = client.post(
        ship, {"ids": str(order.pk), "carrier": "DHL", f"tracking_{order.pk}": "JJD000111"}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (S.PACKED, "")
    assert not any("shipped" in m.subject.lower() for m in mail.outbox)


def test_view_on_site_tells_an_orders_number_only_to_staff_who_may_see_orders(client, new_order):
    """Django's "view on site" link (/admin/r/<type>/<id>/) redirected any staff member to an
    order's page in the shop, its number in the address: every order's number, and how many
    orders the shop has, to staff who may see no order."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    order = new_order()
    product = ProductFactory(name="Camp Mug")
    catalog_editor = UserFactory(email="catalog@shop.example", is_staff=True)
    catalog_editor.user_permissions.add(Permission.objects.get(codename="change_product"))
    client.force_login(catalog_editor)

    def view_on_site(obj):
        ct = ContentType.objects.get_for_model(obj)
        return client.get(reverse("admin:view_on_site", args=[ct.pk, obj.pk]))

    response = view_on_site(order)
    assert response.status_code == 403
    assert order.number not in response.get("Location", "")
    assert order.number not in response.content.decode()
    response = view_on_site(product)  # what they may see: as before
    assert response.status_code == 302
    assert response.url.endswith(product.get_absolute_url())

    viewer = UserFactory(email="books@shop.example", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    assert view_on_site(order).url.endswith(order.get_absolute_url())

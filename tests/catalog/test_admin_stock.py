"""Staff editing stock in admin while orders take units: the orders' units are never given back.

The page shows a stock; by the time staff press save, orders may have taken units. Writing the
number the page showed would put those units back on sale (oversold). Staff's edit moves the
stock by what they changed, from the stock as it is when they save."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.urls import reverse

from catalog.models import Product, Variant
from catalog.services import StaffStockEdit, save_variant_for_staff
from tests.factories import ProductFactory, UserFactory
from tests.orders.helpers import form_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def variant():
    return ProductFactory(name="Trail Lamp", stock=5).variants.get()


def orders_take(variant, units):
    """What placing an order does to the stock (orders/services.py)."""
    Variant.objects.filter(pk=variant.pk).update(stock=F("stock") - units)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


LIST = reverse("admin:catalog_variant_changelist")


def test_the_pages_carry_the_stock_they_showed(staff_client, variant):
    listing = staff_client.get(LIST).content.decode()
    assert 'name="form-0-stock_shown" value="5:0"' in listing  # stock, staff edits so far
    assert 'name="form-0-stock" value="5"' in listing
    change = staff_client.get(reverse("admin:catalog_variant_change", args=[variant.pk]))
    assert 'name="stock_shown" value="5:0"' in change.content.decode()
    assert 'for="id_stock_0"' in change.content.decode()  # the label points at the box
    product = staff_client.get(reverse("admin:catalog_product_change", args=[variant.product_id]))
    assert 'name="variants-0-stock_shown" value="5:0"' in product.content.decode()


def test_changing_a_price_in_the_list_does_not_give_back_units_sold_meanwhile(
    staff_client, variant
):
    data = form_defaults(staff_client.get(LIST))
    orders_take(variant, 2)  # while staff type the new price
    data.update({"form-0-price_override": "19.90", "_save": "Save"})

    assert staff_client.post(LIST, data).status_code == 302

    variant.refresh_from_db()
    assert variant.price_override == Decimal("19.90")
    assert variant.stock == 3  # not 5: the two sold units stay sold


def test_units_received_are_added_to_the_stock_as_it_is_now(staff_client, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = form_defaults(staff_client.get(url))
    orders_take(variant, 2)
    data["stock"] = "8"  # the page showed 5: three units arrived

    assert staff_client.post(url, data).status_code == 302

    variant.refresh_from_db()
    assert variant.stock == 6  # 5 - 2 sold + 3 received


def test_the_product_page_keeps_units_sold_meanwhile(staff_client, variant):
    url = reverse("admin:catalog_product_change", args=[variant.product_id])
    data = form_defaults(staff_client.get(url))
    orders_take(variant, 4)
    data["variants-0-colour"] = "Moss"  # changes the variant row, not its stock

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    variant.refresh_from_db()
    assert (variant.colour, variant.stock) == ("Moss", 1)
    assert Product.objects.get(pk=variant.product_id).stock_total == 1


def test_taking_away_more_than_is_left_stops_at_zero_and_says_so(staff_client, variant):
    data = form_defaults(staff_client.get(LIST))
    orders_take(variant, 3)
    data.update({"form-0-stock": "0", "_save": "Save"})  # "take all five off sale"

    response = staff_client.post(LIST, data)

    variant.refresh_from_db()
    assert variant.stock == 0
    (warning,) = [m for m in messages_of(response) if "orders took units" in m]
    assert f"{variant.sku}: orders took units while you edited; stock is now 0" in warning
    assert "3 units fewer" in warning


def test_a_variant_deleted_meanwhile_is_not_brought_back(variant):
    gone = Variant.objects.get(pk=variant.pk)
    Variant.objects.filter(pk=variant.pk).delete()
    edit = StaffStockEdit(shown=5, edits=0, typed=9)
    assert save_variant_for_staff(variant=gone, edit=edit) == (StaffStockEdit.DELETED, 0)
    assert not Variant.objects.filter(pk=variant.pk).exists()


def test_a_negative_or_huge_stock_is_a_form_error_not_a_500(staff_client, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    for typed in ("-1", "99999999999", "ten"):
        data = form_defaults(staff_client.get(url))
        data["stock"] = typed
        response = staff_client.post(url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["stock"]
    variant.refresh_from_db()
    assert variant.stock == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staff_saving_while_shoppers_buy_loses_no_unit(postgres_only):
    """Four orders and two staff saves of the same product at once, a few rounds: every sold
    unit stays sold, a received unit is added once, nobody deadlocks or errors."""
    from django.test import Client

    from cart.models import ShippingMethod
    from tests.concurrency import run_at_once
    from tests.orders.helpers import make_cart, place

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    variant = ProductFactory(name="Trail Lamp", stock=100).variants.get()
    staff = UserFactory(is_staff=True, is_superuser=True)
    product_url = reverse("admin:catalog_product_change", args=[variant.product_id])
    change_url = reverse("admin:catalog_variant_change", args=[variant.pk])

    def staff_page(url, **typed):
        client = Client()
        client.force_login(staff)
        data = form_defaults(client.get(url))
        data.update(typed)
        return client, url, data

    def post(prepared):
        client, url, data = prepared
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:500]
        return "saved"

    sold = 0
    for round_ in range(3):
        carts = [make_cart((variant, 1)) for _ in range(4)]
        # pages loaded before the orders: each adds 2 units to what it showed
        pages = [
            staff_page(product_url, **{"variants-0-stock": str(variant.stock + 2)}),
            staff_page(change_url, stock=str(variant.stock + 2), size=f"R{round_}"),
        ]
        jobs = [lambda c=c: place(c, shipping) for c in carts]
        jobs += [lambda p=p: post(p) for p in pages]
        results = run_at_once(jobs)
        assert not [r for r in results if isinstance(r, Exception)], results
        sold += 4
        variant.refresh_from_db()
        # both pages add 2 to the stock they showed: the first save counts, the second (same
        # stock edit count) is refused and staff are told to reload, never added on top
        assert variant.stock == 100 - sold + 2 * (round_ + 1)
    assert Product.objects.get(pk=variant.product_id).stock_total == variant.stock


def test_saving_a_product_read_before_an_order_keeps_its_stock_total(variant):
    from catalog.services import refresh_stock_totals

    stale = Product.objects.get(pk=variant.product_id)  # an admin form's copy
    orders_take(variant, 2)
    refresh_stock_totals(product_ids=[variant.product_id])
    stale.name = "Trail Lamp, brass"
    stale.save()
    product = Product.objects.get(pk=variant.product_id)
    assert (product.name, product.stock_total) == ("Trail Lamp, brass", 3)


def test_the_same_edit_sent_twice_counts_once(staff_client, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = form_defaults(staff_client.get(url))
    orders_take(variant, 2)
    data["stock"] = "8"  # three received
    assert staff_client.post(url, data).status_code == 302
    again = staff_client.post(url, data, follow=True)  # a double click, or back and save
    variant.refresh_from_db()
    assert variant.stock == 6  # 5 - 2 + 3, not + 3 twice
    assert any("was changed by someone else" in m for m in messages_of(again))


def test_two_staff_editing_the_same_stock_the_second_is_told_to_reload(staff_client, variant):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    first, second = form_defaults(staff_client.get(url)), form_defaults(staff_client.get(url))
    first["stock"] = "7"
    second["stock"] = "9"
    second["size"] = "XL"
    staff_client.post(url, first)
    staff_client.post(url, second)
    variant.refresh_from_db()
    assert (variant.stock, variant.size) == (7, "")  # the second's changes were not saved
    # a price change from an old page goes through: it moves no stock
    third = form_defaults(staff_client.get(url))
    orders_take(variant, 1)
    staff_client.post(url, form_defaults(staff_client.get(url)) | {"price_override": "9.90"})
    staff_client.post(url, third | {"price_override": "8.90"})
    variant.refresh_from_db()
    assert (variant.stock, variant.price_override) == (6, Decimal("8.90"))


def test_an_unchanged_list_row_is_not_saved_or_logged_when_orders_moved_its_stock(
    staff_client, variant
):
    from django.contrib.admin.models import LogEntry

    data = form_defaults(staff_client.get(LIST))
    orders_take(variant, 2)
    staff_client.post(LIST, data | {"_save": "Save"})
    assert not LogEntry.objects.exists()  # no "Changed stock" that nobody made
    variant.refresh_from_db()
    assert variant.stock == 3


@pytest.mark.parametrize(
    "shown", ["-1000000000000:0", "99999999999:0", "5", "5:x", "<b>5</b>:0", "5:0:1", "٥:0"]
)
def test_a_tampered_shown_stock_is_a_form_error_never_a_500(staff_client, variant, shown):
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = form_defaults(staff_client.get(url)) | {"stock": "8", "stock_shown": shown}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "out of date" in str(response.context["adminform"].form.errors["stock"])
    variant.refresh_from_db()
    assert variant.stock == 5


def test_adding_above_the_largest_stock_stops_there(variant):
    from catalog.services import STOCK_MAX

    Variant.objects.filter(pk=variant.pk).update(stock=10)
    edit = StaffStockEdit(shown=5, edits=0, typed=STOCK_MAX)
    assert save_variant_for_staff(variant=variant, edit=edit)[0] == StaffStockEdit.SAVED
    variant.refresh_from_db()
    assert variant.stock == STOCK_MAX


def test_a_new_variant_starts_at_zero_stock_on_the_pages(staff_client):
    page = staff_client.get(reverse("admin:catalog_variant_add")).content.decode()
    assert 'name="stock" value="0"' in page


# --- list saves against checkout (row locks: PostgreSQL) --------------------------------------


def staff_session():
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def pause_after_first(monkeypatch, module, name):
    """Make the staff request stop for a moment after its first call of ``name``: the
    checkout comes in then (the timing that deadlocked when rows were locked one by one)."""
    import time

    real, calls = getattr(module, name), []

    def slow(**kwargs):
        result = real(**kwargs)
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.5)
        return result

    monkeypatch.setattr(module, name, slow)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_variant_list_saving_two_rows_of_a_product_while_it_sells(postgres_only, monkeypatch):
    import time

    import catalog.admin as catalog_admin
    from cart.models import ShippingMethod
    from tests.concurrency import run_at_once
    from tests.factories import VariantFactory
    from tests.orders.helpers import make_cart, place

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    product = ProductFactory(name="Trail Lamp", stock=False)
    low = VariantFactory(product=product, stock=10, sku="A")  # lower pk, listed second
    VariantFactory(product=product, stock=5, sku="B")
    staff = staff_session()
    data = form_defaults(staff.get(LIST))
    data.update({"form-0-stock": "6", "form-1-stock": "11", "_save": "Save"})
    cart = make_cart((low, 1))
    pause_after_first(monkeypatch, catalog_admin, "save_variant_for_staff")

    def checkout():
        time.sleep(0.5)
        return place(cart, shipping)

    results = run_at_once([lambda: staff.post(LIST, data).status_code, checkout])
    assert results[0] == 302
    assert not isinstance(results[1], Exception), results
    assert sorted(Variant.objects.filter(product=product).values_list("stock", flat=True)) == [
        6,
        10,
    ]  # B: 5 + 1; A: 10 + 1 - 1 sold


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_product_list_saving_two_products_while_an_order_buys_both(postgres_only, monkeypatch):
    import time

    import catalog.admin as catalog_admin
    from cart.models import ShippingMethod
    from tests.concurrency import run_at_once
    from tests.orders.helpers import make_cart, place

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"))
    older = ProductFactory(name="Older", stock=10)
    newer = ProductFactory(name="Newer", stock=10)  # listed first, its variant's pk higher
    staff = staff_session()
    listing = reverse("admin:catalog_product_changelist")
    data = form_defaults(staff.get(listing))
    data.update({"form-0-price": "21.00", "form-1-price": "22.00", "_save": "Save"})
    cart = make_cart((older.variants.get(), 1), (newer.variants.get(), 1))
    pause_after_first(monkeypatch, catalog_admin, "lock_variants")

    def checkout():
        time.sleep(0.5)
        return place(cart, shipping)

    results = run_at_once([lambda: staff.post(listing, data).status_code, checkout])
    assert results[0] == 302
    assert not isinstance(results[1], Exception), results
    assert sorted(Product.objects.values_list("stock_total", flat=True)) == [9, 9]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_variant_list_and_the_product_page_saved_at_once(postgres_only, monkeypatch):
    import time

    import catalog.admin as catalog_admin
    from tests.concurrency import run_at_once
    from tests.factories import VariantFactory

    product = ProductFactory(name="Trail Lamp", stock=False)
    VariantFactory(product=product, stock=10, sku="A")
    VariantFactory(product=product, stock=5, sku="B")
    one, two = staff_session(), staff_session()
    data = form_defaults(one.get(LIST))
    data.update({"form-0-stock": "6", "form-1-stock": "11", "_save": "Save"})
    page = reverse("admin:catalog_product_change", args=[product.pk])
    page_data = form_defaults(two.get(page)) | {"name": "Trail Lamp 2"}
    pause_after_first(monkeypatch, catalog_admin, "save_variant_for_staff")

    def product_page():
        time.sleep(0.5)
        return two.post(page, page_data).status_code

    assert run_at_once([lambda: one.post(LIST, data).status_code, product_page]) == [302, 302]
    product.refresh_from_db()
    assert (product.name, product.stock_total) == ("Trail Lamp 2", 17)


def test_saving_a_product_deleted_meanwhile_is_a_404_not_a_500(staff_client, variant):
    url = reverse("admin:catalog_product_change", args=[variant.product_id])
    data = form_defaults(staff_client.get(url)) | {"name": "Trail Lamp, brass"}
    Product.objects.filter(pk=variant.product_id).delete()  # another staff member
    response = staff_client.post(url, data)
    assert response.status_code in (302, 404)  # the admin's own "no longer exists", or ours
    assert not Product.objects.exists()


@pytest.mark.parametrize(("model", "field"), [("product", "price"), ("variant", "stock")])
def test_a_list_save_by_staff_who_may_only_view_locks_nothing(client, model, field):
    """The list's Save locked every posted row (in the request's transaction) before Django's
    permission check answered 403: view-only staff could hold checkout's rows for as long as
    the request took. Nothing is locked for a save that is refused."""
    from unittest import mock

    from django.contrib.auth.models import Permission

    product = ProductFactory(stock=5)
    row = product if model == "product" else product.variants.get()
    viewer = UserFactory(email="viewer@shop.example", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename=f"view_{model}"))
    client.force_login(viewer)
    posted = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save"}
    posted |= {"form-0-id": row.pk, f"form-0-{field}": "1"}

    with mock.patch("catalog.admin.lock_variants") as lock:
        response = client.post(reverse(f"admin:catalog_{model}_changelist"), posted)

    assert response.status_code == 403
    lock.assert_not_called()

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
from catalog.services import save_variant_for_staff
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
    assert 'name="form-0-stock_shown" value="5"' in listing
    assert 'name="form-0-stock" value="5"' in listing
    change = staff_client.get(reverse("admin:catalog_variant_change", args=[variant.pk]))
    assert 'name="stock_shown" value="5"' in change.content.decode()
    product = staff_client.get(reverse("admin:catalog_product_change", args=[variant.product_id]))
    assert 'name="variants-0-stock_shown" value="5"' in product.content.decode()


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
    assert save_variant_for_staff(variant=gone, stock_change=4) == -1
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
    unit stays sold, every received unit is added, nobody deadlocks or errors."""
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
        assert variant.stock == 100 - sold + 4 * (round_ + 1)
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

"""The catalog admin on a big shop (100,000 products, 270,000 variants): searches, sorted
lists and filter counts read indexes (PostgreSQL), and a page's queries do not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import list_query
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("admin:catalog_product_changelist")
VARIANTS = reverse("admin:catalog_variant_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    return client


def test_staff_find_products_and_variants_by_any_part_of_name_or_sku(staff_client):
    lamp = ProductFactory(name="Fjord Pendant Lamp", stock=False)
    VariantFactory(product=lamp, sku="LIG-100-RED")
    VariantFactory(product=lamp, sku="LIG-100-BLUE")
    ProductFactory(name="Camp Mug", stock=False)

    def products(term):
        return staff_client.get(PRODUCTS, {"q": term}).content.decode()

    assert products("lig-100").count(">Fjord Pendant Lamp</a>") == 1  # two SKUs match: once
    assert "Camp Mug" not in products("lig-100")
    assert ">Fjord Pendant Lamp</a>" in products("pendant LIG-100-RED")  # name and SKU words
    assert "Camp Mug" in products("mug")
    assert "Fjord" not in products("pendant mug")

    def variants(term):
        return staff_client.get(VARIANTS, {"q": term}).content.decode()

    assert "LIG-100-RED" in variants("pendant")  # by the product's name
    assert "LIG-100-BLUE" in variants("pendant")
    assert "LIG-100-BLUE" not in variants("red")
    assert "LIG-100-RED" in variants("fjord red")


@pytest.mark.parametrize("n", [3, 30])
def test_the_category_autocomplete_names_each_path_in_the_same_queries(
    staff_client, django_assert_max_num_queries, n
):
    outdoor = CategoryFactory(name="Outdoor")
    for i in range(n):
        CategoryFactory(name=f"Packs {i}", parent=CategoryFactory(name=f"Bags {i}", parent=outdoor))
    params = {"app_label": "catalog", "model_name": "product", "field_name": "category"}
    with django_assert_max_num_queries(4):
        response = staff_client.get(reverse("admin:autocomplete"), {**params, "term": "Packs"})
    names = [r["text"] for r in response.json()["results"]]
    assert len(names) == min(n, 20)
    assert "Outdoor › Bags 0 › Packs 0" in names


def test_the_product_and_variant_lists_count_their_filters(staff_client):
    outdoor = CategoryFactory(name="Outdoor")
    packs = CategoryFactory(name="Packs", parent=outdoor)
    ProductFactory(name="Day Pack", category=packs, stock=0)
    ProductFactory(name="Tent", category=outdoor, stock=3)
    ProductFactory(name="Kettle", stock=40)
    body = staff_client.get(PRODUCTS, {"_facets": "True"}).content.decode()
    assert "Outdoor (2)" in body  # with its subcategories
    assert "Outdoor › Packs (1)" in body
    assert "Sold out (1)" in body
    assert "Low stock (1)" in body
    assert "In stock (2)" in body
    body = staff_client.get(VARIANTS, {"_facets": "True"}).content.decode()
    assert "Sold out (1)" in body
    assert "Low stock (1)" in body
    assert "In stock (2)" in body


@pytest.mark.parametrize(
    ("url", "params", "table", "index"),
    [
        (PRODUCTS, {}, "catalog_product", "product_newest"),
        (PRODUCTS, {"q": "lamp"}, "catalog_product", "product_name_trgm"),
        (PRODUCTS, {"q": "LIG-1"}, "catalog_product", "variant_sku_trgm"),
        (VARIANTS, {}, "catalog_variant", "variant_stock_sku"),
        (VARIANTS, {"q": "lamp"}, "catalog_variant", "product_name_trgm"),
        (VARIANTS, {"q": "LIG-1"}, "catalog_variant", "variant_sku_trgm"),
    ],
)
def test_catalog_lists_and_searches_read_indexes(
    staff_client, query_plan, url, params, table, index
):
    ProductFactory(name="Fjord Pendant Lamp")
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(url, params).status_code == 200
    sql = list_query(captured.captured_queries, table)
    assert index in query_plan(sql, sorted_by_index=not params)


@pytest.mark.parametrize("action", ["activate", "deactivate"])
def test_switching_more_products_than_a_request_can_handle_is_refused_whole(
    staff_client, monkeypatch, action
):
    """One UPDATE of every product row (28 s for 100,000, checkout waiting on them) and a
    re-index of each in the request: refused above ProductAdmin.ACTION_MAX_PRODUCTS."""
    from django.contrib.messages import get_messages

    from catalog.admin import ProductAdmin
    from catalog.models import Product

    monkeypatch.setattr(ProductAdmin, "ACTION_MAX_PRODUCTS", 2)
    for name in ("Lamp", "Mug", "Kettle"):
        ProductFactory(name=name, is_active=action == "deactivate")
    response = staff_client.post(
        PRODUCTS,
        {
            "action": action,
            "_selected_action": [Product.objects.first().pk],
            "select_across": "1",
            "index": "0",
        },
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "3 products selected: at most 2 at a time. Narrow the list first (a filter, the dates "
        "above it, a search) and run it on each part."
    ]
    assert set(Product.objects.values_list("is_active", flat=True)) == {action == "deactivate"}
    monkeypatch.setattr(ProductAdmin, "ACTION_MAX_PRODUCTS", 3)
    staff_client.post(
        PRODUCTS,
        {"action": action, "_selected_action": [Product.objects.first().pk], "select_across": "1"},
    )
    assert set(Product.objects.values_list("is_active", flat=True)) == {action == "activate"}

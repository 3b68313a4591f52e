"""What an old product address answers: a renamed product's old slug and a link typed in
capitals lead on to its page (301); a product taken off sale or gone answers 404 with a way
on (its category, a search), never a bare error page."""

import pytest
from django.urls import reverse

from catalog.models import OldProductSlug, Product
from catalog.services import set_products_active
from tests.factories import CategoryFactory, ProductFactory
from tests.pagehead import page_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp():
    return ProductFactory(
        name="Cedar Lamp", slug="cedar-lamp", category=CategoryFactory(name="Lighting")
    )


def rename(product, slug):
    product = Product.objects.get(pk=product.pk)  # as the admin loads it
    product.slug = slug
    product.save()
    return product


def test_a_renamed_products_old_address_leads_to_its_page(client, lamp):
    client.get("/products/cedar-lamp/")  # cached under the old address
    rename(lamp, "cedar-pendant-lamp")
    response = client.get("/products/cedar-lamp/?utm_source=chat")
    assert response.status_code == 301
    assert response["Location"] == "/products/cedar-pendant-lamp/?utm_source=chat"
    assert client.get(response["Location"]).status_code == 200
    # renamed again: both earlier addresses lead to the newest one
    rename(lamp, "cedar-lamp-large")
    for old in ("cedar-lamp", "cedar-pendant-lamp"):
        assert client.get(f"/products/{old}/")["Location"] == "/products/cedar-lamp-large/"
    # back to a name it had: that address is its own again, not a redirect to itself
    rename(lamp, "cedar-lamp")
    assert client.get("/products/cedar-lamp/").status_code == 200
    assert client.get("/products/cedar-lamp-large/")["Location"] == "/products/cedar-lamp/"
    assert set(OldProductSlug.objects.values_list("slug", flat=True)) == {
        "cedar-pendant-lamp",
        "cedar-lamp-large",
    }


def test_an_old_address_taken_by_another_product_is_that_products(client, lamp):
    rename(lamp, "cedar-lamp-2")
    newcomer = ProductFactory(name="New Cedar Lamp", slug="cedar-lamp")
    response = client.get("/products/cedar-lamp/")
    assert response.status_code == 200
    assert response.context["product"] == newcomer


def test_a_deleted_products_old_addresses_go_with_it(client, lamp):
    rename(lamp, "cedar-lamp-2")
    Product.objects.filter(pk=lamp.pk).delete()
    assert not OldProductSlug.objects.exists()
    assert client.get("/products/cedar-lamp/").status_code == 404


def test_an_address_typed_in_capitals_leads_to_the_product(client, lamp):
    response = client.get("/products/Cedar-Lamp/")
    assert response.status_code == 301
    assert response["Location"] == "/products/cedar-lamp/"


def test_a_product_taken_off_sale_answers_404_with_its_category_and_a_search(
    client, settings, lamp
):
    settings.DEBUG = False
    set_products_active(product_ids=[lamp.pk], active=False)
    response = client.get("/products/cedar-lamp/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<bdi>Cedar Lamp</bdi> is no longer in the shop" in body
    assert f'href="{lamp.category.get_absolute_url()}"' in body
    assert 'name="q" value="cedar lamp"' in body
    head = page_head(response)
    assert head.noindex
    assert head.canonical is None
    # a renamed product taken off sale: its old address is a 404 too, not a redirect to one
    rename(lamp, "cedar-lamp-2")
    assert client.get("/products/cedar-lamp/").status_code == 404


def test_an_unknown_product_address_offers_a_search_for_its_words(client, settings):
    settings.DEBUG = False
    response = client.get("/products/blue-wool-socks/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can't find that page" in body
    assert 'name="q" value="blue wool socks"' in body
    # a search landmark of its own name, apart from the header's
    assert 'role="search" aria-label="Search for it"' in body
    assert f'action="{reverse("search:results")}"' in body


def test_staff_see_a_products_old_addresses(admin_client, lamp):
    rename(lamp, "cedar-pendant-lamp")
    page = admin_client.get(reverse("admin:catalog_product_change", args=[lamp.pk]))
    assert page.status_code == 200
    assert "cedar-lamp" in page.content.decode()
    assert "Old addresses" in page.content.decode()


def test_category_and_series_addresses_in_capitals_lead_to_theirs(client, lamp):
    category, series = lamp.category, lamp.series
    response = client.get(f"/category/{category.slug.upper()}/?sort=price")
    assert response.status_code == 301
    assert response["Location"] == category.get_absolute_url() + "?sort=price"
    url = f"/series/{series.slug.upper()}/"
    assert client.get(url)["Location"] == series.get_absolute_url()
    assert client.get("/category/NO-SUCH/").status_code == 404
    assert client.get("/series/NO-SUCH/").status_code == 404

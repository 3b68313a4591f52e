"""What search engines and link previews read of product and listing pages: titles,
descriptions, canonical addresses, noindex, Open Graph and structured data."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cart.pricing import unit_price
from catalog.models import ProductImage, Variant
from tests.conftest import image_bytes
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, VariantFactory
from tests.pagehead import page_head

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def jacket():
    series = SeriesFactory(name="Trail", slug="trail")
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    jackets = CategoryFactory(name="Jackets", slug="jackets", parent=outdoor)
    product = ProductFactory(
        name="Rain Jacket",
        slug="rain-jacket",
        series=series,
        category=jackets,
        price=Decimal("99.5"),
        stock=False,
    )
    VariantFactory(product=product, sku="RJ-S", size="S", stock=0)
    VariantFactory(product=product, sku="RJ-M", size="M", stock=2, price_override=Decimal("105"))
    return product


def test_product_structured_data_is_what_the_page_shows(client, jacket):
    response = client.get(jacket.get_absolute_url())
    head = page_head(response)
    (product,) = head.structured("Product")
    assert product["name"] == "Rain Jacket"
    assert product["url"] == "http://testserver/products/rain-jacket/"
    offers = {o["sku"]: o for o in product["offers"]}
    # prices as strings with two decimals, each the one the cart charges for that size
    for variant in Variant.objects.filter(product=jacket):
        assert offers[variant.sku]["price"] == f"{unit_price(variant):.2f}"
        assert offers[variant.sku]["priceCurrency"] == "EUR"
    assert offers["RJ-S"]["price"] == "99.50"
    assert offers["RJ-M"]["price"] == "105.00"
    assert offers["RJ-S"]["availability"] == "https://schema.org/OutOfStock"
    assert offers["RJ-M"]["availability"] == "https://schema.org/InStock"
    # the displayed "From" price is the Open Graph price
    assert "From €99.50" in response.content.decode()
    assert head.one("product:price:amount") == "99.50"
    (crumbs,) = head.structured("BreadcrumbList")
    assert [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]] == [
        (1, "Home", "http://testserver/"),
        (2, "Outdoor", "http://testserver/category/outdoor/"),
        (3, "Jackets", "http://testserver/category/jackets/"),
        (4, "Rain Jacket", "http://testserver/products/rain-jacket/"),
    ]


def test_product_availability_follows_stock_through_the_page_cache(client, jacket):
    url = jacket.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    medium = Variant.objects.get(sku="RJ-M")
    medium.stock = 0
    medium.save()
    head = page_head(client.get(url))
    (product,) = head.structured("Product")
    assert {o["availability"] for o in product["offers"]} == {"https://schema.org/OutOfStock"}
    assert head.one("product:availability") == "out of stock"


def test_a_one_size_product_names_its_sku_and_picture(client):
    product = ProductFactory(name="Mug", stock=3)
    ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("mug.png", image_bytes()), width=64, height=48
    )
    head = page_head(client.get(product.get_absolute_url()))
    (data,) = head.structured("Product")
    assert data["sku"] == product.variants.get().sku
    assert data["image"][0].startswith("http://testserver/")
    assert head.one("og:image") == data["image"][0]
    assert head.one("twitter:card") == "summary_large_image"
    assert data["offers"][0]["price"] == "19.99"


def test_a_name_that_closes_the_script_tag_stays_inside_the_json(client):
    name = 'Tent </script><script>alert(1)</script> "2P" & <b>'
    product = ProductFactory(name=name)
    response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    head = page_head(response)
    (data,) = head.structured("Product")
    assert data["name"] == name  # parsed back exactly
    assert head.title.startswith(name)  # escaped in the title, not cut off by the markup
    assert head.one("og:title") == name


def test_canonical_and_og_url_are_on_shop_url_whatever_host_the_request_used(
    client, settings, jacket
):
    settings.SHOP_URL = SHOP
    settings.ALLOWED_HOSTS = ["testserver", "www.shop.example.com"]
    for host in ("testserver", "www.shop.example.com"):
        response = client.get(jacket.get_absolute_url() + "?utm_source=chat", HTTP_HOST=host)
        head = page_head(response)
        assert head.canonical == f"{SHOP}/products/rain-jacket/"
        assert head.one("og:url") == head.canonical
        assert head.one("og:image") == f"{SHOP}/static/img/share.png"  # no picture yet
        (data,) = head.structured("Product")
        assert data["url"] == head.canonical
        assert {o["url"] for o in data["offers"]} == {head.canonical}


def test_a_cached_page_never_carries_one_requests_host_into_anothers(client, settings, jacket):
    """Without SHOP_URL the address is the request's: each allowed host gets its own."""
    settings.ALLOWED_HOSTS = ["testserver", "www.shop.example.com"]
    url = jacket.get_absolute_url()
    client.get(url, HTTP_HOST="www.shop.example.com")
    assert client.get(url, HTTP_HOST="www.shop.example.com")["X-Page-Cache"] == "hit"
    head = page_head(client.get(url))
    assert head.canonical == "http://testserver/products/rain-jacket/"
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_tracking_parameters_and_page_one_lead_to_the_listing_itself(client, jacket):
    category = jacket.category
    for query in ("", "?utm_source=news&utm_medium=email", "?page=1", "?fbclid=abc&page=1"):
        head = page_head(client.get(category.get_absolute_url() + query))
        assert head.canonical == "http://testserver/category/jackets/", query
        assert not head.noindex, query
        assert head.one("og:url") == head.canonical


def test_filtered_and_sorted_listings_are_noindex_and_lead_to_the_listing(client):
    category = CategoryFactory(name="Packs", slug="packs")
    for i in range(30):
        ProductFactory(name=f"Pack {i:02d}", category=category)
    url = category.get_absolute_url()
    assert not page_head(client.get(url)).noindex
    for query, canonical in [
        ("?sort=price", url),
        ("?in_stock=on", url),
        ("?min_price=5&utm_source=x", url),
        ("?sort=name&page=2", url + "?page=2"),
    ]:
        head = page_head(client.get(url + query))
        assert head.noindex, query
        assert head.canonical == "http://testserver" + canonical, query
    # the second page of the listing itself is indexable and its own canonical
    head = page_head(client.get(url + "?page=2"))
    assert not head.noindex
    assert head.canonical == "http://testserver/category/packs/?page=2"
    assert head.title.startswith("Packs – page 2")
    # served again from the page cache, the plain listing is still indexable
    assert not page_head(client.get(url)).noindex


def test_a_tracking_parameter_is_no_filter_on_an_empty_listing(client):
    empty = CategoryFactory(name="Soon", slug="soon")
    body = client.get(empty.get_absolute_url() + "?utm_source=x").content.decode()
    assert "There are no products here yet." in body
    assert "No products match these filters" not in body


def test_search_results_are_noindex_without_a_canonical(client, jacket):
    head = page_head(client.get(reverse("search:results"), {"q": "jacket"}))
    assert head.noindex
    assert head.canonical is None


def test_titles_and_descriptions_fit_and_differ(client, jacket):
    long_name = "Ultralight Waterproof Breathable Three-Layer Mountain Rain Jacket With Hood"
    other = ProductFactory(
        name=long_name, series=jacket.series, category=jacket.category, short_description=""
    )
    other.description = ""
    other.save()
    head = page_head(client.get(other.get_absolute_url()))
    assert len(head.title) <= 60
    assert head.title.startswith("Ultralight Waterproof")
    description = head.one("description")
    assert len(description) <= 155
    # no text of its own: its name and series, not the shop's name alone (the same on many)
    assert description.startswith(long_name)
    assert "Trail series" in description

    category = page_head(client.get(jacket.category.get_absolute_url()))
    assert category.title.startswith("Jackets · ")
    assert "2 products" in category.one("description")
    series = page_head(client.get(jacket.series.get_absolute_url()))
    (crumbs,) = series.structured("BreadcrumbList")
    assert crumbs["itemListElement"][-1]["item"] == "http://testserver/series/trail/"
    assert len({category.title, series.title, head.title}) == 3


def test_a_product_without_variants_has_no_empty_offer_list(client):
    product = ProductFactory(name="Coming Soon", stock=False)
    (data,) = page_head(client.get(product.get_absolute_url())).structured("Product")
    assert "offers" not in data

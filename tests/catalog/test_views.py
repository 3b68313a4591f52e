import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Product, ProductImage, Variant
from tests.conftest import image_bytes
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, VariantFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [p.name for p in response.context["products"]]


@pytest.fixture
def catalog():
    """Two series, a small category tree, products at known prices and stock."""
    trail = SeriesFactory(name="Trail", slug="trail")
    home = SeriesFactory(name="Home", slug="home")
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    packs = CategoryFactory(name="Packs", slug="packs", parent=outdoor)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    products = {
        "cheap pack": ProductFactory(
            name="Cheap Pack", series=trail, category=packs, price=Decimal("10.00"), stock=5
        ),
        "dear pack": ProductFactory(
            name="Dear Pack", series=trail, category=packs, price=Decimal("200.00"), stock=0
        ),
        "tent": ProductFactory(
            name="Tent", series=trail, category=outdoor, price=Decimal("150.00"), stock=3
        ),
        "pan": ProductFactory(
            name="Pan", series=home, category=kitchen, price=Decimal("40.00"), stock=8
        ),
        "hidden": ProductFactory(
            name="Hidden Pan",
            series=home,
            category=kitchen,
            price=Decimal("45.00"),
            is_active=False,
        ),
    }
    return products


def test_home_shows_featured_new_and_each_series(client, catalog):
    catalog["tent"].is_featured = True
    catalog["tent"].save()
    response = client.get("/")
    body = response.content.decode()
    assert [p.name for p in response.context["featured"]] == ["Tent"]
    assert "Hidden Pan" not in body
    assert {s.name for s, _ in response.context["showcase"]} == {"Trail", "Home"}
    assert "<bdi>Trail</bdi> series" in body
    assert "<bdi>Home</bdi> series" in body


def test_category_page_lists_products_of_subcategories(client, catalog):
    response = client.get(reverse("catalog:category", args=["outdoor"]))
    assert sorted(names(response)) == ["Cheap Pack", "Dear Pack", "Tent"]
    assert 'href="/category/packs/"' in response.content.decode()


def test_a_subcategory_page_has_its_parents_in_the_breadcrumb(client, catalog):
    body = client.get(reverse("catalog:category", args=["packs"])).content.decode()
    assert (
        '<li><a href="/category/outdoor/"><bdi>Outdoor</bdi></a></li>'
        '<li aria-current="page"><bdi>Packs</bdi></li>' in body
    )


def test_series_page_lists_only_its_active_products(client, catalog):
    response = client.get(reverse("catalog:series", args=["home"]))
    assert names(response) == ["Pan"]


def test_filters_combine(client, catalog):
    response = client.get(
        reverse("catalog:products"),
        {
            "min_price": "20",
            "max_price": "180",
            "in_stock": "on",
            "series": "trail",
            "sort": "price",
        },
    )
    assert names(response) == ["Tent"]
    response = client.get(reverse("catalog:products"), {"category": "outdoor", "sort": "-price"})
    assert names(response) == ["Dear Pack", "Tent", "Cheap Pack"]
    response = client.get(reverse("catalog:products"), {"sort": "name", "in_stock": "on"})
    assert names(response) == ["Cheap Pack", "Pan", "Tent"]


def test_bad_filter_values_show_an_error_and_are_ignored(client, catalog):
    response = client.get(
        reverse("catalog:products"),
        {"min_price": "abc", "sort": "'; DROP TABLE", "series": "<script>", "page": "zz"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a number" in body
    assert "<script>" not in body
    assert len(names(response)) == 4


def test_pagination_keeps_filters(client):
    series = SeriesFactory(slug="s")
    category = CategoryFactory()
    for i in range(30):
        ProductFactory(
            name=f"Item {i:02d}", series=series, category=category, price=Decimal("5.00") + i
        )
    response = client.get(reverse("catalog:products"), {"max_price": "100", "sort": "name"})
    assert len(names(response)) == 24
    body = response.content.decode()
    assert 'href="?max_price=100&amp;sort=name&amp;page=2"' in body
    page2 = client.get(reverse("catalog:products"), {"max_price": "100", "sort": "name", "page": 2})
    assert names(page2) == [f"Item {i:02d}" for i in range(24, 30)]
    # each page is its own page to a search engine and in a browser tab; filters are not
    assert "<title>All products – page 2 · " in page2.content.decode()
    assert 'rel="canonical" href="http://testserver/products/?page=2"' in page2.content.decode()
    assert 'rel="canonical" href="http://testserver/products/"' in body
    assert "<title>All products · " in body


def test_a_min_price_above_the_max_price_is_explained_and_the_max_left_out(client, catalog):
    response = client.get(reverse("catalog:products"), {"min_price": "30", "max_price": "10"})
    body = response.content.decode()
    assert "Enter at least 30, the “From” price." in body
    everything_from_30 = client.get(reverse("catalog:products"), {"min_price": "30"})
    assert names(everything_from_30)  # not an empty page: the max is left out
    assert names(response) == names(everything_from_30)


def test_prices_with_cents_can_be_typed_into_the_price_filter(client, catalog):
    """The From/To fields said step="1": a browser refused "10.50" before sending the form
    ("enter a valid value"), though the shop takes cents."""
    import re

    body = client.get(reverse("catalog:products")).content.decode()
    for name in ("min_price", "max_price"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert 'step="any"' in field
        assert 'inputmode="decimal"' in field
    response = client.get(
        reverse("catalog:products"), {"min_price": "10.50", "max_price": "150.00"}
    )
    assert sorted(names(response)) == ["Pan", "Tent"]


def test_out_of_range_page_shows_last_page(client, catalog):
    response = client.get(reverse("catalog:products"), {"page": "999"})
    assert response.status_code == 200
    assert len(names(response)) == 4


def test_a_listing_stops_at_its_last_allowed_page_and_says_how_to_find_the_rest(
    client, monkeypatch, django_assert_max_num_queries
):
    # Page 4,000 of "all products" took 0.5-0.75 s on the 100,000-product bench catalog
    # (PostgreSQL reads every row before the OFFSET): listings stop at MAX_LISTING_PAGES.
    monkeypatch.setattr("catalog.views.MAX_LISTING_PAGES", 2)
    monkeypatch.setattr("catalog.views.ProductListView.paginate_by", 2)
    category = CategoryFactory()
    for i in range(7):
        ProductFactory(name=f"Item {i}", category=category, price=Decimal("5.00") + i)
    first = client.get(reverse("catalog:products"), {"sort": "price"})
    body = first.content.decode()
    assert "7 products" in body  # the real count
    assert 'href="?sort=price&amp;page=2"' in body
    assert "page=3" not in body
    assert "first 4 of 7" not in body
    with django_assert_max_num_queries(3):
        deep = client.get(reverse("catalog:products"), {"sort": "price", "page": "4000"})
    assert names(deep) == ["Item 2", "Item 3"]  # the last allowed page, not page 4,000
    text = deep.content.decode()
    assert "These are the first 4 of 7 products." in text
    assert "choose a category, use the filters or another sort order, or search" in text
    # the same category's own listing shows the same limit
    in_category = client.get(category.get_absolute_url(), {"page": "3"})
    assert len(names(in_category)) == 2
    assert "These are the first 4 of 7 products." in in_category.content.decode()


def test_a_listing_builds_cards_for_its_page_only(client):
    # The card subqueries (variants, first picture) in the listing's own query ran for every
    # row before the OFFSET as well: page 200 built 4,800 rows' worth to show 24.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    category = CategoryFactory()
    for i in range(30):
        ProductFactory(name=f"Item {i:02d}", category=category)
    with CaptureQueriesContext(connection) as queries:
        page2 = client.get(reverse("catalog:products"), {"sort": "name", "page": "2"})
    assert names(page2) == [f"Item {i:02d}" for i in range(24, 30)]
    (cards,) = [q["sql"] for q in queries if "catalog_productimage" in q["sql"]]
    assert re.search(r"IN \(SELECT .+ LIMIT \d+ OFFSET 24\)", cards)  # the page's ids first
    assert not re.search(r"OFFSET \d+$", cards.strip())  # not the cards' own query


def test_inactive_product_is_404(client, catalog):
    assert client.get(catalog["hidden"].get_absolute_url()).status_code == 404
    assert client.get("/products/no-such-thing/").status_code == 404


def test_product_page_shows_price_stock_variants_and_seo(client, catalog):
    product = ProductFactory(
        name="Rain Jacket",
        price=Decimal("99.00"),
        compare_at_price=Decimal("129.00"),
        stock=False,
        category=catalog["tent"].category,
    )
    VariantFactory(product=product, sku="RJ-S", size="S", stock=0)
    VariantFactory(product=product, sku="RJ-M", size="M", stock=2)
    response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert "<title>Rain Jacket · " in body
    assert '<del><span class="visually-hidden">was </span>€129.00</del>' in body
    assert "Only 2 left" in body
    assert re.search(r'id="variant-\d+" name="variant" value="\d+" required disabled', body)
    assert '<link rel="canonical" href="http://testserver/products/' in body
    assert 'property="og:type" content="product"' in body
    data, _breadcrumbs = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', body).group(1)
    )
    assert data["@type"] == "Product"
    assert {o["sku"]: o["availability"] for o in data["offers"]} == {
        "RJ-S": "https://schema.org/OutOfStock",
        "RJ-M": "https://schema.org/InStock",
    }
    assert "Tent" in [p.name for p in response.context["related"]]


def test_a_product_with_many_options_offers_them_in_one_list(client):
    """Forty sizes as boxes made a phone's page 8,900 px tall with "Add to cart" under all of
    them; more than eight options come as one list (sold-out ones listed, not choosable)."""
    product = ProductFactory(name="Climbing Shoe", stock=False)
    sizes = [
        VariantFactory(product=product, sku=f"CS-{n}", size=f"EU {n}", stock=30)
        for n in range(30, 42)
    ]
    Variant.objects.filter(pk=sizes[0].pk).update(stock=0)
    body = client.get(product.get_absolute_url()).content.decode()
    assert '<label for="variant-choice">Choose an option</label>' in body
    assert '<select id="variant-choice" name="variant" required>' in body
    assert '<option value="">Choose…</option>' in body
    assert (
        f'<option value="{sizes[0].pk}" disabled>&#x2068;EU 30&#x2069; — sold out</option>' in body
    )
    assert f'<option value="{sizes[5].pk}">&#x2068;EU 35&#x2069; — in stock</option>' in body
    assert 'type="radio"' not in body

    response = client.post(reverse("cart:add"), {"variant": sizes[5].pk, "quantity": 1})
    assert response.status_code == 302
    assert client.get(reverse("cart:detail")).context["cart_count"] == 1


def test_product_page_shows_its_series_and_category_trail(client, catalog):
    product = catalog["cheap pack"]
    body = client.get(product.get_absolute_url()).content.decode()
    crumbs = body[body.index('aria-label="Breadcrumb"') :]
    crumbs = crumbs[: crumbs.index("</ol>")]
    assert re.findall(r'<a href="([^"]+)">(?:<bdi>)?([^<]+)(?:</bdi>)?</a>', crumbs) == [
        ("/", "Home"),
        ("/category/outdoor/", "Outdoor"),
        ("/category/packs/", "Packs"),
    ]
    assert '<a href="/series/trail/"><bdi>Trail</bdi> series</a>' in body
    assert '<dd><a href="/category/packs/"><bdi>Packs</bdi></a></dd>' in body
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', body).group(1)
    )[0]
    assert data["category"] == "Packs"


def test_a_picture_whose_file_is_gone_does_not_break_the_product_page(client):
    """A row without stored dimensions is not opened to read them when loaded (Django's
    ImageField would, on every page, and fail when the file is gone)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = ProductFactory(name="Lamp")
    image = ProductImage(product=product, alt_text="A brass lamp")
    image.image.save("lamp.png", SimpleUploadedFile("lamp.png", image_bytes()), save=True)
    assert (image.width, image.height) == (64, 48)  # read from the upload
    ProductImage.objects.filter(pk=image.pk).update(width=None, height=None)
    image.image.storage.delete(image.image.name)
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    assert 'alt="A brass lamp"' in response.content.decode()


def test_the_shared_picture_of_a_product_is_at_media_url_also_on_a_cdn(client, settings):
    """og:image put the shop's own address in front of the picture's link, which with a CDN's
    MEDIA_URL is an address already: "https://shop.testhttps://cdn.example.com/m/..."."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_URL = "https://cdn.example.com/m/"
    product = ProductFactory(name="Lamp")
    image = ProductImage(product=product)
    image.image.save("lamp.png", SimpleUploadedFile("lamp.png", image_bytes()), save=True)
    body = client.get(product.get_absolute_url()).content.decode()
    assert f'property="og:image" content="https://cdn.example.com/m/{image.image.name}"' in body

    settings.MEDIA_URL = "/media/"
    body = client.get(ProductFactory(name="Mug").get_absolute_url()).content.decode()
    # no picture: the shop's share picture
    assert 'property="og:image" content="http://testserver/static/img/share.png"' in body
    image.product = Product.objects.get(name="Mug")
    image.save()
    body = client.get(image.product.get_absolute_url()).content.decode()
    assert f'property="og:image" content="http://testserver/media/{image.image.name}"' in body


def test_product_json_ld_escapes_html(client):
    product = ProductFactory(name="</script><script>alert(1)</script>")
    body = client.get(product.get_absolute_url()).content.decode()
    assert "</script><script>alert(1)" not in body
    assert "\\u003C/script\\u003E" in body


def test_sold_out_product_cannot_be_bought(client, catalog):
    body = client.get(catalog["dear pack"].get_absolute_url()).content.decode()
    assert "Sold out" in body
    assert '<button type="button" disabled>Sold out</button>' in body


def _many_products(n: int):
    series = SeriesFactory(slug="many")
    category = CategoryFactory(slug="many")
    for i in range(n):
        product = ProductFactory(
            series=series, category=category, is_featured=i % 2 == 0, stock=False
        )
        VariantFactory(product=product, stock=i % 3)
        VariantFactory(product=product, stock=1)
        ProductImage.objects.create(product=product, image="products/x.png", width=10, height=10)
        ProductImage.objects.create(
            product=product, image="products/y.png", width=10, height=10, position=1
        )
    return category


@pytest.mark.parametrize("n", [3, 30])
def test_listing_query_budget_does_not_grow(client, django_assert_max_num_queries, n):
    category = _many_products(n)
    client.get("/")  # warm the navigation cache the way a running shop has it
    with django_assert_max_num_queries(10):
        response = client.get(reverse("catalog:category", args=[category.slug]), {"in_stock": "on"})
    assert response.status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_home_query_budget_does_not_grow(client, django_assert_max_num_queries, n):
    _many_products(n)
    client.get("/products/")
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("n", [1, 12])
def test_product_page_query_budget_does_not_grow(client, django_assert_max_num_queries, n):
    category = _many_products(6)
    product = ProductFactory(category=category, stock=False)
    for i in range(n):
        VariantFactory(product=product, stock=i)
        ProductImage.objects.create(
            product=product, image=f"products/{i}.png", width=10, height=10, position=i
        )
    client.get("/")
    with django_assert_max_num_queries(8):
        assert client.get(product.get_absolute_url()).status_code == 200


def test_uploaded_image_shows_on_listing_and_product(client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.images import make_thumbnails

    product = ProductFactory(name="Lamp")
    image = ProductImage(product=product, alt_text="A brass lamp")
    image.image.save("lamp.png", SimpleUploadedFile("lamp.png", image_bytes()), save=True)
    make_thumbnails(image)
    body = client.get(product.get_absolute_url()).content.decode()
    assert 'alt="A brass lamp"' in body
    assert image.detail_url in body
    assert image.listing_url in client.get("/products/").content.decode()


def test_a_card_shows_the_first_picture_or_the_original_or_a_placeholder(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.images import make_thumbnails

    with_thumb = ProductFactory(name="Brass Lamp")
    original_only = ProductFactory(name="Tin Lamp")
    ProductFactory(name="Bare Lamp")
    second = ProductImage(product=with_thumb, alt_text="Second picture", position=2)
    second.image.save("b.png", SimpleUploadedFile("b.png", image_bytes()), save=True)
    first = ProductImage(product=with_thumb, alt_text="A brass lamp", position=1)
    first.image.save("a.png", SimpleUploadedFile("a.png", image_bytes()), save=True)
    make_thumbnails(first)
    plain = ProductImage(product=original_only, alt_text="A tin lamp")
    plain.image.save("c.png", SimpleUploadedFile("c.png", image_bytes()), save=True)
    body = client.get("/products/").content.decode()
    assert f'<img src="{first.listing_url}" alt="A brass lamp"' in body  # the thumbnail
    assert "Second picture" not in body
    assert f'<img src="{plain.image.url}" alt="A tin lamp"' in body  # no thumbnail yet
    bare = body[body.index("Bare Lamp") - 1500 : body.index("Bare Lamp")]
    assert "placeholder.svg" in bare.rsplit("<article", 1)[-1]


def test_quantity_limit_is_the_best_stocked_variant_not_the_sum(client):
    product = ProductFactory(name="Fjord Hip Pack", stock=False)
    VariantFactory(product=product, colour="Blue", stock=3)
    VariantFactory(product=product, colour="Grey", stock=2)
    body = client.get(product.get_absolute_url()).content.decode()
    assert 'max="3"' in body  # one line holds one variant: never 5
    assert "only 3 left" in body
    assert "only 2 left" in body


def product_with_prices(name: str, price: str, *overrides: str | None, **kwargs) -> Product:
    """A product at ``price`` with one variant per override (None: the product's price)."""
    product = ProductFactory(name=name, price=Decimal(price), stock=False, **kwargs)
    for i, override in enumerate(overrides):
        VariantFactory(
            product=product,
            size=f"S{i}",
            price_override=None if override is None else Decimal(override),
        )
    product.refresh_from_db()
    return product


def card_of(body: str, name: str) -> str:
    start = body.index(f">{name}<")
    return body[start : body.index("</article>", start)]


def test_cards_and_pages_show_what_the_variants_sell_at(client):
    # A variant's own price never reached the listings: a product at €20 whose sizes all cost
    # €25 or €35 showed "€20.00" on its card, a price nobody could buy at.
    category = CategoryFactory()
    product_with_prices("Mixed Tee", "20.00", None, "30.00", category=category)
    product_with_prices("Dear Tee", "20.00", "25.00", "35.00", category=category)
    product_with_prices("Cheap Tee", "20.00", "15.00", category=category)
    product_with_prices("Plain Tee", "20.00", None, None, category=category)
    body = client.get(category.get_absolute_url()).content.decode()
    assert "From €20.00" in card_of(body, "Mixed Tee")
    assert "From €25.00" in card_of(body, "Dear Tee")
    assert "€20.00" not in card_of(body, "Dear Tee")
    assert "€15.00" in card_of(body, "Cheap Tee")
    assert "From" not in card_of(body, "Cheap Tee")
    assert "€20.00" in card_of(body, "Plain Tee")
    assert "From" not in card_of(body, "Plain Tee")

    page = client.get(Product.objects.get(name="Dear Tee").get_absolute_url()).content.decode()
    assert '<p class="price">From €25.00</p>' in page
    assert 'property="product:price:amount" content="25.00"' in page
    offers = json.loads(re.search(r'ld\+json">(.*?)</script>', page, re.S).group(1))[0]["offers"]
    assert sorted(o["price"] for o in offers) == ["25.00", "35.00"]


def test_sorting_and_the_price_filter_go_by_what_the_variants_sell_at(client):
    product_with_prices("Dear Tee", "10.00", "50.00")  # every variant €50
    product_with_prices("Range Tee", "20.00", None, "40.00")  # €20-40
    product_with_prices("Plain Tee", "30.00", None)

    def listed(**params):
        return names(client.get(reverse("catalog:products"), params))

    assert listed(sort="price") == ["Range Tee", "Plain Tee", "Dear Tee"]
    assert listed(sort="-price") == ["Dear Tee", "Plain Tee", "Range Tee"]
    assert listed(max_price="15") == []  # nothing sells at €10
    assert sorted(listed(min_price="35", max_price="45")) == ["Range Tee"]  # its €40 size
    assert sorted(listed(min_price="45")) == ["Dear Tee"]
    # both bounds: a variant must sell in the range (the review: €20 and €40 sizes showed
    # for "25 to 35", where neither sells)
    assert listed(min_price="25", max_price="35") == ["Plain Tee"]
    assert sorted(listed(min_price="15", max_price="25")) == ["Range Tee"]
    assert sorted(listed(min_price="40", max_price="60")) == ["Dear Tee", "Range Tee"]
    # "in stock only": the size in the range must be one that is in stock (second review)
    Variant.objects.filter(product__name="Range Tee", price_override__isnull=False).update(stock=0)
    Product.objects.filter(name="Range Tee").update(stock_total=10)  # the €20 size has stock
    assert sorted(listed(min_price="35")) == ["Dear Tee", "Range Tee"]
    assert sorted(listed(min_price="35", in_stock="on")) == ["Dear Tee"]
    assert sorted(listed(max_price="25", in_stock="on")) == ["Range Tee"]


def test_the_price_range_follows_the_product_and_its_variants(client):
    product = product_with_prices("Range Tee", "20.00", None, "40.00")
    url = reverse("catalog:products")
    assert "From €20.00" in card_of(client.get(url).content.decode(), "Range Tee")

    product.price = Decimal("45.00")  # the admin's save: the size without its own price follows
    product.save()
    assert "From €40.00" in card_of(client.get(url).content.decode(), "Range Tee")

    own = product.variants.get(price_override__isnull=False)
    own.price_override = None  # both sizes at the product's price now
    own.save()
    card = card_of(client.get(url).content.decode(), "Range Tee")
    assert "€45.00" in card
    assert "From" not in card

    own.delete()
    product.variants.update(price_override=Decimal("12.00"))
    product.variants.get().save()  # a save refreshes, as the admin's does
    assert "€12.00" in card_of(client.get(url).content.decode(), "Range Tee")


def test_the_main_pictures_link_says_it_opens_the_larger_picture(client):
    # axe/a11y audit: the link around the main picture was named by the picture's alt text only
    product = ProductFactory(name="Trail Lamp")
    ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("a.png", image_bytes("PNG")), alt_text="Lit"
    )
    body = client.get(product.get_absolute_url()).content.decode()
    link = re.search(r'<div class="gallery-main">\s*<a href="[^"]+">(.*?)</a>', body, re.S)
    assert 'alt="Lit"' in link.group(1)
    assert '<span class="visually-hidden"> (open the larger picture)</span>' in link.group(1)


@pytest.mark.django_db
def test_an_empty_shop_says_it_has_no_products_yet_not_that_filters_hide_them(client):
    empty = SeriesFactory(name="Camp Kitchen", slug="camp-kitchen")

    listing = client.get(reverse("catalog:products") + "?sort=price").content.decode()
    series = client.get(reverse("catalog:series", kwargs={"slug": empty.slug})).content.decode()

    assert "There are no products here yet." in listing
    assert "No products match these filters" not in listing + series
    assert 'There are no products here yet. <a href="/products/">See all products</a>' in series
    filtered = client.get(reverse("catalog:products") + "?in_stock=on").content.decode()
    assert "No products match these filters" in filtered


ARABIC_NAME = "إبريق شاي نحاسي (كبير، ١٫٥ لتر)"


def test_a_right_to_left_name_keeps_its_punctuation_on_the_product_page(client, catalog):
    """An Arabic or Hebrew name shown alone takes its own direction (dir="auto"), and one set
    in an English sentence is isolated (<bdi>): its closing bracket stays at its end."""
    series = SeriesFactory(name="سلسلة الشاي", slug="tea")
    product = ProductFactory(
        name=ARABIC_NAME,
        series=series,
        short_description="إبريق تقليدي — صنع يدوي!",
        description="وصف طويل.",
        category=catalog["tent"].category,
    )
    body = client.get(product.get_absolute_url()).content.decode()
    assert f'<h1 id="product-title" dir="auto">{ARABIC_NAME}</h1>' in body
    assert '<p class="lead" dir="auto">إبريق تقليدي — صنع يدوي!</p>' in body
    assert '<div dir="auto"><p>وصف طويل.</p></div>' in body
    assert '<a href="/series/tea/"><bdi>سلسلة الشاي</bdi> series</a>' in body
    assert f'<li aria-current="page"><bdi>{ARABIC_NAME}</bdi></li>' in body
    cards = client.get(reverse("catalog:products")).content.decode()
    assert '<h3 class="card-title" dir="auto">' in cards


def test_a_meta_description_is_never_cut_inside_an_emoji(client, catalog):
    family = "👨‍👩‍👧‍👦"  # one emoji of seven code points
    product = ProductFactory(
        name="Family Mug",
        short_description="Mugs " + family * 40,
        stock=3,
        category=catalog["tent"].category,
    )
    body = client.get(product.get_absolute_url()).content.decode()
    description = re.search(r'<meta name="description" content="([^"]*)">', body).group(1)
    assert description.endswith(family + "…"), description[-12:]
    assert len(description) <= 160
    og = re.search(r'<meta property="og:description" content="([^"]*)">', body).group(1)
    assert og.endswith(family + "…")

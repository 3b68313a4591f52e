"""The shop as a crawler sees it, page type by page type: which pages search engines may list
(with one canonical address each) and which they are kept out of, the home page's structured
data, robots.txt and the sitemap (on the shop's own address, current, a bounded cost)."""

import re

import pytest
from django.urls import reverse

from catalog.models import Product
from catalog.services import set_products_active
from shop.sitemaps import ProductSitemap
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory
from tests.pagehead import page_head

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def product():
    return ProductFactory(name="Trail Bottle", slug="trail-bottle")


def indexable_urls(product) -> list[str]:
    return [
        "/",
        reverse("catalog:products"),
        product.get_absolute_url(),
        product.series.get_absolute_url(),
        product.category.get_absolute_url(),
        reverse("service:index"),
        reverse("service:guide"),
        reverse("service:commitments"),
        reverse("service:returns"),
        reverse("service:payment"),
        reverse("service:delivery"),
        reverse("service:legal"),
        reverse("service:privacy"),
        reverse("guestbook:index"),
    ]


NOINDEX_URLS = [
    reverse("search:results") + "?q=bottle",
    reverse("search:results"),
    reverse("cart:detail"),
    reverse("orders:inquiry"),
    reverse("account_login"),
    reverse("account_signup"),
    reverse("account_reset_password"),
]


def test_every_indexable_page_has_its_own_canonical_title_and_description(client, product):
    titles, descriptions = set(), set()
    for url in indexable_urls(product):
        response = client.get(url + "?utm_source=newsletter")
        assert response.status_code == 200, url
        head = page_head(response)
        assert not head.noindex, url
        assert head.canonical == "http://testserver" + url, url
        assert head.one("og:url") == head.canonical, url
        assert head.one("og:image").startswith("http://testserver/"), url
        assert 0 < len(head.title) <= 60, url
        assert 0 < len(head.one("description")) <= 155, url
        titles.add(head.title)
        descriptions.add(head.one("description"))
    assert len(titles) == len(indexable_urls(product))
    assert len(descriptions) == len(indexable_urls(product))


def test_search_cart_checkout_account_and_inquiry_are_noindex(client, product):
    for url in NOINDEX_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        head = page_head(response)
        assert head.noindex, url
        assert head.canonical is None, url


def test_a_signed_in_members_pages_and_the_checkout_are_noindex(client, product, django_user_model):
    user = django_user_model.objects.create_user(email="ann@example.com", password="pw-12345678")
    client.force_login(user)
    for url in (reverse("orders:my_orders"), reverse("accounts:addresses")):
        head = page_head(client.get(url))
        assert head.noindex, url
    client.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 1})
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 200
    assert page_head(response).noindex


def test_error_pages_are_noindex(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    head = page_head(response)
    assert head.noindex
    assert head.canonical is None


def test_home_has_website_search_and_organization_on_shop_url(client, settings):
    settings.SHOP_URL = SHOP
    head = page_head(client.get("/"))
    (website,) = head.structured("WebSite")
    assert website["url"] == f"{SHOP}/"
    target = website["potentialAction"]["target"]["urlTemplate"]
    assert target == f"{SHOP}/search/?q={{search_term_string}}"
    assert website["potentialAction"]["query-input"] == "required name=search_term_string"
    (organization,) = head.structured("Organization")
    assert organization["name"] == settings.SHOP_NAME
    assert organization["logo"] == f"{SHOP}/static/img/logo.svg"
    assert head.canonical == f"{SHOP}/"
    assert head.title == f"{settings.SHOP_TAGLINE} · {settings.SHOP_NAME}"


def test_the_home_title_is_the_shop_name_without_a_tagline(client, settings):
    settings.SHOP_TAGLINE = ""
    assert page_head(client.get("/")).title == settings.SHOP_NAME


def test_the_share_picture_can_be_the_shops_own(client, settings):
    settings.SHOP_SHARE_IMAGE = "/media/brand/share.jpg"
    settings.SHOP_URL = SHOP
    assert page_head(client.get("/")).one("og:image") == f"{SHOP}/media/brand/share.jpg"
    settings.SHOP_SHARE_IMAGE = "https://cdn.example.net/share.jpg"
    head = page_head(client.get(reverse("service:index")))
    assert head.one("og:image") == "https://cdn.example.net/share.jpg"


def sitemap_locations(client, **extra) -> list[str]:
    """Every address in every sitemap the index names."""
    index = client.get("/sitemap.xml", **extra).content.decode()
    locations = []
    for sitemap in re.findall(r"<loc>([^<]+)</loc>", index):
        path = sitemap.split("://", 1)[1].split("/", 1)[1]
        body = client.get("/" + path.replace("&amp;", "&"), **extra).content.decode()
        locations += re.findall(r"<loc>([^<]+)</loc>", body)
    return re.findall(r"<loc>([^<]+)</loc>", index) + locations


def test_sitemap_and_robots_name_shop_url_not_the_requests_host(client, settings, product):
    settings.SHOP_URL = SHOP
    settings.ALLOWED_HOSTS = ["testserver", "www.shop.example.com"]
    locations = sitemap_locations(client, HTTP_HOST="www.shop.example.com")
    assert f"{SHOP}/sitemap-products.xml" in locations
    assert f"{SHOP}/products/trail-bottle/" in locations
    assert all(loc.startswith(SHOP + "/") for loc in locations)
    robots = client.get("/robots.txt", HTTP_HOST="www.shop.example.com").content.decode()
    assert f"Sitemap: {SHOP}/sitemap.xml" in robots
    assert "Disallow: /orders/" in robots


def test_the_sitemap_lists_every_indexable_page_and_nothing_else(client, product):
    CategoryFactory(name="Empty", slug="empty")  # nothing on sale in it: no page to send to
    SeriesFactory(name="Coming", slug="coming")
    parent = CategoryFactory(name="Outdoor", slug="outdoor")
    ProductFactory(category=CategoryFactory(slug="tents", parent=parent), series=product.series)
    hidden = ProductFactory(slug="hidden", is_active=False)
    locations = set(sitemap_locations(client))
    pages = {loc for loc in locations if "/sitemap" not in loc}
    for url in indexable_urls(product):
        assert "http://testserver" + url in pages, url
    assert "http://testserver/category/outdoor/" in pages  # lists its subcategory's products
    assert "http://testserver/category/empty/" not in pages
    assert "http://testserver/series/coming/" not in pages
    assert f"http://testserver{hidden.get_absolute_url()}" not in pages
    for loc in pages:  # every one answers 200 and may be indexed
        response = client.get(loc.removeprefix("http://testserver"))
        assert response.status_code == 200, loc
        assert not page_head(response).noindex, loc


def test_the_sitemap_follows_products_put_on_and_taken_off_sale(client, product):
    url = f"<loc>http://testserver{product.get_absolute_url()}</loc>"
    assert url in client.get("/sitemap-products.xml").content.decode()
    assert client.get("/sitemap-products.xml")["X-Page-Cache"] == "hit"

    set_products_active(product_ids=[product.pk], active=False)
    assert url not in client.get("/sitemap-products.xml").content.decode()
    set_products_active(product_ids=[product.pk], active=True)
    assert url in client.get("/sitemap-products.xml").content.decode()

    new = ProductFactory(slug="new-bottle")
    assert "/products/new-bottle/" in client.get("/sitemap-products.xml").content.decode()
    new.delete()
    assert "/products/new-bottle/" not in client.get("/sitemap-products.xml").content.decode()


def test_the_sitemap_date_of_a_product_back_on_sale_is_when_it_came_back(client, product):
    before = Product.objects.get(pk=product.pk).updated_at
    set_products_active(product_ids=[product.pk], active=False)
    set_products_active(product_ids=[product.pk], active=True)
    assert Product.objects.get(pk=product.pk).updated_at > before


def test_the_sitemap_costs_the_same_few_queries_for_any_catalog(
    client, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(ProductSitemap, "limit", 5)
    series = SeriesFactory()
    for i in range(4):
        category = CategoryFactory(slug=f"c{i}")
        ProductFactory.create_batch(4, category=category, series=series)
    client.get("/")  # the navigation, cached as a running shop has it
    with django_assert_max_num_queries(6):
        index = client.get("/sitemap.xml").content.decode()
    assert index.count("<sitemap>") == 3 + 4  # static, series, categories; 16 products by 5
    for section in ("static", "series", "categories", "products"):
        with django_assert_max_num_queries(2):
            response = client.get(f"/sitemap-{section}.xml")
        assert response.status_code == 200
        assert response["X-Robots-Tag"] == "noindex"
    assert client.get("/sitemap-products.xml?p=9").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_each_guestbook_page_is_its_own_for_search_engines(client):
    from guestbook.models import Entry

    Entry.objects.bulk_create(
        Entry(name=f"A{i}", message="Nice", status=Entry.Status.PUBLISHED) for i in range(25)
    )
    first = page_head(client.get(reverse("guestbook:index")))
    second = page_head(client.get(reverse("guestbook:index"), {"page": "2"}))
    assert first.canonical == "http://testserver/guestbook/"
    assert second.canonical == "http://testserver/guestbook/?page=2"
    assert second.title.startswith("Guestbook – page 2")
    assert page_head(client.get("/guestbook/?page=1")).canonical == first.canonical

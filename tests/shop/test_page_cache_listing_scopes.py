"""Category and series listings are cached per category and series: a change to a product
shows at once on every listing that could show it (its category and every category above
it, its series; the ones it left when it moved) and on home and search results, and leaves
the cached listings of other categories and series alone (on a sale day one product selling
out used to rebuild every listing of the shop)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog import selectors
from catalog.models import Product, ProductImage, Variant
from core import pagecache
from orders import services as order_services
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, VariantFactory
from tests.orders.helpers import form_defaults, make_cart, place

pytestmark = pytest.mark.django_db

# every filter, sort and page of a listing follows the same scopes
QUERIES = ["", "?sort=price", "?in_stock=on&min_price=1&max_price=500", "?page=2&sort=name"]


def get(url: str):
    response = Client().get(url)
    assert response.status_code == 200
    return response


def status(url: str) -> str:
    return get(url)["X-Page-Cache"]


def text(url: str) -> str:
    return get(url).content.decode()


def cache_pages(*urls):
    for url in urls:
        get(url)
        assert status(url) == "hit", url


def listing(category) -> str:
    return reverse("catalog:category", args=[category.slug])


def series_page(series) -> str:
    return reverse("catalog:series", args=[series.slug])


class Shop:
    """Outdoor (a root) with Packs below it, and Kitchen (another root); the Alpine series
    sells outdoor things, the Urban series the kettle."""

    def __init__(self):
        self.outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
        self.packs = CategoryFactory(name="Packs", slug="packs", parent=self.outdoor)
        self.kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
        self.alpine = SeriesFactory(name="Alpine", slug="alpine")
        self.urban = SeriesFactory(name="Urban", slug="urban")
        self.tent = ProductFactory(
            name="Ridge Tent", category=self.outdoor, series=self.alpine, price="120.00", stock=9
        )
        self.daypack = ProductFactory(
            name="Summit Daypack", category=self.packs, series=self.alpine, price="45.00", stock=9
        )
        self.kettle = ProductFactory(
            name="Camp Kettle", category=self.kitchen, series=self.urban, price="12.00", stock=1
        )

    @property
    def outdoor_pages(self) -> list[str]:
        return [listing(self.outdoor) + q for q in QUERIES] + [series_page(self.alpine)]

    @property
    def kettle_pages(self) -> list[str]:
        return [listing(self.kitchen) + q for q in QUERIES] + [series_page(self.urban)]

    @property
    def kettle_shown(self) -> list[str]:
        """The pages that show the kettle's card, sold out or not, and home and search."""
        return [listing(self.kitchen), series_page(self.urban), HOME, SEARCH]


@pytest.fixture
def shop():
    from search.services import index_products

    made = Shop()
    index_products(product_ids=[made.tent.pk, made.daypack.pk, made.kettle.pk])
    return made


HOME, SEARCH = "/", "/search/?q=kettle"


def test_listings_are_scoped_and_stamped_with_their_categories_and_series(shop):
    entry, _version = pagecache.lookup(pagecache.page_key(get(HOME).wsgi_request))
    assert entry is not None
    assert entry[0] == pagecache.content_version()  # home: the content version, as before
    stamps = {}
    for url in (listing(shop.outdoor), listing(shop.packs), series_page(shop.alpine)):
        request = Client().get(url).wsgi_request
        entry, _version = pagecache.lookup(pagecache.page_key(request))
        stamps[url] = {key.removeprefix(pagecache.SCOPE_PREFIX) for key, _v in entry[0]}
    # the listing of a category lists from it and the categories below it
    assert stamps[listing(shop.outdoor)] == {
        "site",
        f"in-category:{shop.outdoor.pk}",
        f"in-category:{shop.packs.pk}",
    }
    assert stamps[listing(shop.packs)] == {"site", f"in-category:{shop.packs.pk}"}
    assert stamps[series_page(shop.alpine)] == {"site", f"in-series:{shop.alpine.pk}"}


@pytest.mark.parametrize("change", ["price", "name", "stock in admin"])
def test_a_change_elsewhere_keeps_the_listings_and_shows_where_the_product_is(
    shop, change, admin_client
):
    cache_pages(*shop.outdoor_pages, *shop.kettle_pages, HOME, SEARCH)
    if change == "price":
        shop.kettle.price = Decimal("9.50")
        shop.kettle.save()
        expected = "€9.50"
    elif change == "name":
        shop.kettle.name = "Camp Kettle XL"
        shop.kettle.save()
        expected = "Camp Kettle XL"
    else:
        variant = shop.kettle.variants.get()
        url = reverse("admin:catalog_variant_change", args=[variant.pk])
        response = admin_client.post(url, {**form_defaults(admin_client.get(url)), "stock": "0"})
        assert response.status_code == 302
        assert Variant.objects.get(pk=variant.pk).stock == 0
        expected = "Sold out"
    for url in shop.outdoor_pages:
        assert status(url) == "hit", url  # the kettle is on none of them
    for url in [*shop.kettle_pages, HOME, SEARCH]:
        assert status(url) == "miss", url
    for url in shop.kettle_shown:
        assert expected in text(url), url


def test_a_sell_out_and_a_cancellation_through_real_orders_rebuild_only_its_listings(
    shop, django_capture_on_commit_callbacks
):
    from cart.models import ShippingMethod

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"), min_days=2)
    cache_pages(*shop.outdoor_pages, *shop.kettle_pages, HOME, SEARCH)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(make_cart((shop.kettle.variants.get(), 1)), shipping)
    assert Product.objects.get(pk=shop.kettle.pk).stock_total == 0
    for url in shop.outdoor_pages:
        assert status(url) == "hit", url
    for url in [*shop.kettle_pages, HOME, SEARCH]:
        assert status(url) == "miss", url
    for url in shop.kettle_shown:
        assert "Sold out" in text(url), url
    assert "Camp Kettle" not in text(listing(shop.kitchen) + "?in_stock=on")

    cache_pages(*shop.kettle_pages, HOME, SEARCH)
    with django_capture_on_commit_callbacks(execute=True):
        order_services.cancel_order(order=order)  # the unit comes back
    for url in shop.outdoor_pages:
        assert status(url) == "hit", url
    for url in [*shop.kettle_pages, HOME, SEARCH]:
        assert status(url) == "miss", url
    for url in shop.kettle_shown:
        assert "Sold out" not in text(url), url
    assert "Camp Kettle" in text(listing(shop.kitchen) + "?in_stock=on")


def test_an_order_that_leaves_plenty_keeps_every_listing(shop, django_capture_on_commit_callbacks):
    from cart.models import ShippingMethod

    shipping = ShippingMethod.objects.create(name="Standard", fee=Decimal("4.90"), min_days=2)
    Variant.objects.filter(product=shop.tent).update(stock=500)
    selectors.bump_catalog_version()
    cache_pages(*shop.outdoor_pages, HOME)
    with django_capture_on_commit_callbacks(execute=True):
        place(make_cart((shop.tent.variants.get(), 1)), shipping)
    for url in [*shop.outdoor_pages, HOME]:
        assert status(url) == "hit", url


@pytest.mark.parametrize("where", ["category", "subcategory"])
def test_a_change_in_the_category_or_below_it_shows_at_once(shop, where):
    product = shop.tent if where == "category" else shop.daypack
    cache_pages(*shop.outdoor_pages, listing(shop.packs), *shop.kettle_pages)
    product.price = Decimal("77.70")
    product.save()
    for url in shop.outdoor_pages:
        page = get(url)
        assert page["X-Page-Cache"] == "miss", url
        assert "€77.70" in page.content.decode(), url
    # Packs lists the daypack only; Kitchen and Urban neither
    assert status(listing(shop.packs)) == ("hit" if where == "category" else "miss")
    for url in shop.kettle_pages:
        assert status(url) == "hit", url


def test_a_variant_and_a_picture_of_a_product_in_the_category_show_at_once(shop):
    url = listing(shop.outdoor)
    cache_pages(url, *shop.kettle_pages)
    VariantFactory(product=shop.daypack, stock=3, price_override="50.00")  # two: choose options
    assert "Choose options" in text(url)
    cache_pages(url)
    ProductImage.objects.create(product=shop.daypack, image="products/daypack.png", alt_text="A")
    assert "products/daypack.png" in text(url)
    cache_pages(url)
    shop.daypack.variants.order_by("pk").last().delete()
    assert "Choose options" not in text(url)
    for page in shop.kettle_pages:
        assert status(page) == "hit", page


def test_a_product_moved_into_or_out_of_a_category_shows_on_both_sides(shop):
    cache_pages(*shop.outdoor_pages, *shop.kettle_pages, listing(shop.packs))
    assert "Summit Daypack" not in text(listing(shop.kitchen))
    # a copy loaded before: the category it leaves is read from the database at the save
    daypack = Product.objects.get(pk=shop.daypack.pk)
    daypack.category = shop.kitchen
    daypack.series = shop.urban
    daypack.save()
    assert "Summit Daypack" not in text(listing(shop.outdoor))
    assert "Summit Daypack" not in text(listing(shop.packs))
    assert "Summit Daypack" not in text(series_page(shop.alpine))
    assert "Summit Daypack" in text(listing(shop.kitchen))
    assert "Summit Daypack" in text(series_page(shop.urban))

    cache_pages(listing(shop.outdoor), listing(shop.packs), listing(shop.kitchen))
    kettle = Product.objects.get(pk=shop.kettle.pk)
    kettle.category = shop.packs
    kettle.save()
    assert "Camp Kettle" in text(listing(shop.outdoor))
    assert "Camp Kettle" in text(listing(shop.packs))
    assert "Camp Kettle" not in text(listing(shop.kitchen))


def test_a_product_created_hidden_or_deleted_in_the_category_shows_at_once(shop, admin_client):
    cache_pages(*shop.outdoor_pages, *shop.kettle_pages)
    ProductFactory(name="Bivvy Bag", category=shop.packs, series=shop.alpine, price="60.00")
    for url in shop.outdoor_pages[:1] + shop.outdoor_pages[-1:]:
        assert "Bivvy Bag" in text(url), url
    for url in shop.kettle_pages:
        assert status(url) == "hit", url

    cache_pages(*shop.outdoor_pages)
    admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "_selected_action": [shop.tent.pk]},
    )
    assert not Product.objects.get(pk=shop.tent.pk).is_active
    for url in shop.outdoor_pages[:1] + shop.outdoor_pages[-1:]:
        assert "Ridge Tent" not in text(url), url
    for url in shop.kettle_pages:
        assert status(url) == "hit", url

    cache_pages(*shop.outdoor_pages)
    daypack = Product.objects.get(pk=shop.daypack.pk)
    daypack.is_active = False
    daypack.save()
    assert "Summit Daypack" not in text(listing(shop.packs))
    assert "Summit Daypack" not in text(series_page(shop.alpine))

    cache_pages(*shop.outdoor_pages)
    bag = Product.objects.get(name="Bivvy Bag")
    bag.delete()
    for url in shop.outdoor_pages[:1] + shop.outdoor_pages[-1:]:
        assert "Bivvy Bag" not in text(url), url
    for url in shop.kettle_pages:
        assert status(url) == "hit", url


@pytest.mark.parametrize("change", ["category renamed", "parent renamed", "moved", "series"])
def test_a_change_to_the_tree_or_a_series_makes_every_listing_stale(shop, change):
    pages = [*shop.outdoor_pages, *shop.kettle_pages, listing(shop.packs)]
    cache_pages(*pages)
    if change == "category renamed":
        shop.packs.name = "Rucksacks"
        shop.packs.save()
        url, shown = listing(shop.packs), "Rucksacks"
    elif change == "parent renamed":
        shop.outdoor.name = "Mountain"
        shop.outdoor.save()
        url, shown = listing(shop.packs), "Mountain"  # in its trail
    elif change == "moved":
        shop.packs.parent = shop.kitchen
        shop.packs.save()
        url, shown = listing(shop.kitchen), "Summit Daypack"  # listed from Packs now
    else:
        shop.alpine.name = "Alpine Pro"
        shop.alpine.save()
        url, shown = listing(shop.kitchen), "Alpine Pro"  # the navigation shows every series
    for page in pages:  # the navigation and the category filter show the whole tree
        assert status(page) == "miss", page
    assert shown in text(url)
    if change == "moved":
        assert "Summit Daypack" not in text(listing(shop.outdoor))
    for page in pages:
        assert status(page) == "hit", page  # and cached again


def test_a_variant_moved_to_another_product_changes_both(shop, admin_client):
    cache_pages(*shop.outdoor_pages, *shop.kettle_pages)
    variant = shop.kettle.variants.get()
    VariantFactory(product=shop.kettle, stock=0, sku="KETTLE-EMPTY")
    moved = Variant.objects.get(pk=variant.pk)
    moved.product = shop.daypack
    moved.save()
    assert Product.objects.get(pk=shop.kettle.pk).stock_total == 0
    assert Product.objects.get(pk=shop.daypack.pk).stock_total == 10
    assert "Sold out" in text(listing(shop.kitchen))
    assert "Choose options" in text(listing(shop.packs))  # two variants now
    assert "Choose options" in text(series_page(shop.alpine))


def test_a_listing_built_during_a_change_is_never_stored_as_current(shop, monkeypatch):
    """The listing read the old price; the change and its bump land before it is stored. It
    must not be kept as current: the versions it would be stamped with are already new."""
    from catalog.templatetags import catalog_tags

    url = listing(shop.outdoor)
    real = catalog_tags._card

    def change_meanwhile(product, *args):  # the cards were read: one is written
        if product.pk == shop.tent.pk:
            new = Decimal("99.00")  # a save: the price, and the price range it refreshes
            Product.objects.filter(pk=shop.tent.pk).update(price=new, price_from=new, price_to=new)
            places = [(shop.tent.pk, shop.outdoor.pk, shop.alpine.pk)]
            pagecache._bump(tuple(selectors.shown_product_scopes(places)))  # another's commit
        return real(product, *args)

    monkeypatch.setattr(catalog_tags, "_card", change_meanwhile)
    assert "€120.00" in text(url)  # built from what it read
    monkeypatch.setattr(catalog_tags, "_card", real)
    again = get(url)
    assert again["X-Page-Cache"] == "miss"
    assert "€99.00" in again.content.decode()


def test_a_listing_of_more_categories_than_scopes_follows_the_content_version(shop):
    for n in range(pagecache.MAX_SCOPES):
        CategoryFactory(name=f"Sub {n}", slug=f"sub-{n}", parent=shop.kitchen)
    url = listing(shop.kitchen)
    cache_pages(url)
    shop.tent.price = Decimal("100.00")
    shop.tent.save()  # not in Kitchen, but the page is stamped with the content version
    assert status(url) == "miss"


def test_a_visitor_with_a_cart_gets_the_listing_with_their_own_count(shop):
    url = listing(shop.outdoor)
    cache_pages(url)
    shopper = Client()
    shopper.post(reverse("cart:add"), {"variant": shop.kettle.variants.get().pk, "quantity": 1})
    shopper.get(url)  # shows the "added" message: the whole stack
    page = shopper.get(url)
    assert page["X-Page-Cache"] == "hit"
    assert 'aria-label="1 item in cart">1</span>' in page.content.decode()
    other = get(url)
    assert other["X-Page-Cache"] == "hit"
    assert 'aria-label="0 items in cart">0</span>' in other.content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_series_listing_query_budget_does_not_grow(shop, django_assert_max_num_queries, n):
    for i in range(n):
        ProductFactory(name=f"Alpine {i}", category=shop.outdoor, series=shop.alpine)
    get("/")  # warm the navigation cache the way a running shop has it
    with django_assert_max_num_queries(10):
        response = Client().get(series_page(shop.alpine), {"in_stock": "on"})
    assert response.status_code == 200


@pytest.mark.usefixtures("redis_cache")
def test_on_redis_a_listing_follows_its_scopes_from_any_worker(shop):
    url = listing(shop.outdoor)
    assert status(url) == "miss"
    pagecache.forget_worker_copies()  # another worker: from Redis, scopes checked there
    assert status(url) == "hit"
    shop.kettle.price = Decimal("8.00")
    shop.kettle.save()
    pagecache.forget_worker_copies()
    assert status(url) == "hit"
    assert "€8.00" in text(listing(shop.kitchen))
    shop.daypack.price = Decimal("41.00")
    shop.daypack.save()
    pagecache.forget_worker_copies()
    page = get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "€41.00" in page.content.decode()

"""Product pages are cached per product: a change shows at once on every page that shows it,
and leaves the cached pages of unrelated products alone (on a sale day products sell out one
after another; each used to throw away every cached product page)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog import selectors
from catalog.models import Product, Variant
from core import pagecache
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def status(url: str) -> str:
    return Client().get(url)["X-Page-Cache"]


@pytest.fixture
def lantern():
    return ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)


@pytest.fixture
def kettle():
    """A product of another category: never on the lantern's page."""
    return ProductFactory(name="Camp Kettle", price=Decimal("12.00"), stock=9)


def cache_pages(*urls):
    for url in urls:
        Client().get(url)
        assert status(url) == "hit"


@pytest.mark.parametrize("change", ["price", "stock", "name", "picture"])
def test_a_change_to_one_product_keeps_the_cached_pages_of_others(lantern, kettle, change):
    lantern_url, kettle_url = lantern.get_absolute_url(), kettle.get_absolute_url()
    listing = reverse("catalog:products")
    cache_pages(lantern_url, kettle_url, listing)
    if change == "price":
        kettle.price = Decimal("9.50")
        kettle.save()
        expected = "€9.50"
    elif change == "stock":
        variant = kettle.variants.get()
        variant.stock = 0
        variant.save()
        expected = "Sold out"
    elif change == "name":
        kettle.name = "Camp Kettle XL"
        kettle.save()
        expected = "Camp Kettle XL"
    else:
        kettle.images.create(image="products/kettle.jpg", alt_text="Kettle on a stove")
        expected = "Kettle on a stove"
    assert status(lantern_url) == "hit"  # kettle is nowhere on the lantern's page
    kettle_page = Client().get(kettle_url)
    assert kettle_page["X-Page-Cache"] == "miss"
    assert expected in kettle_page.content.decode()
    if change != "picture":  # (listing cards show the picture, not its text)
        assert expected in Client().get(listing).content.decode()


def test_a_change_to_a_product_shown_as_a_card_shows_on_the_page_that_shows_it(lantern):
    neighbour = ProductFactory(name="Trail Lamp", category=lantern.category, price="20.00")
    url = lantern.get_absolute_url()
    assert "Trail Lamp" in Client().get(url).content.decode()  # a card of the same category
    assert status(url) == "hit"
    neighbour.price = Decimal("17.25")
    neighbour.save()
    page = Client().get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "€17.25" in page.content.decode()


def test_a_product_sold_out_by_an_order_rebuilds_the_pages_that_show_its_card(lantern):
    neighbour = ProductFactory(name="Trail Lamp", category=lantern.category, stock=1)
    url = lantern.get_absolute_url()
    cache_pages(url)
    Variant.objects.filter(product=neighbour).update(stock=0)  # as placing an order does
    selectors.bump_catalog_version(scopes=selectors.product_scopes(neighbour.pk))
    assert status(url) == "miss"


def test_a_new_product_in_the_category_shows_on_its_product_pages(lantern):
    url = lantern.get_absolute_url()
    cache_pages(url)
    ProductFactory(name="Brand New Stove", category=lantern.category, is_featured=True)
    page = Client().get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "Brand New Stove" in page.content.decode()


def test_a_new_product_elsewhere_keeps_the_page(lantern, kettle):
    url = lantern.get_absolute_url()
    cache_pages(url)
    ProductFactory(name="Brand New Stove", category=kettle.category, series=kettle.series)
    assert status(url) == "hit"


def test_a_hidden_product_leaves_the_pages_that_showed_its_card(lantern, admin_client):
    neighbour = ProductFactory(name="Trail Lamp", category=lantern.category)
    url = lantern.get_absolute_url()
    cache_pages(url)
    admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "_selected_action": [neighbour.pk]},
    )
    assert not Product.objects.get(pk=neighbour.pk).is_active
    page = Client().get(url)
    assert "Trail Lamp" not in page.content.decode()
    assert Client().get(neighbour.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("renamed", ["category", "series"])
def test_a_change_every_page_shows_makes_every_product_page_stale(lantern, kettle, renamed):
    lantern_url, kettle_url = lantern.get_absolute_url(), kettle.get_absolute_url()
    cache_pages(lantern_url, kettle_url)
    thing = lantern.category if renamed == "category" else lantern.series
    thing.name = "Renamed Shelf"
    thing.save()
    assert status(kettle_url) == "miss"  # the navigation shows every category and series
    assert "Renamed Shelf" in Client().get(lantern_url).content.decode()


def test_a_change_during_the_build_is_never_stored_under_the_new_versions(lantern, monkeypatch):
    """The page read the old price; the change and its bump land before the page is stored. It
    must not be kept as current: the versions it would be stamped with are already the new
    ones."""
    url = lantern.get_absolute_url()
    real = selectors.list_related_products

    def change_meanwhile(*, product, **kwargs):  # after the product was read
        new = Decimal("21.00")  # a save: the price, and the price range it refreshes
        Product.objects.filter(pk=lantern.pk).update(price=new, price_from=new, price_to=new)
        pagecache._bump(tuple(selectors.product_scopes(lantern.pk)))  # another worker's commit
        return real(product=product, **kwargs)

    monkeypatch.setattr(selectors, "list_related_products", change_meanwhile)
    first = Client().get(url)
    assert "€30.00" in first.content.decode()  # built from what it read
    monkeypatch.setattr(selectors, "list_related_products", real)
    again = Client().get(url)
    assert again["X-Page-Cache"] == "miss"
    assert "€21.00" in again.content.decode()


def test_a_lost_scope_version_makes_its_pages_stale_never_current(lantern):
    from django.core.cache import cache

    url = lantern.get_absolute_url()
    cache_pages(url)
    pagecache.LOCAL.clear()
    cache.delete(pagecache.scope_key(f"product:{lantern.pk}"))  # evicted by Redis
    assert status(url) == "miss"
    assert status(url) == "hit"


def test_a_change_of_many_products_makes_every_page_stale(lantern, kettle):
    url = kettle.get_absolute_url()
    cache_pages(url)
    many = [f"product:{n}" for n in range(100_000, 100_000 + pagecache.MAX_SCOPES + 1)]
    selectors.bump_catalog_version(scopes=many)  # one bump, not a round trip per product
    assert status(url) == "miss"


def test_reindexing_search_keeps_product_pages_but_not_search_results(
    lantern, django_capture_on_commit_callbacks
):
    from search.services import index_products

    url, search = lantern.get_absolute_url(), reverse("search:results") + "?q=lantern"
    cache_pages(url, search)
    with django_capture_on_commit_callbacks(execute=True):
        index_products(product_ids=[lantern.pk])
    assert status(url) == "hit"
    assert status(search) == "miss"


@pytest.mark.usefixtures("redis_cache")
def test_on_redis_scopes_are_started_once_and_followed(lantern, kettle):
    from django.core.cache import cache

    from core.cache import start_generations

    cache.set("gen:kept", 7, None)
    start_generations(["gen:kept", "gen:new"], 60)  # one pipeline of SET NX
    assert cache.get("gen:kept") == 7  # an existing generation is never reset
    assert cache.get("gen:new") > 7
    cache.incr("gen:new")  # and it is a counter, as advance_generation needs

    url = lantern.get_absolute_url()
    assert status(url) == "miss"
    pagecache.forget_worker_copies()  # another worker: from Redis, scopes checked there
    assert status(url) == "hit"
    kettle.price = Decimal("8.00")
    kettle.save()
    pagecache.forget_worker_copies()
    assert status(url) == "hit"
    lantern.price = Decimal("28.00")
    lantern.save()
    pagecache.forget_worker_copies()
    page = Client().get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "€28.00" in page.content.decode()

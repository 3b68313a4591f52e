"""Orders and the anonymous page cache: a page changes exactly when what it shows changes.

Pages show the exact stock only while it is low (SHOP_LOW_STOCK_THRESHOLD, 5 by default);
an order that leaves plenty keeps every cached page, one that makes stock low or sold out (or a
cancellation that restores it) makes the pages stale at once.
"""

import pytest
from django.test import Client

from orders import services
from orders.models import Order
from tests.factories import ProductFactory

from .helpers import make_cart, place

pytestmark = pytest.mark.django_db


def cached_page(product):
    url = product.get_absolute_url()
    Client().get(url)
    return url


def order_after_caching(stock, bought, shipping, capture):
    """A product page cached, then an order of ``bought`` units; the page's URL."""
    product = ProductFactory(name="Camp Stool", stock=stock)
    url = cached_page(product)
    with capture(execute=True):
        place(make_cart((product.variants.get(), bought)), shipping)
    return url


def test_an_order_that_leaves_plenty_keeps_the_cached_page(
    standard_shipping, django_capture_on_commit_callbacks
):
    url = order_after_caching(50, 3, standard_shipping, django_capture_on_commit_callbacks)
    page = Client().get(url)
    assert page["X-Page-Cache"] == "hit"
    body = page.content.decode()
    assert "In stock" in body
    assert 'max="999"' in body  # plenty: the count is not on the page at all


@pytest.mark.parametrize(
    ("stock", "bought", "expected"), [(8, 3, "Only 5 left"), (2, 2, "Sold out")]
)
def test_an_order_that_makes_stock_low_or_sold_out_shows_at_once(
    standard_shipping, django_capture_on_commit_callbacks, stock, bought, expected
):
    url = order_after_caching(stock, bought, standard_shipping, django_capture_on_commit_callbacks)
    page = Client().get(url)
    assert page["X-Page-Cache"] == "miss"
    assert expected in page.content.decode()


def test_an_order_within_low_stock_shows_the_new_count(
    standard_shipping, django_capture_on_commit_callbacks
):
    url = order_after_caching(4, 1, standard_shipping, django_capture_on_commit_callbacks)
    body = Client().get(url).content.decode()
    assert "Only 3 left" in body
    assert 'max="3"' in body


def test_a_cancellation_that_restores_sold_out_stock_shows_at_once(
    standard_shipping, django_capture_on_commit_callbacks
):
    product = ProductFactory(name="Camp Stool", stock=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(make_cart((product.variants.get(), 1)), standard_shipping)
    url = cached_page(product)
    assert "Sold out" in Client().get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(order=order, to=Order.Status.CANCELLED)
    assert "Only 1 left" in Client().get(url).content.decode()


# --- search's in-stock flag follows orders; orders that leave plenty don't touch search -------


def test_an_order_that_sells_out_and_its_cancellation_update_the_search_flag(
    standard_shipping, django_capture_on_commit_callbacks
):
    from search.models import ProductDocument

    with django_capture_on_commit_callbacks(execute=True):  # indexed after commit
        product = ProductFactory(name="Camp Stool", stock=2)
    document = ProductDocument.objects.filter(product=product)
    assert document.get().in_stock is True
    with django_capture_on_commit_callbacks(execute=True):
        order = place(make_cart((product.variants.get(), 2)), standard_shipping)
    assert document.get().in_stock is False
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(order=order, to=Order.Status.CANCELLED)
    assert document.get().in_stock is True


def test_an_order_that_leaves_plenty_sends_no_stock_signal(
    standard_shipping, django_capture_on_commit_callbacks
):
    from catalog.signals import stock_changed

    received = []

    def listener(sender, product_ids, **kwargs):
        received.append(list(product_ids))

    product = ProductFactory(name="Camp Stool", stock=50)
    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            place(make_cart((product.variants.get(), 3)), standard_shipping)
        assert received == []  # nothing a page or the search index shows has changed
        with django_capture_on_commit_callbacks(execute=True):
            place(make_cart((product.variants.get(), 44)), standard_shipping)  # 47 -> 3: low
        assert received == [[product.pk]]
    finally:
        stock_changed.disconnect(listener)

"""Anonymous page caching: fast, invalidated on change, never leaking one visitor's data."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Product, Variant
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def product():
    return ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)


def test_second_anonymous_visit_is_served_from_the_cache(product, django_assert_num_queries):
    url = product.get_absolute_url()
    assert Client().get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = Client().get(url)
    assert response["X-Page-Cache"] == "hit"
    assert "Storm Lantern" in response.content.decode()


def test_each_visitor_gets_their_own_csrf_token_and_it_works(product):
    url = product.get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_token = TOKEN.search(first.get(url).content.decode()).group(1)
    hit = second.get(url)
    assert hit["X-Page-Cache"] == "hit"
    second_token = TOKEN.search(hit.content.decode()).group(1)
    assert "@@CSRF@@" not in hit.content.decode()
    assert first_token != second_token
    # the token in the cached page works for its visitor
    response = second.post(
        reverse("cart:add"),
        {"variant": product.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": second_token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("change", ["price", "stock", "name"])
def test_a_catalog_change_shows_at_once(product, change):
    url = product.get_absolute_url()
    Client().get(url)
    Client().get(reverse("catalog:products"))
    if change == "price":
        product.price = Decimal("25.00")
        product.save()
        expected = "€25.00"
    elif change == "stock":
        variant = product.variants.get()
        variant.stock = 0
        variant.save()
        expected = "Sold out"
    else:
        product.name = "Storm Lamp"
        product.save()
        expected = "Storm Lamp"
    assert expected in Client().get(url).content.decode()
    assert expected in Client().get(reverse("catalog:products")).content.decode()


def test_an_order_taking_stock_shows_at_once(product, django_capture_on_commit_callbacks):
    url = product.get_absolute_url()
    Client().get(url)
    with django_capture_on_commit_callbacks(execute=True):
        Variant.objects.filter(product=product).update(stock=0)
        from catalog.selectors import bump_catalog_version

        bump_catalog_version()  # what place_order does after commit
    assert "Sold out" in Client().get(url).content.decode()


def test_a_visitor_with_a_cart_or_a_member_never_gets_or_fills_the_cache(product):
    url = reverse("catalog:products")
    shopper = Client()
    shopper.post(reverse("cart:add"), {"variant": product.variants.get().pk, "quantity": 2})
    page = shopper.get(url)
    assert "X-Page-Cache" not in page
    assert 'aria-label="2 items in cart"' in page.content.decode()
    member = Client()
    member.force_login(UserFactory(email="ann@example.com"))
    page = member.get(url)
    assert "X-Page-Cache" not in page
    assert "Sign out" in page.content.decode()
    anonymous = Client().get(url).content.decode()
    assert 'aria-label="0 items in cart"' in anonymous
    assert "Sign out" not in anonymous


def test_cached_search_pages_still_count_every_search(product, django_assert_max_num_queries):
    from search.models import SearchCount

    first = Client().get(reverse("search:results"), {"q": "lantern"})
    assert first["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(2):  # only the count
        second = Client().get(reverse("search:results"), {"q": "lantern"})
    assert second["X-Page-Cache"] == "hit"
    Client().get(reverse("search:results"), {"q": "lantern", "page": "2"})  # not a new search
    assert SearchCount.objects.get().count == 2


def test_inactive_product_disappears_at_once(product):
    url = product.get_absolute_url()
    Client().get(url)
    Product.objects.filter(pk=product.pk).update(is_active=False)
    from catalog.selectors import bump_catalog_version

    bump_catalog_version()
    assert Client().get(url).status_code == 404

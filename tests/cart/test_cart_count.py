"""The header's cart count of an anonymous shopper: cached per cart generation, so a cached page
costs no query, and every change to the cart shows in the next page at once."""

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from cart import selectors, services
from cart.models import Cart, CartLine
from core.cache import cache_set, current_generation
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTING = "catalog:products"


def badge(response) -> int:
    found = re.search(r'aria-label="(\d+) items? in cart">', response.content.decode())
    return int(found.group(1))


def add(client, variant, quantity=1):
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": quantity}, follow=True)


@pytest.fixture
def shopper():
    """A shopper with 2 units in the cart who has seen the listing (cached with their count)."""
    client = Client()
    client.variant = ProductFactory(name="Camp Mug", stock=50).variants.get()
    client.other = ProductFactory(name="Tin Cup", stock=50).variants.get()
    add(client, client.variant, 2)
    assert badge(client.get(reverse(LISTING))) == 2
    return client


def test_a_cached_page_with_the_shoppers_count_costs_no_query(shopper, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = shopper.get(reverse(LISTING))
    assert page["X-Page-Cache"] == "hit"
    assert badge(page) == 2


def test_every_change_to_the_cart_shows_in_the_next_page(shopper):
    url = reverse(LISTING)
    add(shopper, shopper.variant, 1)
    assert badge(shopper.get(url)) == 3
    add(shopper, shopper.other, 4)
    assert badge(shopper.get(url)) == 7
    line = CartLine.objects.get(variant=shopper.other)
    shopper.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 1})
    assert badge(shopper.get(url)) == 4
    shopper.post(reverse("cart:remove_line", args=[line.pk]))
    assert badge(shopper.get(url)) == 3
    line = CartLine.objects.get()
    shopper.post(reverse("cart:update_line", args=[line.pk]), {"quantity": 0})
    assert badge(shopper.get(url)) == 0
    add(shopper, shopper.variant, 2)
    assert badge(shopper.get(url)) == 2
    shopper.post(reverse("cart:clear"))
    assert badge(shopper.get(url)) == 0


def test_a_placed_order_empties_the_count(shopper):
    cart = Cart.objects.get()
    services.mark_cart_submitted(cart=cart)  # what placing the order does
    assert badge(shopper.get(reverse(LISTING))) == 0


def test_signing_in_moves_the_cart_and_the_old_count_is_not_kept(shopper):
    cart_id = Cart.objects.get().pk
    member = UserFactory(email="ann@example.com")
    shopper.force_login(member)
    assert badge(shopper.get(reverse(LISTING))) == 2  # the member's cart now
    assert not Cart.objects.filter(pk=cart_id).exists()
    session = {services.SESSION_KEY: cart_id}  # a stale pointer to the merged cart
    assert selectors.get_cart_count(user=None, session=session) == 0


def test_a_change_made_in_the_admin_shows_at_once(shopper, admin_client):
    cart = Cart.objects.get()
    line = cart.lines.get()
    data = {
        "user": "",
        "session_key": cart.session_key or "",
        "status": cart.status,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(line.pk),
        "lines-0-cart": str(cart.pk),
        "lines-0-variant": str(line.variant_id),
        "lines-0-quantity": "5",
    }
    response = admin_client.post(reverse("admin:cart_cart_change", args=[cart.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert cart.lines.get().quantity == 5
    assert badge(shopper.get(reverse(LISTING))) == 5


def test_a_count_read_before_a_change_commits_is_never_served(
    shopper, django_capture_on_commit_callbacks
):
    """A reader that read the generation and then the old lines while another request was
    changing the cart stores the old count; the change's second bump, at commit, makes it
    stale."""
    cart = Cart.objects.get()
    generation_key, count_key = services.cart_count_keys(cart.pk)
    session = {services.SESSION_KEY: cart.pk}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.cart_changed(cart.pk)  # the change's first bump, before its writes
        CartLine.objects.filter(cart=cart).update(quantity=9)
        # a concurrent reader: generation read after the first bump, lines before the commit
        cache_set(count_key, (current_generation(generation_key, 60), 2), 60)
    assert selectors.get_cart_count(user=None, session=session) == 9


def test_without_the_cache_the_count_is_still_right(shopper, redis_down):
    cart = Cart.objects.get()
    session = {services.SESSION_KEY: cart.pk}
    assert selectors.get_cart_count(user=None, session=session) == 2
    CartLine.objects.filter(cart=cart).update(quantity=6)
    assert selectors.get_cart_count(user=None, session=session) == 6


def test_each_cart_has_its_own_count(shopper):
    other = Client()
    add(other, shopper.other, 5)
    assert badge(other.get(reverse(LISTING))) == 5
    assert badge(shopper.get(reverse(LISTING))) == 2
    assert badge(Client().get(reverse(LISTING))) == 0


def test_deleting_a_product_in_a_cart_shows_in_the_count(shopper):
    add(shopper, shopper.other, 3)
    assert badge(shopper.get(reverse(LISTING))) == 5
    shopper.other.product.delete()  # its variants and their cart lines go with it
    assert badge(shopper.get(reverse(LISTING))) == 2


@pytest.mark.django_db(transaction=True)  # as in production: each request commits for real
@pytest.mark.parametrize("change", ["remove_line", "clear_cart"])
def test_removing_lines_bumps_the_count_again_at_commit(shopper, change):
    """A reader between the first bump and the delete stores the old count under the new
    generation; the bump at commit makes it stale."""
    cart = Cart.objects.get()
    generation_key, count_key = services.cart_count_keys(cart.pk)
    real_delete = CartLine.objects.filter(cart=cart).delete

    def reader_in_between(*args, **kwargs):
        cache_set(count_key, (current_generation(generation_key, 60), 2), 60)  # old count
        return real_delete(*args, **kwargs)

    line = cart.lines.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "django.db.models.query.QuerySet.delete",
            lambda qs, *a, **k: reader_in_between() if qs.model is CartLine else None,
        )
        if change == "remove_line":
            services.remove_line(cart=cart, line_id=line.pk)
        else:
            services.clear_cart(cart=cart)
    session = {services.SESSION_KEY: cart.pk}
    assert selectors.get_cart_count(user=None, session=session) == 0

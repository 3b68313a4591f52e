"""The cart admin: a page of carts costs the same queries however many it shows."""

import pytest
from django.urls import reverse

from cart.models import Cart
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [3, 30])
def test_the_cart_list_costs_the_same_queries_for_3_or_30_members_carts(
    client, django_assert_max_num_queries, n
):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    for i in range(n):
        Cart.objects.create(user=UserFactory(email=f"member{i}@example.com"))
    with django_assert_max_num_queries(6):
        body = staff_client_get(client, reverse("admin:cart_cart_changelist"))
    assert body.count("@example.com</td>") == n


def staff_client_get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def shop_staff_client(client):
    from django.contrib.auth.models import Group

    from shop.staff import GROUP_NAME, ensure_staff_group

    ensure_staff_group()
    packer = UserFactory(email="packer@shop.example", is_staff=True)
    packer.groups.add(Group.objects.get(name=GROUP_NAME))
    client.force_login(packer)
    return client


def test_shop_staff_see_the_lines_of_a_cart(client):
    """Staff of the "Shop staff" group may view carts but not their lines: a cart's page
    showed them nothing but its owner and status."""
    from cart.models import CartLine
    from tests.factories import ProductFactory

    client = shop_staff_client(client)
    variant = ProductFactory(name="Camp Mug").variants.get()
    cart = Cart.objects.create(user=UserFactory())
    CartLine.objects.create(cart=cart, variant=variant, quantity=2)

    body = staff_client_get(client, reverse("admin:cart_cart_change", args=[cart.pk]))
    assert '<h2 id="lines-heading" class="inline-heading"> Cart lines </h2>' in " ".join(
        body.split()
    )
    assert f'<a href="/admin/catalog/variant/{variant.pk}/change/">Camp Mug</a>' in body


def test_a_guest_carts_page_does_not_show_the_visitors_session_key(client):
    """A guest cart's session key is the visitor's session cookie: staff reading it could be
    that visitor in the shop. The page's title keeps its first characters."""
    client = shop_staff_client(client)
    cart = Cart.objects.create(session_key="k3y0fav1s1t0rs5ess10n0000000000x")

    body = staff_client_get(client, reverse("admin:cart_cart_change", args=[cart.pk]))
    assert f"Cart {cart.pk} (k3y0fav1)" in body
    assert "k3y0fav1s1t0rs5ess10n0000000000x" not in body


def test_the_cart_search_cannot_spell_out_a_visitors_session_key(client):
    """The page hides a guest cart's session key, but the list's search matched any part of
    it: "k3y0fav1s0" no cart, "k3y0fav1s1" one, and so on, letter by letter, spelled out the
    whole key (the visitor's session cookie) from the 8 characters the page's title shows. The
    search finds a cart by its whole key only."""
    key = "k3y0fav1s1t0rs5ess10n0000000000x"
    cart = Cart.objects.create(session_key=key)
    client = shop_staff_client(client)
    changelist = reverse("admin:cart_cart_changelist")
    link = reverse("admin:cart_cart_change", args=[cart.pk])

    for part in ("k3y0fav1s1", "k3y0fav1s0", "5ess10n", key[:-1]):
        assert link not in staff_client_get(client, f"{changelist}?q={part}"), part
    assert link in staff_client_get(client, f"{changelist}?q={key}")
    assert link in staff_client_get(client, f"{changelist}?q={key.upper()}")  # as typed


def test_the_cart_search_finds_a_session_key_by_the_index(client):
    """Django's "=session_key" compared UPPER(session_key) with the term: no index serves
    that, so every search read every cart. The key is compared as stored (lower case)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = "k3y0fav1s1t0rs5ess10n0000000000x"
    Cart.objects.create(session_key=key)
    client = shop_staff_client(client)
    with CaptureQueriesContext(connection) as queries:
        staff_client_get(client, f"{reverse('admin:cart_cart_changelist')}?q={key.upper()}")
    searches = [q["sql"] for q in queries if key in q["sql"] or key.upper() in q["sql"]]
    assert searches
    for sql in searches:
        assert "UPPER" not in sql
        assert f'"cart_cart"."session_key" = \'{key}\'' in sql

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

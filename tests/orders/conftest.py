from decimal import Decimal

import pytest

from cart.models import ShippingMethod
from tests.factories import UserFactory


@pytest.fixture
def standard_shipping(db):
    return ShippingMethod.objects.create(
        name="Standard",
        fee=Decimal("4.90"),
        free_over=Decimal("50.00"),
        min_days=2,
        max_days=4,
        position=1,
    )


@pytest.fixture
def staff():
    """A superuser at the shop: the admin's order pages and actions."""
    return UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client

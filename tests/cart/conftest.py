from decimal import Decimal

import pytest

from cart.models import ShippingMethod


@pytest.fixture
def standard_shipping(db):
    return ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), position=1
    )

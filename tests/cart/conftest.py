from decimal import Decimal

import pytest

from cart.models import ShippingMethod


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Cheap hashing: users are made (and signed in) in many tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def standard_shipping(db):
    return ShippingMethod.objects.create(
        name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), position=1
    )

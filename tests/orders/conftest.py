from decimal import Decimal

import pytest
from django.core.cache import cache

from cart.models import ShippingMethod
from shop.celery import app as celery_app


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Cheap hashing: users are made (and signed in) in many tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run outbox tasks in-process even when REDIS_URL is set (the Postgres run).

    Without REDIS_URL the settings already make Celery eager; with it, ``.delay`` would put
    the message on a Redis queue that no worker reads, and ``mail.outbox`` would stay empty.
    """
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters must not leak from one test into the next (Redis outlives tests)."""
    cache.clear()
    yield
    cache.clear()


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

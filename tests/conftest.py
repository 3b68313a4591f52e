import io
import os

import pytest
from django.core.cache import cache, caches
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from PIL import Image

from catalog.selectors import bump_catalog_version
from core import pagecache
from core.cache import forget_unavailable
from core.outbox import forget_broker_failure
from shop.celery import app as celery_app

# Tasks run inside the test (even when REDIS_URL points at a real broker); tests that need the
# broker's behaviour switch this off themselves.
celery_app.conf.task_always_eager = True

# Property-based tests (Hypothesis). "ci" (.ci/run sets HYPOTHESIS_PROFILE=ci): the same examples
# on every run, so a red CI run is reproducible, and no example database on disk. "dev" (the
# default): random examples, and a failure found once is tried first next time (.hypothesis/).
# Each test sets its own max_examples, kept small: the suite must stay fast. Tests use the
# database fixtures of pytest-django, which Hypothesis reuses across examples: each test keeps
# its examples apart itself (see tests/orders/test_shop_machine.py).
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _isolated_shop(settings, tmp_path):
    """Plain static storage, media in a temp folder, and a fresh catalog cache per test."""
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SECURE_SSL_REDIRECT = False
    # Real hashing is deliberately slow; tests check behaviour, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # nor a Redis or broker failure of an earlier test (each pauses their use for a few s)
    forget_unavailable()
    forget_broker_failure()
    cache.clear()  # rate-limit counters and cached pages never carry over (prefix-scoped)
    pagecache.forget_worker_copies()  # nor the worker's copies of hot pages and versions
    bump_catalog_version()


DEAD_REDIS = "redis://127.0.0.1:6390/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):
    """The default cache pointed at a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    yield
    caches["default"].close()


@pytest.fixture
def redis_cache(settings):
    """The default cache on the real Redis of REDIS_URL, under a key prefix of its own and
    emptied before and after (skips without REDIS_URL; .ci/run sets it)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis (set REDIS_URL; .ci/run does)")
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "redistest",
        }
    }
    real = caches["default"]
    real.clear()
    yield real
    real.clear()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL; .ci/run does)")


@pytest.fixture
def query_plan(postgres_only):
    """``query_plan(sql)``: PostgreSQL's plan for a captured query as on a big table, where
    reading a whole table is out of the question (the tests' tables are tiny, where it beats
    any index). Rows are found through index conditions only (a bitmap scan: an index the plan
    still does not use cannot serve the query's conditions); ``sorted_by_index=True``: rows
    come in an index's order instead, never sorted whole (a list's pages of a big table)."""

    def plan(sql: str, *, sorted_by_index: bool = False) -> str:
        off = ["enable_seqscan"]
        off += ["enable_sort"] if sorted_by_index else ["enable_indexscan", "enable_indexonlyscan"]
        with connection.cursor() as cursor:
            for setting in off:
                cursor.execute(f"SET {setting} = off")
            try:
                cursor.execute(f"EXPLAIN {sql}")
                return "\n".join(row[0] for row in cursor.fetchall())
            finally:
                for setting in off:
                    cursor.execute(f"RESET {setting}")

    return plan


def list_query(queries, table: str) -> str:
    """The query that read an admin list's page of rows, among ``captured_queries``."""
    pages = [q["sql"] for q in queries if q["sql"].startswith(f'SELECT "{table}"."id", ')]
    assert pages, f"no page of {table} was read"
    return pages[0]


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color="green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()

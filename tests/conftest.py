import io

import pytest
from django.core.cache import cache
from django.db import connection
from PIL import Image

from catalog.selectors import bump_catalog_version
from shop.celery import app as celery_app

# Tasks run inside the test (even when REDIS_URL points at a real broker); tests that need the
# broker's behaviour switch this off themselves.
celery_app.conf.task_always_eager = True


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
    cache.clear()  # rate-limit counters and cached pages never carry over (prefix-scoped)
    bump_catalog_version()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL; .ci/run does)")


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color="green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()

"""Uploads in an S3-compatible bucket (MEDIA_S3_BUCKET, core/storage.py), against moto's S3 in
the test process: staff upload a picture in the admin, the original and its thumbnails land in
the bucket under the prefix, and pages link them at MEDIA_URL without asking S3."""

import os
import subprocess
import sys

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws

from catalog.models import Product, ProductImage
from tests.conftest import image_bytes
from tests.factories import ProductFactory
from tests.shop.test_admin import new_product_form_with_picture
from tests.shop.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db

BUCKET = "shop-media"


@pytest.fixture
def bucket(settings, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "core.storage.MediaS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "eu-central-1",
                    "location": "media",
                    "file_overwrite": False,
                    "querystring_auth": False,
                    "object_parameters": {"CacheControl": "public, max-age=604800"},
                },
            },
        }
        yield s3


def keys(s3) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_an_admin_upload_lands_in_the_bucket_and_shows_on_the_pages(bucket, staff_client, client):
    data = new_product_form_with_picture()
    response = staff_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302
    image = ProductImage.objects.get(product__slug="camp-mug")
    names = [image.image.name, image.thumb_listing.name, image.thumb_detail.name]
    thumbs = [image.thumb_small.name, image.thumb_zoom.name]
    assert keys(bucket) == {f"media/{name}" for name in [*names, *thumbs]}
    stored = bucket.get_object(Bucket=BUCKET, Key=f"media/{image.thumb_listing.name}")
    assert stored["ContentType"] == "image/webp"
    assert stored["CacheControl"] == "public, max-age=604800"

    product_page = client.get(Product.objects.get(slug="camp-mug").get_absolute_url())
    assert f'src="/media/{image.thumb_detail.name}"' in product_page.content.decode()
    assert f'src="/media/{image.thumb_listing.name}"' in client.get("/products/").content.decode()


def test_a_second_file_of_the_same_name_gets_its_own(bucket):
    product = ProductFactory()
    first, second = (ProductImage(product=product) for _ in range(2))
    for image in (first, second):
        image.image.save("mug.png", SimpleUploadedFile("mug.png", image_bytes()), save=True)
    assert first.image.name != second.image.name
    assert len(keys(bucket)) == 2


def test_links_are_made_without_asking_s3(bucket, settings, monkeypatch):
    from botocore.client import BaseClient
    from django.core.files.storage import default_storage

    settings.MEDIA_URL = "https://cdn.example.com/m/"
    calls = []
    monkeypatch.setattr(BaseClient, "_make_api_call", lambda *args: calls.append(args))
    url = default_storage.url("products/1/a mug.webp")
    assert url == "https://cdn.example.com/m/products/1/a%20mug.webp"
    assert not calls


def run_settings(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.STORAGES['default']['BACKEND'], "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
        capture_output=True,
        text=True,
    )


def test_the_bucket_is_chosen_from_the_environment_and_a_cdn_may_show_pictures():
    done = run_settings(
        {**PRODUCTION_ENV, "MEDIA_S3_BUCKET": BUCKET, "MEDIA_URL": "https://cdn.example.com/m/"}
    )
    assert done.returncode == 0, done.stderr
    assert "core.storage.MediaS3Storage" in done.stdout
    assert "'https://cdn.example.com'" in done.stdout
    on_disk = run_settings(PRODUCTION_ENV)
    assert "FileSystemStorage" in on_disk.stdout


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/m/",
        "/media",
        "https://cdn.example.com",
        # protocol-relative: not a path of the shop, and the CSP (img-src) would not allow it
        "//cdn.example.com/m/",
        "/media/?v=2/",
    ],
)
def test_a_media_url_a_production_page_could_not_use_stops_the_start(url):
    done = run_settings({**PRODUCTION_ENV, "MEDIA_URL": url})
    assert done.returncode != 0
    assert "MEDIA_URL must be a path or an https address ending in /" in done.stderr


def test_the_nightly_clean_up_deletes_pictures_nobody_names_from_the_bucket(bucket):
    """A listing of the whole prefix a thousand names at a time (with their times), not one
    request per product folder and one per file."""
    import datetime

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from catalog.images import make_thumbnails
    from catalog.services import PICTURE_FOLDERS, delete_orphan_pictures

    kept = ProductImage(product=ProductFactory())
    kept.image.save("kept.png", ContentFile(image_bytes(), name="kept.png"), save=True)
    make_thumbnails(kept)
    gone = ProductImage(product=ProductFactory())
    gone.image.save("gone.png", ContentFile(image_bytes(), name="gone.png"), save=True)
    make_thumbnails(gone)
    gone_keys = {f"media/{f.name}" for f in (gone.image, gone.thumb_small, gone.thumb_zoom)}
    gone.delete()
    bucket.put_object(Bucket=BUCKET, Key="media/brand/logo.png", Body=b"logo")

    assert delete_orphan_pictures() == 0  # all written just now
    later = timezone.now() + datetime.timedelta(days=2)
    calls = []
    events = default_storage.connection.meta.client.meta.events
    events.register("before-call.s3", lambda model, **kwargs: calls.append(model.name))
    assert delete_orphan_pictures(now=later) == 5

    assert calls.count("ListObjects") <= len(PICTURE_FOLDERS)  # one per folder (1,000 a page)
    assert "HeadObject" not in calls  # the listing gives each file's time

    left = keys(bucket)
    assert not gone_keys & left
    assert f"media/{kept.image.name}" in left
    assert f"media/{kept.thumb_detail.name}" in left
    assert "media/brand/logo.png" in left

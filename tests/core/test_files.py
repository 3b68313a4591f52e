"""The storages with cheaper addresses answer what Django's own do."""

import pytest
from django.core.files.storage import FileSystemStorage

from core.files import MediaFileSystemStorage, RememberingStaticFilesStorage, join_media_url

NAMES = [
    "products/12/mug.jpg",
    "products/12/thumbs/mug_480.webp",
    "/products/12/leading-slash.jpg",
    "products/12/a name with spaces & ümlauts.jpg",
    "products/12/what?is#this;one.jpg",
    "products/12/colon:file.jpg",
    "products/./12/dot.jpg",
    "products/../etc/dotdot.jpg",
    "products/12/.hidden.jpg",
    "products/12/%41lready-quoted.jpg",
    "",
]
BASES = ["/media/", "https://cdn.example.com/media/", "//cdn.example.com/m/"]


@pytest.mark.parametrize("base_url", BASES)
@pytest.mark.parametrize("name", NAMES)
def test_media_addresses_are_those_of_djangos_file_storage(tmp_path, base_url, name):
    django = FileSystemStorage(location=tmp_path, base_url=base_url)
    ours = MediaFileSystemStorage(location=tmp_path, base_url=base_url)
    assert ours.url(name) == django.url(name)
    assert join_media_url(base_url, name) == django.url(name)


def test_a_base_without_its_slash_is_joined_as_django_joins_it():
    assert join_media_url("/media", "a.jpg") == "/a.jpg"  # urljoin's answer, kept


def manifest_storage(tmp_path, cls):
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "shop.0123456789ab.css").write_text("body{}")
    (root / "staticfiles.json").write_text(
        '{"paths": {"css/shop.css": "css/shop.0123456789ab.css"}, "version": "1.1"}'
    )
    return cls(location=root, base_url="/static/")


def test_static_addresses_are_the_manifests_and_remembered(tmp_path):
    storage = manifest_storage(tmp_path, RememberingStaticFilesStorage)
    assert storage.url("css/shop.css") == "/static/css/shop.0123456789ab.css"
    storage.hashed_files = {}  # read once: a second call does not look again
    assert storage.url("css/shop.css") == "/static/css/shop.0123456789ab.css"


def test_a_static_name_missing_from_the_manifest_still_fails_and_is_not_remembered(tmp_path):
    storage = manifest_storage(tmp_path, RememberingStaticFilesStorage)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
    assert "css/missing.css" not in storage._remembered

"""Storages whose url() costs less, for pages that write many addresses.

A product page writes ~20 picture addresses and four static ones, a listing 24 card pictures:
Django's FileSystemStorage.url() joins each with urllib's urljoin (two URL parses, ~8 µs), and
the manifest static storage looks each name up, splits and joins it again (~15 µs per
``{% static %}``), on every page, for the same answers.
"""

from urllib.parse import urljoin

from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri
from whitenoise.storage import CompressedManifestStaticFilesStorage


def join_media_url(base_url: str, name: str) -> str:
    """``urljoin(base_url, filepath_to_uri(name).lstrip("/"))``, what FileSystemStorage.url()
    answers, without urljoin where it cannot change anything: a base ending in "/" and a
    quoted name (no scheme, query or fragment: ":", "?" and "#" are quoted) with no "." or
    ".." segment to resolve."""
    url = filepath_to_uri(name).lstrip("/")
    if base_url.endswith("/") and "/." not in f"/{url}":
        return base_url + url
    return urljoin(base_url, url)


class MediaFileSystemStorage(FileSystemStorage):
    """FileSystemStorage with the same addresses, made without urljoin (join_media_url)."""

    def url(self, name):
        if self.base_url is None:
            raise ValueError("This file is not accessible via a URL.")
        return join_media_url(self.base_url, name)


class RememberingStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The manifest storage (whitenoise's), with each name's address remembered per process:
    the manifest is read once when the process starts, so the answer never changes while it
    runs (a new collectstatic takes a restart, as it always did)."""

    MAX_REMEMBERED = 1024  # static names are the shop's own files: a few dozen

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._remembered: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._remembered.get(name)
        if url is None:
            url = super().url(name)  # a name not in the manifest raises, and is not kept
            if len(self._remembered) >= self.MAX_REMEMBERED:
                self._remembered.clear()
            self._remembered[name] = url
        return url

"""Uploads in an S3-compatible bucket (django-storages), for shops on more than one server.

Set ``MEDIA_S3_BUCKET`` (shop/settings.py reads the rest) and product pictures and their
thumbnails are written to the bucket instead of MEDIA_ROOT, so every app server and worker sees
the same files. Pages link them at MEDIA_URL exactly as files on disk: ``/media/<name>`` by
default, which the load balancer's nginx proxies to the bucket with the same headers it gives
files on disk (nosniff, a sandboxing CSP; deploy/README.md), or a CDN's address. A link is
therefore made without asking S3 anything (no signature, no request): a cached page keeps
working links, and a page of 24 cards costs no more than with files on disk.
"""

from django.conf import settings
from storages.backends.s3 import S3Storage

from core.files import join_media_url


class MediaS3Storage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        return join_media_url(settings.MEDIA_URL, name)

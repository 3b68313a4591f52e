"""Every key the shop writes to Redis expires, so none can pile up per visitor, page or query:
Redis is capped (256 MB) and evicts only keys that expire (volatile-lru, deploy/provision.sh),
so a key without an expiry that multiplies would crowd out the cache and then refuse writes."""

import pytest
from django.urls import reverse

from search.services import record_search
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

#: The one key kept until it is replaced: the content version of cached pages (one key).
WITHOUT_EXPIRY = {"catalog:version"}


def test_every_key_a_visit_writes_expires(redis_cache, client, settings):
    settings.SHOP_INQUIRY_RATE = 100
    product = ProductFactory(name="Trail Lantern")
    variant = product.variants.get()
    pages = ["/", reverse("catalog:products"), product.get_absolute_url()]
    for url in pages + ["/search/?q=lantern", "/search/?q=lantren", "/search/suggest/?q=lan"]:
        assert client.get(url).status_code == 200, url
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})  # a session, a cart
    for url in pages:
        client.get(url)  # cached pages with the cart's count
    client.post(reverse("orders:inquiry"), {"number": "MP-AAAA-BBBB", "email": "a@example.com"})
    client.post(
        reverse("service:contact"),
        {"name": "Ada", "email": "ada@example.com", "topic": "other", "message": "Hello there"},
    )
    client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "x" * 12})
    client.force_login(UserFactory())
    client.get("/")
    record_search(query="tent", results=3)  # the search counts' buffer

    redis = redis_cache._cache.get_client(None)
    prefix = redis_cache.make_key("")
    keys = [k.decode() for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
    assert len(keys) > 10  # the visit above did write to Redis
    for key in keys:
        name = key.removeprefix(prefix)
        if name in WITHOUT_EXPIRY:
            continue
        assert redis.ttl(key) > 0, f"{name} never expires"

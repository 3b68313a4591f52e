"""Browse listings while products sell out: how many listing pages are rebuilt (in-process).

    DEBUG=0 SECRET_KEY=<50+ characters> ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=0 \
    DATABASE_URL=postgres://.../scratch_bench REDIS_URL=redis://127.0.0.1:6379/<yours> \
    .venv/bin/python bench/sellouts.py

On a seeded scratch database only (its name must end in ``_bench``): it sets stock and places
orders. A pool of ROUNDS single-variant products gets 1 unit each; then ROUNDS times: BROWSE
anonymous requests (Django's test client, through the whole middleware stack) to random
listing URLs (every category and series, each plain, sorted by price and page 2) and, one in
ten, home; then one real order (orders.services.place_order) that sells one pool product out.
Prints hits and rebuilds per kind of page and the wall time spent rebuilding.
"""

import os
import random
import secrets
import sys
import time
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
sys.path.insert(0, os.getcwd())
django.setup()
from django.conf import settings  # noqa: E402

# static files as in development (no collected manifest here): the same bytes per page
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from cart.models import Cart, CartLine, ShippingMethod  # noqa: E402
from catalog.models import Category, Product, Series, Variant  # noqa: E402
from catalog.selectors import bump_catalog_version  # noqa: E402
from catalog.services import refresh_stock_totals  # noqa: E402
from core import pagecache  # noqa: E402
from orders import services  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", 100))
BROWSE = int(os.environ.get("BROWSE", 40))
POOL = ROUNDS

name = settings.DATABASES["default"]["NAME"]
if not name.endswith("_bench"):
    sys.exit(f"{name}: not a scratch database (its name must end in _bench)")
print("code:", pagecache.__file__)
rng = random.Random(12)
listings = [f"/category/{slug}/" for slug in Category.objects.values_list("slug", flat=True)]
listings += [f"/series/{slug}/" for slug in Series.objects.values_list("slug", flat=True)]
urls = [u + q for u in listings for q in ("", "?sort=price", "?page=2")]
print(f"{len(listings)} listings, {len(urls)} listing URLs, {Product.objects.count()} products")

single = list(
    Product.objects.active()
    .filter(pk__in=Variant.objects.values("product_id"))
    .values_list("pk", flat=True)
)
pool = []
for pk in rng.sample(single, len(single)):
    variants = list(Variant.objects.filter(product_id=pk))
    if len(variants) == 1:
        pool.append(variants[0])
    if len(pool) == POOL:
        break
Variant.objects.filter(pk__in=[v.pk for v in pool]).update(stock=1)
refresh_stock_totals(product_ids=[v.product_id for v in pool])
cache.clear()
pagecache.forget_worker_copies()
bump_catalog_version()
shipping = ShippingMethod.objects.filter(is_active=True).first()

counts = Counter()
miss_time = Counter()


def browse(url: str, kind: str, *, count: bool = True) -> None:
    start = time.perf_counter()
    response = Client().get(url)
    took = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    state = response.get("X-Page-Cache", "none")
    if count:
        counts[kind, state] += 1
        miss_time[kind, state == "hit"] += took


for url in urls:  # warm: every listing cached once
    browse(url, "listing", count=False)
browse("/", "home", count=False)

for round_ in range(ROUNDS):
    for _ in range(BROWSE):
        if rng.random() < 0.1:
            browse("/", "home")
        else:
            browse(rng.choice(urls), "listing")
    variant = pool[round_]
    cart = Cart.objects.create(session_key=secrets.token_hex(16))
    CartLine.objects.create(cart=cart, variant=variant, quantity=1)
    services.place_order(
        cart=cart,
        contact=services.Contact(email="sale@example.com", phone="+49 30 1234567"),
        address=services.ShippingAddress(
            full_name="Sale Day",
            line1="Lindenstr. 1",
            postcode="10115",
            city="Berlin",
            country="Germany",
        ),
        shipping_method_id=shipping.pk,
        payment_code="cod",
        idempotency_key=secrets.token_urlsafe(24),
    )

for kind in ("listing", "home"):
    hits, misses = counts[kind, "hit"], counts[kind, "miss"] + counts[kind, "none"]
    total = hits + misses
    built, served = miss_time[kind, False], miss_time[kind, True]
    print(
        f"{kind}: {total} requests, {misses} rebuilt ({100 * misses / max(total, 1):.1f}%), "
        f"{hits} hits; {built + served:.2f} s wall in all, rebuilding {built:.2f} s "
        f"({1000 * built / max(misses, 1):.1f} ms each), "
        f"hits {1000 * served / max(hits, 1):.2f} ms each"
    )

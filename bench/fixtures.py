"""Django side of the benchmark: data for the load generator, the stock check, the clean-up and
the instrumented pass (SQL queries per page, HTML size).

Imported by bench/run.py after ``django.setup()`` with the same environment (and SECRET_KEY) as
the gunicorn under test, so the sessions made here are valid there.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string

from cart.models import Cart, CartLine, ShippingMethod
from catalog.models import Category, Product, Variant
from core.models import OutboxMessage
from orders.models import Order, OrderLine

SEARCH_QUERIES = [
    "bluetooth speaker",
    "rain jacket",
    "tea",
    "daypack",
    "cast iron",
    "headphones",
    "lamp",
    "merino",
    None,  # a real SKU, filled in by prepare()
    "blutooth",  # a typo: no hits for the word, "did you mean" runs
]
SUGGEST_QUERIES = [
    "bl",
    "blu",
    "blue",
    "bluet",
    "ra",
    "rain",
    "rain j",
    "te",
    "tea",
    "dayp",
    "cast",
    "cast ir",
    "head",
    "headph",
    "la",
    "lamp",
    "mer",
    "merino",
    "spe",
    "ket",
]
PLENTY = 1_000_000  # stock of the bench's own variants while it runs
MIXED_VISITORS_PER_THREAD = 100
SCARCE_STOCK = 2  # units of each "scarce" variant the checkout scenario races for
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Prepared:
    shipping_id: int
    checkout_variants: list[int]
    scarce_variants: list[int]
    original_stock: dict[int, int]
    session_keys: list[str] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)
    qc_sessions: dict[str, str] = field(default_factory=dict)
    sku: str = ""


def _max_id(model) -> int:
    return model.objects.aggregate(m=Max("id"))["m"] or 0


def _new_sessions(n: int, data_for) -> list[str]:
    """``n`` sessions straight in the session table (signed with this SECRET_KEY)."""
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    keys, rows = [], []
    for i in range(n):
        key = get_random_string(32, SESSION_KEY_CHARS)
        keys.append(key)
        rows.append(
            Session(
                session_key=key, session_data=store.encode(data_for(i, key)), expire_date=expire
            )
        )
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def _carts_with_items(n: int, variants: list[int], items: int, rng: random.Random) -> list[str]:
    """``n`` anonymous visitors, each with an open cart of ``items`` different variants."""
    keys = [get_random_string(32, SESSION_KEY_CHARS) for _ in range(n)]
    carts = Cart.objects.bulk_create([Cart(session_key=k) for k in keys])
    CartLine.objects.bulk_create(
        [
            CartLine(cart=cart, variant_id=v, quantity=1)
            for cart in carts
            for v in rng.sample(variants, items)
        ]
    )
    by_key = {cart.session_key: cart.pk for cart in carts}
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    Session.objects.bulk_create(
        [
            Session(
                session_key=k,
                session_data=store.encode({"bench": 1, "cart_id": by_key[k]}),
                expire_date=expire,
            )
            for k in keys
        ]
    )
    return keys


def _write(datadir: Path, name: str, lines) -> None:
    (datadir / name).write_text("".join(f"{line}\n" for line in lines))


def prepare(datadir: Path, *, threads: int, seed: int = 2026) -> Prepared:
    """Write the load generator's data files and make sessions, carts and stock for it."""
    rng = random.Random(seed)
    datadir.mkdir(parents=True, exist_ok=True)
    marks = {
        "order": _max_id(Order),
        "orderline": _max_id(OrderLine),
        "cart": _max_id(Cart),
        "outbox": _max_id(OutboxMessage),
    }

    # Product pages: 2,000 random products from the whole catalog (no single hot page).
    ids = list(Product.objects.filter(is_active=True).values_list("id", flat=True))
    chosen = rng.sample(ids, min(2000, len(ids)))
    slugs = dict(Product.objects.filter(id__in=chosen).values_list("id", "slug"))
    _write(datadir, "paths_product.txt", [f"/products/{slugs[i]}/" for i in chosen])
    _write(datadir, "paths_home.txt", ["/"])

    # Category listings: 24 products a page, in stock only, cheapest first; page 1 and 2.
    category_paths = []
    for slug in Category.objects.order_by("id").values_list("slug", flat=True):
        category_paths.append(f"/category/{slug}/?in_stock=on&sort=price")
        category_paths.append(f"/category/{slug}/?in_stock=on&sort=price&page=2")
    _write(datadir, "paths_category.txt", category_paths)

    # Search: the fixed list, with one real SKU; autocomplete prefixes as typed.
    sku_ids = rng.sample(ids, 1)
    sku = (
        Variant.objects.filter(product_id__in=sku_ids)
        .order_by("id")
        .values_list("sku", flat=True)[0]
    )
    queries = [q if q is not None else sku for q in SEARCH_QUERIES]
    _write(datadir, "paths_search.txt", [f"/search/?{urlencode({'q': q})}" for q in queries])
    _write(
        datadir,
        "paths_suggest.txt",
        [f"/search/suggest/?{urlencode({'q': q})}" for q in SUGGEST_QUERIES],
    )

    shipping = ShippingMethod.objects.filter(is_active=True).order_by("position", "id").first()
    if shipping is None:
        raise RuntimeError("No active shipping method: run seed_demo first.")

    # The bench's own variants: 300 random variants of active products, stock bumped for the run;
    # 5 "scarce" ones with SCARCE_STOCK units each that checkouts race for (they sell out during
    # the run).
    variant_ids = list(Variant.objects.filter(product__is_active=True).values_list("id", flat=True))
    picked = rng.sample(variant_ids, 305)
    plenty, scarce = picked[:300], picked[300:]
    original = dict(Variant.objects.filter(id__in=picked).values_list("id", "stock"))
    with transaction.atomic():
        Variant.objects.filter(id__in=plenty).update(stock=PLENTY)
        Variant.objects.filter(id__in=scarce).update(stock=SCARCE_STOCK)
    _write(datadir, "checkout_variants.txt", plenty)
    _write(datadir, "scarce_variants.txt", scarce)

    keys: list[str] = []
    cart_keys = _carts_with_items(200, plenty, 3, rng)
    _write(datadir, "cart_sessions.txt", cart_keys)
    keys += cart_keys

    add_keys = _new_sessions(300, lambda i, k: {"bench": 1})
    _write(
        datadir,
        "add_pool.txt",
        [f"{k} {','.join(str(v) for v in rng.sample(plenty, 3))}" for k in add_keys],
    )
    keys += add_keys

    for name, n in (("checkout", 6000), ("mixed", 3000)):
        checkout_keys = _new_sessions(n, lambda i, k: {"bench": 1})
        _write(datadir, f"{name}_checkout_sessions.txt", checkout_keys)
        keys += checkout_keys
    # a succession of visitors per thread (bench/wrk/shop.lua: 30 requests each)
    visitors = _carts_with_items(max(threads, 1) * MIXED_VISITORS_PER_THREAD, plenty, 2, rng)
    _write(datadir, "mixed_visitors.txt", visitors)
    keys += visitors

    # Sessions for the instrumented pass: carts of 1, 3 and 10 items, an empty one.
    qc = {}
    for items in (1, 3, 10):
        qc[f"cart{items}"] = _carts_with_items(1, plenty, items, rng)[0]
    qc["empty"] = _new_sessions(1, lambda i, k: {"bench": 1})[0]
    qc["checkout"] = _new_sessions(1, lambda i, k: {"bench": 1})[0]
    keys += list(qc.values())

    return Prepared(
        shipping_id=shipping.pk,
        checkout_variants=plenty,
        scarce_variants=scarce,
        original_stock=original,
        session_keys=keys,
        marks=marks,
        qc_sessions=qc,
        sku=sku,
    )


# ---------------------------------------------------------------------------------------------
# stock check


def reset_scarce(prepared: Prepared) -> None:
    """Give the scarce variants their few units again (right before a measured checkout run)."""
    Variant.objects.filter(id__in=prepared.scarce_variants).update(stock=SCARCE_STOCK)


def stock_snapshot(prepared: Prepared) -> dict:
    ids = prepared.checkout_variants + prepared.scarce_variants
    return {
        "stock": dict(Variant.objects.filter(id__in=ids).values_list("id", "stock")),
        "order": _max_id(Order),
    }


def stock_check(prepared: Prepared, before: dict) -> dict:
    """Oversold units (sold more than there was) and lost updates (stock not down by sales)."""
    ids = list(before["stock"])
    after = dict(Variant.objects.filter(id__in=ids).values_list("id", "stock"))
    sold = dict(
        OrderLine.objects.filter(order_id__gt=before["order"], variant_id__in=ids)
        .values("variant_id")
        .annotate(n=Sum("quantity"))
        .values_list("variant_id", "n")
    )
    oversold = sum(max(0, sold.get(v, 0) - before["stock"][v]) for v in ids)
    mismatched = sum(abs(before["stock"][v] - sold.get(v, 0) - after[v]) for v in ids)
    negative = sum(1 for v in ids if after[v] < 0)
    orders = Order.objects.filter(id__gt=before["order"])
    lines_per_order = orders.annotate(n=Count("lines")).aggregate(m=Max("n"))["m"] or 0
    scarce_sold = sum(sold.get(v, 0) for v in prepared.scarce_variants)
    scarce_left = sum(after[v] for v in prepared.scarce_variants if v in after)
    return {
        "orders": orders.count(),
        "units_sold": sum(sold.values()),
        "oversold_units": oversold,
        "stock_mismatch_units": mismatched,
        "negative_stock_variants": negative,
        "max_lines_per_order": lines_per_order,
        "scarce_sold": scarce_sold,
        "scarce_left": scarce_left,
    }


def cleanup(prepared: Prepared) -> dict:
    """Remove what the run added (orders, carts, mail, sessions) and restore the stock."""
    marks = prepared.marks
    with transaction.atomic():
        orders = Order.objects.filter(id__gt=marks["order"])
        n_orders = orders.count()
        orders.delete()
        OutboxMessage.objects.filter(id__gt=marks["outbox"]).delete()
        CartLine.objects.filter(cart_id__gt=marks["cart"]).delete()
        Cart.objects.filter(id__gt=marks["cart"]).delete()
        for i in range(0, len(prepared.session_keys), 5000):
            Session.objects.filter(session_key__in=prepared.session_keys[i : i + 5000]).delete()
        for variant_id, stock in prepared.original_stock.items():
            Variant.objects.filter(id=variant_id).update(stock=stock)
    return {"orders_removed": n_orders}


# ---------------------------------------------------------------------------------------------
# the instrumented pass: SQL queries per request and compressed HTML size, not under load


def _client(session_key: str | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_FOR="198.18.255.1")
    if session_key:
        client.cookies["sessionid"] = session_key
    return client


_nonce = iter(range(1, 10**9))


def _with_nonce(path: str, data) -> tuple[str, dict]:
    """The same page under a URL never requested before (an ignored extra parameter), so that
    a whole-page cache, if the app has one, misses."""
    params = dict(data or {})
    params["_bench"] = f"{random.randrange(10**9)}-{next(_nonce)}"
    return path, params


def _capture(client: Client, method: str, path: str, data) -> tuple:
    call = client.get if method == "GET" else client.post
    with CaptureQueriesContext(connection) as ctx:
        response = call(path, data)
    return response, ctx.captured_queries


def _measure(client: Client, method: str, path: str, data=None, *, warm: bool = True) -> dict:
    """Queries and size of one request. GETs are measured twice where a page cache may answer:
    ``queries`` on a miss (the cost of building the page), ``queries_hit`` on the repeat.
    An exception in the app is recorded for the page instead of ending the pass."""
    try:
        return _measure_once(client, method, path, data, warm=warm)
    except Exception as exc:  # noqa: BLE001 - the report shows it
        return {
            "status": f"error: {type(exc).__name__}: {str(exc)[:120]}",
            "queries": -1,
            "queries_hit": None,
            "bytes": 0,
            "gzip": 0,
            "sql": [],
        }


def _measure_once(client: Client, method: str, path: str, data, *, warm: bool) -> dict:
    anonymous = "sessionid" not in client.cookies
    if method == "GET" and warm:
        client.get(*_with_nonce(path, data))  # fills the shared caches (navigation, ...)
    if method == "GET" and anonymous:
        url, params = _with_nonce(path, data)
        response, queries = _capture(client, method, url, params)
        again, hit_queries = _capture(client, method, url, params)
        hit = len(hit_queries)
        cached = again.get("X-Page-Cache") == "hit"
    else:
        response, queries = _capture(client, method, path, data)
        hit, cached = None, False
    body = response.content
    return {
        "status": response.status_code,
        "queries": len(queries),
        "queries_hit": hit,
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "page_cache_hit": cached,
        "bytes": len(body),
        "gzip": len(gzip.compress(body, compresslevel=5)),  # deploy/nginx: gzip_comp_level 5
        "sql": [(q["time"], q["sql"]) for q in queries],
    }


def instrumented_pass(prepared: Prepared, out_dir: Path) -> dict:
    """SQL queries per request and HTML size of each page, with the Django test client."""
    rng = random.Random(7)
    pages: dict[str, dict] = {}
    anon = _client()

    pages["home"] = _measure(anon, "GET", "/")

    # Listing: a full page of 24 and a page with few products must cost the same.
    leaf = (
        Category.objects.filter(children__isnull=True)
        .annotate(n=Count("products"))
        .order_by("-n", "id")
        .first()
    )
    pages["category (24 products)"] = _measure(
        anon, "GET", f"/category/{leaf.slug}/", {"in_stock": "on", "sort": "price"}
    )
    price = Product.objects.filter(category=leaf, is_active=True).order_by("id").first().price
    few = _measure(
        anon,
        "GET",
        f"/category/{leaf.slug}/",
        {"in_stock": "on", "sort": "price", "min_price": str(price), "max_price": str(price)},
    )
    pages["category (few products)"] = few

    # Product pages with 1 variant and with the most variants.
    one = (
        Product.objects.filter(is_active=True)
        .annotate(n=Count("variants"))
        .filter(n=1)
        .order_by("id")
        .first()
    )
    most = (
        Product.objects.filter(is_active=True)
        .annotate(n=Count("variants"))
        .order_by("-n", "id")
        .first()
    )
    pages["product (1 variant)"] = _measure(anon, "GET", f"/products/{one.slug}/")
    pages[f"product ({most.n} variants)"] = _measure(anon, "GET", f"/products/{most.slug}/")

    queries = [q if q is not None else prepared.sku for q in SEARCH_QUERIES]
    for q in queries:
        pages[f"search “{q}”"] = _measure(anon, "GET", "/search/", {"q": q})

    # Autocomplete answers are cached per query (and catalog version): a miss, then a hit.
    typed = rng.choice(["summ", "alde", "fjor", "glac", "lind"])
    pages["autocomplete (cache miss)"] = _measure(
        anon, "GET", "/search/suggest/", {"q": typed}, warm=False
    )
    pages["autocomplete (cached)"] = _measure(
        anon, "GET", "/search/suggest/", {"q": typed}, warm=False
    )

    for items in (1, 3, 10):
        pages[f"cart ({items} items)"] = _measure(
            _client(prepared.qc_sessions[f"cart{items}"]), "GET", "/cart/"
        )

    shopper = _client(prepared.qc_sessions["checkout"])
    variant = prepared.checkout_variants[0]
    steps = [
        ("add to cart (POST)", "POST", "/cart/add/", {"variant": variant, "quantity": 1}),
        ("cart after add", "GET", "/cart/", None),
        ("checkout details (GET)", "GET", "/checkout/", None),
        (
            "checkout details (POST)",
            "POST",
            "/checkout/",
            {
                "email": "qc@bench.example",
                "phone": "+49 30 1234567",
                "full_name": "Bench Shopper",
                "line1": "Teststrasse 1",
                "postcode": "10115",
                "city": "Berlin",
                "country": "Germany",
                "shipping_method": prepared.shipping_id,
                "payment_method": "cod",
            },
        ),
        ("checkout review (GET)", "GET", "/checkout/review/", None),
    ]
    for name, method, path, data in steps:
        pages[name] = _measure(shopper, method, path, data, warm=False)
    review = shopper.get("/checkout/review/").content.decode()
    if 'name="idempotency_key" value="' in review:
        key = review.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
        placed = _measure(shopper, "POST", "/checkout/place/", {"idempotency_key": key}, warm=False)
        pages["place order (POST)"] = placed
        location = shopper.post("/checkout/place/", {"idempotency_key": key}).get("Location", "")
        if location.startswith("/orders/confirmation/"):
            pages["order confirmation (GET)"] = _measure(shopper, "GET", location, warm=False)

    (out_dir / "queries.json").write_text(json.dumps(pages, indent=2, ensure_ascii=False))
    for page in pages.values():
        page.pop("sql", None)
    return pages


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _timed_get(client: Client, path: str, query: str) -> float:
    """Milliseconds the app took for ``path?q=query`` at a URL never requested before."""
    url, params = _with_nonce(path, {"q": query})
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path} {query!r}: HTTP {response.status_code}")
    return elapsed


def cold_search_pass(prepared: Prepared, rounds: int = 5) -> dict:
    """Server-side time of searches and suggestions that no cache has seen (issue 3's target).

    Every search and suggestion goes to a URL never requested before (an ignored extra
    parameter), so neither the page cache nor the cached result ids answer it; every
    suggestion's cached answer is deleted first. The navigation and hot searches stay cached,
    as on a live shop. Timed around the Django test client: the app's own time, without
    gunicorn or the network.
    """
    from django.core.cache import cache

    from search.selectors import autocomplete_cache_key
    from search.services import normalize_query, words

    queries = [q if q is not None else prepared.sku for q in SEARCH_QUERIES]
    timings: dict[str, dict[str, list[float]]] = {"search": {}, "suggest": {}}
    for round_no in range(rounds):
        # rate limits count per client: one simulated client per round
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.18.254.{round_no + 1}")
        client.get("/")  # navigation and hot searches warm, as on a live shop
        for query in queries:
            ms = _timed_get(client, "/search/", query)
            timings["search"].setdefault(query, []).append(ms)
        for query in SUGGEST_QUERIES:
            cache.delete(autocomplete_cache_key(words(normalize_query(query)[0])))
            ms = _timed_get(client, "/search/suggest/", query)  # and no cached page
            timings["suggest"].setdefault(query, []).append(ms)
    summary = {}
    for kind, per_query in timings.items():
        every = [ms for values in per_query.values() for ms in values]
        summary[kind] = {
            "requests": len(every),
            "p50": _percentile(every, 50),
            "p95": _percentile(every, 95),
            "max": max(every),
            "per_query": {
                q: {"p50": _percentile(v, 50), "max": max(v)} for q, v in per_query.items()
            },
        }
    return summary

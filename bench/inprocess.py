"""CPU per request of the pages built per request, in-process, two checkouts A/B (issue 5).

    DATABASE_URL=postgres://shop:shop@127.0.0.1:5432/shop_copy REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/inprocess.py /path/to/checkout-A /path/to/checkout-B [scenario ...]

Each checkout runs in a process of its own (production settings: DEBUG off, its collected
static files, Django's test client over https) and the driver interleaves them: ROUNDS
(default 20) rounds of BATCH (default 10) requests of a scenario, A first in even rounds and
B first in odd ones, so both see the same phases of a shared machine. It prints the median
CPU (time.process_time) of each side's requests and the median of the rounds' B/A ratios.
The database is read and written (carts, sessions): use a copy of the bench database
(``createdb -T shop_bench``), never shop_bench itself; the page cache keys of each side
carry a release of their own (SHOP_RELEASE), so neither serves the other's pages. Run
``manage.py collectstatic`` in each checkout first (STATIC_ROOT is <checkout>/staticfiles).

Scenarios: product (a page-cache miss: a product neither side asked for before), category
(a miss: its cached page dropped first), cart (a cart of three lines), add (add to cart, a
POST to a cart of one to three lines), details (the checkout's POST), review (its page).
"""

import json
import os
import random
import statistics
import subprocess
import sys
import time

SCENARIOS = ["product", "category", "cart", "add", "details", "review"]
DETAILS = {
    "email": "shopper@bench.example",
    "phone": "+49 30 1234567",
    "full_name": "Bench Shopper",
    "line1": "Teststrasse 1",
    "line2": "",
    "postcode": "10115",
    "city": "Berlin",
    "country": "Germany",
    "payment_method": "cod",
}


def worker() -> None:
    """Answer {"scenario", "n"} lines on stdin with {"times": [ms, ...]} lines."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client, RequestFactory

    from cart.models import ShippingMethod
    from catalog.models import Category, Product, Variant
    from core import pagecache

    rng = random.Random(1)  # both sides ask for the same products, variants and categories
    slugs = list(Product.objects.filter(is_active=True).order_by("pk").values_list("slug"))
    products = iter(rng.sample(slugs, min(len(slugs), 20_000)))
    categories = [c.get_absolute_url() for c in Category.objects.order_by("pk")]
    variants = list(
        Variant.objects.filter(product__is_active=True, stock__gt=50)
        .order_by("pk")
        .values_list("pk", flat=True)[:3000]
    )
    shipping_id = ShippingMethod.objects.order_by("pk").values_list("pk", flat=True).first()
    clients: dict[str, Client] = {}  # one per role: the handler loads the middleware once

    def visitor(role: str, lines: int = 0) -> Client:
        client = clients.setdefault(role, Client())
        client.cookies.clear()
        for variant in rng.sample(variants, lines):
            response = client.post("/cart/add/", {"variant": variant, "quantity": 1}, secure=True)
            assert response.status_code == 302, response.status_code
        return client

    def timed(method, url: str, status: int, data=None) -> float:
        start = time.process_time()
        response = method(url, data, secure=True)
        spent = (time.process_time() - start) * 1000
        assert response.status_code == status, response.status_code
        return spent

    state: dict = {"adds": 0}

    def run(scenario: str, n: int) -> list[float]:
        times = []
        for _ in range(n):
            if scenario == "product":
                client, url = visitor("anonymous"), f"/products/{next(products)[0]}/"
                times.append(timed(client.get, url, 200))
            elif scenario == "category":
                client, url = visitor("anonymous"), rng.choice(categories)
                pagecache.LOCAL.clear()
                cache.delete(pagecache.page_key(RequestFactory().get(url, secure=True)))
                times.append(timed(client.get, url, 200))
            elif scenario == "cart":
                if "cart" not in state:
                    state["cart"] = visitor("cart", 3)
                client = state["cart"]
                times.append(timed(client.get, "/cart/", 200))
            elif scenario == "add":
                if state["adds"] % 3 == 0:
                    state["add"] = visitor("add")
                state["adds"] += 1
                client, data = state["add"], {"variant": rng.choice(variants), "quantity": 1}
                times.append(timed(client.post, "/cart/add/", 302, data))
            elif scenario in ("details", "review"):
                if "checkout" not in state:
                    state["checkout"] = visitor("checkout", 2)
                client, data = state["checkout"], {**DETAILS, "shipping_method": shipping_id}
                if scenario == "details":
                    times.append(timed(client.post, "/checkout/", 302, data))
                else:
                    times.append(timed(client.get, "/checkout/review/", 200))
        return times

    for scenario in SCENARIOS:  # warm up every path once
        run(scenario, 3)
    for line in sys.stdin:
        command = json.loads(line)
        print(json.dumps({"times": run(command["scenario"], command["n"])}), flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker()
        return
    sides = {"A": sys.argv[1], "B": sys.argv[2]}
    scenarios = sys.argv[3:] or SCENARIOS
    rounds, batch = int(os.environ.get("ROUNDS", "20")), int(os.environ.get("BATCH", "10"))
    procs = {}
    for side, path in sides.items():
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "inprocess-bench-" + "x" * 50,
            "ALLOWED_HOSTS": "testserver",
            "STATIC_ROOT": f"{path}/staticfiles",
            "SHOP_RELEASE": f"inprocess-{side}-{os.getpid()}",
        }
        procs[side] = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker"],
            cwd=path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(side: str, scenario: str) -> list[float]:
        proc = procs[side]
        proc.stdin.write(json.dumps({"scenario": scenario, "n": batch}) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())["times"]

    for scenario in scenarios:
        times, ratios = {"A": [], "B": []}, []
        for r in range(rounds):
            got = {side: ask(side, scenario) for side in (("A", "B") if r % 2 == 0 else "BA")}
            for side, spent in got.items():
                times[side] += spent
            ratios.append(statistics.median(got["B"]) / statistics.median(got["A"]))
        a, b = statistics.median(times["A"]), statistics.median(times["B"])
        print(
            f"{scenario:9s} A {a:6.2f} ms  B {b:6.2f} ms  B/A {b / a:.2f}  "
            f"rounds' B/A median {statistics.median(ratios):.2f}  (n={len(times['A'])} each)",
            flush=True,
        )
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()


if __name__ == "__main__":
    main()

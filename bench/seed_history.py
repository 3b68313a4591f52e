"""A few years of a shop's history on top of a seeded catalog, for measuring the staff admin.

    DATABASE_URL=postgres://.../shop_adm_big .venv/bin/python bench/seed_history.py

On a scratch database only (its name must not be the bench's own ``shop_bench``, nor a
production one: the script refuses a name without ``_big``, ``_bench`` or ``_scratch`` in it).
It adds, with bulk_create (no services, no e-mail, no stock taken): HISTORY_CUSTOMERS members
with one or two addresses and a verified e-mail record, HISTORY_ORDERS orders over the last
three years (a quarter of them guests; 1-4 lines each, a timeline of 1-6 steps, the newest
still open), an outbox message per order, contact messages, guestbook entries, carts and the
search report's counts for two years. Sizes come from the environment (defaults in brackets):
HISTORY_ORDERS (200,000), HISTORY_CUSTOMERS (50,000), HISTORY_MESSAGES (20,000),
HISTORY_ENTRIES (30,000), HISTORY_CARTS (100,000), HISTORY_SEARCH_DAYS (730). Runs once:
a database that already has orders is left alone. Then VACUUM (ANALYZE) of the tables.
"""

import os
import random
import secrets
import sys
import time
from datetime import timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Address, User  # noqa: E402
from cart.models import Cart, CartLine, ShippingMethod  # noqa: E402
from catalog.models import Variant  # noqa: E402
from core.models import OutboxMessage  # noqa: E402
from guestbook.models import Entry  # noqa: E402
from orders.models import NUMBER_ALPHABET, Order, OrderEvent, OrderLine  # noqa: E402
from search.models import SearchCount  # noqa: E402
from service.models import ContactMessage  # noqa: E402

ORDERS = int(os.environ.get("HISTORY_ORDERS", 200_000))
CUSTOMERS = int(os.environ.get("HISTORY_CUSTOMERS", 50_000))
MESSAGES = int(os.environ.get("HISTORY_MESSAGES", 20_000))
ENTRIES = int(os.environ.get("HISTORY_ENTRIES", 30_000))
CARTS = int(os.environ.get("HISTORY_CARTS", 100_000))
SEARCH_DAYS = int(os.environ.get("HISTORY_SEARCH_DAYS", 730))
BATCH = 5_000

FIRST = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kasia",
    "Liam",
    "Mia",
    "Noah",
    "Olga",
]
LAST = [
    "Meyer",
    "Novak",
    "Smith",
    "García",
    "Rossi",
    "Dubois",
    "Jansen",
    "Kowalski",
    "Berg",
    "Silva",
    "Murphy",
    "Costa",
]
CITIES = [
    ("Berlin", "10115"),
    ("Hamburg", "20095"),
    ("München", "80331"),
    ("Köln", "50667"),
    ("Leipzig", "04109"),
]
STREETS = ["Lindenweg", "Hauptstraße", "Bahnhofstraße", "Am Markt", "Dorfstraße"]
WORDS = [
    *[
        "tent",
        "lamp",
        "jacket",
        "mug",
        "stove",
        "daypack",
        "boots",
        "socks",
        "tea",
        "kettle",
        "rain",
        "merino",
        "trail",
        "map",
    ],
    *("bluetooth speaker", "cast iron", "headphones", "sleeping bag", "water bottle", "gloves"),
]
PATH = ["pending_payment", "paid", "packed", "shipped", "delivered", "completed"]


def refuse_unless_scratch() -> None:
    name = connection.settings_dict["NAME"]
    if name == "shop_bench" or not any(part in name for part in ("_big", "_bench", "_scratch")):
        sys.exit(f"Refusing to seed history into {name!r}: a scratch database only.")


def no_auto_now(*models) -> None:
    """Let bulk_create keep the dates given (a history spread over years, not 'now')."""
    for model in models:
        for field in model._meta.fields:
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                field.auto_now_add = field.auto_now = False


def number(rng: random.Random) -> str:
    raw = "".join(rng.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"MP-{raw[:4]}-{raw[4:]}"


def bulk(model, rows, **kwargs) -> list:
    made = []
    for start in range(0, len(rows), BATCH):
        made += model.objects.bulk_create(rows[start : start + BATCH], **kwargs)
    return made


def seed(rng: random.Random) -> None:
    now = timezone.now()
    start = time.monotonic()

    def say(what: str) -> None:
        print(f"{time.monotonic() - start:6.1f} s  {what}", flush=True)

    staff = User.objects.filter(is_superuser=True).first()
    methods = list(ShippingMethod.objects.all())
    variants = list(
        Variant.objects.select_related("product").only(
            "pk", "sku", "colour", "size", "price_override", "product__name", "product__price"
        )[:20_000]
    )
    if not methods or not variants:
        sys.exit("Seed the catalog first (seed_demo): no delivery methods or variants.")

    users = []
    for i in range(CUSTOMERS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        users.append(
            User(
                email=f"{first.lower()}.{last.lower()}.{i}@example.com",
                first_name=first,
                last_name=last,
                password="!unusable",
                date_joined=now - timedelta(days=rng.uniform(0, 1100)),
            )
        )
    users = bulk(User, users)
    bulk(
        EmailAddress,
        [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in users],
    )
    addresses = []
    for u in users:
        for n in range(rng.choice((1, 1, 2))):
            city, postcode = rng.choice(CITIES)
            addresses.append(
                Address(
                    user=u,
                    full_name=f"{u.first_name} {u.last_name}",
                    line1=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                    postcode=postcode,
                    city=city,
                    country="DE",
                    is_default=n == 0,
                    created_at=u.date_joined,
                )
            )
    bulk(Address, addresses)
    say(f"{len(users):,} customers, {len(addresses):,} addresses")

    numbers = set()
    orders, plans = [], []
    for i in range(ORDERS):
        # oldest first; the newest ~1% still open (to pay, to pack, to ship)
        age = timedelta(days=1100 * (1 - i / ORDERS) ** 1.3, seconds=rng.randint(0, 86_399))
        created = now - age
        recent = age < timedelta(days=5)
        steps = rng.randint(1, 3) if recent else rng.choice((5, 6, 6, 6))
        status = PATH[steps - 1]
        cancelled = not recent and rng.random() < 0.03
        user = rng.choice(users) if rng.random() < 0.75 else None
        first, last = (user.first_name, user.last_name) if user else (rng.choice(FIRST), "Guest")
        code = number(rng)
        while code in numbers:
            code = number(rng)
        numbers.add(code)
        method = rng.choice(methods)
        city, postcode = rng.choice(CITIES)
        lines = [
            (rng.choice(variants), rng.randint(1, 3)) for _ in range(rng.choice((1, 1, 2, 3, 4)))
        ]
        subtotal = sum(
            ((v.price_override or v.product.price) * q for v, q in lines), Decimal("0.00")
        )
        fee = method.fee
        shipped = status in ("shipped", "delivered", "completed")
        orders.append(
            Order(
                number=code,
                user=user,
                status="cancelled" if cancelled else status,
                email=user.email if user else f"{first.lower()}.{i}@guest.example",
                phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                full_name=f"{first} {last}",
                line1=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                postcode=postcode,
                city=city,
                country="DE",
                shipping_method=method,
                shipping_name=method.name,
                payment_method=rng.choice(("cod", "bank_transfer")),
                subtotal=subtotal,
                shipping_fee=fee,
                total=subtotal + fee,
                idempotency_key=secrets.token_hex(16),
                created_at=created,
                paid_at=created + timedelta(hours=5) if steps >= 2 else None,
                shipped_at=created + timedelta(days=1) if shipped else None,
                carrier="dhl" if shipped else "",
                tracking_number=f"JJD{rng.randint(10**11, 10**12)}" if shipped else "",
                delivered_at=created + timedelta(days=3)
                if status in ("delivered", "completed")
                else None,
            )
        )
        plans.append((lines, steps, cancelled))
    orders = bulk(Order, orders)
    say(f"{len(orders):,} orders")

    lines, events, outbox = [], [], []
    for order, (chosen, steps, cancelled) in zip(orders, plans, strict=True):
        for v, q in chosen:
            price = v.price_override or v.product.price
            lines.append(
                OrderLine(
                    order=order,
                    variant=v,
                    product_name=v.product.name,
                    variant_label=" / ".join(x for x in (v.colour, v.size) if x),
                    sku=v.sku,
                    unit_price=price,
                    quantity=q,
                    line_total=price * q,
                )
            )
        previous = ""
        for s in range(steps):
            events.append(
                OrderEvent(
                    order=order,
                    status=PATH[s],
                    previous_status=previous,
                    note="Order placed" if s == 0 else "",
                    actor=staff if s else None,
                    created_at=order.created_at + timedelta(hours=s * 7),
                )
            )
            previous = PATH[s]
        if cancelled:
            events.append(
                OrderEvent(
                    order=order,
                    status="cancelled",
                    previous_status=previous,
                    note="Cancelled",
                    actor=staff,
                    created_at=order.created_at + timedelta(days=2),
                )
            )
        outbox.append(
            OutboxMessage(
                to=[order.email],
                reply_to=[],
                subject=f"Your order {order.number}",
                body_text=f"Thank you for your order {order.number}.",
                kind="order_confirmation",
                created_at=order.created_at,
                sent_at=order.created_at + timedelta(seconds=3),
                attempts=1,
                next_attempt_at=order.created_at,
            )
        )
    bulk(OrderLine, lines)
    say(f"{len(lines):,} order lines")
    bulk(OrderEvent, events)
    say(f"{len(events):,} order events")
    failing = outbox[-40:]
    for message in failing:
        message.sent_at, message.attempts, message.last_error = None, 3, "SMTP 451 try later"
    bulk(OutboxMessage, outbox)
    say(f"{len(outbox):,} outbox messages")

    bulk(
        ContactMessage,
        [
            ContactMessage(
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"asker.{i}@example.com",
                topic=rng.choice(("order", "product", "other")),
                order_number=rng.choice(orders).number if rng.random() < 0.5 else "",
                message=f"Hello, a question about the {rng.choice(WORDS)}: when will it arrive?",
                created_at=now - timedelta(days=1100 * (1 - i / MESSAGES)),
                handled=i < MESSAGES - 30,
            )
            for i in range(MESSAGES)
        ],
    )
    bulk(
        Entry,
        [
            Entry(
                name=rng.choice(FIRST),
                email=f"writer.{i}@example.com",
                message=f"Lovely shop, the {rng.choice(WORDS)} is great. Thank you! ({i})",
                status="published" if i < ENTRIES - 20 else "pending",
                created_at=now - timedelta(days=1100 * (1 - i / ENTRIES)),
            )
            for i in range(ENTRIES)
        ],
    )
    say(f"{MESSAGES:,} contact messages, {ENTRIES:,} guestbook entries")

    carts = bulk(
        Cart,
        [
            Cart(
                session_key=secrets.token_hex(16),
                status="submitted" if i % 3 else "open",
                created_at=now - timedelta(days=rng.uniform(0, 60)),
                updated_at=now - timedelta(days=rng.uniform(0, 60)),
            )
            for i in range(CARTS)
        ],
    )
    bulk(CartLine, [CartLine(cart=c, variant=rng.choice(variants), quantity=1) for c in carts])
    say(f"{len(carts):,} carts")

    counts = []
    today = timezone.localdate()
    for d in range(SEARCH_DAYS):
        for w in rng.sample(WORDS, 12) + [f"query {rng.randint(1, 10**6)}" for _ in range(120)]:
            counts.append(
                SearchCount(
                    query=w,
                    day=today - timedelta(days=d),
                    count=rng.randint(1, 40),
                    results=0 if w.startswith("query") and rng.random() < 0.3 else 12,
                )
            )
    bulk(SearchCount, counts, ignore_conflicts=True)
    say(f"{len(counts):,} search counts")


def main() -> None:
    refuse_unless_scratch()
    if Order.objects.exists():
        print("This database already has orders: left alone.")
        return
    no_auto_now(User, Address, Order, OrderEvent, OutboxMessage, ContactMessage, Entry, Cart)
    with transaction.atomic():
        seed(random.Random(2026))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print("done")


if __name__ == "__main__":
    main()

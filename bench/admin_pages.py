"""Time the staff admin's pages in-process on a big database (bench/seed_history.py).

    DEBUG=0 SECRET_KEY=<50+ characters> ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=0 \
    DATABASE_URL=postgres://.../shop_adm_big REDIS_URL=redis://127.0.0.1:6379/<yours> \
    .venv/bin/python bench/admin_pages.py [substring ...]

Signs in as the first superuser (Django's test client, the whole middleware stack) and asks
each page three times; prints the best time, the number of SQL queries and the slowest query
of that run. Actions (POSTs) run inside a transaction that is rolled back: the database is
the same afterwards. With arguments, only the pages whose label holds one of them.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
sys.path.insert(0, os.getcwd())
django.setup()
from django.conf import settings  # noqa: E402

# static files as in development (no collected manifest here)
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Address, User  # noqa: E402
from cart.models import Cart  # noqa: E402
from catalog.models import Category, Product, Series, Variant  # noqa: E402
from core.models import OutboxMessage  # noqa: E402
from guestbook.models import Entry  # noqa: E402
from orders.models import Order  # noqa: E402
from service.models import ContactMessage  # noqa: E402


class Rollback(Exception):
    pass


def ids(model, n, **filters) -> list[str]:
    return [
        str(pk)
        for pk in model.objects.filter(**filters).order_by("-pk").values_list("pk", flat=True)[:n]
    ]


def pages() -> list[tuple[str, str, str, dict | None]]:
    """(label, method, url, post data)."""
    order = Order.objects.order_by("-pk").first()
    old = Order.objects.order_by("pk").first()
    user = User.objects.filter(is_staff=False).order_by("-pk").first()
    product = Product.objects.order_by("-pk").first()
    variant = Variant.objects.order_by("-pk").first()
    address = Address.objects.order_by("-pk").first()
    cart = Cart.objects.order_by("-pk").first()
    entry = Entry.objects.order_by("-pk").first()
    contact = ContactMessage.objects.exclude(order_number="").order_by("-pk").first()
    mail = OutboxMessage.objects.order_by("-pk").first()
    category = Category.objects.order_by("-pk").first()
    series = Series.objects.first()
    sku = variant.sku
    a = "/admin"
    out = [
        ("index", "GET", f"{a}/", None),
        # orders
        ("orders list", "GET", f"{a}/orders/order/", None),
        ("orders list, counts", "GET", f"{a}/orders/order/?_facets=1", None),
        ("orders to pay", "GET", f"{a}/orders/order/?todo=payment", None),
        ("orders to pack", "GET", f"{a}/orders/order/?todo=pack", None),
        ("orders to ship", "GET", f"{a}/orders/order/?todo=ship", None),
        ("orders refund due", "GET", f"{a}/orders/order/?todo=refund", None),
        ("orders status completed", "GET", f"{a}/orders/order/?status__exact=completed", None),
        ("orders payment cod", "GET", f"{a}/orders/order/?payment=cod", None),
        ("orders shipping 1", "GET", f"{a}/orders/order/?shipping_method__id__exact=1", None),
        ("orders past 7 days", "GET", f"{a}/orders/order/?created_at__gte=2026-11-28", None),
        ("orders year 2025", "GET", f"{a}/orders/order/?created_at__year=2025", None),
        (
            "orders month",
            "GET",
            f"{a}/orders/order/?created_at__year=2025&created_at__month=6",
            None,
        ),
        ("orders q name", "GET", f"{a}/orders/order/?q=Meyer", None),
        ("orders q e-mail", "GET", f"{a}/orders/order/?q={order.email}", None),
        ("orders q number", "GET", f"{a}/orders/order/?q={order.number}", None),
        ("orders q number lower", "GET", f"{a}/orders/order/?q={order.number.lower()}", None),
        ("orders q sku", "GET", f"{a}/orders/order/?q={sku}", None),
        (
            "orders q tracking",
            "GET",
            f"{a}/orders/order/?q={Order.objects.exclude(tracking_number='').first().tracking_number}",
            None,
        ),
        ("orders last page", "GET", f"{a}/orders/order/?p=1999", None),
        *[
            (f"orders sort {o}", "GET", f"{a}/orders/order/?o={o}", None)
            for o in ("1", "-1", "2", "3", "-3", "4", "5", "6", "7", "8", "-8", "9", "-9")
        ],
        ("order page", "GET", f"{a}/orders/order/{order.pk}/change/", None),
        ("order page old", "GET", f"{a}/orders/order/{old.pk}/change/", None),
        ("packing slip", "GET", f"{a}/orders/order/{order.pk}/packing-slip/", None),
        ("ship page 200", "GET", f"{a}/orders/order/ship/?ids=" + ",".join(ids(Order, 200)), None),
        # products
        ("products list", "GET", f"{a}/catalog/product/", None),
        ("products list, counts", "GET", f"{a}/catalog/product/?_facets=1", None),
        ("products series", "GET", f"{a}/catalog/product/?series__id__exact={series.pk}", None),
        ("products category", "GET", f"{a}/catalog/product/?category={category.pk}", None),
        ("products inactive", "GET", f"{a}/catalog/product/?is_active__exact=0", None),
        ("products featured", "GET", f"{a}/catalog/product/?is_featured__exact=1", None),
        ("products sold out", "GET", f"{a}/catalog/product/?stock=sold_out", None),
        ("products low", "GET", f"{a}/catalog/product/?stock=low", None),
        ("products q lamp", "GET", f"{a}/catalog/product/?q=lamp", None),
        ("products q sku", "GET", f"{a}/catalog/product/?q={sku}", None),
        ("products last page", "GET", f"{a}/catalog/product/?p=1999", None),
        *[
            (f"products sort {o}", "GET", f"{a}/catalog/product/?o={o}", None)
            for o in ("2", "-2", "3", "4", "5", "-5", "6", "-6", "7", "8")
        ],
        ("product page", "GET", f"{a}/catalog/product/{product.pk}/change/", None),
        ("product add", "GET", f"{a}/catalog/product/add/", None),
        (
            "category autocomplete",
            "GET",
            f"{a}/autocomplete/?app_label=catalog&model_name=product&field_name=category&term=",
            None,
        ),
        (
            "category autocomplete q",
            "GET",
            f"{a}/autocomplete/?app_label=catalog&model_name=product&field_name=category&term=pack",
            None,
        ),
        (
            "product autocomplete",
            "GET",
            f"{a}/autocomplete/?app_label=catalog&model_name=variant&field_name=product&term=",
            None,
        ),
        (
            "product autocomplete q",
            "GET",
            f"{a}/autocomplete/?app_label=catalog&model_name=variant&field_name=product&term=lamp",
            None,
        ),
        (
            "product autocomplete p50",
            "GET",
            f"{a}/autocomplete/?app_label=catalog&model_name=variant&field_name=product&term=&page=50",
            None,
        ),
        # variants
        ("variants list", "GET", f"{a}/catalog/variant/", None),
        ("variants list, counts", "GET", f"{a}/catalog/variant/?_facets=1", None),
        ("variants sold out", "GET", f"{a}/catalog/variant/?stock=sold_out", None),
        ("variants low", "GET", f"{a}/catalog/variant/?stock=low", None),
        (
            "variants series",
            "GET",
            f"{a}/catalog/variant/?product__series__id__exact={series.pk}",
            None,
        ),
        ("variants inactive", "GET", f"{a}/catalog/variant/?product__is_active__exact=0", None),
        ("variants q lamp", "GET", f"{a}/catalog/variant/?q=lamp", None),
        ("variants q sku", "GET", f"{a}/catalog/variant/?q={sku}", None),
        ("variants last page", "GET", f"{a}/catalog/variant/?p=2700", None),
        *[
            (f"variants sort {o}", "GET", f"{a}/catalog/variant/?o={o}", None)
            for o in ("1", "2", "-2", "3", "4", "5", "6", "-6")
        ],
        ("variant page", "GET", f"{a}/catalog/variant/{variant.pk}/change/", None),
        ("categories", "GET", f"{a}/catalog/category/", None),
        ("categories counts", "GET", f"{a}/catalog/category/?_facets=1", None),
        ("category page", "GET", f"{a}/catalog/category/{category.pk}/change/", None),
        ("series", "GET", f"{a}/catalog/series/", None),
        ("series page", "GET", f"{a}/catalog/series/{series.pk}/change/", None),
        ("images", "GET", f"{a}/catalog/productimage/", None),
        # people
        ("users list", "GET", f"{a}/accounts/user/", None),
        ("users counts", "GET", f"{a}/accounts/user/?_facets=1", None),
        ("users staff", "GET", f"{a}/accounts/user/?is_staff__exact=1", None),
        ("users q name", "GET", f"{a}/accounts/user/?q=meyer", None),
        ("users q e-mail", "GET", f"{a}/accounts/user/?q={user.email}", None),
        ("users last page", "GET", f"{a}/accounts/user/?p=499", None),
        *[
            (f"users sort {o}", "GET", f"{a}/accounts/user/?o={o}", None)
            for o in ("1", "2", "3", "4", "5", "6", "-6")
        ],
        ("user page", "GET", f"{a}/accounts/user/{user.pk}/change/", None),
        ("addresses list", "GET", f"{a}/accounts/address/", None),
        ("addresses q name", "GET", f"{a}/accounts/address/?q=meyer", None),
        ("addresses q e-mail", "GET", f"{a}/accounts/address/?q={user.email}", None),
        ("addresses last page", "GET", f"{a}/accounts/address/?p=660", None),
        *[
            (f"addresses sort {o}", "GET", f"{a}/accounts/address/?o={o}", None)
            for o in ("1", "2", "3", "4", "5", "6")
        ],
        ("address page", "GET", f"{a}/accounts/address/{address.pk}/change/", None),
        ("emailaddresses", "GET", f"{a}/account/emailaddress/", None),
        ("emailaddresses counts", "GET", f"{a}/account/emailaddress/?_facets=1", None),
        ("emailaddresses q", "GET", f"{a}/account/emailaddress/?q={user.email}", None),
        ("emailaddresses q name", "GET", f"{a}/account/emailaddress/?q=meyer", None),
        ("emailaddresses sort user", "GET", f"{a}/account/emailaddress/?o=2", None),
        (
            "emailaddress page",
            "GET",
            f"{a}/account/emailaddress/{user.emailaddress_set.first().pk}/change/",
            None,
        ),
        # carts
        ("carts list", "GET", f"{a}/cart/cart/", None),
        ("carts counts", "GET", f"{a}/cart/cart/?_facets=1", None),
        ("carts open", "GET", f"{a}/cart/cart/?status__exact=open", None),
        ("carts q e-mail", "GET", f"{a}/cart/cart/?q={user.email}", None),
        ("carts last page", "GET", f"{a}/cart/cart/?p=999", None),
        *[
            (f"carts sort {o}", "GET", f"{a}/cart/cart/?o={o}", None)
            for o in ("1", "2", "3", "4", "5")
        ],
        ("cart page", "GET", f"{a}/cart/cart/{cart.pk}/change/", None),
        ("shipping methods", "GET", f"{a}/cart/shippingmethod/", None),
        # messages
        ("guestbook list", "GET", f"{a}/guestbook/entry/", None),
        ("guestbook counts", "GET", f"{a}/guestbook/entry/?_facets=1", None),
        ("guestbook pending", "GET", f"{a}/guestbook/entry/?status__exact=pending", None),
        ("guestbook q", "GET", f"{a}/guestbook/entry/?q=kettle", None),
        ("guestbook q e-mail", "GET", f"{a}/guestbook/entry/?q=writer.29999@example.com", None),
        ("guestbook last page", "GET", f"{a}/guestbook/entry/?p=299", None),
        *[
            (f"guestbook sort {o}", "GET", f"{a}/guestbook/entry/?o={o}", None)
            for o in ("1", "3", "4")
        ],
        ("guestbook page", "GET", f"{a}/guestbook/entry/{entry.pk}/change/", None),
        ("contact list", "GET", f"{a}/service/contactmessage/", None),
        ("contact counts", "GET", f"{a}/service/contactmessage/?_facets=1", None),
        ("contact unhandled", "GET", f"{a}/service/contactmessage/?handled__exact=0", None),
        ("contact q number", "GET", f"{a}/service/contactmessage/?q={contact.order_number}", None),
        ("contact q e-mail", "GET", f"{a}/service/contactmessage/?q={contact.email}", None),
        ("contact q word", "GET", f"{a}/service/contactmessage/?q=kettle", None),
        ("contact last page", "GET", f"{a}/service/contactmessage/?p=199", None),
        *[
            (f"contact sort {o}", "GET", f"{a}/service/contactmessage/?o={o}", None)
            for o in ("1", "2", "3", "4", "7")
        ],
        ("contact page", "GET", f"{a}/service/contactmessage/{contact.pk}/change/", None),
        ("order messages", "GET", f"{a}/service/contactmessage/?q={order.number}", None),
        ("service texts", "GET", f"{a}/service/servicetext/", None),
        # search report
        ("search report", "GET", f"{a}/search/searchcount/", None),
        ("search report counts", "GET", f"{a}/search/searchcount/?_facets=1", None),
        (
            "search report year",
            "GET",
            f"{a}/search/searchcount/?since=2025-12-01&until=2026-12-01",
            None,
        ),
        ("search report nothing", "GET", f"{a}/search/searchcount/?found=no", None),
        ("search report q", "GET", f"{a}/search/searchcount/?q=tea", None),
        ("search report last page", "GET", f"{a}/search/searchcount/?p=960", None),
        *[
            (f"search report sort {o}", "GET", f"{a}/search/searchcount/?o={o}", None)
            for o in ("1", "2", "3", "4")
        ],
        # outbox
        ("outbox list", "GET", f"{a}/core/outboxmessage/", None),
        ("outbox counts", "GET", f"{a}/core/outboxmessage/?_facets=1", None),
        ("outbox failing", "GET", f"{a}/core/outboxmessage/?delivery=failing", None),
        ("outbox kind", "GET", f"{a}/core/outboxmessage/?kind=order_confirmation", None),
        ("outbox q e-mail", "GET", f"{a}/core/outboxmessage/?q={order.email}", None),
        ("outbox q number", "GET", f"{a}/core/outboxmessage/?q={order.number}", None),
        ("outbox last page", "GET", f"{a}/core/outboxmessage/?p=1999", None),
        *[
            (f"outbox sort {o}", "GET", f"{a}/core/outboxmessage/?o={o}", None)
            for o in ("1", "3", "4", "5", "6", "7")
        ],
        ("outbox page", "GET", f"{a}/core/outboxmessage/{mail.pk}/change/", None),
        ("outbox preview", "GET", f"{a}/core/outboxmessage/{mail.pk}/preview/", None),
        ("groups", "GET", f"{a}/auth/group/", None),
    ]
    return out


def actions() -> list[tuple[str, str, str, dict | None]]:
    a = "/admin"

    def act(url, action, pks, **extra):
        return {"action": action, ACTION_CHECKBOX_NAME: pks, "index": "0", **extra}

    page = 100  # the most rows a list page offers to tick (list_per_page)
    every = {"select_across": "1"}
    return [
        (
            "export a page of orders",
            "POST",
            f"{a}/orders/order/",
            act(a, "export_csv", ids(Order, page)),
        ),
        (
            "export all orders",
            "POST",
            f"{a}/orders/order/",
            act(a, "export_csv", ids(Order, 1), **every),
        ),
        (
            "export 6 months of orders",
            "POST",
            f"{a}/orders/order/?created_at__gte=2026-06-05",
            act(a, "export_csv", ids(Order, 1), **every),
        ),
        (
            "mark paid: all to pay",
            "POST",
            f"{a}/orders/order/?todo=payment",
            act(a, "mark_paid", ids(Order, 1), **every),
        ),
        (
            "mark packed: all to pack",
            "POST",
            f"{a}/orders/order/?todo=pack",
            act(a, "mark_packed", ids(Order, 1), **every),
        ),
        (
            "mark packed: a page",
            "POST",
            f"{a}/orders/order/?todo=pack",
            act(a, "mark_packed", ids(Order, page, status="paid")),
        ),
        (
            "mark delivered: a page",
            "POST",
            f"{a}/orders/order/",
            act(a, "mark_delivered", ids(Order, page)),
        ),
        (
            "mark completed: a year",
            "POST",
            f"{a}/orders/order/?created_at__year=2025",
            act(a, "mark_completed", ids(Order, 1), **every),
        ),
        (
            "ship: all to ship",
            "POST",
            f"{a}/orders/order/?todo=ship",
            act(a, "mark_shipped", ids(Order, 1), **every),
        ),
        ("cancel ask: a page", "POST", f"{a}/orders/order/", act(a, "cancel", ids(Order, page))),
        (
            "cancel ask: a year",
            "POST",
            f"{a}/orders/order/?created_at__year=2025",
            act(a, "cancel", ids(Order, 1), **every),
        ),
        (
            "refund: a year",
            "POST",
            f"{a}/orders/order/?created_at__year=2025",
            act(a, "mark_refunded", ids(Order, 1), **every),
        ),
        (
            "late payment: a year",
            "POST",
            f"{a}/orders/order/?created_at__year=2025",
            act(a, "record_late_payment", ids(Order, 1), **every),
        ),
        (
            "deactivate a page of products",
            "POST",
            f"{a}/catalog/product/",
            act(a, "deactivate", ids(Product, 50)),
        ),
        (
            "deactivate all products",
            "POST",
            f"{a}/catalog/product/",
            act(a, "deactivate", ids(Product, 1), **every),
        ),
        (
            "delete ask a page of products",
            "POST",
            f"{a}/catalog/product/",
            act(a, "delete_selected", ids(Product, 50)),
        ),
        (
            "delete ask a series of products",
            "POST",
            f"{a}/catalog/product/?series__id__exact=1",
            act(a, "delete_selected", ids(Product, 1), **every),
        ),
        (
            "delete ask 100 products",
            "POST",
            f"{a}/catalog/product/?q=-0001",
            act(a, "delete_selected", ids(Product, 1), **every),
        ),
        (
            "delete ask 999 products",
            "POST",
            f"{a}/catalog/product/?q=-000",
            act(a, "delete_selected", ids(Product, 1), **every),
        ),
        (
            "deactivate 999 products",
            "POST",
            f"{a}/catalog/product/?q=-000",
            act(a, "deactivate", ids(Product, 1), **every),
        ),
        (
            "delete ask a page of variants",
            "POST",
            f"{a}/catalog/variant/",
            act(a, "delete_selected", ids(Variant, page)),
        ),
        (
            "publish a page of entries",
            "POST",
            f"{a}/guestbook/entry/",
            act(a, "publish", ids(Entry, page)),
        ),
        (
            "hide all entries",
            "POST",
            f"{a}/guestbook/entry/",
            act(a, "hide", ids(Entry, 1), **every),
        ),
        (
            "delete ask all entries",
            "POST",
            f"{a}/guestbook/entry/",
            act(a, "delete_selected", ids(Entry, 1), **every),
        ),
        (
            "handled all contact",
            "POST",
            f"{a}/service/contactmessage/",
            act(a, "mark_handled", ids(ContactMessage, 1), **every),
        ),
        (
            "send now all outbox",
            "POST",
            f"{a}/core/outboxmessage/",
            act(a, "send_now", ids(OutboxMessage, 1), **every),
        ),
        (
            "send copy all outbox",
            "POST",
            f"{a}/core/outboxmessage/",
            act(a, "send_copy", ids(OutboxMessage, 1), **every),
        ),
        (
            "delete ask all carts",
            "POST",
            f"{a}/cart/cart/",
            act(a, "delete_selected", ids(Cart, 1), **every),
        ),
        (
            "delete ask a page of users",
            "POST",
            f"{a}/accounts/user/",
            act(a, "delete_selected", ids(User, page, is_staff=False)),
        ),
        (
            "delete ask all addresses",
            "POST",
            f"{a}/accounts/address/",
            act(a, "delete_selected", ids(Address, 1), **every),
        ),
        (
            "verify all e-mails",
            "POST",
            f"{a}/account/emailaddress/",
            act(a, "make_verified", [], **every),
        ),
    ]


def measure(client, label, method, url, data, runs):
    best = None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            try:
                with transaction.atomic():
                    response = client.get(url) if method == "GET" else client.post(url, data)
                    if hasattr(response, "streaming_content"):
                        size = sum(len(c) for c in response.streaming_content)
                    else:
                        size = len(response.content)
                    raise Rollback
            except Rollback:
                pass
            elapsed = (time.perf_counter() - start) * 1000
        slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
        run = (elapsed, len(ctx.captured_queries), slowest, response.status_code, size)
        if best is None or run[0] < best[0]:
            best = run
    elapsed, count, slowest, status, size = best
    slow = f"{float(slowest['time']) * 1000:7.1f} ms  {slowest['sql'][:150]}" if slowest else ""
    print(
        f"{label:34} {status} {elapsed:8.1f} ms {count:5} q {size // 1024:5} KB | {slow}",
        flush=True,
    )


def main() -> None:
    wanted = sys.argv[1:]
    client = Client()
    client.force_login(User.objects.filter(is_superuser=True).order_by("pk").first())
    with transaction.atomic():
        everything = pages() + actions()
    for label, method, url, data in everything:
        if wanted and not any(w in label for w in wanted):
            continue
        measure(client, label, method, url, data, runs=1 if method == "POST" else 3)


if __name__ == "__main__":
    main()

"""A stateful test of the shop's caches: a cached page is the page the shop would build now.

Hypothesis invents sequences of staff changes, made as staff make them (the admin's forms,
lists and actions, with the test client), shoppers' actions (adding to a cart, an order that
sells a variant out, staff cancelling it) and visitors looking at pages. Every page is asked
for through the production stack: the WSGI front of the page cache (shop/wsgi.py), then
Django's handler with every middleware, the page cache on.

After every step that changed something, every page (home, all products, each category, series
and product, search results, autocomplete, the sitemap index and sections, and every address a
product had before its slug changed) is asked for again and compared with the same request made
with every cache bypassed (a dummy cache backend, and this process's copies of pages, versions,
navigation and shared fragments set aside): the same status, content type, redirect and page,
apart from what differs per response by design. Exactly this is normalised:

- the value of each form's CSRF token (a new mask per response); each must still be the
  visitor's own (its unmasked secret is the visitor's CSRF cookie, or the one the response sets);
- the "Popular searches" list (``includes/hot_searches.html``): counted searches reach it after
  its own cache time (HOT_CACHE_TTL) by design, and the uncached requests of this test count
  searches too;
- whitespace at line breaks (the popular searches' template leaves blank lines where it was).

Visitors: one without any cookie (answered by the WSGI front), one with only a CSRF cookie, an
anonymous shopper with a cart (the middleware fills their own count into cached pages), and a
signed-in member (never a cached page, but cached fragments). No page for one of them may show
another's cart count, sign-in state, or CSRF secret.

Each example runs in a savepoint rolled back at its end; what a step leaves for after commit
(the second version bump, search re-indexing) runs at the end of the step, as a commit would.
One process: the other workers' copies of hot pages (PAGE_CACHE_VERSION_RECHECK) and pages
built by one request while another commits a change are not modelled.
"""

import difflib
import gzip
import itertools
import json
import os
import re
import secrets
from contextlib import contextmanager
from decimal import Decimal
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _unmask_cipher_token
from django.template.response import SimpleTemplateResponse
from django.test import Client, RequestFactory, TestCase, override_settings
from django.urls import reverse
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cart.models import Cart, CartLine, ShippingMethod
from catalog import selectors as catalog_selectors
from catalog.models import Category, Product, Series, Variant
from catalog.services import StaffStockEdit, save_variant_for_staff
from core import pagecache
from core.pagecache_wsgi import PageCacheFront
from core.templatetags import shop_tags
from orders import services as order_services
from orders.models import Order
from tests.conftest import image_bytes
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, UserFactory
from tests.orders.helpers import ADDRESS, CONTACT

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')
HOT_SEARCHES = re.compile(r'<nav class="hot-searches".*?</nav>\s*', re.S)
BLANK_LINES = re.compile(r"\s*\n\s*")
CART_BADGE = re.compile(r'aria-label="(\d+) items? in cart"')
MEMBER_EMAIL = "member@example.com"
DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

products = st.integers(min_value=0, max_value=5)  # (of the shop's products now, cyclically)
categories = st.integers(min_value=0, max_value=2)
series_indexes = st.integers(min_value=0, max_value=1)
visitors = st.sampled_from(["new", "returning", "shopper", "member"])
prices = st.sampled_from(["19.99", "24.50", "5.00", "49.95"])
stocks = st.sampled_from([0, 1, 3, 12])


def normalised(text: str) -> str:
    """The page without what differs per response by design (see the module docstring)."""
    text = HOT_SEARCHES.sub("", TOKEN.sub('name="csrfmiddlewaretoken" value=""', text))
    return BLANK_LINES.sub("\n", text)


@contextmanager
def caches_bypassed():
    """Every cache the shop reads set aside: the shared cache (a dummy backend: nothing found,
    nothing kept) and this process's copies of pages, versions, navigation and fragments, put
    back afterwards as they were."""
    local_pages = dict(pagecache.LOCAL._pages)
    recent, recent_scopes = dict(pagecache._recent), dict(pagecache._recent_scopes)
    fragments = dict(shop_tags._shared_fragments)
    navigation = catalog_selectors._navigation_memo
    pagecache.LOCAL.clear()
    pagecache._recent.update(version=None, until=0.0)
    pagecache._recent_scopes.clear()
    shop_tags._shared_fragments.clear()
    catalog_selectors._navigation_memo = None
    try:
        with override_settings(CACHES=DUMMY_CACHE):
            yield
    finally:
        pagecache.LOCAL.clear()
        pagecache.LOCAL._pages.update(local_pages)
        pagecache._recent.update(recent)
        pagecache._recent_scopes.clear()
        pagecache._recent_scopes.update(recent_scopes)
        shop_tags._shared_fragments.clear()
        shop_tags._shared_fragments.update(fragments)
        catalog_selectors._navigation_memo = navigation


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status, self.headers = status, headers
        if self.header("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.text = body.decode()

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_csrf_secret(self) -> str | None:
        prefix = f"{django_settings.CSRF_COOKIE_NAME}="
        for k, v in self.headers:
            if k.lower() == "set-cookie" and v.strip().startswith(prefix):
                return v.strip()[len(prefix) :].split(";", 1)[0]
        return None


_addresses = itertools.count(1)


def call(app, path: str, cookies: dict, *, gzipped: bool = False) -> Answer:
    """A GET as gunicorn hands it to the WSGI application (each from its own client address:
    search and autocomplete rate limits count per address)."""
    parts = urlsplit(path)
    n = next(_addresses)
    extra = {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
    if cookies:
        extra["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if gzipped:
        extra["HTTP_ACCEPT_ENCODING"] = "gzip, deflate"
    environ = RequestFactory()._base_environ(
        PATH_INFO=unquote_to_bytes(parts.path).decode("iso-8859-1"),
        QUERY_STRING=parts.query,
        REQUEST_METHOD="GET",
        **extra,
    )
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers)

    # as Django's test client: the handler's request signals must not close the database
    # connection that holds the test's transaction (the client connects them again after
    # each of its requests)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Answer(seen["status"], seen["headers"], body)


class FormFields(HTMLParser):
    """The values a browser would send with the form ``form_id`` of an admin page, as shown."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.fields: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        name = a.get("name") or ""
        if not self.inside or "__prefix__" in name and tag != "option":
            return
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
                return
            self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            if not self.fields[self._textarea]:
                data = data.removeprefix("\n")  # Django's line break that browsers drop
            self.fields[self._textarea] += data

    @classmethod
    def of(cls, html: str, form_id: str) -> dict[str, str]:
        reader = cls(form_id)
        reader.feed(html)
        return reader.fields


class CacheCoherence(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        cache.clear()
        pagecache.forget_worker_copies()
        shop_tags._shared_fragments.clear()
        catalog_selectors._navigation_memo = None
        self.front = PageCacheFront(WSGIHandler())
        self.addresses: dict[str, None] = {}  # every page's address so far (old slugs too)
        self.checked = 0
        self.changed = False
        self.rounds = itertools.cycle(["new", "shopper", "returning", "member"])

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @contextmanager
    def committed(self, *, changes: bool = True):
        """The step's transaction commits at its end: what it left for then runs. A step that
        ``changes`` something makes the invariant look at every page seen so far again."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
        self.changed |= changes

    # --- the shop ---------------------------------------------------------------------------

    @initialize()
    def open_shop(self):
        with self.committed():
            self.series = [
                SeriesFactory(name="Trail", slug="trail"),
                SeriesFactory(name="Hearth", slug="hearth"),
            ]
            outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
            self.categories = [
                outdoor,
                CategoryFactory(name="Tents", slug="tents", parent=outdoor),
                CategoryFactory(name="Kitchen", slug="kitchen"),
            ]
            specs = [  # name, category, series, price, stocks, featured
                ("Storm Tent", 1, 0, "89.00", [4, 12], False),
                ("Camp Mug", 2, 1, "7.35", [3], True),
                ("Trail Lamp", 0, 0, "24.50", [12], False),
                ("Pine Bowl", 2, 1, "12.00", [1], False),
            ]
            self.product_ids = []
            for name, category, series, price, units, featured in specs:
                product = ProductFactory(
                    name=name,
                    slug=name.lower().replace(" ", "-"),
                    category=self.categories[category],
                    series=self.series[series],
                    price=Decimal(price),
                    is_featured=featured,
                    stock=False,
                )
                for n, quantity in enumerate(units):
                    product.variants.create(
                        sku=f"{product.slug.upper()}-{n}",
                        colour=["Green", "Red"][n],
                        stock=quantity,
                        price_override=Decimal("95.00") if n else None,
                    )
                self.product_ids.append(product.pk)
            self.shipping = ShippingMethod.objects.create(
                name="Standard", fee=Decimal("4.90"), free_over=Decimal("50.00"), position=1
            )
            self.staff = UserFactory(email="staff@shop.example", is_staff=True, is_superuser=True)
            self.member = UserFactory(email=MEMBER_EMAIL)
        self.staff_client = Client()
        self.staff_client.force_login(self.staff)
        self.shopper = Client()
        self.member_client = Client()
        self.member_client.force_login(self.member)
        self.returning_secret = secrets.token_hex(16)  # 32 characters, as Django's
        self.order_ids: list[int] = []
        self.sku_counter = itertools.count(1)

    # --- helpers ------------------------------------------------------------------------------

    def pid(self, index: int) -> int:
        return self.product_ids[index % len(self.product_ids)]

    def product(self, index: int) -> Product:
        return Product.objects.get(pk=self.pid(index))

    def admin_form(self, url: str, form_id: str) -> dict[str, str]:
        page = self.staff_client.get(url)
        assert page.status_code == 200, url
        return FormFields.of(page.content.decode(), form_id)

    def admin_save(self, url: str, form_id: str, changes: dict, *, files=None):
        """Staff open an admin page, change some of its fields and save it; the response."""
        data = self.admin_form(url, form_id)
        data.update(changes)
        data = {k: v for k, v in data.items() if v is not None}
        data["_save"] = "Save"
        response = self.staff_client.post(url, {**data, **(files or {})})
        self.staff_client.cookies.pop("messages", None)
        return response

    def save_product(self, index: int, changes: dict, *, files=None, refused_ok=False) -> bool:
        url = reverse("admin:catalog_product_change", args=[self.pid(index)])
        response = self.admin_save(url, "product_form", changes, files=files)
        if response.status_code != 302:
            context = response.context
            errors = [context["adminform"].form.errors] + [
                (f.formset.prefix, f.formset.errors, f.formset.non_form_errors())
                for f in context["inline_admin_formsets"]
            ]
            assert refused_ok, (changes, errors)
            return False
        return True

    def variant_rows(self, index: int) -> list[int]:
        """The inline row numbers of a product's variants, in the order the page shows them."""
        url = reverse("admin:catalog_product_change", args=[self.pid(index)])
        data = self.admin_form(url, "product_form")
        return sorted(
            int(m[1]) for k in data if (m := re.fullmatch(r"variants-(\d+)-id", k)) and data[k]
        )

    def visitor_cookies(self, visitor: str) -> dict:
        if visitor == "new":
            return {}
        if visitor == "returning":
            return {django_settings.CSRF_COOKIE_NAME: self.returning_secret}
        client = self.shopper if visitor == "shopper" else self.member_client
        return {k: m.value for k, m in client.cookies.items() if m.value}

    def units_in_cart(self, visitor: str) -> int:
        if visitor == "member":
            lines = CartLine.objects.filter(cart__user=self.member, cart__status=Cart.Status.OPEN)
        elif visitor == "shopper":
            if django_settings.SESSION_COOKIE_NAME not in self.shopper.cookies:
                return 0  # (Client.session would start a session)
            cart_id = self.shopper.session.get("cart_id")
            lines = CartLine.objects.filter(cart_id=cart_id, cart__status=Cart.Status.OPEN)
        else:
            return 0
        return sum(lines.values_list("quantity", flat=True))

    def pages(self) -> list[str]:
        """Every page a visitor may ask for now (addresses as they are now)."""
        urls = ["/", reverse("catalog:products"), reverse("catalog:products") + "?sort=price"]
        urls += [c.get_absolute_url() for c in Category.objects.order_by("pk")]
        urls += [s.get_absolute_url() for s in Series.objects.order_by("pk")]
        urls += [p.get_absolute_url() for p in Product.objects.order_by("pk")]
        search = reverse("search:results")
        urls += [f"{search}?q=tent", f"{search}?q=pine"]
        suggest = reverse("search:suggest")
        urls += [f"{suggest}?q=tr", f"{suggest}?q=camp"]
        urls += [reverse("sitemap")]
        urls += [reverse("sitemap_section", args=[s]) for s in ("products", "categories")]
        return urls

    def check(self, visitor: str, path: str, *, gzipped: bool = False) -> None:
        """``visitor`` asks for ``path``: it must be the page the shop builds without caches."""
        cookies = self.visitor_cookies(visitor)
        served = call(self.front, path, cookies, gzipped=gzipped)
        with caches_bypassed():
            fresh = call(self.front, path, cookies, gzipped=False)
        self.checked += 1
        where = (visitor, path, served.header("X-Page-Cache"))
        assert served.status == fresh.status, where
        assert served.header("Content-Type") == fresh.header("Content-Type"), where
        assert served.header("Location") == fresh.header("Location"), where
        if normalised(served.text) != normalised(fresh.text):
            diff = difflib.unified_diff(
                normalised(fresh.text).splitlines(),
                normalised(served.text).splitlines(),
                "built now",
                "served",
                n=1,
                lineterm="",
            )
            pytest.fail(f"{where}: the page served is not the page built now:\n" + "\n".join(diff))
        self.check_it_is_theirs(visitor, path, served, cookies)

    def check_it_is_theirs(self, visitor: str, path: str, served: Answer, cookies: dict) -> None:
        """Nothing of another visitor: their own CSRF secret, cart count and sign-in state."""
        secret = served.set_csrf_secret() or cookies.get(django_settings.CSRF_COOKIE_NAME)
        for token in TOKEN.findall(served.text):
            assert _unmask_cipher_token(token) == secret, (visitor, path)
        badges = CART_BADGE.findall(served.text)
        assert badges in ([], [str(self.units_in_cart(visitor))]), (visitor, path, badges)
        signed_in = "Sign out</button>" in served.text
        if served.header("Content-Type").startswith("text/html") and badges:
            assert signed_in == (visitor == "member"), (visitor, path)
        if visitor != "member":
            assert MEMBER_EMAIL not in served.text
        if path.startswith(reverse("search:suggest")):
            [asked] = parse_qs(urlsplit(path).query)["q"]
            assert json.loads(served.text)["query"] == asked

    # --- visitors -----------------------------------------------------------------------------

    @rule(visitor=visitors, which=st.integers(0, 100), gzipped=st.booleans())
    def look_at_a_page(self, visitor, which, gzipped):
        pages = self.pages()
        with self.committed(changes=False):
            self.check(visitor, pages[which % len(pages)], gzipped=gzipped)

    @rule(
        visitor=st.sampled_from(["new", "shopper"]),
        which=st.integers(0, 100),
        index=products,
        stock=stocks,
    )
    def a_stock_change_commits_while_a_page_is_built(self, visitor, which, index, stock):
        """Staff save a variant's stock (the admin's service) while a page is being built, after
        it read its data and before it is stored: that page may show the old stock, but no
        visitor may get it afterwards (the invariant asks for every page again). Mostly the
        product's own page or its category's, the pages that show a variant's stock."""
        product = self.product(index)
        pages = [product.get_absolute_url(), product.category.get_absolute_url(), *self.pages()]
        path = pages[which % 4 if which % 5 else which % len(pages)]
        # an address no page was cached under (a link with a tracking parameter): it is built
        path += f"{'&' if '?' in path else '?'}utm_campaign=build{next(self.sku_counter)}"
        self.addresses[path] = None
        variant_id = self.product(index).variants.order_by("pk").values_list("pk", flat=True)[0]
        done = []

        def change():
            if done:
                return
            done.append(True)
            connection = transaction.get_connection()
            before = len(connection.run_on_commit)
            with TestCase.captureOnCommitCallbacks(execute=True):  # its own commit, now
                v = Variant.objects.get(pk=variant_id)
                edit = StaffStockEdit(shown=v.stock, edits=v.stock_edits, typed=stock)
                save_variant_for_staff(variant=v, edit=edit)
            del connection.run_on_commit[before:]  # (done: the page's step must not redo them)

        rendered_content = SimpleTemplateResponse.rendered_content

        def render_after_the_change(response):
            change()
            return rendered_content.fget(response)

        late = property(render_after_the_change)
        with mock.patch.object(SimpleTemplateResponse, "rendered_content", late), self.committed():
            call(self.front, path, self.visitor_cookies(visitor))
        assert done or "suggest" in path  # (suggestions are JSON, not a template)
        with self.committed():
            change()
        with self.committed(changes=False):
            self.check("new", path)  # the next visitor of that address

    @rule(
        visitor=st.sampled_from(["shopper", "member"]), index=products, quantity=st.integers(1, 3)
    )
    def add_to_cart(self, visitor, index, quantity):
        client = self.shopper if visitor == "shopper" else self.member_client
        variant = self.product(index).variants.order_by("pk").first()
        if variant is None:
            return
        with self.committed():
            response = client.post(
                reverse("cart:add"), {"variant": variant.pk, "quantity": quantity}
            )
        assert response.status_code == 302
        client.cookies.pop("messages", None)  # the shopper read them on the next page

    @rule(index=products)
    def someone_buys_a_variant_out(self, index):
        """A shopper elsewhere orders every unit left of a variant (checkout's service)."""
        variant = self.product(index).variants.filter(stock__gt=0).order_by("pk").first()
        if variant is None or not variant.product.is_active:
            return
        cart = Cart.objects.create(session_key=secrets.token_hex(16))
        CartLine.objects.create(cart=cart, variant=variant, quantity=min(variant.stock, 99))
        with self.committed():
            order = order_services.place_order(
                cart=cart,
                contact=CONTACT,
                address=ADDRESS,
                shipping_method_id=self.shipping.pk,
                payment_code="cod",
                idempotency_key=secrets.token_urlsafe(24),
            )
        self.order_ids.append(order.pk)

    @precondition(lambda self: self.order_ids)
    @rule()
    def staff_cancel_an_order(self):
        """Staff cancel the latest order in the admin: its units come back."""
        order_id = self.order_ids.pop()
        with self.committed():
            response = self.staff_client.post(
                reverse("admin:orders_order_changelist"),
                {"action": "cancel", "_selected_action": [order_id], "confirmed": "yes"},
            )
        assert response.status_code == 302
        self.staff_client.cookies.pop("messages", None)
        assert Order.objects.get(pk=order_id).status == Order.Status.CANCELLED

    # --- staff, in the admin ----------------------------------------------------------------

    @rule(index=products, price=prices, special=st.booleans())
    def staff_change_a_price(self, index, price, special):
        """A new price; ``special``: shown as a sale against a higher compare-at price."""
        compare = str(Decimal(price) + Decimal("10.00")) if special else ""
        with self.committed():
            self.save_product(index, {"price": price, "compare_at_price": compare})

    @rule(index=products, stock=stocks)
    def staff_change_stock(self, index, stock):
        rows = self.variant_rows(index)
        if not rows:
            return
        with self.committed():
            self.save_product(index, {f"variants-{rows[0]}-stock": str(stock)})

    @rule(index=products, stock=stocks, price=st.sampled_from([None, "", "95.00", "3.50"]))
    def staff_edit_the_stock_list(self, index, stock, price):
        """The variants' list (stock keeping): a stock and a price typed in a row, then Save."""
        variant = self.product(index).variants.order_by("pk").first()
        url = reverse("admin:catalog_variant_changelist")
        data = self.admin_form(url, "changelist-form")
        row = next(
            k.split("-")[1]
            for k, v in data.items()
            if re.fullmatch(r"form-\d+-id", k) and v == str(variant.pk)
        )
        data[f"form-{row}-stock"] = str(stock)
        if price is not None:
            data[f"form-{row}-price_override"] = price
        data["_save"] = "Save"
        with self.committed():
            response = self.staff_client.post(url, data)
        assert response.status_code == 302, response.content[:2000]
        self.staff_client.cookies.pop("messages", None)

    @rule(index=products, price=st.sampled_from(["", "95.00", "3.50"]))
    def staff_give_a_variant_its_own_price(self, index, price):
        rows = self.variant_rows(index)
        if not rows:
            return
        with self.committed():
            self.save_product(index, {f"variants-{rows[-1]}-price_override": price})

    @rule(index=products, name=st.sampled_from(["Storm Tent", "Camp Mug", "Lantern", "Pine Bowl"]))
    def staff_rename_a_product(self, index, name):
        product = self.product(index)
        if Product.objects.filter(name=name).exclude(pk=product.pk).exists():
            name = f"{name} {index}"
        with self.committed():
            self.save_product(index, {"name": name})

    @rule(index=products, new_slug=st.booleans())
    def staff_change_a_products_address(self, index, new_slug):
        product = self.product(index)
        slug = f"{product.slug.split('--')[0]}--{next(self.sku_counter)}" if new_slug else ""
        with self.committed():
            self.save_product(index, {"slug": slug or product.slug})

    @rule(index=products, active=st.booleans())
    def staff_put_on_or_off_sale(self, index, active):
        with self.committed():
            response = self.staff_client.post(
                reverse("admin:catalog_product_changelist"),
                {
                    "action": "activate" if active else "deactivate",
                    "_selected_action": [self.pid(index)],
                },
            )
        assert response.status_code == 302
        self.staff_client.cookies.pop("messages", None)
        assert self.product(index).is_active == active

    @rule(index=products)
    def staff_toggle_featured_in_the_list(self, index):
        """The product list's "featured" box, saved with the list's Save."""
        url = reverse("admin:catalog_product_changelist")
        data = self.admin_form(url, "changelist-form")
        row = next(
            k.split("-")[1]
            for k, v in data.items()
            if re.fullmatch(r"form-\d+-id", k) and v == str(self.pid(index))
        )
        key = f"form-{row}-is_featured"
        if key in data:
            del data[key]
        else:
            data[key] = "on"
        data["_save"] = "Save"
        with self.committed():
            response = self.staff_client.post(url, data)
        assert response.status_code == 302, response.content[:2000]
        self.staff_client.cookies.pop("messages", None)

    @precondition(lambda self: len(self.product_ids) < 6)
    @rule(category=categories, series=series_indexes, stock=stocks, featured=st.booleans())
    def staff_add_a_product(self, category, series, stock, featured):
        """A new product on the admin's "add" page, with its one variant (slug left empty: made
        from the name)."""
        url = reverse("admin:catalog_product_add")
        number = next(self.sku_counter)
        changes = {
            "name": f"Ridge Pack {number}",
            "slug": "",
            "series": str(self.series[series].pk),
            "category": str(self.categories[category].pk),
            "short_description": "A pack for the ridge.",
            "price": "39.00",
            "is_featured": "on" if featured else None,
            "variants-0-sku": f"PACK-{number}",
            "variants-0-colour": "Grey",
            "variants-0-stock": str(stock),
        }
        with self.committed():
            response = self.admin_save(url, "product_form", changes)
        assert response.status_code == 302, response.context["errors"]
        self.product_ids.append(Product.objects.get(name=f"Ridge Pack {number}").pk)

    @precondition(lambda self: len(self.product_ids) > 4)
    @rule(which=st.integers(0, 5))
    def staff_delete_a_product(self, which):
        """One of the products staff added, deleted on the admin's page (refused once ordered)."""
        added = self.product_ids[4:]
        pk = added[which % len(added)]
        with self.committed():
            response = self.staff_client.post(
                reverse("admin:catalog_product_delete", args=[pk]), {"post": "yes"}
            )
        self.staff_client.cookies.pop("messages", None)
        if not Product.objects.filter(pk=pk).exists():
            assert response.status_code == 302
            self.product_ids.remove(pk)

    @rule(index=products, stock=stocks)
    def staff_add_a_variant(self, index, stock):
        url = reverse("admin:catalog_product_change", args=[self.pid(index)])
        data = self.admin_form(url, "product_form")
        n = int(data["variants-TOTAL_FORMS"])
        changes = {
            "variants-TOTAL_FORMS": str(n + 1),
            f"variants-{n}-product": str(self.pid(index)),
            f"variants-{n}-sku": f"NEW-{next(self.sku_counter)}",
            f"variants-{n}-colour": "Blue",
            f"variants-{n}-size": "",
            f"variants-{n}-price_override": "",
            f"variants-{n}-stock": str(stock),
            f"variants-{n}-stock_shown": "",
            f"variants-{n}-position": "0",
        }
        with self.committed():
            self.save_product(index, changes)

    @rule(index=products)
    def staff_remove_a_variant(self, index):
        """The last variant's "delete" box (refused when it was ordered)."""
        rows = self.variant_rows(index)
        if len(rows) < 2:  # (the admin refuses to delete the last one: tests/shop/test_admin.py)
            return
        with self.committed():
            self.save_product(index, {f"variants-{rows[-1]}-DELETE": "on"}, refused_ok=True)

    @rule(index=products, category=categories, series=series_indexes)
    def staff_move_a_product(self, index, category, series):
        with self.committed():
            self.save_product(
                index,
                {
                    "category": str(self.categories[category].pk),
                    "series": str(self.series[series].pk),
                },
            )

    @rule(index=products, add=st.booleans())
    def staff_change_pictures(self, index, add):
        """A picture uploaded in the product's picture rows, or its first one deleted."""
        url = reverse("admin:catalog_product_change", args=[self.pid(index)])
        data = self.admin_form(url, "product_form")
        n = int(data["images-TOTAL_FORMS"])
        if add:
            row = n - 1  # the empty row the page offers
            upload = SimpleUploadedFile(
                "new.png", image_bytes(color=secrets.choice(["red", "blue"])), "image/png"
            )
            files = {f"images-{row}-image": upload}
            changes = {f"images-{row}-alt_text": "A new picture"}
        else:
            if not data.get("images-0-id"):
                return
            files, changes = None, {"images-0-DELETE": "on"}
        with self.committed():
            self.save_product(index, changes, files=files)

    @rule(index=categories, name=st.sampled_from(["Outdoor", "Tents", "Kitchen", "Camp"]))
    def staff_rename_a_category(self, index, name):
        category = self.categories[index]
        siblings = Category.objects.filter(parent_id=Category.objects.get(pk=category.pk).parent_id)
        if siblings.filter(name=name).exclude(pk=category.pk).exists():
            name = f"{name} {index}"
        url = reverse("admin:catalog_category_change", args=[category.pk])
        with self.committed():
            response = self.admin_save(url, "category_form", {"name": name})
        assert response.status_code == 302

    @rule(index=categories, parent=st.sampled_from([None, 0, 2]), position=st.integers(0, 2))
    def staff_move_a_category(self, index, parent, position):
        """Under another one, to the top level, or to another place in the menu."""
        if parent == index:
            parent = None
        category = self.categories[index]
        changes = {"position": str(position)}
        changes["parent"] = "" if parent is None else str(self.categories[parent].pk)
        url = reverse("admin:catalog_category_change", args=[category.pk])
        with self.committed():
            response = self.admin_save(url, "category_form", changes)
        assert response.status_code in (200, 302)  # 200: refused (inside itself, too deep)

    @rule(index=series_indexes, name=st.sampled_from(["Trail", "Hearth", "Summit"]))
    def staff_rename_a_series(self, index, name):
        series = self.series[index]
        if Series.objects.filter(name=name).exclude(pk=series.pk).exists():
            name = f"{name} {index}"
        url = reverse("admin:catalog_series_change", args=[series.pk])
        with self.committed():
            response = self.admin_save(url, "series_form", {"name": name, "tagline": name})
        assert response.status_code == 302

    @rule(free_over=st.sampled_from(["", "30.00", "50.00"]), fee=st.sampled_from(["4.90", "6.00"]))
    def staff_change_delivery(self, free_over, fee):
        """The delivery fee and free-delivery threshold (the home page and cart show them)."""
        url = reverse("admin:cart_shippingmethod_change", args=[self.shipping.pk])
        with self.committed():
            response = self.admin_save(
                url, "shippingmethod_form", {"free_over": free_over, "fee": fee}
            )
        assert response.status_code == 302

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def every_page_seen_is_the_page_the_shop_builds_now(self):
        """After a change, every page (at every address it had: an old one must lead on) is
        asked for again, by one kind of visitor in turn: the cached pages and fragments are
        shared, and every page for every visitor after every step takes seconds a step."""
        if not self.changed:
            return
        self.changed = False
        visitor = next(self.rounds)
        self.addresses.update(dict.fromkeys(self.pages()))
        with self.committed(changes=False):
            for path in self.addresses:
                self.check(visitor, path)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """As Django's test client: the handler's request signals must not close the database
    connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """The locmem cache of the embedded default, and Redis (REDIS_URL; skipped without it)."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("needs Redis (set REDIS_URL; .ci/run does)")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"coherence{worker}",
            }
        }
    cache.clear()
    yield request.param
    cache.clear()


@pytest.mark.django_db
def test_cached_pages_are_the_pages_the_shop_builds_now(shared_cache):
    # ~0.5 s a step (every page built twice after each change). CI (HYPOTHESIS_PROFILE=ci): a
    # few examples per cache backend; a longer hunt before changing what a cache keeps or when
    # it is bumped: HYPOTHESIS_COHERENCE_EXAMPLES=50 (about 10 minutes per backend).
    ci = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
    examples = int(os.environ.get("HYPOTHESIS_COHERENCE_EXAMPLES", "4" if ci else "2"))
    run_state_machine_as_test(
        CacheCoherence,
        settings=hypothesis_settings(
            max_examples=examples, stateful_step_count=15 if ci else 8, deadline=None
        ),
    )

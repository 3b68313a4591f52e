"""The hostile-input corpus (test_hostile_input.CORPUS) sent to every public URL of the
shop, every query parameter it reads and every field its forms send, as listed in
public_inputs.INPUTS; guard tests keep that table complete as the shop changes. Then what the
corpus stored is shown on the public pages and in the admin: no 5xx, escaped."""

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.contrib import admin
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from accounts.models import Address
from cart.models import CartLine, ShippingMethod
from core.models import OutboxMessage
from core.outbox import list_pending_message_ids, send_each
from guestbook.models import Entry
from orders.models import Order
from search.services import flush_search_counts
from tests.factories import AddressFactory, ProductFactory, UserFactory
from tests.orders.helpers import ADDRESS_FORM, checkout_data

from .public_inputs import EXEMPT, INPUTS, list_forms, list_routes
from .test_hostile_input import CORPUS, SCRIPT, assert_safe

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _add_and_detail(client, variant, shipping, email):
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})
    response = client.post(reverse("orders:checkout"), checkout_data(shipping, email=email))
    assert response.status_code == 302, "the checkout's details were refused"


def _place(client, variant, shipping, email) -> Order:
    _add_and_detail(client, variant, shipping, email)
    key = client.get(reverse("orders:checkout_review")).context["state"]["idempotency_key"]
    client.post(reverse("orders:place_order"), {"idempotency_key": key})
    return Order.objects.get(idempotency_key=key)


def _member(email: str):
    user = UserFactory(email=email)
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def world(db):
    """A shop with a product and a delivery method; a guest, a member and a member back from
    giving their password again, each with a placed order, a cart line and the checkout's
    details filled in; the member has a saved address."""
    product = ProductFactory(name="Camp Mug", slug="camp-mug", stock=500)
    variant = product.variants.get()
    shipping = ShippingMethod.objects.create(name="Standard", fee="4.90")
    guest = Client()
    guest_order = _place(guest, variant, shipping, "guest@example.com")
    _add_and_detail(guest, variant, shipping, "guest@example.com")
    member, member_client = _member("member@example.com")
    AddressFactory(user=member)
    # the one the pages change: not the default, so the list offers every button for it
    address = AddressFactory(user=member, full_name="Second", is_default=False)
    member_order = _place(member_client, variant, shipping, member.email)
    _add_and_detail(member_client, variant, shipping, member.email)
    closing, closing_client = _member("closing@example.com")
    closing_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert closing_client.get(reverse("accounts:close_account")).status_code == 200
    clients = {"guest": guest, "member": member_client, "reauthenticated": closing_client}
    lines = {
        who: CartLine.objects.filter(cart__user=None if who == "guest" else user)
        .exclude(cart__status="ordered")
        .latest("pk")
        for who, user in (("guest", None), ("member", member))
    }
    lines["reauthenticated"] = lines["member"]
    forgetful = UserFactory(email="forgetful@example.com")
    unverified = UserFactory(email="new@example.com", verified_email=False)
    confirmation = EmailConfirmationHMAC(
        EmailAddress.objects.create(user=unverified, email=unverified.email, primary=True)
    )
    return SimpleNamespace(
        product=product,
        variant=variant,
        shipping=shipping,
        clients=clients,
        member=member,
        address=address,
        orders={"guest": guest_order, "member": member_order, "reauthenticated": member_order},
        lines=lines,
        confirm_key=confirmation.key,
        reset=(user_pk_to_url_str(forgetful), default_token_generator.make_token(forgetful)),
    )


def url_of(world, name: str, who: str) -> str:
    """The URL of ``name`` as ``who`` reaches it (their own line, order, address)."""
    who = "guest" if who == "anonymous" else who
    args = {
        "catalog:product": [world.product.slug],
        "catalog:series": [world.product.series.slug],
        "catalog:category": [world.product.category.slug],
        "cart:update_line": [world.lines[who].pk],
        "cart:remove_line": [world.lines[who].pk],
        "orders:detail": [world.orders[who].number],
        "orders:confirmation": [world.orders[who].number],
        "accounts:address_edit": [world.address.pk],
        "accounts:address_delete": [world.address.pk],
        "accounts:address_make_default": [world.address.pk],
        "account_confirm_email": [world.confirm_key],
        "account_reset_password_from_key": list(world.reset),
        "sitemap_section": ["products"],
    }.get(name, [])
    return reverse(name, args=args)


def reach(world, name: str) -> tuple[Client, str]:
    """The client that sends ``name``'s inputs and the URL it sends them to."""
    who = INPUTS[name].who
    client = Client() if who == "anonymous" else world.clients[who]
    url = url_of(world, name, who)
    if name == "account_reset_password_from_key":  # the key's page moves on to a form of its own
        url = client.get(url, follow=True).request["PATH_INFO"]
    return client, url


# --- the guards: the table names every URL, form field and query parameter --------------------


def test_every_url_of_the_shop_is_in_the_corpus_table_or_exempt_with_a_reason():
    names = {route.name for route in list_routes()}
    missing = names - set(INPUTS) - set(EXEMPT)
    assert not missing, f"send the corpus to these URLs (public_inputs.INPUTS): {missing}"
    stale = (set(INPUTS) | set(EXEMPT)) - names - {"media"}  # media: with DEBUG on only
    assert not stale, f"no such URL any more: {stale}"


def test_every_form_on_every_page_sends_only_fields_the_corpus_sends(world):
    """Every page, as a visitor and as a member (with a cart, the checkout's details, an order
    and saved addresses): each form goes to a URL of the table, with fields the table names."""
    missing = set()
    for viewer in ("guest", "member"):
        for name, inputs in INPUTS.items():
            if viewer == "guest" and inputs.who in ("member", "reauthenticated"):
                continue
            client, url = reach(world, name)
            if viewer == "member" and inputs.who == "guest":
                client = world.clients["member"]
            response = client.get(url, follow=True)
            if not response["Content-Type"].startswith("text/html"):
                continue
            for form in list_forms(response.request["PATH_INFO"], response.content.decode()):
                if form.action not in INPUTS:
                    missing.add((form.page, form.action, "(URL)"))
                    continue
                known = (
                    INPUTS[form.action].post if form.method == "post" else INPUTS[form.action].get
                )
                missing |= {(form.page, form.action, f) for f in form.fields - set(known)}
                if form.method == "post" and not INPUTS[form.action].posts:
                    missing.add((form.page, form.action, "(POST)"))
    assert not missing, f"(page, URL, field) the corpus does not send: {sorted(missing)}"


APPS = ["accounts", "catalog", "cart", "orders", "search", "guestbook", "service", "shop", "core"]
#: Modules that read query parameters outside a URL's view, and where the corpus sends them.
READERS = {
    ("shop/context_processors.py", "q"): "every page's header (HEADER)",
    ("shop/views.py", "next"): "csrf_failure (test_a_form_the_csrf_check_refused_...)",
}


def _query_parameters_read(path: Path) -> set[str]:
    """The names a module reads with request.GET.get("x"), .getlist("x") or GET["x"]."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("get", "getlist", "pop") and node.args:
                target, key = node.func.value, node.args[0]
        elif isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "GET"
            and isinstance(key, ast.Constant)
        ):
            names.add(key.value)
    return names


def test_every_query_parameter_the_views_read_is_sent_the_corpus():
    """The views' request.GET reads and the listing filters (django-filter binds the query
    string to a form) are in the table, for a URL served by that module."""
    root = Path(__file__).resolve().parents[2]
    by_module: dict[str, set[str]] = {}
    for route in list_routes():
        if route.name in INPUTS:
            module = route.callback_module.replace(".", "/") + ".py"
            by_module.setdefault(module, set()).update(INPUTS[route.name].get)
            filterset = getattr(route.view_class, "filterset_class", None)
            hidden = getattr(route.view_class, "hidden_filters", ())
            if filterset is not None:
                wanted = set(filterset.base_filters) - set(hidden)
                assert wanted <= set(INPUTS[route.name].get), (route.name, wanted)
    missing = set()
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            module = str(path.relative_to(root))
            if "migrations" in path.parts or path.name == "admin.py":
                continue
            names = _query_parameters_read(path) - by_module.get(module, set())
            missing |= {(module, name) for name in names} - set(READERS)
    assert not missing, f"query parameters the corpus does not send: {sorted(missing)}"


# --- the corpus, sent to every entry of the table ---------------------------------------------

FORM_ERROR = re.compile(
    r'class="(errorlist|errornote)|field-error|class="message error|role="alert"'
)
#: Sent last, in this order: each ends what the others need (a line, a cart, an address, an
#: account, the member's session).
ENDING = [
    "cart:remove_line",
    "cart:clear",
    "accounts:address_delete",
    "accounts:close_account",
    "account_logout",
]


class _Typed(HTMLParser):
    """What the text fields of a page's forms show: {(action, field name): value}; a password
    field shows None (never written back into a page)."""

    TEXT = ("text", "email", "tel", "search", "number", "url")

    def __init__(self):
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self._action = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action = attrs.get("action") or ""
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type") or "text"
            if kind in self.TEXT:
                self.values[(self._action, attrs["name"])] = attrs.get("value") or ""
            elif kind == "password":
                self.values[(self._action, attrs["name"])] = None
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.values[(self._action, self._textarea)] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[(self._action, self._textarea)] += data

    def handle_endtag(self, tag):
        self._textarea = None if tag == "textarea" else self._textarea


def assert_refused_clearly_and_kept(response, url: str, data: dict, where: str):
    """A form sent back (200, its page again) says what is wrong and keeps what was typed
    (what a person could type: printable, not blank, not 100 KB)."""
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    body = response.content.decode()
    parser = _Typed()
    parser.feed(body)
    shown = {
        name: typed
        for (action, name), typed in parser.values.items()
        if (urlsplit(action).path or url) == url and name in data
    }
    if not shown:
        return  # not a form sent back (a page of its own, e.g. the review)
    assert FORM_ERROR.search(body), f"{where}: refused without saying why"
    lost = {
        name
        for name, typed in shown.items()
        if typed is not None
        and _typable(str(data[name]))
        and typed.strip() != str(data[name]).strip()
    }
    assert not lost, f"{where}: what was typed is lost in {lost}"


def _typable(text: str) -> bool:
    return bool(text.strip()) and text.isprintable() and len(text) < 100


def send(client, method: str, url: str, data: dict, where: str):
    """Send, check the answer, and follow a redirect on the site (its page shows messages
    about what was sent)."""
    response = getattr(client, method)(url, data)
    assert_safe(response, where)
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/"):
        assert_safe(client.get(location), f"{where}, then {location}")
    return response


def corpus_order() -> list[str]:
    return [name for name in INPUTS if name not in ENDING] + ENDING


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_the_corpus_reaches_every_public_query_parameter_and_form(world, settings, value):
    """Each value in every query parameter of a URL at once, and in every field of its form
    at once (a URL that takes a POST without fields gets a junk one)."""
    settings.GUESTBOOK_RATE = settings.CONTACT_RATE = 1000
    sent = set()
    for name in corpus_order():
        inputs = INPUTS[name]
        client, url = reach(world, name)
        if inputs.get:
            send(client, "get", url, dict.fromkeys(inputs.get, value), f"GET {name}")
            sent.add((name, "get"))
        if inputs.posts:
            data = dict.fromkeys(inputs.post or ("junk",), value)
            response = send(client, "post", url, data, f"POST {name}")
            assert_refused_clearly_and_kept(response, url, data, f"POST {name}")
            sent.add((name, "post"))
    expected = {(n, "get") for n, i in INPUTS.items() if i.get}
    assert sent == expected | {(n, "post") for n, i in INPUTS.items() if i.posts}


# --- what the corpus stored, shown again -------------------------------------------------------

#: A valid e-mail address (a quoted local part) that is markup: stored wherever an address is.
HOSTILE_EMAIL = "\"<script>alert('x')</script>\"@example.com"
#: The forms that store what they are sent: valid answers, and the free-text fields the
#: corpus goes into (all at once: one row per form and value, or a refusal).
STORING = {
    "guestbook:index": (
        {"name": "Greta", "email": "", "message": "A fine shop.", "website": ""},
        ("name", "message"),
    ),
    "service:contact": (
        {
            "name": "Greta",
            "email": "greta@example.com",
            "topic": "other",
            "order_number": "",
            "message": "Where is my parcel?",
            "website": "",
        },
        ("name", "message"),
    ),
    "accounts:address_add": (
        {**ADDRESS_FORM, "phone": "030 1234"},
        ("full_name", "line1", "line2", "city"),
    ),
    "orders:checkout": (None, ("full_name", "line1", "line2", "city")),  # then placed
}


def _store_corpus_value(world, value: str) -> None:
    for name, (valid, fields) in STORING.items():
        client, url = reach(world, name)
        if valid is None:
            valid = checkout_data(world.shipping, email="shopper@example.com")
        data = {**valid, **dict.fromkeys(fields, value)}
        if value == HOSTILE_EMAIL:  # in the e-mail field instead
            data = {**valid, "email": value} if "email" in valid else valid
        response = send(client, "post", url, data, f"store {name}")
        assert_refused_clearly_and_kept(response, url, data, f"store {name}")
    guest = world.clients["guest"]
    review = guest.get(reverse("orders:checkout_review"))
    assert_safe(review, "review")
    if review.status_code == 200:  # the address was taken: the order is placed with it
        key = review.context["state"]["idempotency_key"]
        send(guest, "post", reverse("orders:place_order"), {"idempotency_key": key}, "place")
    send(guest, "get", reverse("search:results"), {"q": value}, "search")  # counted
    flush_search_counts()


def _admin_pages(before: dict) -> list[str]:
    """The admin list, and the change page (and preview, packing slip) of each row made since
    ``before`` (the highest primary key of each model then), of every model with new rows."""
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        new = list(model.objects.filter(pk__gt=before.get(model, 0)).values_list("pk", flat=True))
        if new:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in new:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
            if model is OutboxMessage:
                urls.append(reverse("admin:core_outboxmessage_preview", args=[pk]))
            if model is Order:
                urls.append(reverse("admin:orders_order_packing_slip", args=[pk]))
    return urls


def _highest_pks() -> dict:
    return {m: m.objects.aggregate(top=Max("pk"))["top"] or 0 for m in admin.site._registry}


def _pages_showing_stored_values(world) -> list[tuple[Client, str]]:
    Entry.objects.update(status=Entry.Status.PUBLISHED)
    member, guest = world.clients["member"], world.clients["guest"]
    pages = [(guest, reverse("guestbook:index")), (member, reverse("accounts:addresses"))]
    pages.append((member, reverse("orders:checkout")))  # the saved addresses to choose from
    pages += [
        (member, reverse("accounts:address_edit", args=[pk]))
        for pk in Address.objects.filter(user=world.member).values_list("pk", flat=True)
    ]
    for order in Order.objects.all():
        who = member if order.user_id else guest
        pages.append((who, reverse("orders:confirmation", args=[order.number])))
        if order.user_id:
            pages.append((member, reverse("orders:detail", args=[order.number])))
        inquiry = {"number": order.number, "email": order.email}
        pages.append((Client(), (reverse("orders:inquiry"), inquiry)))  # posted: found
    pages += [(member, reverse("orders:my_orders"))]
    pages.append((world.clients["reauthenticated"], reverse("account_email")))
    pages.append((guest, reverse("home")))
    pages.append((Client(), reverse("search:results")))  # the week's popular searches
    return pages


@pytest.mark.parametrize("value", [*CORPUS, HOSTILE_EMAIL], ids=range(len(CORPUS) + 1))
def test_what_the_corpus_stored_breaks_no_later_page_nor_the_admin(world, settings, value):
    """Stored through the public forms (guestbook, contact, address book, an order; searched
    for), each value is shown escaped on the pages that show it and in every admin page of
    its rows; markup stored is there as text."""
    settings.GUESTBOOK_RATE = settings.CONTACT_RATE = settings.SHOP_ORDER_RATE = 1000
    settings.GUESTBOOK_PREMODERATE = True
    before = _highest_pks()
    _store_corpus_value(world, value)
    if value == HOSTILE_EMAIL:
        # adding an address asks for the password again: a member who just gave it
        added = {"email": value, "action_add": ""}
        send(world.clients["reauthenticated"], "post", reverse("account_email"), added, "add")
        assert EmailAddress.objects.filter(email=value, user__email="closing@example.com")
        send(
            Client(),
            "post",
            reverse("account_signup"),
            {"email": value, "password1": "a-long-enough-pass", "password2": "a-long-enough-pass"},
            "sign-up",
        )
    stored = _highest_pks() != before
    bodies = []
    for client, url in _pages_showing_stored_values(world):
        response = client.post(*url) if isinstance(url, tuple) else client.get(url)
        assert_safe(response, url)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
    # the e-mails it caused go out (a name or an address that is markup, as Reply-To too)
    send_each(list_pending_message_ids())
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    download = world.clients["member"].get(reverse("your_data_download"))
    assert json.loads(download.content)["addresses"], "the member's data, as JSON"
    staff = Client()
    staff.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    for url in _admin_pages(before):
        response = staff.get(url)
        assert_safe(response, url)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
    if value in (SCRIPT, CORPUS[1], HOSTILE_EMAIL):  # markup, stored and shown as text
        assert stored
        assert any("&lt;script&gt;" in body or "&lt;img" in body for body in bodies)


# --- the whole form refused: too many fields, too big, or by the CSRF check ---------------------

POSTING = [name for name, inputs in INPUTS.items() if inputs.posts]


def _as_a_browser(client: Client) -> Client:
    """The CSRF check on, as in production (the test client skips it): it reads the form first."""
    client.handler.enforce_csrf_checks = True
    return client


def test_ten_thousand_fields_or_an_oversized_body_get_the_clear_400_from_every_form(world):
    fields = {f"f{i}": "x" for i in range(10_000)}
    oversized = "x=" + "y" * 3_000_000
    for name in sorted(POSTING, key=lambda n: n in ENDING):
        client, url = reach(world, name)
        _as_a_browser(client)
        for where, response in (
            ("10,000 fields", client.post(url, fields)),
            ("3 MB", client.post(url, oversized, "application/x-www-form-urlencoded")),
        ):
            assert response.status_code == 400, f"{name}: {where}"
            assert "We could not understand that request" in response.content.decode(), name


def test_a_form_the_csrf_check_refused_comes_back_with_the_corpus_escaped(world):
    """The page that offers to send a refused form again writes what was sent into a form and
    a list: every form's fields, each value of the corpus (in one form; markup in all)."""
    for name in sorted(POSTING, key=lambda n: n in ENDING):
        inputs = INPUTS[name]
        client, url = reach(world, name)
        _as_a_browser(client).cookies["csrftoken"] = "x" * 32  # another tab's, say
        values = CORPUS if name == "guestbook:index" else [SCRIPT, CORPUS[1]]
        for value in values:
            data = {
                **dict.fromkeys(inputs.post or ("junk",), value),
                "csrfmiddlewaretoken": "y" * 32,
            }
            response = client.post(url, data, HTTP_ORIGIN="http://testserver")
            assert_safe(response, f"refused {name}")
            assert response.status_code in (302, 403), name
    member = _as_a_browser(world.clients["member"])
    for value in [*CORPUS, "//evil.example", "https:evil.example", "/\\evil.example"]:
        login = f"{reverse('account_login')}?{urlencode({'next': value})}"
        response = member.post(login, {"csrfmiddlewaretoken": "y" * 32})
        assert response.status_code == 302, value  # signed in already: on to ?next=
        assert urlsplit(response["Location"]).netloc in ("", "testserver"), value


def test_malformed_requests_to_every_public_input_get_a_page_or_a_clear_refusal(world, settings):
    """What no browser sends but anyone can: bytes that are not UTF-8, each parameter twice,
    markup as a field's name, an unknown charset, JSON and a broken multipart body."""
    settings.GUESTBOOK_RATE = settings.CONTACT_RATE = 1000
    odd_names = "&%3Cscript%3Ealert(1)%3C%2Fscript%3E=x&%FF=%FF"
    for name in corpus_order():
        inputs = INPUTS[name]
        client, url = reach(world, name)
        if inputs.get:
            query = "&".join(f"{p}=%FF%FE%00&{p}=a" for p in inputs.get) + odd_names
            assert_safe(client.get(f"{url}?{query}"), f"GET {name}")
        if not inputs.posts:
            continue
        body = "&".join(f"{p}=%FF%FE&{p}=1" for p in inputs.post or ("junk",)) + odd_names
        for content_type, data in (
            ("application/x-www-form-urlencoded", body),
            ("application/x-www-form-urlencoded; charset=bogus", body),
            ("application/json", '{"quantity": [1]}'),
            ("multipart/form-data; boundary=b", "--b\r\nbroken"),
        ):
            response = client.generic("POST", url, data.encode(), content_type)
            assert_safe(response, f"POST {name} as {content_type}")


#: Where a redirect must not go, written as browsers and servers might read them.
OFF_SITE = [
    "//evil.example",
    "https:evil.example",
    "/\\evil.example",
    "/\t/evil.example",
    "///evil.example",
    "\x00//evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/./\\evil.example",
    "javascript:alert(1)",
    "/a\r\nSet-Cookie: x=1",
    "/" + "x" * 100_000,
]
REDIRECT_FIELDS = ("next", "on_error")


def test_every_redirect_target_a_form_or_link_takes_stays_on_the_site(world):
    """Each ``next``/``on_error`` of the table, sent with an answer that succeeds (and one that
    fails), by GET and POST: the redirect stays on this site, its Location one header."""
    succeeding = {
        "cart:add": {"variant": world.variant.pk, "quantity": 1},
        "account_login": {"login": "member@example.com", "password": PASSWORD},
        "account_reauthenticate": {"password": PASSWORD},
    }
    checked = set()
    for name in corpus_order():
        inputs = INPUTS[name]
        fields = [f for f in (*inputs.get, *inputs.post) if f in REDIRECT_FIELDS]
        for target in OFF_SITE if fields else []:
            for method, answer in (("get", {}), ("post", succeeding.get(name, {}))):
                client, url = reach(world, name)
                response = getattr(client, method)(url, {**answer, **dict.fromkeys(fields, target)})
                assert_safe(response, f"{method} {name} {target!r}")
                location = response.get("Location", "")
                assert "evil" not in urlsplit(location).netloc, (name, target, location)
                assert urlsplit(location).scheme in ("", "http"), (name, target, location)
                assert not {"\r", "\n"} & set(location), (name, target)
                checked.add(name)
    assert checked >= {"cart:add", "account_login", "account_logout", "account_reauthenticate"}


#: What each exempt URL answers anyone, whatever they send (EXEMPT says why).
EXEMPT_ANSWERS = {
    "account_set_password": (302,),  # to sign in, or (a member has a password) to change it
    "account_request_reauthentication_code": (302, 403),  # no codes: sign in, or refused
    "account_confirm_reauthentication_code": (302, 403),
    "account_confirm_login_code": (302,),
    "healthz": (200, 405),
}


def test_the_exempt_urls_answer_the_same_whatever_is_sent(world):
    for name, answers in EXEMPT_ANSWERS.items():
        assert name in EXEMPT
        for client in (Client(), world.clients["member"]):
            for value in (SCRIPT, CORPUS[1], "x" * 100_000):
                fields = {"password1": value, "password2": value, "code": value, "q": value}
                for method in ("get", "post"):
                    response = getattr(client, method)(reverse(name), fields)
                    assert_safe(response, name)
                    # to sign in with a 100 KB ?next=: a redirect too long to send, the 400
                    too_long = (400,) if len(value) > 16_384 and method == "get" else ()
                    assert response.status_code in answers + too_long, (name, method)
    for section in ("contact", "address", "delivery", "payment"):  # checkout_step_moved
        response = world.clients["guest"].post(f"/checkout/{section}/", {"email": SCRIPT})
        assert response["Location"] == f"{reverse('orders:checkout')}#{section}"

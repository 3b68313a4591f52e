"""The hostile-input corpus (test_hostile_input.CORPUS) sent to every public URL of the
shop, every query parameter it reads and every field its forms send, as listed in
public_inputs.INPUTS; guard tests keep that table complete as the shop changes. Then what the
corpus stored is shown on the public pages and in the admin: no 5xx, escaped."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.test import Client
from django.urls import reverse

from cart.models import CartLine, ShippingMethod
from orders.models import Order
from tests.factories import AddressFactory, ProductFactory, UserFactory
from tests.orders.helpers import checkout_data

from .public_inputs import EXEMPT, INPUTS, list_forms, list_routes

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
    "shop/context_processors.py": "every page's ?q= (HEADER)",
    "shop/views.py": "csrf_failure's ?next= (test_the_refused_form_page_shows_the_corpus_escaped)",
    "core/errorreports.py": "error reports: only whether there is a query string",
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
            if "migrations" in path.parts or path.name == "admin.py" or module in READERS:
                continue
            names = _query_parameters_read(path)
            missing |= {(module, n) for n in names - by_module.get(module, set())}
    assert not missing, f"query parameters the corpus does not send: {sorted(missing)}"

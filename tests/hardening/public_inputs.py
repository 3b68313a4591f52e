"""What the shop takes from the public: every URL, the forms its pages send and the query
parameters its views read, in one table (INPUTS), with the URLs left out and why (EXEMPT).

The hostile-input corpus (test_public_inputs.py) is sent to every entry of the table, and
guard tests fail when the shop grows a URL, a form field or a query parameter the table does
not name: "every public form and query parameter" stays true as the shop changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

#: Every page reads ?q= (the header's search box shows it: shop.context_processors).
HEADER = ("q",)
LISTING = ("q", "min_price", "max_price", "in_stock", "series", "category", "sort", "page")
ADDRESS = ("full_name", "line1", "line2", "postcode", "city", "country", "phone")
#: The one-page checkout's sections and their fields (the corpus also posts each section alone).
CHECKOUT_SECTIONS = {
    "contact": ("email", "phone"),
    "address": (
        "saved_address",
        "full_name",
        "line1",
        "line2",
        "postcode",
        "city",
        "country",
        "save_address",
    ),
    "delivery": ("shipping_method",),
    "payment": ("payment_method",),
}
CHECKOUT = tuple(name for names in CHECKOUT_SECTIONS.values() for name in names)


@dataclass(frozen=True)
class Inputs:
    """What one URL takes: query parameters, POST fields, and who sends them."""

    get: tuple[str, ...] = HEADER
    post: tuple[str, ...] = ()
    #: who sends it: "guest" (a visitor with a cart, checkout details and an order placed),
    #: "anonymous" (a new visitor: the sign-in and sign-up pages send a member on), "member"
    #: or "reauthenticated" (a member who just gave their password again)
    who: str = "guest"
    posts: bool = False  # answers POST (even without fields: the corpus posts junk fields)


INPUTS: dict[str, Inputs] = {
    "home": Inputs(),
    "catalog:products": Inputs(get=LISTING),
    "catalog:product": Inputs(),
    "catalog:series": Inputs(get=LISTING),
    "catalog:category": Inputs(get=LISTING),
    "search:results": Inputs(get=LISTING),
    "search:suggest": Inputs(get=("q",)),
    "cart:detail": Inputs(),
    "cart:add": Inputs(get=(), post=("variant", "quantity", "next", "on_error"), posts=True),
    "cart:update_line": Inputs(get=(), post=("quantity",), posts=True),
    "cart:remove_line": Inputs(get=(), posts=True),
    "cart:clear": Inputs(posts=True),
    "orders:checkout": Inputs(post=CHECKOUT, posts=True),
    "orders:checkout_review": Inputs(),
    "orders:place_order": Inputs(get=(), post=("idempotency_key", "reviewed"), posts=True),
    "orders:inquiry": Inputs(get=(*HEADER, "number"), post=("number", "email"), posts=True),
    "orders:my_orders": Inputs(get=(*HEADER, "page"), who="member"),
    "orders:detail": Inputs(who="member"),
    "orders:confirmation": Inputs(),
    "guestbook:index": Inputs(
        get=(*HEADER, "page"), post=("name", "email", "message", "website"), posts=True
    ),
    "service:index": Inputs(),
    "service:contact": Inputs(
        get=(*HEADER, "topic", "order"),
        post=("name", "email", "topic", "order_number", "message", "website"),
        posts=True,
    ),
    "service:guide": Inputs(),
    "service:commitments": Inputs(),
    "service:returns": Inputs(),
    "service:payment": Inputs(),
    "service:delivery": Inputs(),
    "service:legal": Inputs(),
    "service:privacy": Inputs(),
    "accounts:addresses": Inputs(who="member"),
    "accounts:address_add": Inputs(post=(*ADDRESS, "make_default"), who="member", posts=True),
    "accounts:address_edit": Inputs(post=(*ADDRESS, "make_default"), who="member", posts=True),
    "accounts:address_delete": Inputs(who="member", posts=True),
    "accounts:address_make_default": Inputs(get=(), who="member", posts=True),
    "accounts:your_data": Inputs(who="member"),
    "accounts:close_account": Inputs(who="reauthenticated", posts=True),
    "your_data_download": Inputs(get=(), who="member"),
    # django-allauth's pages the shop links to (templates/allauth restyles them)
    "account_login": Inputs(
        get=(*HEADER, "next"),
        post=("login", "password", "remember", "next"),
        who="anonymous",
        posts=True,
    ),
    "account_logout": Inputs(get=(*HEADER, "next"), post=("next",), who="member", posts=True),
    "account_signup": Inputs(
        get=(*HEADER, "next"),
        post=("email", "password1", "password2", "next"),
        who="anonymous",
        posts=True,
    ),
    "account_reset_password": Inputs(post=("email",), posts=True),
    "account_reset_password_done": Inputs(),
    "account_reset_password_from_key": Inputs(
        post=("password1", "password2", "action"), who="anonymous", posts=True
    ),
    "account_reset_password_from_key_done": Inputs(),
    "account_email_verification_sent": Inputs(),
    "account_confirm_email": Inputs(who="anonymous", posts=True),
    "account_email": Inputs(
        post=("email", "action_add", "action_send", "action_remove", "action_primary"),
        who="member",
        posts=True,
    ),
    "account_change_password": Inputs(
        post=("oldpassword", "password1", "password2"), who="member", posts=True
    ),
    "account_reauthenticate": Inputs(
        get=(*HEADER, "next"), post=("password", "next"), who="member", posts=True
    ),
    "account_inactive": Inputs(),
    # the staff's sign-in page is open to anyone (rate limited, shop/urls.py)
    "admin:login": Inputs(
        get=(*HEADER, "next"), post=("username", "password", "next"), who="anonymous", posts=True
    ),
    "robots_txt": Inputs(get=()),
    "sitemap": Inputs(get=()),
    "sitemap_section": Inputs(get=("p",)),
}

#: URLs the corpus leaves out, and why. Staff pages are not public; the rest answer the same
#: whatever is sent, or exist only for settings the shop does not use.
EXEMPT = {
    "admin": "staff only but admin:login (test_staff_rights.py, test_admin_bounds.py); the "
    "stored corpus is shown in it",
    "admin_view_on_site": "staff only: the admin's 'view on site'",
    "healthz": "reads nothing from the request (monitoring)",
    "media": "DEBUG only: files, served by nginx in production",
    "checkout_step_moved": "the old checkout steps: a redirect that reads nothing",
    "account_set_password": "members sign up with a password: allauth redirects to change",
    "account_request_reauthentication_code": "ACCOUNT_REAUTHENTICATION_METHODS has no code",
    "account_confirm_reauthentication_code": "ACCOUNT_REAUTHENTICATION_METHODS has no code",
    "account_confirm_login_code": "sign-in by code is off (ACCOUNT_LOGIN_BY_CODE_ENABLED)",
}


@dataclass(frozen=True)
class Route:
    name: str  # the URL name, "admin" for every admin page, "media", "checkout_step_moved"
    pattern: str
    converters: tuple[str, ...]  # the path's parameters
    callback_module: str = ""
    view_class: type | None = None


def list_routes() -> list[Route]:
    """Every URL pattern of the shop's URLconf, recursively (the admin's as one)."""
    routes: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if pattern.startswith("admin/"):
                    # staff only, but for its sign-in page
                    routes.append(Route("admin", pattern, ()))
                    routes.append(Route("admin:login", f"{pattern}login/", ()))
                    continue
                inner = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry, pattern, inner)
                continue
            assert isinstance(entry, URLPattern)
            name = entry.name and ":".join(filter(None, [namespace, entry.name]))
            if not name:
                name = entry.callback.__name__
                name = "media" if name == "serve" else name
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern))
            view_class = getattr(entry.callback, "view_class", None)
            module = (view_class or entry.callback).__module__
            converters = tuple(a or b for a, b in params)
            routes.append(Route(name, pattern, converters, module, view_class))

    walk(get_resolver(), "", "")
    return routes


@dataclass(frozen=True)
class Form:
    page: str  # the URL name of the page the form is on
    action: str  # the URL name it is sent to
    method: str
    fields: frozenset[str]


FIELD_TAGS = ("input", "select", "textarea", "button")


class _Forms(HTMLParser):
    """Every <form> of a page with the names of the fields (and named buttons) it sends."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []
        self._current: tuple[str, str, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = (
                attrs.get("action") or "",
                (attrs.get("method") or "get").lower(),
                set(),
            )
            self.forms.append(self._current)
        elif tag in FIELD_TAGS and self._current is not None and attrs.get("name"):
            self._current[2].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def list_forms(path: str, html: str) -> list[Form]:
    """The forms of the page at ``path`` that go to the shop, by URL name."""
    parser = _Forms()
    parser.feed(html)
    page = url_name(path)
    forms = []
    for action, method, names in parser.forms:
        target = urlsplit(action).path or path
        forms.append(
            Form(page, url_name(target), method, frozenset(names - {"csrfmiddlewaretoken"}))
        )
    return forms


def url_name(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return f"(no URL: {path})"
    if match.view_name.startswith("admin:"):
        return "admin:login" if match.view_name == "admin:login" else "admin"
    if match.url_name is None:  # checkout_step_moved, media
        return "media" if match.func.__name__ == "serve" else match.func.__name__
    return match.view_name

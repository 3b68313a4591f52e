import json
import logging
import sqlite3
import sys

from django import db
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_safe
from django.views.generic import TemplateView

from accounts.selectors import get_member_data, list_verified_emails
from cart.selectors import list_member_cart_data, list_shipping_methods
from catalog import selectors
from core.diskfull import is_disk_full
from core.pagecache import cache_anonymous_page
from core.siteurl import absolute_url, is_path_on_this_site, site_root
from guestbook.selectors import list_entries_by_authors
from orders.selectors import list_member_order_data
from search.selectors import list_hot_searches
from service.selectors import list_messages_by_senders

from .health import check_health

logger = logging.getLogger(__name__)


@method_decorator(cache_anonymous_page(timeout=300), name="dispatch")
class HomeView(TemplateView):
    template_name = "shop/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        free_from = [m.free_over for m in list_shipping_methods() if m.free_over is not None]
        context.update(
            tagline=settings.SHOP_TAGLINE,
            # the title says what the shop sells, not its name alone: "Gear for the trail,
            # goods for the home · Meadow & Pine"
            home_title=settings.SHOP_TAGLINE.strip().rstrip("."),
            # only what is true of this shop: a series sentence needs series, "free delivery"
            # needs a delivery method that is free from some amount
            free_delivery_from=min(free_from, default=None),
            featured=selectors.list_featured_products(),
            new_arrivals=selectors.list_new_arrivals(),
            showcase=selectors.list_series_showcase(),
            navigation=selectors.get_navigation(),
            hot_searches=list_hot_searches(),
            meta_description=(
                settings.SHOP_NAME
                + (f": {settings.SHOP_TAGLINE.rstrip('.')}" if settings.SHOP_TAGLINE else "")
                + f", with {settings.SHOP_RETURN_DAYS}-day returns."
            ),
            structured_data=home_structured_data(self.request),
        )
        return context


def home_structured_data(request) -> list[dict]:
    """schema.org WebSite (with the search box search engines may show under the shop's
    result) and Organization (name, address, logo), at the shop's own address."""
    root = site_root(request)
    return [
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": settings.SHOP_NAME,
            "url": root + "/",
            "potentialAction": {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": absolute_url(reverse("search:results"), request)
                    + "?q={search_term_string}",
                },
                "query-input": "required name=search_term_string",
            },
        },
        {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": settings.SHOP_NAME,
            "url": root + "/",
            "logo": absolute_url(settings.SHOP_LOGO or static("img/logo.svg"), request),
            "email": settings.SHOP_ADMIN_EMAIL,
        },
    ]


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    # on the shop's own address (SHOP_URL), like every address in the sitemap
    sitemap = absolute_url(reverse("sitemap"), request)
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /orders/",
        "Disallow: /search/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe  # GET and HEAD: some uptime monitors only send HEAD
@never_cache
def healthz(request):
    """For a load balancer or an uptime monitor: 200 while the shop can serve (its database
    answers), 503 when it cannot; the body's fields are explained in shop/health.py. Nothing
    is logged as an error here (a balancer asks every few seconds): the shop-healthcheck timer
    (manage.py healthcheck) is what tells the owner."""
    health = check_health()
    if "database_error" in health:
        # a warning, not a traceback: a balancer asks every few seconds while it lasts
        logger.warning("Health check: database unavailable: %s", health.pop("database_error"))
    return JsonResponse(health, status=503 if health["status"] == "down" else 200)


# PostgreSQL's SQLSTATEs of a connection lost or refused: class 08, the server shutting down
# or starting up, too many connections. Any other error it answered (a statement timeout, a
# deadlock) is a fault.
CONNECTION_LOST = ("08", "57P01", "57P02", "57P03", "53300")


def _database_out_of_reach(exc) -> bool:
    """The database could not be reached: not a query it answered with an error."""
    if isinstance(exc, db.InterfaceError):
        return True
    if not isinstance(exc, db.OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):  # SQLite: a file, never out of reach
        return False
    sqlstate = getattr(cause, "sqlstate", None)  # none: the driver lost the connection
    return not sqlstate or sqlstate.startswith(CONNECTION_LOST)


def server_error(request, *args, **kwargs):
    """The 500 page in the shop's look, rendered without touching the database. When the
    database could not be reached (a restart, a dropped connection: the next request gets a
    new one), 503 with Retry-After: the shop is back in a moment, and crawlers and monitors
    tell that from a fault."""
    error = sys.exc_info()[1]
    unavailable = _database_out_of_reach(error)
    # a full disk where a file is written (an upload, a picture, an e-mail file): no bug, and
    # it lasts until somebody makes space; say so, and that what was sent is not stored
    disk_full = not unavailable and is_disk_full(error)
    try:
        template = loader.get_template("500.html")
        body = template.render(
            {
                "SHOP_NAME": settings.SHOP_NAME,
                "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
                "bare": True,
                "unavailable": unavailable,
                "disk_full": disk_full,
                # quoted by a customer who writes in, it finds the error in the journal
                # and the error mail (core/requestlog.py)
                "request_id": getattr(request, "id", ""),
            }
        )
    except Exception:  # the error page itself must never fail
        logger.exception("Rendering 500.html failed")
        body = "<h1>Server error</h1><p>Please try again in a moment.</p>"
    if not unavailable and not disk_full:
        return HttpResponseServerError(body)
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "600" if disk_full else "10"
    return response


@require_GET
@login_required
def your_data_download(request):
    """What the shop keeps about the signed-in member, as one JSON file ("take it with you"):
    account, addresses, orders, cart, and what they wrote to the guestbook and to customer
    service from an address they proved is theirs (staff's internal order notes and the
    outbox's copies of e-mails sent are not in it; the page says to ask). A bounded number of
    queries."""
    user = request.user
    emails = list_verified_emails(user=user)
    data = {
        "shop": settings.SHOP_NAME,
        "created": timezone.now(),
        **get_member_data(user=user),
        "orders": list_member_order_data(user=user),
        "cart": list_member_cart_data(user=user),
        "guestbook_messages": list_entries_by_authors(emails=emails),
        "messages_to_customer_service": list_messages_by_senders(emails=emails),
    }
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"{slugify(settings.SHOP_NAME) or 'shop'}-your-data-{timezone.localdate()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _same_origin(request) -> bool:
    """Whether the refused form was sent from one of the shop's own pages: the browser's
    Origin header is this site (or a trusted origin). Another site's forged post gets no
    offer to send it again, nor its text shown here."""
    origin = request.headers.get("Origin", "")
    return bool(origin) and (
        origin == request.build_absolute_uri("/").rstrip("/")
        or origin in settings.CSRF_TRUSTED_ORIGINS
    )


# How "What you typed" names the shop's form fields; fields a visitor never typed (hidden
# ones: an order's idempotency key, a variant id) are sent again but not listed.
TYPED_FIELD_LABELS = {
    "full_name": "Name",
    "name": "Name",
    "email": "E-mail",
    "phone": "Phone",
    "line1": "Address",
    "line2": "Address (line 2)",
    "postcode": "Postcode",
    "city": "City",
    "country": "Country",
    "message": "Message",
    "subject": "Subject",
    "topic": "Topic",
    "order": "Order number",
    "number": "Order number",
    "quantity": "Quantity",
    "note": "Note",
}
NOT_TYPED_FIELDS = {"idempotency_key", "reviewed", "variant", "next", "on_error", "action", "ids"}


def _typed(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields of a refused form a person typed, under words they know."""
    return [
        (TYPED_FIELD_LABELS.get(name, name.replace("_", " ").capitalize()), value)
        for name, value in fields
        if value and name not in NOT_TYPED_FIELDS
    ]


def csrf_failure(request, reason: str = ""):
    """The shop's page for a form the CSRF check refused (settings.CSRF_FAILURE_VIEW).

    A sign-out (or sign-in) button from a tab left open is taken as done when the visitor
    already is signed out (or in). A browser that sends no cookie at all blocks them, or they
    were just deleted: it is told the shop needs them. Otherwise the form's token changed,
    mostly because the visitor signed in or out in another tab. Either way a form sent from the
    shop's own page comes back as one "Send it again" button carrying what was typed (with a
    fresh token, and its cookie), also shown to copy: cookies just deleted, it works at once;
    blocked, once they are allowed (the page may come back once, then its button works). It
    was not offered without cookies, and "reload the page" lost what was typed. A form with a
    password is never written back into a page.
    """
    # Sign out or in from a tab whose token the other tab's sign-out or sign-in changed: the
    # visitor already is where the button would take them.
    if request.path == reverse("account_logout") and not request.user.is_authenticated:
        messages.info(request, "You are signed out.")
        return redirect("home")
    if request.path == reverse("account_login") and request.user.is_authenticated:
        messages.info(request, f"You are signed in as {request.user.email}.")
        after = request.GET.get("next", "")
        # a path on this site, never redirect()'s guess: a word there was taken for a URL
        # name, and one that is none (?next=checkout) was a 500
        return HttpResponseRedirect(
            after if is_path_on_this_site(request, after) else reverse("home")
        )
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken"
        for value in values
    ]
    cookies_blocked = not request.COOKIES
    secret = any("password" in name for name, _ in fields) or bool(request.FILES)
    keep = _same_origin(request) and not secret and bool(fields)
    response = render(
        request,
        "403_csrf.html",
        {
            "cookies_blocked": cookies_blocked,
            "resend": fields if keep else None,
            "typed": _typed(fields) if keep else None,
            "action": request.get_full_path(),
            "page_title": "Please send that again",
        },
        status=403,
    )
    response["Cache-Control"] = "private, no-store"  # it may hold what the visitor typed
    return response

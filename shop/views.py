import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from accounts.selectors import get_member_data, list_verified_emails
from cart.selectors import list_member_cart_data
from catalog import selectors
from core.pagecache import cache_anonymous_page
from guestbook.selectors import list_entries_by_authors
from orders.selectors import list_member_order_data
from search.selectors import list_hot_searches
from service.selectors import list_messages_by_senders

logger = logging.getLogger(__name__)


@method_decorator(cache_anonymous_page(timeout=300), name="dispatch")
class HomeView(TemplateView):
    template_name = "shop/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            featured=selectors.list_featured_products(),
            new_arrivals=selectors.list_new_arrivals(),
            showcase=selectors.list_series_showcase(),
            navigation=selectors.get_navigation(),
            hot_searches=list_hot_searches(),
            meta_description=(
                f"{settings.SHOP_NAME}: outdoor gear and home goods, shipped fast, "
                f"with {settings.SHOP_RETURN_DAYS}-day returns."
            ),
        )
        return context


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("django.contrib.sitemaps.views.sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /search/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def server_error(request, *args, **kwargs):
    """The 500 page in the shop's look, rendered without touching the database."""
    try:
        template = loader.get_template("500.html")
        body = template.render(
            {
                "SHOP_NAME": settings.SHOP_NAME,
                "SHOP_ADMIN_EMAIL": settings.SHOP_ADMIN_EMAIL,
                "bare": True,
            }
        )
    except Exception:  # the error page itself must never fail
        logger.exception("Rendering 500.html failed")
        body = "<h1>Server error</h1><p>Please try again in a moment.</p>"
    return HttpResponseServerError(body)


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

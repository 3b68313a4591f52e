import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from catalog import selectors
from core.pagecache import cache_anonymous_page
from search.selectors import list_hot_searches

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
                "with 7-day returns."
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

"""sitemap.xml: an index of one sitemap per section, the products' in pages of
ProductSitemap.limit (search engines take up to 50,000 addresses a file).

Every address is on the shop's own (SHOP_URL, else the request's: core.siteurl). The files are
kept in the anonymous page cache (core/pagecache.py) under the SITEMAP_SCOPE, which a product
saved, deleted, put on sale or taken off it bumps (catalog.signals, catalog.services), as does
any change to series or categories (every page): a new product is listed at once, one taken
off sale is gone at once, and a crawler asking again costs no query."""

from dataclasses import dataclass

from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from catalog.models import Product
from catalog.selectors import SITEMAP_SCOPE, get_navigation
from core.pagecache import cache_anonymous_page
from core.siteurl import absolute_url, site_root

# A page of 10,000 products takes ~0.7 s to build (bench catalog); built once, it is kept
# until the catalog changes as above, or this long.
SITEMAP_CACHE_SECONDS = 24 * 60 * 60
# what a browser or proxy may keep it without asking again
SITEMAP_MAX_AGE = 60 * 60


class ProductSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8
    limit = 10000  # per page of sitemap-products.xml (search engines take up to 50,000)

    def items(self):
        return Product.objects.active().only("slug", "updated_at").order_by("id")

    def lastmod(self, obj):
        return obj.updated_at

    def get_latest_lastmod(self):
        # For the index; Django's default builds every product to take the newest date
        # (1 s for 100,000 products).
        return self.items().order_by().aggregate(latest=Max("updated_at"))["latest"]


def _listed(ids: set[int], node) -> bool:
    return any(pk in ids for pk in node.descendant_ids())


class SeriesSitemap(Sitemap):
    """The series that have a product on sale (an empty listing is no page to send anyone
    to); one query, the series themselves from the cached navigation."""

    changefreq = "weekly"
    priority = 0.6

    def items(self):
        listed = set(Product.objects.active().values_list("series_id", flat=True).distinct())
        return [series for series in get_navigation().series if series.pk in listed]


class CategorySitemap(Sitemap):
    """The categories that list a product on sale (their own or one of a subcategory)."""

    changefreq = "weekly"
    priority = 0.6

    def items(self):
        listed = set(Product.objects.active().values_list("category_id", flat=True).distinct())
        return [node for node, _ancestors in get_navigation().walk() if _listed(listed, node)]


class StaticSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.4

    def items(self):
        return [
            "home",
            "catalog:products",
            "service:index",
            "service:guide",
            "service:commitments",
            "service:returns",
            "service:payment",
            "service:delivery",
            "service:legal",
            "service:privacy",
            "guestbook:index",
        ]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "static": StaticSitemap,
    "series": SeriesSitemap,
    "categories": CategorySitemap,
    "products": ProductSitemap,
}


@dataclass
class _Site:
    """What Sitemap.get_urls reads of a site: its host name."""

    domain: str


def _scheme_and_site(request) -> tuple[str, _Site]:
    scheme, _, host = site_root(request).partition("://")
    return scheme, _Site(domain=host)


def _cached(response):
    response.headers["X-Robots-Tag"] = "noindex"  # the file itself is no search result
    response.page_cache_scopes = [SITEMAP_SCOPE]
    patch_cache_control(response, public=True, max_age=SITEMAP_MAX_AGE)
    return response


@cache_anonymous_page(timeout=SITEMAP_CACHE_SECONDS)
def sitemap_index(request):
    """/sitemap.xml: the address of every section's sitemap and of each of its pages, with
    the newest change of each; a query or two per section, whatever the catalog's size."""
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        location = absolute_url(reverse("sitemap_section", args=[section]), request)
        lastmod = sitemap.get_latest_lastmod()
        entries.append({"location": location, "last_mod": lastmod})
        for page in range(2, sitemap.paginator.num_pages + 1):
            entries.append({"location": f"{location}?p={page}", "last_mod": lastmod})
    return _cached(
        TemplateResponse(
            request,
            "sitemap_index.xml",
            {"sitemaps": entries},
            content_type="application/xml",
        )
    )


@cache_anonymous_page(timeout=SITEMAP_CACHE_SECONDS)
def sitemap_section(request, section: str):
    """/sitemap-<section>.xml(?p=N): one page of a section's addresses."""
    if section not in SITEMAPS:
        raise Http404("No such sitemap")
    scheme, site = _scheme_and_site(request)
    try:
        urls = SITEMAPS[section]().get_urls(
            page=request.GET.get("p", 1), site=site, protocol=scheme
        )
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of the sitemap") from None
    return _cached(
        TemplateResponse(request, "sitemap.xml", {"urlset": urls}, content_type="application/xml")
    )

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from catalog.models import Category, Product, Series

# Crawlers fetch these a few times a day; a page of 10,000 products takes ~0.7 s to build
# (bench catalog), so each is kept for hours: a new product is listed that much later.
SITEMAP_CACHE_SECONDS = 6 * 60 * 60


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


class SeriesSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Series.objects.all()


class CategorySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Category.objects.all()


class StaticSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.4

    def items(self):
        return [
            "home",
            "service:index",
            "service:guide",
            "service:commitments",
            "service:returns",
            "service:payment",
            "service:delivery",
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

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Category, Product, Series


class ProductSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8
    limit = 10000

    def items(self):
        return Product.objects.active().only("slug", "updated_at").order_by("id")

    def lastmod(self, obj):
        return obj.updated_at


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

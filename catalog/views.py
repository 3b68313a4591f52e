from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.generic import DetailView
from django_filters.views import FilterView

from core.money import round_money
from core.pagecache import cache_anonymous_page
from core.pagination import page_links
from core.siteurl import absolute_url
from core.text import shorten

from . import selectors
from .filters import ProductFilter
from .models import Product, Series, orderable_max, stock_state

PAGE_SIZE = 24
PAGE_CACHE_SECONDS = 300
# A listing shows its first 200 pages (4,800 products). Page 4,000 of "all products" on the
# 100,000-product bench catalog took 0.5-0.75 s (PostgreSQL walks every row before the
# OFFSET), so a crawler or anyone asking for deep pages kept workers busy; no shopper pages
# that far. The rest is found by category, filter, sort order or search; every product is in
# the sitemap.
MAX_LISTING_PAGES = 200
anonymous_cache = method_decorator(
    cache_anonymous_page(timeout=PAGE_CACHE_SECONDS),
    name="dispatch",
)


class ListingPaginator(Paginator):
    """Pages up to ``max_pages``; ``total_count`` is the real number of products."""

    def __init__(self, *args, max_pages: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_pages = max_pages or MAX_LISTING_PAGES

    @cached_property
    def total_count(self) -> int:
        return super().count

    @cached_property
    def count(self) -> int:
        return min(self.total_count, self.max_pages * self.per_page)

    @property
    def capped(self) -> bool:
        return self.total_count > self.count


@anonymous_cache
class ProductListView(FilterView):
    """All active products, filtered and sorted; the base of series, category and search pages."""

    filterset_class = ProductFilter
    template_name = "catalog/product_list.html"
    context_object_name = "products"
    paginate_by = PAGE_SIZE
    paginator_class = ListingPaginator
    strict = False  # an invalid filter value is shown as an error and ignored, not an empty page
    hidden_filters: tuple[str, ...] = ()
    indexable = True  # search engines may list it (unfiltered): search results may not

    def get_base_queryset(self):
        return selectors.list_active_products()

    def get_queryset(self):
        return self.get_base_queryset()

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for name in self.hidden_filters:
            filterset.form.fields.pop(name, None)
            filterset.filters.pop(name, None)
        return filterset

    def paginate_queryset(self, queryset, page_size):
        products = selectors.CardPages(queryset)
        paginator = self.get_paginator(products, page_size, allow_empty_first_page=True)
        # get_page: a bad page number shows page 1, an out-of-range one the last page, never a
        # 404 (a filter may have shrunk the result while the page number stayed in the link).
        page = paginator.get_page(self.request.GET.get("page"))
        self._listing_paginator = paginator
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.get_page_title()
        context["page_heading"] = self.get_page_title()
        context["meta_description"] = self.get_meta_description()
        context["navigation"] = selectors.get_navigation()
        chosen = self.chosen_filters()
        # an empty listing says "no products yet" unless filters (not the order) emptied it;
        # other parameters (utm_source, a tracking id) filter nothing
        context["filtered"] = bool(chosen - {"sort"})
        page = context.get("page_obj")
        # The listing as search engines should list it: its pages, without filters, sort
        # order or tracking parameters (all of them lead to the one address); a filtered or
        # sorted copy is kept out of their index and leads them on to the products.
        context["canonical_query"] = None
        if self.indexable:
            context["canonical_query"] = ""
            context["noindex"] = bool(chosen)
        if page is not None and page.number > 1:
            # each page of a listing is its own page for search engines and browser tabs
            context["page_title"] += f" – page {page.number}"
            if self.indexable:
                context["canonical_query"] = f"page={page.number}"
        if page is not None:
            context.update(page_links(page))
        context["structured_data"] = self.get_structured_data(context)
        return context

    def chosen_filters(self) -> set[str]:
        """The names of the filters (and sort order) the query string sets to something."""
        fields = self.filterset.form.fields
        return {
            key
            for key, values in self.request.GET.lists()
            if key in fields and any(value.strip() for value in values)
        }

    def get_structured_data(self, context) -> list[dict]:
        """schema.org data of the listing (a category's or series' BreadcrumbList)."""
        return []

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        scopes = self.get_page_cache_scopes()
        if scopes is not None:
            response.page_cache_scopes = scopes
        return response

    def get_page_cache_scopes(self) -> list[str] | None:
        """The page-cache scopes of every product this listing could show, whatever its
        filters, sort order and page (core/pagecache.py); None for a listing that could show
        any product (all products, search results): any change makes it stale."""
        return None

    def get_page_title(self) -> str:
        return "All products"

    def get_meta_description(self) -> str:
        return f"Browse every product of {settings.SHOP_NAME}."


def permanent_redirect(request, url: str) -> HttpResponsePermanentRedirect:
    """301 to ``url`` with the request's query string (filters, utm_...) kept."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(url + (f"?{query}" if query else ""))


class SeriesView(ProductListView):
    template_name = "catalog/series_detail.html"
    hidden_filters = ("series",)

    def get(self, request, *args, **kwargs):
        # a link typed or shared in capitals: 301 to the one address (the cached navigation)
        slug = kwargs["slug"]
        if slug != slug.lower():
            series = next(
                (s for s in selectors.get_navigation().series if s.slug == slug.lower()), None
            )
            if series is not None:
                return permanent_redirect(request, series.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_base_queryset(self):
        self.series = get_object_or_404(Series, slug=self.kwargs["slug"])
        return selectors.list_active_products().filter(series=self.series)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["series"] = self.series
        return context

    def get_page_cache_scopes(self) -> list[str]:
        # cached until a product of the series changes (or anything site-wide)
        return selectors.listing_scopes(series_ids=[self.series.pk])

    def get_page_title(self) -> str:
        return f"{self.series.name} series"

    def get_structured_data(self, context) -> list[dict]:
        return [breadcrumb_list(self.request, [(self.get_page_title(), self.request.path)])]

    def get_meta_description(self) -> str:
        return (
            self.series.tagline
            or shorten(self.series.description, 155)
            # not "every product of the shop", the same as on the all-products listing
            or f"The {self.series.name} series of {settings.SHOP_NAME}: "
            f"{listed_count(self)}browse, compare and order online."
        )


class CategoryView(ProductListView):
    template_name = "catalog/category_detail.html"
    hidden_filters = ("category",)

    def get(self, request, *args, **kwargs):
        # a link typed or shared in capitals: 301 to the one address (the cached navigation)
        slug = kwargs["slug"]
        node = selectors.get_navigation().by_slug.get(slug.lower())
        if (
            slug != slug.lower()
            and node is not None
            and slug not in selectors.get_navigation().by_slug
        ):
            return permanent_redirect(request, node.url)
        return super().get(request, *args, **kwargs)

    def get_base_queryset(self):
        nav = selectors.get_navigation()
        self.node = nav.by_slug.get(self.kwargs["slug"])
        if self.node is None:
            raise Http404("No such category")
        self.trail = nav.trail(self.node.id)
        return selectors.list_active_products().filter(category_id__in=self.node.descendant_ids())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["category"] = self.node
        context["trail"] = self.trail
        return context

    def get_page_cache_scopes(self) -> list[str]:
        # cached until a product of a category it lists from changes (this one or one below
        # it); the tree itself is site-wide (a category renamed or moved: every page)
        return selectors.listing_scopes(category_ids=self.node.descendant_ids())

    def get_page_title(self) -> str:
        return self.node.name

    def get_meta_description(self) -> str:
        return (
            f"{self.node.name} at {settings.SHOP_NAME}: "
            f"{listed_count(self)}browse, compare and order online."
        )

    def get_structured_data(self, context) -> list[dict]:
        return [breadcrumb_list(self.request, [(node.name, node.url) for node in self.trail])]


@anonymous_cache
class ProductDetailView(DetailView):
    template_name = "catalog/product_detail.html"
    context_object_name = "product"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Product.DoesNotExist:
            return self.product_missing()

    def get_object(self, queryset=None):
        return selectors.get_product_for_page(slug=self.kwargs["slug"])

    def product_missing(self):
        """An address with no product on sale: a moved one (an old slug, capitals) answers
        301 to its page, search engines carry its standing over; otherwise the 404 page with
        a way on: the category of a product taken off sale, a search for the address's
        words."""
        slug = self.kwargs["slug"]
        missing = selectors.find_missing_product(slug=slug)
        if missing.redirect:
            return permanent_redirect(self.request, missing.redirect)
        context = {
            "off_sale": missing,
            "search_words": " ".join(slug.replace("_", "-").split("-"))[:100],
        }
        return render(self.request, "404.html", context, status=404)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = self.object
        variants = product.variant_list
        total = sum(v.stock for v in variants)  # the variants are loaded anyway
        context.update(
            variants=variants,
            images=product.image_list,
            stock_total=total,
            stock_state=stock_state(total),
            # one line holds one variant: no more than the best-stocked one has
            order_max=orderable_max(max((v.stock for v in variants), default=0)),
            # nothing is chosen for the shopper (a size picked by the shop is a return later),
            # unless only one option can be bought
            only_choice=_only_one(v for v in variants if v.stock > 0),
            related=selectors.list_related_products(product=product),
            trail=product.trail,
            category=product.trail[-1],
            page_title=product.name,
            meta_description=product.short_description
            or shorten(product.description, 155)
            or f"{product.name}, from the {product.series.name} series of {settings.SHOP_NAME}.",
            currency=settings.SHOP_CURRENCY,
            # what a link preview shows: the first picture (the shop's share picture without)
            share_image=absolute_url(product.image_list[0].detail_url, self.request)
            if product.image_list
            else "",
        )
        context["structured_data"] = self.get_structured_data(context)
        context["og_price"] = offer_price(product.shown_price)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # Cached until this product, a product shown as a card, the category's list of cards
        # or anything site-wide changes; not when another product's stock or price does.
        product = self.object
        response.page_cache_scopes = selectors.product_scopes(
            product.pk,
            *(card.pk for card in context["related"]),
            category_ids=[product.category_id],
        )
        return response

    def get_structured_data(self, context) -> list[dict]:
        """schema.org Product (one Offer per variant, at the price the page shows for it, in
        stock or not as the page says) and its BreadcrumbList."""
        product, request = self.object, self.request
        url = absolute_url(product.get_absolute_url(), request)
        variants = context["variants"]
        offers = [
            {
                "@type": "Offer",
                "sku": v.sku,
                "price": offer_price(v.base_price),
                "priceCurrency": settings.SHOP_CURRENCY,
                "availability": AVAILABILITY[v.stock > 0],
                "itemCondition": "https://schema.org/NewCondition",
                "url": url,
            }
            for v in variants
        ]
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.name,
            "description": context["meta_description"],
            "url": url,
            "image": [absolute_url(i.detail_url, request) for i in context["images"]],
            "brand": {"@type": "Brand", "name": settings.SHOP_NAME},
            "category": context["category"].name,
            "offers": offers,
        }
        if len(variants) == 1:  # with several sizes each offer names its own
            data["sku"] = variants[0].sku
        if not offers:  # nothing to buy (no variant yet): no empty offer list
            del data["offers"]
        if not data["image"]:
            del data["image"]
        crumbs = [(node.name, node.url) for node in context["trail"]]
        crumbs.append((product.name, product.get_absolute_url()))
        return [data, breadcrumb_list(request, crumbs)]


def listed_count(view: ProductListView) -> str:
    """ "12 products to " for a description: how many the unfiltered listing has (its
    paginator counted them already); "" on a filtered page."""
    paginator = getattr(view, "_listing_paginator", None)
    if paginator is None or view.chosen_filters() - {"sort"}:
        return ""
    count = paginator.total_count
    return f"{count} product{'' if count == 1 else 's'} to "


AVAILABILITY = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}


def offer_price(amount) -> str:
    """A price as structured data and Open Graph want it: a string with two decimals, rounded
    as the shop rounds (core.money), never a float."""
    return f"{round_money(amount):.2f}"


def breadcrumb_list(request, crumbs: list[tuple[str, str]]) -> dict:
    """schema.org BreadcrumbList of Home and ``crumbs`` ((name, path) pairs), absolute
    addresses on the shop's own (core.siteurl)."""
    items = [("Home", reverse("home")), *crumbs]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": name,
                "item": absolute_url(path, request),
            }
            for position, (name, path) in enumerate(items, start=1)
        ],
    }


def _only_one(items):
    items = list(items)
    return items[0] if len(items) == 1 else None

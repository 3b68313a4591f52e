import hashlib

from django.http import JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from catalog.views import ProductListView
from core.decorators import rate_limited
from core.pagecache import cache_anonymous_page
from core.ratelimit import allow, client_key
from core.text import shorten

from . import selectors, services
from .selectors import SUGGEST_CACHE_TTL

SEARCH_LIMIT = 120  # searches per client and minute
SUGGEST_LIMIT = 600  # autocomplete requests per client and minute
QUOTED_QUERY_CHARS = 40  # how much of a search the page's heading quotes
PRODUCT_FILTERS = ("min_price", "max_price", "series", "category")


def cached_search_hit(request, meta: dict) -> bool:
    """A search page served from the page cache is still rate limited and counted."""
    if not allow(scope="search", key=client_key(request), limit=SEARCH_LIMIT, window=60):
        return False  # through the whole stack, which answers 429
    if meta.get("count"):
        services.record_search(query=meta["query"], results=meta["results"])
    return True


@method_decorator(
    rate_limited(scope="search", limit=SEARCH_LIMIT, window=60, methods=("GET",)), "dispatch"
)
class SearchView(ProductListView):
    """Ranked product search; reuses the catalog's filters, sorts and pagination."""

    template_name = "search/results.html"
    hidden_filters = ("q",)
    indexable = False  # noindex (shop.context_processors), no canonical address

    @method_decorator(cache_anonymous_page(timeout=300, on_hit=cached_search_hit))
    def dispatch(self, request, *args, **kwargs):
        # The listing's page cache, plus: a search served from the cache is still counted.
        return super(ProductListView, self).dispatch(request, *args, **kwargs)

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.page_cache_meta = {
            "query": self.query,
            "results": self.total,
            "count": self.counted,
        }
        return response

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.query, self.query_cut = services.normalize_query(request.GET.get("q"))
        self.sku_hit = selectors.exact_sku_product(self.query) if self.query else None

    def get_base_queryset(self):
        return selectors.search_products(query=self.query, sku_hit=self.sku_hit)

    def paginate_queryset(self, queryset, page_size):
        params = sorted((k, v) for k, v in self.request.GET.lists() if k != "page")
        digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
        source = queryset
        if services.is_postgres() and self.plain_search():
            source = selectors.search_documents(
                query=self.query,
                in_stock_only=bool(self.filter_values().get("in_stock")),
                sku_hit=self.sku_hit,
            )
        # the paginator's page, if valid, is ranked together with the count (one query)
        number = self.request.GET.get("page") or "1"
        start = max(int(number) - 1, 0) * page_size if number.isdecimal() and len(number) < 6 else 0
        self.results = selectors.RankedResults(
            source, cache_key=digest, window=(start, start + page_size)
        )
        paginator = self.get_paginator(self.results, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get("page") or 1)
        return paginator, page, page.object_list, page.has_other_pages()

    def filter_values(self) -> dict:
        form = self.filterset.form
        if not form.is_bound:  # no query string at all: nothing is filtered
            return {}
        form.is_valid()  # cleans once; an invalid field is just left out of cleaned_data
        return form.cleaned_data

    def plain_search(self) -> bool:
        """Ranked by relevance with no filter that needs the product table."""
        values = self.filter_values()
        return not any(values.get(f) not in (None, "") for f in PRODUCT_FILTERS) and (
            values.get("sort") in (None, "", "relevance")
        )

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        sort = filterset.form.fields["sort"]
        sort.choices = [("relevance", "Relevance"), *sort.choices]
        if not self.request.GET.get("sort"):
            filterset.form.fields["sort"].initial = "relevance"
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        total = page.paginator.count if page else 0
        suggestion = None
        # few results: maybe a typo; but a query that is a SKU found exactly what was meant
        if self.query and total < 3 and not self.sku_hit:
            suggestion = selectors.did_you_mean(query=self.query)
        self.total = total
        self.counted = bool(self.query) and self.request.GET.get("page", "1") == "1"
        if self.counted:
            services.record_search(query=self.query, results=total)
        context.update(
            filtered=self.filters_emptied(total),
            query=self.query,
            query_cut=self.query_cut,
            suggestion=suggestion,
            suggestion_url=self.suggestion_url(suggestion) if suggestion else "",
            hot_searches=selectors.list_hot_searches(),
            search_query=self.query,
            count_capped=getattr(self, "results", None) is not None and self.results.capped,
        )
        return context

    def filters_emptied(self, total: int) -> bool:
        """An empty page whose query alone finds something: the filters left none of it. (A
        typo with a price filter said "with these filters", and clearing them found nothing
        either.) The query is no filter, nor is the sort, nor a tracking parameter; one query
        more, on empty pages only."""
        if total or not self.query or not self.chosen_filters() - {"q", "sort"}:
            return False
        return selectors.search_products(query=self.query, sku_hit=self.sku_hit).exists()

    def suggestion_url(self, suggestion: str) -> str:
        """The same search with the suggested words: the filters and sort chosen stay (the
        link dropped them, and the shopper had to choose them again), the page starts over."""
        params = self.request.GET.copy()
        params.pop("page", None)
        params["q"] = suggestion
        return f"{reverse('search:results')}?{params.urlencode()}"

    def get_page_title(self) -> str:
        if not self.query:
            return "Search"
        # the heading, breadcrumb and title quote a long search shortened: all 200 characters
        # three times filled a phone's first screens (the search box keeps the whole text)
        return f"Search results for “{shorten(self.query, QUOTED_QUERY_CHARS)}”"


def cached_suggest_hit(request, meta: dict) -> bool:
    """Suggestions served from the page cache are still rate limited."""
    return allow(scope="suggest", key=client_key(request), limit=SUGGEST_LIMIT, window=60)


@require_GET
@rate_limited(scope="suggest", limit=SUGGEST_LIMIT, window=60, methods=("GET",))
@cache_anonymous_page(timeout=SUGGEST_CACHE_TTL, on_hit=cached_suggest_hit)
@cache_control(max_age=60, public=True)
def suggest(request):
    """Autocomplete JSON for the header search box (cached per normalized query)."""
    query, _ = services.normalize_query(request.GET.get("q"))
    return JsonResponse(selectors.autocomplete(query=query[:100]))

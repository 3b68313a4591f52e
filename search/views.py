import hashlib

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from catalog.selectors import get_catalog_version
from catalog.views import ProductListView
from core.decorators import rate_limited
from core.pagecache import cache_anonymous_page

from . import selectors, services


def _count_cached_search(request, meta: dict) -> None:
    if meta.get("count"):
        services.record_search(query=meta["query"], results=meta["results"])


@method_decorator(rate_limited(scope="search", limit=120, window=60, methods=("GET",)), "dispatch")
class SearchView(ProductListView):
    """Ranked product search; reuses the catalog's filters, sorts and pagination."""

    template_name = "search/results.html"
    hidden_filters = ("q",)

    @method_decorator(
        cache_anonymous_page(timeout=300, version=get_catalog_version, on_hit=_count_cached_search)
    )
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

    def get_base_queryset(self):
        return selectors.search_products(query=self.query)

    def paginate_queryset(self, queryset, page_size):
        params = sorted((k, v) for k, v in self.request.GET.lists() if k != "page")
        digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
        self.results = selectors.RankedResults(queryset, cache_key=digest)
        paginator = self.get_paginator(self.results, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get("page") or 1)
        return paginator, page, page.object_list, page.has_other_pages()

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
        if self.query and total < 3:
            suggestion = selectors.did_you_mean(query=self.query)
        self.total = total
        self.counted = bool(self.query) and self.request.GET.get("page", "1") == "1"
        if self.counted:
            services.record_search(query=self.query, results=total)
        context.update(
            query=self.query,
            query_cut=self.query_cut,
            suggestion=suggestion,
            hot_searches=selectors.list_hot_searches(),
            search_query=self.query,
            count_capped=getattr(self, "results", None) is not None and self.results.capped,
        )
        return context

    def get_page_title(self) -> str:
        return f"Search results for “{self.query}”" if self.query else "Search"


@require_GET
@rate_limited(scope="suggest", limit=600, window=60, methods=("GET",))
@cache_control(max_age=60, public=True)
def suggest(request):
    """Autocomplete JSON for the header search box (cached per normalized query)."""
    query, _ = services.normalize_query(request.GET.get("q"))
    return JsonResponse(selectors.autocomplete(query=query[:100]))

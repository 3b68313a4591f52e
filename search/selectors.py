"""Reads for search: ranked results, "did you mean", autocomplete, hot searches."""

import contextlib
import difflib
import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.core.cache import cache
from django.db.models import (
    Case,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.selectors import first_image_prefetch, get_catalog_version, get_navigation

from .models import Lexeme, SearchCount
from .services import is_postgres, words

HOT_CACHE_TTL = 600
SUGGEST_CACHE_TTL = 300


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:
        return None


def _cache_set(key, value, ttl) -> None:
    with contextlib.suppress(Exception):  # a cache outage only costs speed
        cache.set(key, value, ttl)


def _prefix_tsquery(query: str) -> SearchQuery | None:
    """``blue speak`` -> ``blue:* & speak:*`` built from word characters only (never raw input)."""
    tokens = words(query)[:8]
    if not tokens:
        return None
    raw = " & ".join(f"{t}:*" for t in tokens)
    return SearchQuery(raw, search_type="raw", config=settings.SEARCH_CONFIG)


def search_products(*, query: str) -> QuerySet[Product]:
    """Active products matching ``query``, best first: exact SKU, in stock, then relevance."""
    base = Product.objects.active()
    if not words(query):
        return base.none()
    sku_hit = (
        Variant.objects.filter(sku=query.strip().upper()[:64])
        .values_list("product_id", flat=True)
        .first()
    )
    exact_sku = Case(When(pk=sku_hit, then=Value(1)), default=Value(0)) if sku_hit else Value(0)
    if is_postgres():
        ts_query = SearchQuery(query, search_type="websearch", config=settings.SEARCH_CONFIG)
        prefix = _prefix_tsquery(query)
        if prefix is not None:
            ts_query = ts_query | prefix
        matches = Q(search_document__document=ts_query)
        if sku_hit:
            # on the document table too, so PostgreSQL can OR the GIN and primary-key indexes
            matches |= Q(search_document__product_id=sku_hit)
        return (
            base.filter(matches)
            .annotate(
                rank=SearchRank(F("search_document__document"), ts_query, normalization=32),
                exact_sku=exact_sku,
                in_stock_first=F("search_document__in_stock"),
            )
            .order_by("-exact_sku", "-in_stock_first", "-rank", "-created_at", "-id")
        )
    # Embedded default (SQLite): every word must appear in one of the indexed fields.
    condition = Q()
    for token in words(query)[:8]:
        condition &= (
            Q(search_document__name__icontains=token)
            | Q(search_document__skus__icontains=token)
            | Q(search_document__taxonomy__icontains=token)
            | Q(search_document__body__icontains=token)
        )
    if sku_hit:
        condition |= Q(pk=sku_hit)
    name_hit = Q()
    for token in words(query)[:8]:
        name_hit &= Q(search_document__name__icontains=token)
    return (
        base.filter(condition)
        .annotate(
            exact_sku=exact_sku,
            in_stock_first=F("search_document__in_stock"),
            rank=Case(
                When(name_hit, then=Value(1.0)), default=Value(0.1), output_field=FloatField()
            ),
        )
        .order_by("-exact_sku", "-in_stock_first", "-rank", "-created_at", "-id")
    )


def did_you_mean(*, query: str) -> str | None:
    """A corrected query when some words are not in the catalog's vocabulary, else None."""
    tokens = words(query)[:6]
    if not tokens:
        return None
    known = set(Lexeme.objects.filter(word__in=tokens).values_list("word", flat=True))
    corrected, changed = [], False
    for token in tokens:
        if token in known or len(token) < 3 or token.isdigit():
            corrected.append(token)
            continue
        best = _closest_word(token)
        if best and best != token:
            corrected.append(best)
            changed = True
        else:
            corrected.append(token)
    return " ".join(corrected) if changed else None


def _closest_word(token: str) -> str | None:
    if is_postgres():
        hit = (
            Lexeme.objects.annotate(similarity=TrigramSimilarity("word", token))
            .filter(word__trigram_similar=token)
            .order_by("-similarity", "word")
            .values_list("word", flat=True)
            .first()
        )
        return hit
    candidates = Lexeme.objects.filter(word__startswith=token[0]).values_list("word", flat=True)
    matches = difflib.get_close_matches(token, list(candidates[:5000]), n=1, cutoff=0.75)
    return matches[0] if matches else None


def autocomplete(*, query: str, limit: int = 8) -> dict:
    """Up to ``limit`` suggestions: matching categories, then products (name, price, picture)."""
    tokens = words(query)
    if len(query.strip()) < 2 or not tokens:
        return {"query": query, "categories": [], "products": []}
    digest = hashlib.sha256(" ".join(tokens)[:100].encode()).hexdigest()[:32]
    key = f"search:ac:{get_catalog_version()}:{digest}"
    cached = _cache_get(key)
    if cached is not None:
        return cached
    nav = get_navigation()
    categories = [
        {"name": node.name, "url": node.url}
        for node in nav.by_slug.values()
        if all(t in node.name.lower() for t in tokens)
    ][:3]
    products_qs = Product.objects.active()
    if is_postgres():
        prefix = _prefix_tsquery(query)
        products_qs = (
            products_qs.filter(search_document__document=prefix)
            .annotate(rank=SearchRank(F("search_document__document"), prefix))
            .order_by("-rank", "-created_at")
        )
    else:
        condition = Q()
        for token in tokens[:8]:
            condition &= Q(search_document__name__icontains=token)
        products_qs = products_qs.filter(condition).order_by("name")
    products = list(
        products_qs.prefetch_related(first_image_prefetch())[: max(limit - len(categories), 0)]
    )
    result = {
        "query": query,
        "categories": categories,
        "products": [
            {
                "name": p.name,
                "url": p.get_absolute_url(),
                "price": str(p.price),
                "image": p.image_list[0].listing_url if p.image_list else "",
            }
            for p in products
        ],
    }
    _cache_set(key, result, SUGGEST_CACHE_TTL)
    return result


def list_hot_searches(*, days: int = 7, limit: int = 8) -> list[str]:
    """The most searched terms of the last ``days`` days that found something (cached)."""
    key = f"search:hot:{days}:{limit}"
    cached = _cache_get(key)
    if cached is not None:
        return cached
    since = timezone.localdate() - timedelta(days=days - 1)
    hot = list(
        SearchCount.objects.filter(day__gte=since, results__gt=0)
        .values("query")
        .annotate(total=Sum("count"))
        .order_by("-total", "query")
        .values_list("query", flat=True)[:limit]
    )
    _cache_set(key, hot, HOT_CACHE_TTL)
    return hot


MAX_COUNTED_RESULTS = 1000
RESULTS_CACHE_TTL = 300


class RankedResults:
    """A paginator-friendly window onto ranked search results.

    Counting stops at MAX_COUNTED_RESULTS (the page says "1,000+"); each page's product ids
    are cached per query, filters and catalog version, so a repeated search costs two small
    queries instead of ranking every match again.
    """

    def __init__(self, queryset: QuerySet[Product], *, cache_key: str) -> None:
        self.queryset = queryset
        self.cache_key = f"search:res:{get_catalog_version()}:{cache_key}"
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            key = f"{self.cache_key}:count"
            count = _cache_get(key)
            if count is None:
                count = self.queryset.order_by()[: MAX_COUNTED_RESULTS + 1].count()
                _cache_set(key, count, RESULTS_CACHE_TTL)
            self._count = count
        return min(self._count, MAX_COUNTED_RESULTS)

    @property
    def capped(self) -> bool:
        len(self)
        return self._count > MAX_COUNTED_RESULTS

    def __getitem__(self, window: slice) -> list[Product]:
        key = f"{self.cache_key}:{window.start}:{window.stop}"
        ids = _cache_get(key)
        if ids is None:
            ids = list(self.queryset.values_list("pk", flat=True)[window.start : window.stop])
            _cache_set(key, ids, RESULTS_CACHE_TTL)
        if not ids:
            return []
        from catalog.selectors import product_cards

        products = {p.pk: p for p in product_cards(Product.objects.filter(pk__in=ids))}
        return [products[pk] for pk in ids if pk in products]

"""Reads for search: ranked results, "did you mean", autocomplete, hot searches."""

import difflib
import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Length
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.selectors import first_image_prefetch, get_catalog_version, get_navigation
from core.cache import cache_get, cache_set
from core.money import format_money as money
from core.pagecache import SETTINGS_STAMP

from .models import Lexeme, ProductDocument, SearchCount
from .services import (
    CJK_RUN_RE,
    cjk_pairs,
    fold_accents,
    is_cjk_character,
    is_postgres,
    swap_number_words,
    words,
)

HOT_CACHE_TTL = 600
SUGGEST_CACHE_TTL = 300
AUTOCOMPLETE_CANDIDATES = 100


def _prefix_tsquery(query: str) -> SearchQuery | None:
    """``blue speak`` -> ``blue:* & speak:*`` built from word characters only (never raw input).
    A Chinese/Japanese word of three or more characters is looked up by its character pairs
    (``青花瓷`` -> ``(青花 & 花瓷 | 青花瓷:*)``), as search.services.cjk_pairs indexed them."""
    tokens = words(query)[:8]
    if not tokens:
        return None
    terms = []
    for token in tokens:
        if token.isdigit() and len(token) < 3:
            # "2 person tent": "2" as a prefix matched every number starting with 2, a SKU's
            # "23456" or a "Series 21", so any person tent; a short number is a word as typed
            terms.append(token)
            continue
        runs = CJK_RUN_RE.findall(token)
        if not any(len(run) > 2 for run in runs):
            terms.append(f"{token}:*")
            continue
        pairs = cjk_pairs(token) + [f"{rest}:*" for rest in CJK_RUN_RE.split(token) if rest]
        # or the word as a prefix, as before: a document indexed before the pairs were (until
        # its product's next save, or index_all_products) is still found by its first word
        terms.append(f"({' & '.join(pairs)} | {token}:*)")
    raw = " & ".join(terms)
    return SearchQuery(raw, search_type="raw", config=settings.SEARCH_CONFIG)


def exact_sku_product(query: str) -> int | None:
    """The product with a variant whose SKU is exactly the query, if any."""
    return (
        Variant.objects.filter(sku=query.strip().upper()[:64])
        .values_list("product_id", flat=True)
        .first()
    )


def query_variants(query: str) -> list[str]:
    """The query as typed, and as it may be written in the catalog: without accents ("café"
    finds "Cafe Mug"; the documents hold words with accents both ways) and, with other words,
    small numbers as words or words as numbers ("2 person tent" finds "Two-Person Tent")."""
    folded = fold_accents(query)
    if len(words(folded)) < 2:  # "one" alone is no count of anything: not every "1"
        return list(dict.fromkeys([query, folded]))
    return list(dict.fromkeys([query, folded, swap_number_words(folded)]))


def _match_query(query: str) -> SearchQuery:
    """The words as typed (stemmed, websearch syntax) or, for the last one typed, a prefix."""
    ts_query = SearchQuery(query, search_type="websearch", config=settings.SEARCH_CONFIG)
    for variant in query_variants(query)[1:]:
        ts_query |= SearchQuery(variant, search_type="websearch", config=settings.SEARCH_CONFIG)
    if all(len(token) < 2 and not is_cjk_character(token) for token in words(query)):
        # "1" or "e" as a prefix matches every word starting with it (half the catalog:
        # 0.2-0.4 s to rank on the 100,000-product bench catalog) and finds nothing useful;
        # "茶" (tea) is a word, and as a prefix matches only the character pairs starting with it
        return ts_query
    prefix = _prefix_tsquery(query)
    return ts_query | prefix if prefix is not None else ts_query


# One ranking for both ways of searching: the exact SKU, then in stock, then relevance by the
# name (weight A) and series/category (B) vector, newest product first among equals.
RANKING = ("-exact_sku", "-in_stock_first", "-rank", "-pk")
# ts_rank's 1: divided by 1 + the log of the title's length, so of equal matches the shorter
# name comes first (the tent before "Tent Pegs, Set of Eight"; without it, the newest did);
# 32: scaled to 0..1
RANK_NORMALIZATION = 1 | 32


def _exact_sku_first(sku_hit: int | None):
    return Case(When(pk=sku_hit, then=Value(1)), default=Value(0)) if sku_hit else Value(0)


def search_documents(*, query: str, sku_hit: int | None, in_stock_only: bool = False) -> QuerySet:
    """Ranked matches from the search documents alone, without joining the product table: a
    plain search (no price, series or category filter) on PostgreSQL. Rows are documents; their
    primary key is the product id. ``sku_hit``: exact_sku_product(query).
    """
    if not words(query):
        return ProductDocument.objects.none()
    ts_query = _match_query(query)
    matches = Q(document=ts_query)
    if sku_hit:
        matches |= Q(pk=sku_hit)
    documents = ProductDocument.objects.filter(matches, is_active=True)
    if in_stock_only:
        documents = documents.filter(in_stock=True)
    return documents.annotate(
        rank=SearchRank(F("title"), ts_query, normalization=RANK_NORMALIZATION),
        exact_sku=_exact_sku_first(sku_hit),
        in_stock_first=F("in_stock"),
    ).order_by(*RANKING)


def search_products(*, query: str, sku_hit: int | None) -> QuerySet[Product]:
    """Active products matching ``query``, ranked as search_documents (which is faster where no
    product filter applies); any catalog filter or sort can be added to this queryset.
    ``sku_hit``: exact_sku_product(query)."""
    base = Product.objects.active()
    if not words(query):
        return base.none()
    exact_sku = _exact_sku_first(sku_hit)
    if is_postgres():
        ts_query = _match_query(query)
        matches = Q(search_document__document=ts_query)
        if sku_hit:
            # on the document table too, so PostgreSQL can OR the GIN and primary-key indexes
            matches |= Q(search_document__product_id=sku_hit)
        return (
            base.filter(matches)
            .annotate(
                rank=SearchRank(
                    F("search_document__title"), ts_query, normalization=RANK_NORMALIZATION
                ),
                exact_sku=exact_sku,
                in_stock_first=F("search_document__in_stock"),
            )
            .order_by(*RANKING)
        )
    # Embedded default (SQLite): every word must appear in one of the indexed fields.
    condition = Q()
    for token in words(query)[:8]:
        either = Q()
        for form in query_variants(token):  # "café" finds "Cafe Mug"
            either |= (
                Q(search_document__name__icontains=form)
                | Q(search_document__skus__icontains=form)
                | Q(search_document__taxonomy__icontains=form)
                | Q(search_document__body__icontains=form)
            )
        condition &= either
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
        .order_by(*RANKING)
    )


def did_you_mean(*, query: str) -> str | None:
    """A corrected query when some words are not in the catalog's vocabulary, else None."""
    tokens = words(query)[:6]
    if not tokens:
        return None
    # a word typed in two ("blue tooth", "head phones"): each half alone was corrected to the
    # whole word, "bluetooth bluetooth"
    joined = [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
    # and two typed as one ("rainjacket", "baselayer"): the closest word was one half ("jacket")
    halves = [half for token in tokens for pair in _splits(token) for half in pair]
    known = set(
        Lexeme.objects.filter(word__in=tokens + joined + halves).values_list("word", flat=True)
    )
    corrected, changed = [], False
    rest = iter(range(len(tokens)))
    for i in rest:
        token = tokens[i]
        if i < len(joined) and joined[i] in known and token not in known:
            corrected.append(joined[i])
            changed = True
            next(rest, None)  # the second half is in the joined word
            continue
        if token in known or len(token) < 3 or token.isdigit():
            corrected.append(token)
            continue
        split = [pair for pair in _splits(token) if pair[0] in known and pair[1] in known]
        if split:
            # the most even cut: "rain jacket" rather than a short word and the rest
            corrected.append(" ".join(max(split, key=lambda pair: min(map(len, pair)))))
            changed = True
            continue
        best = _closest_word(token)
        if best and best != token and not _searched_alike(token, best):
            corrected.append(best)
            changed = True
        else:
            corrected.append(token)
    if not changed:
        return None
    suggestion = " ".join(dict.fromkeys(corrected))  # "ear buds": "earbuds earbuds" otherwise
    # The vocabulary only grows (a renamed product leaves its old words behind): never offer a
    # correction that finds nothing.
    if not search_products(query=suggestion, sku_hit=None).exists():
        return None
    return suggestion


SPLIT_MAX_LENGTH = 30  # a longer word is no two words run together


def _splits(token: str) -> list[tuple[str, str]]:
    """The ways to cut a word into two of three letters or more ("rainjacket": rai njacket,
    rain jacket, …); none for a Chinese/Japanese word (cjk_pairs finds the words inside it)."""
    if len(token) > SPLIT_MAX_LENGTH or token.isdigit() or CJK_RUN_RE.search(token):
        return []
    return [(token[:i], token[i:]) for i in range(3, len(token) - 2)]


def _searched_alike(token: str, word: str) -> bool:
    """Whether the search finds ``word`` by ``token`` already: the same stem on PostgreSQL
    ("pole", "poles"), a part of it on SQLite (which matches parts of words). "Did you mean
    poles?" under the two trekking poles "pole" found was no correction."""
    if not is_postgres():
        return token in word
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT plainto_tsquery(%s::regconfig, %s)::text"
            " = plainto_tsquery(%s::regconfig, %s)::text",
            [settings.SEARCH_CONFIG, token, settings.SEARCH_CONFIG, word],
        )
        return cursor.fetchone()[0]


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


SUGGESTED_CATEGORIES = 3
CATEGORIES_CHECKED = 10  # matching categories looked into for products, at most


def _name_starts_with(name: str, tokens: list[str]) -> bool:
    """Each typed word starts a word of the name, as products are matched while typing ("he":
    "Headphones", not "Kitchen"); a Chinese/Japanese word may stand anywhere in a run of them."""
    lowered = name.lower()
    name_words = words(name)
    return all(
        any(word.startswith(token) for word in name_words)
        or (CJK_RUN_RE.search(token) is not None and token in lowered)
        for token in tokens
    )


def _suggested_categories(tokens: list[str]) -> list[dict]:
    """Up to SUGGESTED_CATEGORIES categories named by the words that hold an active product
    (in them or below): a suggestion never leads to an empty page (a category made before
    its products, or whose products are all switched off)."""
    matches = [
        node for node in get_navigation().by_slug.values() if _name_starts_with(node.name, tokens)
    ]
    suggested = []
    for node in matches[:CATEGORIES_CHECKED]:
        if Product.objects.active().filter(category_id__in=node.descendant_ids()).exists():
            suggested.append({"name": node.name, "url": node.url})
            if len(suggested) == SUGGESTED_CATEGORIES:
                break
    return suggested


def autocomplete_cache_key(tokens: list[str]) -> str:
    digest = hashlib.sha256(" ".join(tokens)[:100].encode()).hexdigest()[:32]
    # the stamp: suggestions show prices, written as the SHOP_ settings of this process say
    return f"search:ac:{SETTINGS_STAMP}:{get_catalog_version()}:{digest}"


def autocomplete(*, query: str, limit: int = 8) -> dict:
    """Up to ``limit`` suggestions: matching categories, then products (name, price, picture)."""
    tokens = words(query)
    if not tokens or (len(query.strip()) < 2 and not is_cjk_character(query.strip())):
        return {"query": query, "categories": [], "products": []}
    key = autocomplete_cache_key(tokens)
    cached = cache_get(key)
    if cached is not None:
        # kept under the words only: "&&12" and "12" share it, each answered with its own text
        return {**cached, "query": query}
    categories = _suggested_categories(tokens)
    products_qs = Product.objects.active()
    if is_postgres():
        # Bounded work while typing: take up to AUTOCOMPLETE_CANDIDATES products whose name,
        # series or category starts with the words (the title index), then rank only those. A
        # short prefix ("bl") matches thousands; any good few of them will do until more is typed.
        prefix = _prefix_tsquery(query)
        candidates = ProductDocument.objects.filter(title=prefix, is_active=True).values("pk")
        products_qs = (
            products_qs.filter(pk__in=candidates[:AUTOCOMPLETE_CANDIDATES])
            .annotate(
                rank=SearchRank(
                    F("search_document__title"), prefix, normalization=RANK_NORMALIZATION
                ),
                in_stock_first=F("search_document__in_stock"),
            )
            .order_by("-in_stock_first", "-rank", "-pk")
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
                "price": str(p.shown_price),
                # as pages show it (currency sign; "From" when the variants' prices differ)
                "price_text": ("From " if p.price_varies else "") + money(p.shown_price),
                "image": p.image_list[0].small_url if p.image_list else "",  # shown at 40 px
            }
            for p in products
        ],
    }
    cache_set(key, result, SUGGEST_CACHE_TTL)
    return result


HOT_MIN_LENGTH = 3  # "a" found things, but is no search to advertise
HOT_MIN_COUNT = 2  # searched more than once: one visitor's one-off text is not shown to all
HOT_CANDIDATES = 5  # times the shown number read, for those the catalog's words rule out


def list_hot_searches(*, days: int = 7, limit: int = 8) -> list[str]:
    """The most searched terms of the last ``days`` days that found something and say only
    what the catalog says (cached).

    Every page shows them, and anybody can search anything as often as they like: "lamp or
    this shop is a scam, call 0900 666" found lamps, and two searches from one address put it
    on the home page. So a popular search is shown only when each of its words is a word of the
    catalog's product, series and category names (the did-you-mean vocabulary), or a word of one
    or two letters (no numbers: a phone number in pieces).
    """
    key = f"search:hot3:{SETTINGS_STAMP}:{days}:{limit}"
    cached = cache_get(key)
    if cached is not None:
        return cached
    since = timezone.localdate() - timedelta(days=days - 1)
    candidates = list(
        SearchCount.objects.filter(day__gte=since, results__gt=0)
        .alias(length=Length("query"))
        .filter(length__gte=HOT_MIN_LENGTH)
        .values("query")
        .annotate(total=Sum("count"))
        .filter(total__gte=HOT_MIN_COUNT)
        .order_by("-total", "query")
        .values_list("query", flat=True)[: limit * HOT_CANDIDATES]
    )
    asked = {word for query in candidates for word in words(query) if len(word) > 2}
    known = set(Lexeme.objects.filter(word__in=asked).values_list("word", flat=True))

    def catalog_words_only(query: str) -> bool:
        return all(word in known if len(word) > 2 else word.isalpha() for word in words(query))

    hot = [query for query in candidates if catalog_words_only(query)][:limit]
    cache_set(key, hot, HOT_CACHE_TTL)
    return hot


MAX_COUNTED_RESULTS = 1000
RESULTS_CACHE_TTL = 300


class RankedResults:
    """A paginator-friendly window onto ranked search results.

    The page shows at most MAX_COUNTED_RESULTS (it says "1,000+"). The count and the ids of
    the page asked for (``window``, the paginator's slice) come from one ranked query; each
    page's ids and the count are cached per query, filters and catalog version, so a repeated
    search ranks nothing again.
    """

    def __init__(
        self, queryset: QuerySet[Product], *, cache_key: str, window: tuple[int, int] | None = None
    ) -> None:
        self.queryset = queryset
        self.cache_key = f"search:res:{SETTINGS_STAMP}:{get_catalog_version()}:{cache_key}"
        self.window = window
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            key = f"{self.cache_key}:count"
            count = cache_get(key)
            if count is None:
                if self.window is not None:
                    count = self._rank_window_and_count(*self.window)
                if count is None:
                    count = self.queryset.order_by().values("pk")[: MAX_COUNTED_RESULTS + 1].count()
                cache_set(key, count, RESULTS_CACHE_TTL)
            self._count = count
        return min(self._count, MAX_COUNTED_RESULTS)

    def _rank_window_and_count(self, start: int, stop: int) -> int | None:
        """Rank once for the page and the count (None when the page is past the end)."""
        rows = list(
            self.queryset.annotate(full_count=Window(Count("pk"))).values_list("pk", "full_count")[
                start:stop
            ]
        )
        if not rows:
            return 0 if start == 0 else None  # nothing at all matched: no count query
        cache_set(f"{self.cache_key}:{start}:{stop}", [pk for pk, _ in rows], RESULTS_CACHE_TTL)
        return rows[0][1]

    @property
    def capped(self) -> bool:
        len(self)
        return self._count > MAX_COUNTED_RESULTS

    def __getitem__(self, window: slice) -> list[Product]:
        key = f"{self.cache_key}:{window.start}:{window.stop}"
        ids = cache_get(key)
        if ids is None:
            ids = list(self.queryset.values_list("pk", flat=True)[window.start : window.stop])
            cache_set(key, ids, RESULTS_CACHE_TTL)
        if not ids:
            return []
        from catalog.selectors import product_cards

        # active() again: the documents' copy of the flag may lag a change made without a save
        products = {p.pk: p for p in product_cards(Product.objects.active().filter(pk__in=ids))}
        return [products[pk] for pk in ids if pk in products]

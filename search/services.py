"""Indexing products for search, and counting searches."""

import datetime
import logging
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.selectors import bump_catalog_version
from core.housekeeping import delete_in_batches
from core.text import grapheme_boundary

from .models import Lexeme, ProductDocument, SearchCount

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_COUNTED_LENGTH = 100
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# A search that found nothing with this many digits is a phone number, an IBAN or the like
# (a barcode or article number that is a SKU finds its product, and is counted)
PERSONAL_DIGITS = 6


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def normalize_query(raw: str | None) -> tuple[str, bool]:
    """Clean a typed query: NFKC, no control characters, single spaces, at most 200 characters.

    Returns (query, was_cut).
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    cut = len(text) > MAX_QUERY_LENGTH
    return text[: grapheme_boundary(text, MAX_QUERY_LENGTH)].strip(), cut


def count_key(query: str) -> str:
    """The form a query is counted under: lower case, words only."""
    return " ".join(WORD_RE.findall(query.lower()))[:MAX_COUNTED_LENGTH].strip()


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


# Chinese and Japanese are written without spaces: PostgreSQL's parser takes a whole run of
# ideographs and kana ("手工景德镇青花瓷茶具套装") as one word, so searching for a word inside it
# ("茶具") found nothing. Such runs are indexed, and searched, as overlapping pairs as well.
CJK_RUN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def cjk_pairs(text: str, *, last_characters: bool = False) -> list[str]:
    """The overlapping character pairs of the Chinese/Japanese runs in ``text``, each once
    ("茶具套装" -> 茶具, 具套, 套装); a run of one character is itself.

    ``last_characters`` (for indexing): each run's last character as well ("… 套装, 装"). Every
    character then begins a token, so a search for one character ("茶", tea) is a prefix
    search (茶:*) that finds it wherever it stands: "花茶" by its last character."""
    pairs: dict[str, None] = {}
    for run in CJK_RUN_RE.findall(text.lower()):
        pairs.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
        if len(run) == 1 or last_characters:
            pairs[run[-1]] = None
    return list(pairs)


# Latin letters Unicode does not see as a letter with an accent, as typed without them
LATIN_FOLDS = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O"}
LATIN_FOLDS |= {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"}


def fold_accents(text: str) -> str:
    """Latin letters without their accents, as shoppers type them ("Crème Brûlée" -> "Creme
    Brulee", "Straße" -> "Strasse"); letters of other scripts stay what they are (a Japanese
    voiced kana or an Arabic vowel mark is part of the word)."""
    folded = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            folded.append(ch)
        elif ch in LATIN_FOLDS:
            folded.append(LATIN_FOLDS[ch])
        else:
            base, *marks = unicodedata.normalize("NFD", ch)
            latin = base.isascii() and base.isalpha() and all(map(unicodedata.combining, marks))
            folded.append(base if latin else ch)
    return "".join(folded)


NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
NUMBER_SWAPS = {str(n): word for n, word in enumerate(NUMBER_WORDS, 1)}
NUMBER_SWAPS |= {word: n for n, word in NUMBER_SWAPS.items()}
# a whole number or word: not the "5" of "1.5 l" or "0.65"
SWAPPABLE_RE = re.compile(r"(?<![\w.,])[^\W_]+(?![.,]\d)")


def swap_number_words(text: str) -> str:
    """Small numbers as words and words as numbers: "2 person tent" <-> "two person tent"
    (a name says either; searched both ways)."""
    return SWAPPABLE_RE.sub(lambda m: NUMBER_SWAPS.get(m.group().lower(), m.group()), text)


def _folded_words(text: str) -> list[str]:
    """The words of ``text`` that have accents, without them, each once ("crème" -> creme)."""
    return list(dict.fromkeys(f for w in words(text) if (f := fold_accents(w)) != w))


def is_cjk_character(token: str) -> bool:
    """One Chinese/Japanese character: a word of its own, unlike one Latin letter."""
    return len(token) == 1 and CJK_RUN_RE.fullmatch(token) is not None


def _taxonomy(product: Product) -> str:
    """Series and category names, and the character pairs of the product's and their
    Chinese/Japanese words (cjk_pairs; in both the document and the title, so search and
    autocomplete find "茶具" inside "青花瓷茶具套装")."""
    names = [product.series.name] + [c.name for c in product.category.ancestors_and_self()]
    return " ".join(names + cjk_pairs(" ".join([product.name, *names]), last_characters=True))


def _options(product: Product) -> str:
    """The colours and sizes it comes in ("blue lantern" finds the lantern that has a blue
    variant), each once."""
    values = (v for variant in product.variants.all() for v in (variant.colour, variant.size))
    return " ".join(dict.fromkeys(v for v in values if v))


def _skus(product: Product) -> str:
    """The variants' SKUs, and each one's parts: PostgreSQL's parser reads "-000003" in
    "JAC-000003-PIN-S" as a negative number, so "000003", or the SKU without its size
    ("JAC-000003-PIN"), found nothing; the parts make them words of their own."""
    skus = [v.sku for v in product.variants.all()]
    return " ".join([*skus, *(" ".join(words(sku)) for sku in skus if len(words(sku)) > 1)])


def index_products(*, product_ids: Iterable[int]) -> int:
    """(Re)build the search documents of these products. Returns how many were indexed."""
    ids = list(product_ids)
    if not ids:
        return 0
    products = list(
        Product.objects.filter(pk__in=ids)
        .select_related("series", "category__parent__parent")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.only("product", "sku", "stock", "colour", "size"),
            )
        )
    )
    rows, vocabulary = [], set()
    for product in products:
        # and the words with accents without them, so "creme" finds "Crème Brûlée Torch" (in
        # the title's B part: the name's A part is the name as written)
        taxonomy = _taxonomy(product)
        taxonomy = " ".join([taxonomy, *_folded_words(f"{product.name} {taxonomy}")])
        body = f"{product.short_description}\n{product.description}\n{_options(product)}"
        body = " ".join([body, *_folded_words(body)])
        rows.append(
            ProductDocument(
                product=product,
                name=product.name,
                skus=_skus(product),
                in_stock=any(v.stock > 0 for v in product.variants.all()),
                is_active=product.is_active,
                taxonomy=taxonomy,
                body=body,
                updated_at=timezone.now(),
            )
        )
        vocabulary.update(w for w in words(f"{product.name} {taxonomy}") if 3 <= len(w) <= 60)
    with transaction.atomic():
        ProductDocument.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["product"],
            update_fields=[
                "name",
                "skus",
                "taxonomy",
                "body",
                "in_stock",
                "is_active",
                "updated_at",
            ],
            batch_size=1000,
        )
        Lexeme.objects.bulk_create(
            [Lexeme(word=w) for w in sorted(vocabulary)], ignore_conflicts=True, batch_size=1000
        )
        if is_postgres():
            config = settings.SEARCH_CONFIG
            ProductDocument.objects.filter(product_id__in=[p.pk for p in products]).update(
                document=SearchVector("name", weight="A", config=config)
                + SearchVector("skus", weight="A", config="simple")
                + SearchVector("taxonomy", weight="B", config=config)
                + SearchVector("body", weight="D", config=config),
                title=SearchVector("name", weight="A", config=config)
                + SearchVector("taxonomy", weight="B", config=config),
                # The text was only the vectors' source (the SET clauses all read the old row):
                # emptied, the table stays narrow, so ranking thousands of matches visits about
                # half the pages (and it fits in memory).
                skus="",
                taxonomy="",
                body="",
            )
    # Cached search results built between the catalog change and this re-index are stale
    # (product pages do not show the index: they keep their scopes).
    transaction.on_commit(lambda: bump_catalog_version(scopes=[]))
    return len(rows)


def refresh_stock_flags(*, product_ids: Iterable[int]) -> None:
    """Set the documents' in-stock flag from the variants; after orders and cancellations.

    Only rows whose flag changes are written (usually none): rewriting a document row also
    rewrites its entries in both GIN indexes.
    """
    has_stock = Exists(Variant.objects.filter(product=OuterRef("product_id"), stock__gt=0))
    ProductDocument.objects.filter(product_id__in=list(product_ids)).exclude(
        in_stock=has_stock
    ).update(in_stock=has_stock)


def index_all_products(*, batch_size: int = 2000, progress=None) -> int:
    """Rebuild every product's search document, in batches."""
    total = 0
    last = 0
    while True:
        ids = list(
            Product.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return total
        total += index_products(product_ids=ids)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))


COUNT_BUFFER = "search:counts"  # a Redis hash "<day>|<query>" -> searches not yet written


def record_search(*, query: str, results: int) -> None:
    """Count one search of ``query`` today (per normalized query per day, nothing personal:
    a query with an e-mail address, or a phone or account number, is not counted).

    With Redis the count goes to a buffer (one round trip, no row lock shared by everybody
    searching the same word) that flush_search_counts() writes every minute; hot searches and
    the admin report trail by up to a minute. Without Redis, or while it is down, the count is
    written to the database at once.
    """
    key = count_key(query)
    if not key or _may_be_personal(query, results=results):
        return
    today = timezone.localdate()
    buffer = getattr(cache, "buffer_count", None)
    if buffer is not None and buffer(COUNT_BUFFER, f"{today.isoformat()}|{key}", 1, str(results)):
        return
    try:
        _add_count(key=key, day=today, count=1, results=results)
    except Exception:  # counting must never break a search page
        logger.warning("Could not count search %r", key, exc_info=True)


def _may_be_personal(query: str, *, results: int) -> bool:
    """An e-mail address, or (found nothing) a phone or account number: kept out of the counts,
    which staff read for two years (SHOP_SEARCH_COUNT_DAYS)."""
    if "@" in query:
        return True
    return not results and sum(ch.isdigit() for ch in query) >= PERSONAL_DIGITS


def _add_count(*, key: str, day, count: int, results: int) -> None:
    updated = SearchCount.objects.filter(query=key, day=day).update(
        count=F("count") + count, results=results
    )
    if not updated:
        try:
            with transaction.atomic():
                SearchCount.objects.create(query=key, day=day, count=count, results=results)
        except IntegrityError:  # counted meanwhile by a parallel request
            SearchCount.objects.filter(query=key, day=day).update(
                count=F("count") + count, results=results
            )


def flush_search_counts() -> int:
    """Write the buffered search counts to the database; how many (day, query) rows changed.

    Safe to run twice at once: each buffer is taken atomically, so every count is written once.
    A count that cannot be written goes back into the buffer for the next run (a worker killed
    in between loses at most that minute's statistics, never an order or a page).
    """
    take = getattr(cache, "take_buffer", None)
    if take is None:
        return 0
    try:
        pending = list(take(COUNT_BUFFER).items())
    except Exception:  # Redis unreachable: the counts wait there for the next run
        logger.warning("Search counts not flushed: cache unavailable", exc_info=True)
        return 0
    written = 0
    for i, (field, (count, last)) in enumerate(pending):
        day, _, key = field.partition("|")
        try:
            _add_count(
                key=key,
                day=datetime.date.fromisoformat(day),
                count=count,
                results=int(last) if last.isdecimal() else 0,
            )
            written += 1
        except ValueError:  # a malformed field (never written by record_search): drop it
            logger.warning("Dropped malformed search count %r", field)
        except Exception:
            logger.warning("Search counts not written; kept for the next flush", exc_info=True)
            for rest_field, (rest_count, rest_last) in pending[i:]:
                cache.buffer_count(COUNT_BUFFER, rest_field, rest_count, rest_last)
            break
    return written


def delete_old_search_counts(*, today: datetime.date | None = None) -> int:
    """Counts of days more than SHOP_SEARCH_COUNT_DAYS ago (a day of one-off queries, typos and
    bots adds a row per query; nothing reads further back)."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=settings.SHOP_SEARCH_COUNT_DAYS)
    return delete_in_batches(SearchCount.objects.filter(day__lt=cutoff))

"""Reads of the catalog that pages share."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.text import slugify

from core.cache import cache_get, cache_set
from core.fixedquery import FixedQuery
from core.pagecache import SETTINGS_STAMP, bump_content_version, content_version
from core.reverse import cached_reverse

from .models import Category, OldProductSlug, Product, ProductImage, Series, Variant

NAV_CACHE_TTL = 60 * 60


def get_catalog_version() -> int:
    """A number that changes whenever the catalog changes; part of every catalog cache key."""
    return content_version()


def bump_catalog_version(*, scopes: Iterable[str] | None = None) -> None:
    """Invalidate cached catalog fragments and pages: all of them, or with ``scopes`` (see
    product_scopes and listing_scopes) home, search results and the product pages and
    category and series listings that show one of those products."""
    bump_content_version(scopes=scopes)


# The page-cache scope of the sitemap (shop/sitemaps.py): which products are on sale, their
# addresses and their last change. Bumped by a product saved or deleted and by products put on
# sale or taken off it; not by stock or price moving with orders (the sitemap shows neither).
SITEMAP_SCOPE = "sitemap"


def product_scopes(*product_ids: int, category_ids: Iterable[int] = ()) -> list[str]:
    """The page-cache scopes of a change to these products (their price, stock, pictures,
    text) on product pages: their own pages and every product page that shows their card. A
    change to which products a category's product pages show (a product added, moved,
    featured, hidden) also names the category (``category_ids``).

    Listings follow other scopes (listing_scopes): a change bumps both."""
    return [f"product:{pk}" for pk in product_ids] + [f"category:{pk}" for pk in category_ids]


def listing_scopes(
    *, category_ids: Iterable[int] = (), series_ids: Iterable[int] = ()
) -> list[str]:
    """The page-cache scopes of a change that a category or series listing can show: anything
    about a product of these categories (its own category, not the ones above it) and series
    that a card, a filter, a sort order or a count reads (price, name, stock, pictures,
    variants, visibility, a product added, moved or deleted). A moved product names the
    categories and series it left and joined.

    A category's listing declares ``in-category`` of every category it lists products from
    (itself and those below it), a series' ``in-series`` of its own: a change bumps exactly
    what it names, with no look-up of the category tree when it happens (a tree that changes
    meanwhile makes every page stale anyway)."""
    return [f"in-category:{pk}" for pk in dict.fromkeys(category_ids)] + [
        f"in-series:{pk}" for pk in dict.fromkeys(series_ids)
    ]


def shown_product_scopes(
    products: Iterable[tuple[int, int, int]], *, category_pages: bool = False
) -> list[str]:
    """product_scopes and listing_scopes of a change to these products, given as (product id,
    category id, series id); with ``category_pages``, their categories' product pages too
    (a change to which products those list)."""
    products = list(products)
    categories = [category for _pk, category, _series in products]
    return product_scopes(
        *dict.fromkeys(pk for pk, _category, _series in products),
        category_ids=dict.fromkeys(categories) if category_pages else (),
    ) + listing_scopes(
        category_ids=categories, series_ids=[series for _pk, _category, series in products]
    )


def product_change_scopes(product_ids: Iterable[int]) -> list[str] | None:
    """The scopes of a change to what these products show (a variant, a picture), read with
    their category and series in one query; None (every page) when one of them is gone."""
    ids = list(dict.fromkeys(product_ids))
    rows = list(Product.objects.filter(pk__in=ids).values_list("pk", "category_id", "series_id"))
    if len(rows) != len(ids):
        return None
    return shown_product_scopes(rows)


@dataclass
class CategoryNode:
    id: int
    name: str
    slug: str
    url: str
    parent_id: int | None
    children: list["CategoryNode"] = field(default_factory=list)

    def get_absolute_url(self) -> str:  # as Category's, for templates that show either
        return self.url

    def descendant_ids(self) -> list[int]:
        ids = [self.id]
        for child in self.children:
            ids.extend(child.descendant_ids())
        return ids


@dataclass
class Navigation:
    series: list[Series]
    roots: list[CategoryNode]
    by_slug: dict[str, CategoryNode]
    by_id: dict[int, CategoryNode]

    def trail(self, category_id: int) -> list[CategoryNode] | None:
        """The category and its parents, root first; None if it is not in this tree."""
        chain, node = [], self.by_id.get(category_id)
        while node is not None and len(chain) <= len(self.by_id):
            chain.append(node)
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return list(reversed(chain)) or None

    def walk(self):
        """Every category node, depth first in menu order, with its ancestors (root first)."""

        def down(nodes, ancestors):
            for node in nodes:
                yield node, ancestors
                yield from down(node.children, (*ancestors, node))

        yield from down(self.roots, ())

    def series_by_id(self, series_id: int) -> Series | None:
        return next((s for s in self.series if s.id == series_id), None)


def _build_navigation() -> Navigation:
    series = list(Series.objects.all())
    for item in series:
        item.url = item.get_absolute_url()  # computed once per catalog version, not per page
    nodes = {
        c.id: CategoryNode(c.id, c.name, c.slug, c.get_absolute_url(), c.parent_id)
        for c in Category.objects.order_by("position", "name")
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return Navigation(
        series=series,
        roots=roots,
        by_slug={n.slug: n for n in nodes.values()},
        by_id=nodes,
    )


# The last navigation this process used, with its content version: a page asks for it several
# times (header, filters, their choices) and every page of the same version shares it.
_navigation_memo: tuple[int, Navigation] | None = None


def get_navigation() -> Navigation:
    """Series and the category tree, cached until the catalog changes (in Redis, and the
    latest one in this process's memory)."""
    global _navigation_memo
    version = get_catalog_version()
    memo = _navigation_memo
    if memo is not None and memo[0] == version and version:
        return memo[1]
    # the stamp: cached by this release (and settings) only, never unpickled by another
    key = f"catalog:nav2:{SETTINGS_STAMP}:{version}"
    nav = cache_get(key)
    if nav is None:
        nav = _build_navigation()
        cache_set(key, nav, NAV_CACHE_TTL)
    _navigation_memo = (version, nav)
    return nav


def first_image_prefetch() -> Prefetch:
    return Prefetch(
        "images",
        queryset=ProductImage.objects.order_by("position", "id"),
        to_attr="image_list",
    )


def product_cards(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Products with what a product card shows, in one query: stock, variants and the first
    picture (``card_image``: its listing thumbnail's file, or the original's; ``card_image_alt``;
    Product.card_image_url makes the address).

    The picture comes as two small subqueries rather than a prefetch: one round trip, and no
    ProductImage objects to build for 24 cards.
    """
    variants = Variant.objects.filter(product=OuterRef("pk")).order_by()
    return queryset.annotate(
        variant_count=Subquery(variants.values("product").annotate(n=Count("pk")).values("n")),
        first_variant_id=Subquery(
            Variant.objects.filter(product=OuterRef("pk"))
            .order_by("position", "id")
            .values("pk")[:1]
        ),
        **card_picture(OuterRef("pk")),
    )


class CardPages:
    """An ordered listing of products for a paginator: counted and ordered on ``queryset``
    alone; the cards (product_cards' subqueries) are built for the page's rows only.

    PostgreSQL computes a row's select list before OFFSET drops it: with the card subqueries
    in the listing's own query, page 200 ran them for the 4,776 rows before the page too (90 ms
    of a category's 4,800-row walk on the bench catalog, 35 ms without). One query either way:
    the page's ids are a subquery of the cards' query.
    """

    def __init__(self, queryset: QuerySet[Product]) -> None:
        self.queryset = queryset

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[Product]:
        rows = self.queryset.values("pk")[window]
        cards = product_cards(Product.objects.filter(pk__in=rows))
        return list(cards.order_by(*self.queryset.query.order_by))


def variant_prices() -> QuerySet[Variant]:
    """The variants of the product a row refers to (``OuterRef("pk")``), each annotated
    ``effective``: the price it sells at, its own or the product's. For subqueries on products:
    their price range (catalog.services) and the price filter (catalog.filters)."""
    effective = Coalesce(
        "price_override", OuterRef("price"), output_field=Product._meta.get_field("price")
    )
    return Variant.objects.filter(product=OuterRef("pk")).annotate(effective=effective)


def card_picture(product: OuterRef, *, small: bool = False) -> dict:
    """Annotations for the first picture of the ``product`` a row refers to: ``card_image``
    (its listing thumbnail's file, or the original's; None without a picture) and
    ``card_image_alt``, as two small subqueries. ``small``: the small thumbnail's file first
    (a picture of a few dozen pixels, as in the cart)."""
    first_image = ProductImage.objects.filter(product=product).order_by("position", "id")
    files = [NullIf(F("thumb_listing"), Value("")), F("image")]
    if small:
        files.insert(0, NullIf(F("thumb_small"), Value("")))
    return {
        "card_image": Subquery(
            first_image.annotate(file=Coalesce(*files, output_field=CharField())).values("file")[:1]
        ),
        "card_image_alt": Subquery(first_image.values("alt_text")[:1]),
    }


def list_active_products() -> QuerySet[Product]:
    return Product.objects.active()


def list_featured_products(*, limit: int = 8) -> list[Product]:
    return list(product_cards(Product.objects.active().filter(is_featured=True))[:limit])


def list_new_arrivals(*, limit: int = 8) -> list[Product]:
    return list(product_cards(Product.objects.active().order_by("-created_at", "-id"))[:limit])


def list_series_showcase(*, per_series: int = 4) -> list[tuple[Series, list[Product]]]:
    """The newest few products of each series (one small indexed query per series, a few
    series in all, then one query for the cards)."""
    series = get_navigation().series
    ids_by_series = {
        s.id: list(
            Product.objects.active()
            .filter(series_id=s.id)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)[:per_series]
        )
        for s in series
    }
    wanted = [pk for ids in ids_by_series.values() for pk in ids]
    products = {p.pk: p for p in product_cards(Product.objects.filter(pk__in=wanted))}
    return [
        (s, [products[pk] for pk in ids_by_series[s.id] if pk in products])
        for s in series
        if ids_by_series[s.id]
    ]


# A product page's three look-ups, compiled once per process (core/fixedquery.py): on a
# page-cache miss Django compiling them cost more than PostgreSQL answering them.
_active_product_by_slug = FixedQuery(lambda slug: Product.objects.active().filter(slug=slug), str)
_variants_of = FixedQuery(lambda pk: Variant.objects.filter(product_id=pk), int)
_images_of = FixedQuery(lambda pk: ProductImage.objects.filter(product_id=pk), int)


def get_product_for_page(*, slug: str) -> Product:
    """An active product with everything its page shows, in three small queries: the product,
    its variants (``variant_list``) and its pictures (``image_list``). Its series and category
    trail (``trail``: CategoryNodes, root first) come from the cached navigation, not from
    joins: on a page-cache miss the ORM's cost is most of the page's. Raises
    Product.DoesNotExist."""
    found = _active_product_by_slug(slug)
    if not found:
        raise Product.DoesNotExist(f"No active product {slug!r}")
    product = found[0]
    nav = get_navigation()
    series = nav.series_by_id(product.series_id)
    if series is not None:
        product.series = series
    trail = nav.trail(product.category_id)
    product.trail = trail if trail is not None else product.category.ancestors_and_self()
    product.variant_list = _variants_of(product.pk)
    product.image_list = _images_of(product.pk)
    for row in (*product.variant_list, *product.image_list):
        row.product = product  # as a prefetch would: no query per row for its product
    return product


@dataclass
class MissingProduct:
    """What a product address that shows no product leads to: another address (``redirect``:
    the product's page under its current slug), or a way on from the 404 page (the category
    of a product taken off sale)."""

    redirect: str = ""
    category: "CategoryNode | None" = None
    name: str = ""


def find_missing_product(*, slug: str) -> MissingProduct:
    """Where a product address without an active product leads: the same slug in lower case
    (a link typed or shared in capitals), a slug the product had before (OldProductSlug), or,
    for a product taken off sale, its category. A query or two, on 404s only."""
    lower = slug.lower()
    if lower != slug and _active_product_by_slug(lower):
        return MissingProduct(redirect=cached_reverse("catalog:product", kwargs={"slug": lower}))
    moved = (
        OldProductSlug.objects.filter(slug__in={slug, lower}, product__is_active=True)
        .values_list("product__slug", flat=True)
        .first()
    )
    if moved:
        return MissingProduct(redirect=cached_reverse("catalog:product", kwargs={"slug": moved}))
    off_sale = Product.objects.filter(slug__in={slug, lower}).values("name", "category_id").first()
    if off_sale:
        return MissingProduct(
            category=get_navigation().by_id.get(off_sale["category_id"]), name=off_sale["name"]
        )
    return MissingProduct()


def list_related_products(*, product: Product, limit: int = 4) -> list[Product]:
    """Other products of the category (featured, then newest). Every product of a category
    shares one cached list (one more than shown, so each can leave itself out)."""
    key = f"catalog:related2:{SETTINGS_STAMP}:{get_catalog_version()}:{product.category_id}:{limit}"
    cards = cache_get(key)
    if cards is None:
        cards = list(
            product_cards(
                Product.objects.active()
                .filter(category_id=product.category_id)
                .order_by("-is_featured", "-created_at", "-id")
            )[: limit + 1]
        )
        cache_set(key, cards, NAV_CACHE_TTL)
    return [card for card in cards if card.pk != product.pk][:limit]


def get_free_slug(*, model, name: str, exclude_pk=None) -> str:
    """An address (slug) for a new ``model`` row called ``name`` that no other row has: the
    name's Latin letters and digits ("Café Olé" -> "cafe-ole"), or the model's name for a name
    without any ("茶具" -> "category"), with "-2", "-3" … when that is taken."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(name)[: max_length - 8].strip("-") or model._meta.model_name
    taken = set(
        model.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"

"""Writes to the catalog that several apps need."""

import datetime
import itertools
import logging
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import OldProductSlug, Product, ProductImage, Variant
from .selectors import SITEMAP_SCOPE, bump_catalog_version, shown_product_scopes, variant_prices

logger = logging.getLogger(__name__)


def refresh_stock_totals(*, product_ids: Iterable[int] | None = None) -> int:
    """Recompute ``Product.stock_total`` from the variants (one UPDATE); all products if None.

    Call it in the same transaction as the stock change so listings never disagree with it.
    """
    units = (
        Variant.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Sum("stock"))
        .values("total")
    )
    products = Product.objects.all()
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    return products.update(stock_total=Coalesce(Subquery(units), 0))


def _price_range() -> tuple[Coalesce, Coalesce]:
    """The lowest and highest price a product's variants sell at (a variant's own price, or
    the product's; the product's without variants), as expressions on a product row."""
    effective = variant_prices()
    return (
        Coalesce(Subquery(effective.order_by("effective").values("effective")[:1]), F("price")),
        Coalesce(Subquery(effective.order_by("-effective").values("effective")[:1]), F("price")),
    )


def refresh_price_ranges(*, product_ids: Iterable[int] | None = None) -> int:
    """Recompute ``Product.price_from`` and ``price_to`` (see _price_range) in one UPDATE;
    all products if None."""
    products = Product.objects.all()
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    low, high = _price_range()
    return products.update(price_from=low, price_to=high)


def refresh_stale_price_ranges() -> int:
    """Recompute the price range of the products whose stored one is not what their variants
    sell at: added or repriced by the code from before the range existed, while an update was
    under way (provision.sh calls this once the new code runs). Reads every product (0.4 s
    for 100,000) and writes only those."""
    low, high = _price_range()
    stale = (
        Product.objects.annotate(low=low, high=high)
        .filter(~Q(price_from=F("low")) | ~Q(price_to=F("high")))
        .values_list("pk", flat=True)
    )
    return refresh_price_ranges(product_ids=list(stale))


@transaction.atomic
def set_products_active(*, product_ids: Iterable[int], active: bool) -> int:
    """Put these products on sale, or take them off it, in one UPDATE (staff's bulk action);
    how many there were. Their pages, their categories' product pages and listings, and their
    series' listings go stale; listeners of ``products_changed`` (search) follow after commit."""
    from .signals import products_changed  # the signals module imports this one

    if not isinstance(product_ids, QuerySet):
        product_ids = list(product_ids)
    rows = list(
        Product.objects.filter(pk__in=product_ids).values_list("pk", "category_id", "series_id")
    )
    ids = [pk for pk, _category, _series in rows]
    # updated_at moves: the sitemap's date of a product back on sale says it changed
    count = Product.objects.filter(pk__in=ids).update(is_active=active, updated_at=timezone.now())
    transaction.on_commit(lambda: products_changed.send(sender=Product, product_ids=ids))
    bump_catalog_version(scopes=[*shown_product_scopes(rows, category_pages=True), SITEMAP_SCOPE])
    return count


def lock_variants(*, product_ids: Iterable[int] = (), variant_ids: Iterable[int] = ()) -> None:
    """Row-lock these variants, and all variants of these products, in primary-key order (as
    checkout does) until the transaction ends. Staff saves that write several variants or
    products take them all first: one at a time, in the order a list shows, deadlocks with
    an order holding some of them."""
    product_ids, variant_ids = list(product_ids), list(variant_ids)
    if not product_ids and not variant_ids:
        return
    list(
        Variant.objects.select_for_update(no_key=True)
        .filter(Q(product_id__in=product_ids) | Q(pk__in=variant_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


STOCK_MAX = 2_147_483_647  # the stock column's largest value (PostgreSQL integer)


class StaffStockEdit:
    """What an admin form knows about a stock edit: the stock and the edit count (see
    Variant.stock_edits) its page showed, and the stock typed."""

    SAVED, DELETED, EDITED_MEANWHILE = "saved", "deleted", "edited meanwhile"

    def __init__(self, *, shown: int, edits: int, typed: int):
        self.shown, self.edits, self.typed = shown, edits, typed


def save_variant_for_staff(*, variant: Variant, edit: StaffStockEdit | None) -> tuple[str, int]:
    """Save staff's edit of an existing variant. Its stock moves by what they changed
    (typed - shown) from the stock as it is now, under a row lock, not to the number their page
    showed: orders placed since the page was loaded keep their units.

    Returns (outcome, shortfall): SAVED, with the units that could not be taken away (stock
    stops at 0); DELETED (the variant is gone: nothing saved); EDITED_MEANWHILE (another staff
    stock edit, or this same form sent twice, came first: nothing saved, as adding the change
    again would count it twice). ``edit`` None: saved as it is (a new variant, or a post
    without what its page showed)."""
    with transaction.atomic():
        if variant.pk is None or edit is None:
            variant.save()
            return StaffStockEdit.SAVED, 0
        current = (
            Variant.objects.select_for_update(no_key=True)
            .filter(pk=variant.pk)
            .values_list("stock", "stock_edits")
            .first()
        )
        if current is None:
            return StaffStockEdit.DELETED, 0
        stock, edits = current
        change = edit.typed - edit.shown
        if change and edit.edits != edits:
            return StaffStockEdit.EDITED_MEANWHILE, 0
        wanted = stock + change
        variant.stock = min(max(wanted, 0), STOCK_MAX)
        variant.stock_edits = edits + 1 if change else edits
        variant.save()
        return StaffStockEdit.SAVED, max(variant.stock - wanted, 0)


#: Folders of the media storage that hold product pictures and nothing else, with the column of
#: ProductImage that names their files.
PICTURE_FOLDERS = {
    "products": "image",  # (catalog.models.product_image_path)
    **{
        field.upload_to.rstrip("/"): field.name
        for field in ProductImage._meta.fields
        if field.name.startswith("thumb_")
    },
}
#: A file no picture names is deleted only when it is older than this: an upload is written
#: before the transaction that saves its row commits.
ORPHAN_PICTURE_GRACE = datetime.timedelta(days=1)
ORPHAN_CHUNK = 1000


def _files_under(storage, folder: str) -> Iterator[tuple[str, datetime.datetime | None]]:
    """The files in ``folder`` of ``storage`` and its subfolders: (name, when last written, if
    the listing says so)."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # a bucket (core/storage.py): a thousand names with their times per request, where a
        # folder at a time took one request per product
        location = storage.location.strip("/")
        start = f"{location}/" if location else ""
        for obj in bucket.objects.filter(Prefix=f"{start}{folder}/"):
            yield obj.key.removeprefix(start), obj.last_modified
        return
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}", None
    for sub in dirs:
        yield from _files_under(storage, f"{folder}/{sub}")


def delete_orphan_pictures(*, now: datetime.datetime | None = None) -> int:
    """Delete picture files no product picture names any more; how many.

    Replacing a picture, deleting it (or its product) and an upload whose save failed (a full
    disk) left its file and thumbnails in the media storage for ever. Only the folders pictures
    are written to are looked at (PICTURE_FOLDERS; a logo copied into MEDIA_ROOT stays), a
    thousand names to a query; a file shared by several pictures (seed_demo) stays while one
    names it, and a file younger than ORPHAN_PICTURE_GRACE stays (its row may not be committed
    yet). Safe to run twice at once: a file the other run deleted is skipped. The nightly
    backup keeps what it deleted for BACKUP_KEEP_DAYS (media-changed/).
    """
    storage = ProductImage._meta.get_field("image").storage
    if not ProductImage.objects.exists():
        # a database without a single picture next to the media of a shop that has some: a new
        # server whose uploads are back before its database is (deploy/README.md, "A whole new
        # server"), or a DATABASE_URL pointing at the wrong database. Every file would go.
        if any(next(_files_under(storage, folder), None) for folder in PICTURE_FOLDERS):
            logger.warning("No product pictures in the database: picture files left alone")
        return 0
    cutoff = (now or timezone.now()) - ORPHAN_PICTURE_GRACE
    deleted = 0
    for folder, column in PICTURE_FOLDERS.items():
        listing = _files_under(storage, folder)
        while chunk := dict(itertools.islice(listing, ORPHAN_CHUNK)):
            named = set(
                ProductImage.objects.filter(**{f"{column}__in": list(chunk)}).values_list(
                    column, flat=True
                )
            )
            for name, modified in chunk.items():
                if name in named:
                    continue
                try:
                    if (modified or storage.get_modified_time(name)) >= cutoff:
                        continue
                    storage.delete(name)
                except FileNotFoundError:  # deleted by the other run meanwhile
                    continue
                deleted += 1
    if deleted:
        logger.info("Deleted %s picture files no product picture names", deleted)
    return deleted


def remember_old_slug(*, product: Product, old_slug: str) -> None:
    """Keep ``old_slug``, the address ``product`` had before its slug changed, leading to its
    page; an old address that is ``product``'s again is no longer one."""
    if not old_slug or old_slug == product.slug:
        return
    OldProductSlug.objects.filter(slug=product.slug).delete()
    OldProductSlug.objects.update_or_create(slug=old_slug, defaults={"product": product})

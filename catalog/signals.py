"""Cache invalidation: any catalog change makes cached catalog fragments, home and search
results stale; a change to products keeps the product pages of the others and the listings of
other categories and series (see core/pagecache.py and catalog.selectors.listing_scopes)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

from .models import Category, Product, ProductImage, Series, Variant
from .selectors import (
    SITEMAP_SCOPE,
    bump_catalog_version,
    product_change_scopes,
    shown_product_scopes,
)
from .services import refresh_price_ranges, refresh_stock_totals, remember_old_slug


@receiver(pre_save, sender=Variant)
def remember_variant_product(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """The product a saved variant belonged to: moved to another, both products' stock totals
    and pages change."""
    instance._product_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "product" not in update_fields:
        return
    instance._product_before = (
        Variant.objects.filter(pk=instance.pk).values_list("product_id", flat=True).first()
    )


def _variant_products(instance, signal) -> list[int]:
    """The products a variant's save or deletion changes (two when it moved)."""
    before = getattr(instance, "_product_before", None) if signal is post_save else None
    return list(dict.fromkeys(p for p in (instance.product_id, before) if p is not None))


@receiver([post_save, post_delete], sender=Variant)
def variant_changed(sender, instance, signal, raw=False, **kwargs) -> None:
    if not raw:
        products = _variant_products(instance, signal)
        refresh_stock_totals(product_ids=products)
        refresh_price_ranges(product_ids=products)


@receiver([post_save, post_delete], sender=Series)
@receiver([post_save, post_delete], sender=Category)
def catalog_changed(**kwargs) -> None:
    # names and the category tree show on every page (navigation, trails, which categories a
    # listing lists): every page goes stale
    bump_catalog_version()


@receiver(pre_save, sender=Product)
def remember_listed_place(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """The category and series an existing product is in before this save: moved, it leaves
    their listings, which must go stale too. Read in the save's transaction under the row lock
    its UPDATE takes next anyway, so a move someone else committed meanwhile is the one seen
    (not the category this copy was loaded with)."""
    instance._listed_before = instance._slug_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"category", "series", "slug"} & set(update_fields):
        return
    rows = Product.objects.filter(pk=instance.pk)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update(no_key=True)
    before = rows.values_list("category_id", "series_id", "slug").first()
    if before is not None:
        # (and its address: a changed slug keeps the old one leading to the page)
        instance._listed_before, instance._slug_before = before[:2], before[2]


@receiver([post_save, post_delete], sender=Product)
def product_changed(sender, instance, signal, **kwargs) -> None:
    # A product's own page and the pages that show its card; its category's product pages
    # (they list the newest and featured products of the category: a new, moved, hidden or
    # featured product changes that list); the listings of its category and series, and of
    # the ones it left.
    if signal is post_save and not kwargs.get("raw") and not kwargs.get("created"):
        # the price may have changed: the variants without their own price follow it (a new
        # product has no variants yet: Product.save set its range)
        refresh_price_ranges(product_ids=[instance.pk])
    places = [(instance.pk, instance.category_id, instance.series_id)]
    old_slug = instance.__dict__.pop("_slug_before", None) if signal is post_save else None
    if old_slug and old_slug != instance.slug and not kwargs.get("raw"):
        remember_old_slug(product=instance, old_slug=old_slug)
    before = instance.__dict__.pop("_listed_before", None) if signal is post_save else None
    if before is not None:
        places.append((instance.pk, *before))
    # (and the sitemap: a product added, renamed, taken off sale or deleted)
    bump_catalog_version(scopes=[*shown_product_scopes(places, category_pages=True), SITEMAP_SCOPE])


@receiver([post_save, post_delete], sender=Variant)
@receiver([post_save, post_delete], sender=ProductImage)
def product_part_changed(sender, instance, signal, **kwargs) -> None:
    # (a product that cannot be read any more: every page, see product_change_scopes)
    products = _variant_products(instance, signal) if sender is Variant else [instance.product_id]
    bump_catalog_version(scopes=product_change_scopes(products))


# Sent after commit when stock moved without saving Variant rows (order placed or cancelled)
# in a way pages show (a level crossed the low-stock threshold or zero: see stock_shown, so
# every product that sold out or came back), with ``product_ids``; listeners (search) refresh
# what they derive from stock.
stock_changed = Signal()
# Sent after commit when products changed in bulk without saving them (admin activate and
# deactivate), with ``product_ids``; listeners (search) refresh what they derive from them.
products_changed = Signal()

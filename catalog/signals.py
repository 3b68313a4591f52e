"""Cache invalidation: any catalog change makes cached catalog fragments and listings stale;
a change to one product keeps the product pages of the others (see core/pagecache.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import Category, Product, ProductImage, Series, Variant
from .selectors import bump_catalog_version, product_scopes
from .services import refresh_stock_totals


@receiver([post_save, post_delete], sender=Variant)
def variant_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        refresh_stock_totals(product_ids=[instance.product_id])


@receiver([post_save, post_delete], sender=Series)
@receiver([post_save, post_delete], sender=Category)
def catalog_changed(**kwargs) -> None:
    # names and the category tree show on every page (navigation, trails)
    bump_catalog_version()


@receiver([post_save, post_delete], sender=Product)
def product_changed(sender, instance, **kwargs) -> None:
    # its category's product pages list the newest and featured products of the category:
    # a new, moved, hidden or featured product changes that list (a product moved away from
    # a category is on those pages only as a card, which its own scope covers)
    bump_catalog_version(scopes=product_scopes(instance.pk, category_ids=[instance.category_id]))


@receiver([post_save, post_delete], sender=Variant)
@receiver([post_save, post_delete], sender=ProductImage)
def product_part_changed(sender, instance, **kwargs) -> None:
    bump_catalog_version(scopes=product_scopes(instance.product_id))


# Sent after commit when stock moved without saving Variant rows (order placed or cancelled)
# in a way pages show (a level crossed the low-stock threshold or zero: see stock_shown, so
# every product that sold out or came back), with ``product_ids``; listeners (search) refresh
# what they derive from stock.
stock_changed = Signal()
# Sent after commit when products changed in bulk without saving them (admin activate and
# deactivate), with ``product_ids``; listeners (search) refresh what they derive from them.
products_changed = Signal()

"""Cache invalidation: any catalog change makes every cached catalog fragment stale."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import Category, Product, ProductImage, Series, Variant
from .selectors import bump_catalog_version
from .services import refresh_stock_totals


@receiver([post_save, post_delete], sender=Variant)
def variant_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        refresh_stock_totals(product_ids=[instance.product_id])


@receiver([post_save, post_delete], sender=Series)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Variant)
@receiver([post_save, post_delete], sender=ProductImage)
def catalog_changed(**kwargs) -> None:
    bump_catalog_version()


# Sent after commit when stock moved without saving Variant rows (order placed or cancelled),
# with ``product_ids``; listeners (search) refresh what they derive from stock.
stock_changed = Signal()
# Sent after commit when products changed in bulk without saving them (admin activate and
# deactivate), with ``product_ids``; listeners (search) refresh what they derive from them.
products_changed = Signal()

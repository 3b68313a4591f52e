"""Keep search documents current: a product change re-indexes it after commit; a series or
category change re-indexes its products in the background."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.models import Category, Product, Series, Variant
from catalog.signals import products_changed, stock_changed

from .tasks import reindex_category_task, reindex_series_task


def _later(func, *args) -> None:
    transaction.on_commit(lambda: func(*args))


@receiver(post_save, sender=Product)
def product_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _later(_reindex_now, [instance.pk])


@receiver([post_save, post_delete], sender=Variant)
def variant_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _later(_reindex_now, [instance.product_id])


@receiver(post_save, sender=Series)
def series_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if not raw and not created:
        _later(_delay, reindex_series_task, instance.pk)


@receiver(post_save, sender=Category)
def category_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if not raw and not created:
        _later(_delay, reindex_category_task, instance.pk)


def _reindex_now(ids: list[int]) -> None:
    from .services import index_products

    index_products(product_ids=ids)


def _delay(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:  # broker down: index in the request rather than leave it stale
        task(*args)


@receiver(stock_changed)
def stock_moved(sender, product_ids, **kwargs) -> None:
    from .services import refresh_stock_flags

    refresh_stock_flags(product_ids=product_ids)


@receiver(products_changed)
def products_changed_in_bulk(sender, product_ids, **kwargs) -> None:
    _reindex_now(list(product_ids))

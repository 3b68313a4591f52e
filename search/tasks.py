from celery import shared_task

from catalog.models import Category, Product

from .services import index_products

CHUNK = 2000


def _reindex(queryset) -> int:
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        index_products(product_ids=ids[start : start + CHUNK])
    return len(ids)


@shared_task
def reindex_series_task(series_id: int) -> int:
    """A series was renamed: rebuild its products' documents."""
    return _reindex(Product.objects.filter(series_id=series_id))


@shared_task
def reindex_category_task(category_id: int) -> int:
    """A category was renamed or moved: rebuild the documents of it and its subcategories."""
    ids = {category_id}
    frontier = {category_id}
    while frontier:
        frontier = (
            set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        )
        ids |= frontier
    return _reindex(Product.objects.filter(category_id__in=ids))


@shared_task
def flush_search_counts_task() -> int:
    """Write the searches counted in Redis to the database (every minute, Celery beat)."""
    from .services import flush_search_counts

    return flush_search_counts()


@shared_task
def delete_old_search_counts_task() -> int:
    """Nightly (Celery beat): search counts older than SHOP_SEARCH_COUNT_DAYS."""
    from .services import delete_old_search_counts

    return delete_old_search_counts()

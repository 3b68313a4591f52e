from celery import shared_task


@shared_task
def delete_stale_carts_task() -> int:
    """Nightly (Celery beat): carts nobody can use any more (cart/services.py)."""
    from .services import delete_stale_carts

    return delete_stale_carts()

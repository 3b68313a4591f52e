from celery import shared_task

from .services import delete_expired_orders, expire_unpaid_orders


@shared_task
def expire_unpaid_orders_task() -> int:
    """Cancel bank-transfer orders not paid in time (safe to run twice at once)."""
    return expire_unpaid_orders()


@shared_task
def delete_expired_orders_task() -> int:
    """Nightly (Celery beat): orders past SHOP_ORDER_KEEP_YEARS (orders/services.py)."""
    return delete_expired_orders()

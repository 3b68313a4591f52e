from celery import shared_task

from .services import expire_unpaid_orders


@shared_task
def expire_unpaid_orders_task() -> int:
    """Cancel bank-transfer orders not paid in time (safe to run twice at once)."""
    return expire_unpaid_orders()

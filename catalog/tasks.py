from celery import shared_task


@shared_task
def delete_orphan_pictures_task() -> int:
    """Nightly (Celery beat): picture files no product picture names (catalog/services.py)."""
    from .services import delete_orphan_pictures

    return delete_orphan_pictures()

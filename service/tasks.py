from celery import shared_task


@shared_task
def delete_old_contact_messages_task() -> int:
    """Nightly (Celery beat): messages to customer service older than SHOP_CONTACT_MESSAGE_DAYS."""
    from .services import delete_old_contact_messages

    return delete_old_contact_messages()

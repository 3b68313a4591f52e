from celery import shared_task


@shared_task
def clean_up_guestbook_task() -> int:
    """Nightly (Celery beat): forget the e-mail addresses of entries nobody replied to within
    SHOP_GUESTBOOK_EMAIL_DAYS, and delete entries never published within
    SHOP_GUESTBOOK_UNPUBLISHED_DAYS. How many entries were changed or deleted."""
    from .services import delete_unpublished_entries, forget_unanswered_emails

    return forget_unanswered_emails() + delete_unpublished_entries()

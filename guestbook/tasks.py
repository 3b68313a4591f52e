from celery import shared_task


@shared_task
def forget_unanswered_emails_task() -> int:
    """Nightly (Celery beat): e-mail addresses of guestbook entries nobody replied to within
    SHOP_GUESTBOOK_EMAIL_DAYS."""
    from .services import forget_unanswered_emails

    return forget_unanswered_emails()

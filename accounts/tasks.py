from celery import shared_task


@shared_task
def delete_unconfirmed_accounts_task() -> int:
    """Nightly (Celery beat): sign-ups never confirmed (accounts/services.py)."""
    from .services import delete_unconfirmed_accounts

    return delete_unconfirmed_accounts()

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .services import unquote_admin_history


# Every way an account goes (closed by its member, deleted by staff in admin): the admin's
# history keeps what staff did, without quoting the person (admin writes its own line about a
# deletion before deleting, so that one is covered too).
@receiver(pre_delete, sender=get_user_model(), dispatch_uid="accounts.unquote_admin_history")
def unquote_admin_history_of_a_going_account(sender, instance, **kwargs):
    unquote_admin_history(user=instance)

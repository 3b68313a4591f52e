from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        # Django sends post_migrate once per app with models (this one has none), each after
        # auth has made that app's permissions: the groups gain each app's as they appear.
        post_migrate.connect(_staff_group, dispatch_uid="shop.staff_group")


def _staff_group(sender, using="default", **kwargs) -> None:
    from .staff import ensure_staff_groups

    ensure_staff_groups(using=using)

from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "cart"
    verbose_name = "Carts"

    def ready(self) -> None:
        from . import signals  # noqa: F401

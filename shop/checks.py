"""System checks of the shop's own settings (``manage.py check --deploy``)."""

from django.core import checks


@checks.register("shop", deploy=True)
def demo_values_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Warn when customers would see the demo's name, bank account or legal notice."""
    from .staff import list_demo_settings

    demo = list_demo_settings()
    if not demo:
        return []
    return [
        checks.Warning(
            f"Still the demo's values: {', '.join(demo)}.",
            hint="Customers see them (bank transfers, legal notice, every page): set them in "
            "the settings file (/etc/shop/shop.env) and restart.",
            id="shop.W001",
        )
    ]

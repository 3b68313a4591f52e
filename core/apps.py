from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may use: money rounding, template filters, the e-mail outbox, rate limits."""

    name = "core"
    verbose_name = "Shop core"

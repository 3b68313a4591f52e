from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may use: money rounding, template filters, the e-mail outbox, rate limits."""

    name = "core"
    verbose_name = "Shop core"

    def ready(self):
        from celery.signals import task_success

        task_success.connect(_record_scheduled_job, weak=False, dispatch_uid="core.jobs")


def _record_scheduled_job(sender=None, **kwargs):
    from .jobs import record_success

    record_success(task=getattr(sender, "name", ""))

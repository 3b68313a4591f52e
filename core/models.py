from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

#: Messages tried and not sent (the mail server refused, or was away): they wait for their next
#: attempt. The admin's "Failing" filter and the health check's ``outbox_failing`` count these.
FAILING = Q(sent_at__isnull=True, attempts__gt=0)


class OutboxMessage(models.Model):
    """An e-mail waiting to go out, written in the same transaction as the change behind it."""

    to = models.JSONField(help_text="List of recipient addresses.")
    reply_to = models.JSONField(
        default=list, blank=True, help_text="Where answers go (e.g. the shopper who wrote)."
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    kind = models.CharField(max_length=60, blank=True, help_text="e.g. order_confirmation")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        default=timezone.now,
        db_default=Now(),  # rows written by code from before this column (during a deploy)
        help_text="The sweep does not try a failing message again before this (backoff).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="outbox_due"
            ),
            # the admin's list, newest first, all or of one kind, and its sent/not sent
            # filter: each read the whole table (the bodies make it large) for every page
            models.Index(fields=["-created_at"], name="outbox_newest"),
            models.Index(fields=["kind", "-created_at"], name="outbox_kind_newest"),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class ScheduledJobRun(models.Model):
    """When each periodic job of CELERY_BEAT_SCHEDULE last finished without an error
    (core/jobs.py): /healthz names the ones overdue, so a stopped beat or worker, or a job that
    fails every night, does not go unnoticed."""

    task = models.CharField(max_length=200, unique=True)
    last_success_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.task} at {self.last_success_at:%Y-%m-%d %H:%M}"

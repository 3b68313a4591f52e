from django.conf import settings
from django.db import models

from core.text import shorten


class Entry(models.Model):
    """A message on the public guestbook, shown once staff publish it, with their reply."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden"

    name = models.CharField(max_length=80)
    email = models.EmailField(
        blank=True, help_text="Never shown; only used to tell the author about a reply."
    )
    message = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField("public reply", blank=True, max_length=2000)
    replied_at = models.DateTimeField(null=True, blank=True, editable=False)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "guestbook entry"
        verbose_name_plural = "guestbook entries"
        indexes = [models.Index(fields=["status", "-created_at"], name="entry_status_created")]

    def __str__(self) -> str:
        return f"{self.name}: {shorten(self.message, 40)}"

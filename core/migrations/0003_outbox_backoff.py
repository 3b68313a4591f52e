import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

from core.migration_ops import AddFieldOnce, AddIndexConcurrently, RemoveIndexConcurrently

# Since 2026-12-05 the indexes are dropped and built CONCURRENTLY (same result): a plain
# CREATE INDEX on the outbox blocked every order placement (its e-mail is written in the
# order's transaction) while it read every message kept, bodies included.


class Migration(migrations.Migration):
    atomic = False  # concurrent index builds

    dependencies = [
        ("core", "0002_outbox_reply_to"),
    ]

    operations = [
        AddFieldOnce(
            model_name="outboxmessage",
            name="next_attempt_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                help_text="The sweep does not try a failing message again before this (backoff).",
            ),
        ),
        RemoveIndexConcurrently(model_name="outboxmessage", name="outbox_pending"),
        AddIndexConcurrently(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("sent_at__isnull", True)),
                fields=["next_attempt_at"],
                name="outbox_due",
            ),
        ),
    ]

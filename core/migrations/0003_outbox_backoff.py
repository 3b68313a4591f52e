import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_outbox_reply_to"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="next_attempt_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                help_text="The sweep does not try a failing message again before this (backoff).",
            ),
        ),
        migrations.RemoveIndex(model_name="outboxmessage", name="outbox_pending"),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("sent_at__isnull", True)),
                fields=["next_attempt_at"],
                name="outbox_due",
            ),
        ),
    ]

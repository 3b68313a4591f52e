"""Trigram indexes for the admin's outbox search (any part of a subject or recipient address,
any case: "which e-mails went to this customer, about this order"), so that it reads the
index, not every message with its bodies.

PostgreSQL only (SQLite reads the table). Built CONCURRENTLY: messages keep being written and
sent while the indexes are built; if a build is interrupted, drop the invalid index and
migrate again.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "outbox_subject_trgm": "UPPER(subject)",
    "outbox_to_trgm": 'UPPER(("to")::text)',  # a JSON list, searched as its text
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        # the expressions Django's icontains compares
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON core_outboxmessage USING gin ({expression} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("core", "0004_outbox_admin_indexes")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

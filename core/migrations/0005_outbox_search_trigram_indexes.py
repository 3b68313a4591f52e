"""Trigram indexes for the admin's outbox search (any part of a subject or recipient address,
any case: "which e-mails went to this customer, about this order"), so that it reads the
index, not every message with its bodies.

PostgreSQL only (SQLite reads the table). Built CONCURRENTLY: messages keep being written and
sent while the indexes are built; an index whose build was interrupted (left INVALID) is
built again by the next migrate.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "outbox_subject_trgm": "UPPER(subject)",
    "outbox_to_trgm": 'UPPER(("to")::text)',  # a JSON list, searched as its text
}


class KeepTrigramExtension(TrigramExtension):
    """Unapplied, it leaves pg_trgm in place: the search app's trigram index (search 0002 made
    the extension) and the other apps' admin indexes use it. Django's own tries to drop it,
    which fails on PostgreSQL while they exist, and off PostgreSQL fails looking for it."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def drop_if_invalid(schema_editor, name):
    """An interrupted CREATE INDEX CONCURRENTLY (a cancelled statement, a restart) leaves an
    INVALID index, never read but still written to, which IF NOT EXISTS would keep."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
        )
        invalid = cursor.fetchone()
    if invalid and invalid[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        drop_if_invalid(schema_editor, name)
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
        KeepTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

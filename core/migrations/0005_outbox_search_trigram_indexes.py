"""Trigram indexes for the admin's outbox search (any part of a subject or recipient address,
any case: "which e-mails went to this customer, about this order"), so that it reads the
index, not every message with its bodies.

Built CONCURRENTLY by core.migration_ops.TrigramIndexes (PostgreSQL only; SQLite reads the
table), which also builds again an index whose build was interrupted.
"""

from django.db import migrations

from core.migration_ops import KeepTrigramExtension, TrigramIndexes

# name: (table, the expression Django's icontains compares)
INDEXES = {
    "outbox_subject_trgm": ("core_outboxmessage", "UPPER(subject)"),
    # a JSON list, searched as its text
    "outbox_to_trgm": ("core_outboxmessage", 'UPPER(("to")::text)'),
}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("core", "0004_outbox_admin_indexes")]

    operations = [KeepTrigramExtension(), TrigramIndexes(INDEXES)]

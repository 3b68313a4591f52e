from django.db import migrations

# Since 2026-12-05 the extension stays when this is unapplied (Django's TrigramExtension
# dropped it: PostgreSQL refused while the other apps' trigram indexes use it, and SQLite failed
# looking for pg_extension); applied, it does as before.
from core.migration_ops import KeepTrigramExtension


INDEXES = {
    "search_productdocument_document_gin": "search_productdocument USING gin (document)",
    "search_lexeme_word_trgm": "search_lexeme USING gin (word gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    # CONCURRENTLY since 2026-12-05 (same indexes): the plain build held a SHARE lock on the
    # documents for 6.6 s on 100,000 products (every product edit and stock change waited)
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: search matches the text columns directly
    for name, definition in INDEXES.items():
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
            )
            invalid = cursor.fetchone()
        if invalid and invalid[0]:  # an interrupted build: IF NOT EXISTS would keep it
            schema_editor.execute(f"DROP INDEX CONCURRENTLY {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction
    dependencies = [("search", "0001_initial")]

    operations = [
        KeepTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

from django.db import migrations

# Since 2026-12-05 the extension stays when this is unapplied (Django's TrigramExtension
# dropped it: PostgreSQL refused while the other apps' trigram indexes use it, and SQLite failed
# looking for pg_extension); applied, it does as before.
from core.migration_ops import KeepTrigramExtension


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: search matches the text columns directly
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS search_productdocument_document_gin "
        "ON search_productdocument USING gin (document)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS search_lexeme_word_trgm "
        "ON search_lexeme USING gin (word gin_trgm_ops)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS search_productdocument_document_gin")
    schema_editor.execute("DROP INDEX IF EXISTS search_lexeme_word_trgm")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        KeepTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

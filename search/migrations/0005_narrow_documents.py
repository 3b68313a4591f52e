from django.db import migrations


def empty_source_text(apps, schema_editor):
    # On PostgreSQL the vectors hold everything search needs; the source text only widened
    # the rows (see ProductDocument). `VACUUM FULL search_productdocument` afterwards returns
    # the space at once; autovacuum reuses it otherwise.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE search_productdocument SET skus = '', taxonomy = '', body = '' "
            "WHERE document IS NOT NULL AND title IS NOT NULL "
            "AND (skus <> '' OR taxonomy <> '' OR body <> '')"
        )


class Migration(migrations.Migration):
    dependencies = [("search", "0004_document_title_is_active")]

    # Backwards: nothing to undo; `manage.py search_reindex` rebuilds every document from the
    # products.
    operations = [migrations.RunPython(empty_source_text, migrations.RunPython.noop)]

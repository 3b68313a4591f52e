from django.db import migrations
from django.db.models import Q

from core.migration_ops import update_in_batches


def empty_source_text(apps, schema_editor):
    # On PostgreSQL the vectors hold everything search needs; the source text only widened
    # the rows (see ProductDocument). `VACUUM FULL search_productdocument` afterwards returns
    # the space at once; autovacuum reuses it otherwise.
    if schema_editor.connection.vendor == "postgresql":
        # 5,000 documents at a time, each batch committed (the migration is not atomic): one
        # UPDATE of every document kept them all locked until it ended (since 2026-12-05)
        ProductDocument = apps.get_model("search", "ProductDocument")
        update_in_batches(
            ProductDocument.objects.filter(document__isnull=False, title__isnull=False).filter(
                ~Q(skus="") | ~Q(taxonomy="") | ~Q(body="")
            ),
            skus="",
            taxonomy="",
            body="",
        )


class Migration(migrations.Migration):
    atomic = False  # commits batch by batch
    dependencies = [("search", "0004_document_title_is_active")]

    # Backwards: nothing to undo; `manage.py search_reindex` rebuilds every document from the
    # products.
    operations = [migrations.RunPython(empty_source_text, migrations.RunPython.noop)]

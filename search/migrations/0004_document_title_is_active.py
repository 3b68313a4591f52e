# Since 2026-12-05 it runs without one transaction around it (same result): the documents are
# filled 5,000 at a time, then the index is built CONCURRENTLY. In one transaction the new
# columns' exclusive lock on search_productdocument lasted until every document's title
# vector was computed: no search was answered meanwhile.

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from core.migration_ops import AddFieldOnce, update_in_batches


def fill(apps, schema_editor):
    ProductDocument = apps.get_model("search", "ProductDocument")
    Product = apps.get_model("catalog", "Product")
    update_in_batches(
        ProductDocument.objects.all(),
        is_active=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("is_active"))
    )
    if schema_editor.connection.vendor == "postgresql":
        config = settings.SEARCH_CONFIG
        update_in_batches(
            ProductDocument.objects.all(),
            title=SearchVector("name", weight="A", config=config)
            + SearchVector("taxonomy", weight="B", config=config)
        )


def create_index(apps, schema_editor):
    # after fill(), outside a transaction: CONCURRENTLY, so searches and index updates go on
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = "
                "to_regclass('search_productdocument_title_gin')"
            )
            invalid = cursor.fetchone()
        if invalid and invalid[0]:  # an interrupted build: IF NOT EXISTS would keep it
            schema_editor.execute("DROP INDEX CONCURRENTLY search_productdocument_title_gin")
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS search_productdocument_title_gin "
            "ON search_productdocument USING gin (title)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS search_productdocument_title_gin")


class Migration(migrations.Migration):
    atomic = False  # the fill commits batch by batch; the index is built concurrently

    dependencies = [
        ("search", "0003_document_in_stock"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        AddFieldOnce(
            model_name="productdocument",
            name="title",
            field=SearchVectorField(null=True),
        ),
        AddFieldOnce(
            model_name="productdocument",
            name="is_active",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    ProductDocument = apps.get_model("search", "ProductDocument")
    Product = apps.get_model("catalog", "Product")
    ProductDocument.objects.update(
        is_active=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("is_active"))
    )
    if schema_editor.connection.vendor == "postgresql":
        config = settings.SEARCH_CONFIG
        ProductDocument.objects.update(
            title=SearchVector("name", weight="A", config=config)
            + SearchVector("taxonomy", weight="B", config=config)
        )


def create_index(apps, schema_editor):
    # before fill(): PostgreSQL refuses CREATE INDEX after updates in the same transaction
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_productdocument_title_gin "
            "ON search_productdocument USING gin (title)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_productdocument_title_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_document_in_stock"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="productdocument",
            name="title",
            field=SearchVectorField(null=True),
        ),
        migrations.AddField(
            model_name="productdocument",
            name="is_active",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

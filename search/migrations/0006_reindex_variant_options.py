from django.db import migrations


def reindex(apps, schema_editor):
    # The documents now hold the colours and sizes of each product's variants ("blue lantern"):
    # rebuild the existing ones once, so an updated shop finds them without a manual
    # `manage.py search_reindex`. This runs the search app's own code, not historical models:
    # if a later migration changes ProductDocument, make this a no-op (a shop that skips
    # straight past it then runs search_reindex after migrating).
    Product = apps.get_model("catalog", "Product")
    if not Product.objects.exists():
        return
    from search.services import index_all_products

    index_all_products()


class Migration(migrations.Migration):
    # Each batch of documents commits by itself (search.services.index_products), not the
    # whole rebuild at the end: in one transaction every document stayed locked until the
    # last one was rebuilt (since 2026-12-05; same result).
    atomic = False

    dependencies = [
        ("search", "0005_narrow_documents"),
        ("catalog", "0004_variant_stock_edits"),
    ]

    # Backwards: the documents keep the words added (the code before only finds more with them;
    # `manage.py search_reindex` rebuilds them all as that code indexes).
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]

from django.db import migrations


def reindex(apps, schema_editor):
    # The documents now hold each SKU's parts as words too ("JAC-000003-PIN-S": jac 000003 pin
    # s), so the SKU without its size, or its number alone, finds the product on PostgreSQL.
    # Rebuild once the documents of the products with such a SKU, so an updated shop finds them
    # without a manual `manage.py search_reindex`. Runs the search app's own code, as 0006
    # does: if a later migration changes ProductDocument, make this a no-op.
    from search.services import index_products

    Variant = apps.get_model("catalog", "Variant")
    ids = sorted(
        set(
            Variant.objects.filter(sku__regex=r"[^0-9A-Za-z]")
            .values_list("product_id", flat=True)
            .iterator(chunk_size=5000)
        )
    )
    for start in range(0, len(ids), 2000):
        index_products(product_ids=ids[start : start + 2000])


class Migration(migrations.Migration):
    # Each batch of documents commits by itself (search.services.index_products), not the
    # whole rebuild at the end: in one transaction every document stayed locked until the
    # last one was rebuilt (since 2026-12-05; same result).
    atomic = False

    dependencies = [
        ("search", "0007_reindex_cjk_last_characters"),
        ("catalog", "0010_product_is_active_single_index_dropped"),
    ]

    # Backwards: the documents keep the words added (the code before only finds more with them;
    # `manage.py search_reindex` rebuilds them all as that code indexes).
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]

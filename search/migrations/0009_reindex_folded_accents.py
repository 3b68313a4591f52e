from django.db import migrations
from django.db.models import Q

NON_ASCII = r"[^\x01-\x7f]"


def reindex(apps, schema_editor):
    # The documents now hold the words with accents without them as well ("Crème" -> creme),
    # so "creme" finds "Crème Brûlée Torch". Rebuild once the documents of the products with a
    # letter beyond ASCII in their name, descriptions, colours, sizes, series or categories, so
    # an updated shop finds them without a manual `manage.py search_reindex`. Runs the search
    # app's own code, as 0006 does: if a later migration changes ProductDocument, make this a
    # no-op.
    from search.services import index_products

    Product = apps.get_model("catalog", "Product")
    where = Q()
    for field in (
        "name",
        "short_description",
        "description",
        "variants__colour",
        "variants__size",
        "series__name",
        "category__name",
        "category__parent__name",
        "category__parent__parent__name",
    ):
        where |= Q(**{f"{field}__regex": NON_ASCII})
    ids = sorted(set(Product.objects.filter(where).values_list("pk", flat=True)))
    for start in range(0, len(ids), 2000):
        index_products(product_ids=ids[start : start + 2000])


class Migration(migrations.Migration):
    # Each batch of documents commits by itself (search.services.index_products), not the
    # whole rebuild at the end: in one transaction every document stayed locked until the
    # last one was rebuilt (since 2026-12-05; same result).
    atomic = False

    dependencies = [
        ("search", "0008_reindex_sku_parts"),
        ("catalog", "0010_product_is_active_single_index_dropped"),
    ]

    # Backwards: the documents keep the words added (the code before only finds more with them;
    # `manage.py search_reindex` rebuilds them all as that code indexes).
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]

from django.db import migrations


def reindex(apps, schema_editor):
    # The documents of names in Chinese or Japanese now hold each run's last character as
    # well (search.services.cjk_pairs), so one character ("茶") finds every name it stands in.
    # Rebuild once the documents of the products that have such a name (their own, their
    # series' or one of their categories'), so an updated shop finds them without a manual
    # `manage.py search_reindex`. Runs the search app's own code, as 0006 does: if a later
    # migration changes ProductDocument, make this a no-op.
    from search.services import CJK_RUN_RE, index_products

    Product = apps.get_model("catalog", "Product")
    Series = apps.get_model("catalog", "Series")
    Category = apps.get_model("catalog", "Category")
    series = {pk for pk, name in Series.objects.values_list("pk", "name") if CJK_RUN_RE.search(name)}
    parents, cjk = {}, set()
    for pk, parent, name in Category.objects.values_list("pk", "parent_id", "name"):
        parents[pk] = parent
        if CJK_RUN_RE.search(name):
            cjk.add(pk)

    def under_cjk(pk):
        seen = set()
        while pk is not None and pk not in seen:
            if pk in cjk:
                return True
            seen.add(pk)
            pk = parents.get(pk)
        return False

    categories = {pk for pk in parents if under_cjk(pk)}
    ids = [
        pk
        for pk, name, series_id, category_id in Product.objects.values_list(
            "pk", "name", "series_id", "category_id"
        ).iterator(chunk_size=5000)
        if series_id in series or category_id in categories or CJK_RUN_RE.search(name)
    ]
    for start in range(0, len(ids), 2000):
        index_products(product_ids=ids[start : start + 2000])


class Migration(migrations.Migration):
    # Each batch of documents commits by itself (search.services.index_products), not the
    # whole rebuild at the end: in one transaction every document stayed locked until the
    # last one was rebuilt (since 2026-12-05; same result).
    atomic = False

    dependencies = [
        ("search", "0006_reindex_variant_options"),
        ("catalog", "0010_product_is_active_single_index_dropped"),
    ]

    # Backwards: the documents keep the words added (the code before only finds more with them;
    # `manage.py search_reindex` rebuilds them all as that code indexes).
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]

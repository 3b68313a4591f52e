"""Trigram indexes for the admin's product and variant search (any part of a name, address or
SKU, any case), so that it reads the index, not every product and variant.

PostgreSQL only (SQLite reads the table). Built CONCURRENTLY: orders and stock edits go on
while the indexes are built; if a build is interrupted, drop the invalid index and migrate
again.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "product_name_trgm": ("catalog_product", "name"),
    "product_slug_trgm": ("catalog_product", "slug"),
    "variant_sku_trgm": ("catalog_variant", "sku"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        # UPPER(): the expression Django's icontains compares
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("catalog", "0005_admin_list_indexes")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

"""Trigram indexes for the admin's product and variant search (any part of a name, address or
SKU, any case), so that it reads the index, not every product and variant.

Built CONCURRENTLY by core.migration_ops.TrigramIndexes (PostgreSQL only; SQLite reads the
table), which also builds again an index whose build was interrupted.
"""

from django.db import migrations

from core.migration_ops import KeepTrigramExtension, TrigramIndexes

# name: (table, the expression Django's icontains compares)
INDEXES = {
    "product_name_trgm": ("catalog_product", "UPPER(name)"),
    "product_slug_trgm": ("catalog_product", "UPPER(slug)"),
    "variant_sku_trgm": ("catalog_variant", "UPPER(sku)"),
}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("catalog", "0005_admin_list_indexes")]

    operations = [KeepTrigramExtension(), TrigramIndexes(INDEXES)]

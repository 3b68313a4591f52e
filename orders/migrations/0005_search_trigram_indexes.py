"""Trigram indexes for the admin's order search (any part of a number, e-mail, name, phone,
tracking number or line SKU, any case), so that it reads the index, not every order.

PostgreSQL only (SQLite reads the table). Built CONCURRENTLY: orders keep being placed while
the indexes are built; if a build is interrupted, drop the invalid index and migrate again.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "order_number_trgm": ("orders_order", "number"),
    "order_email_trgm": ("orders_order", "email"),
    "order_name_trgm": ("orders_order", "full_name"),
    "order_phone_trgm": ("orders_order", "phone"),
    "order_tracking_trgm": ("orders_order", "tracking_number"),
    "orderline_sku_trgm": ("orders_orderline", "sku"),
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

    dependencies = [("orders", "0004_order_refunded_at")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

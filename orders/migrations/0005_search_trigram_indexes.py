"""Trigram indexes for the admin's order search (any part of a number, e-mail, name, phone,
tracking number or line SKU, any case), so that it reads the index, not every order.

Built CONCURRENTLY by core.migration_ops.TrigramIndexes (PostgreSQL only; SQLite reads the
table), which also builds again an index whose build was interrupted.
"""

from django.db import migrations

from core.migration_ops import KeepTrigramExtension, TrigramIndexes

# name: (table, the expression Django's icontains compares)
INDEXES = {
    "order_number_trgm": ("orders_order", "UPPER(number)"),
    "order_email_trgm": ("orders_order", "UPPER(email)"),
    "order_name_trgm": ("orders_order", "UPPER(full_name)"),
    "order_phone_trgm": ("orders_order", "UPPER(phone)"),
    "order_tracking_trgm": ("orders_order", "UPPER(tracking_number)"),
    "orderline_sku_trgm": ("orders_orderline", "UPPER(sku)"),
}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("orders", "0004_order_refunded_at")]

    operations = [KeepTrigramExtension(), TrigramIndexes(INDEXES)]

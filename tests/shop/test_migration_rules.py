"""What a migration may do while the shop runs (deploy/README.md, "Updating": "What a migration
may do while the shop runs"), checked on every migration of the shop's apps, so that a new one
that would stop a shop of 100,000 products for seconds fails here instead of on its server.

- An index on a big table is built and dropped CONCURRENTLY (core.migration_ops'
  AddIndexConcurrently / RemoveIndexConcurrently, or RunSQL with CONCURRENTLY): a plain CREATE
  INDEX blocks every write to the table for the whole build, a plain DROP INDEX waits for an
  exclusive lock behind any long reader and every query queues behind it.
- An atomic migration never combines a schema change of a big table with a data step
  (RunPython, RunSQL): the change's exclusive lock is held until the data step commits (catalog
  0002 held it 12 s on 100,000 products). Such a migration says ``atomic = False`` and updates
  in batches (core.migration_ops.update_in_batches).

- A new NOT NULL column of an existing table has a database default (``db_default``), or is
  nullable: the release before it keeps inserting rows while the migration has run and the
  new code is not serving yet (and again after a rollback to it), and Django's ``default``
  alone leaves the column without one (every INSERT of the old code failed: an order's
  outbox e-mail, so the order).

A table created in the same migration is empty: its indexes are free.
"""

import inspect
import re

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently as DjangoAddIndexConcurrently
from django.contrib.postgres.operations import (
    RemoveIndexConcurrently as DjangoRemoveIndexConcurrently,
)
from django.db import models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader

from core.migration_ops import AddIndexConcurrently, RemoveIndexConcurrently

SHOP_APPS = {"accounts", "cart", "catalog", "core", "guestbook", "orders", "search", "service"}

# (app, model): the tables that hold tens or hundreds of thousands of rows on a shop with
# years of data (the bench's catalog has 100,000 products and 270,000 variants; sessions and
# carts grow with every visitor).
BIG_TABLES = {
    ("catalog", "product"),
    ("catalog", "variant"),
    ("orders", "order"),
    ("orders", "orderline"),
    ("orders", "orderevent"),
    ("search", "productdocument"),
    ("cart", "cart"),
    ("cart", "cartline"),
    ("sessions", "session"),
    # every e-mail, kept SHOP_SENT_MAIL_DAYS, written in the transaction of the order it is about
    ("core", "outboxmessage"),
}
BIG_DB_TABLES = {f"{app}_{model}" for app, model in BIG_TABLES} | {"django_session"}

SCHEMA_CHANGES = (
    ops.AddField,
    ops.AlterField,
    ops.RemoveField,
    ops.RenameField,
    ops.AddIndex,
    ops.RemoveIndex,
    ops.AddConstraint,
    ops.RemoveConstraint,
    ops.AlterUniqueTogether,
    ops.AlterIndexTogether,
)
DATA_STEPS = (ops.RunPython, ops.RunSQL)
CONCURRENT = (
    AddIndexConcurrently,
    RemoveIndexConcurrently,
    DjangoAddIndexConcurrently,
    DjangoRemoveIndexConcurrently,
)
PLAIN_INDEX_SQL = re.compile(
    r"\b(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)\b(?!\s+CONCURRENTLY)", re.IGNORECASE
)


def flat(operations):
    """The operations, those inside SeparateDatabaseAndState's database side included."""
    for op in operations:
        if isinstance(op, ops.SeparateDatabaseAndState):
            yield from flat(op.database_operations)
        else:
            yield op


def created_here(migration) -> set[tuple[str, str]]:
    return {
        (migration.app_label, op.name.lower())
        for op in migration.operations
        if isinstance(op, ops.CreateModel)
    }


def big_model(migration, op) -> bool:
    name = getattr(op, "model_name", None) or getattr(op, "name", "")
    key = (migration.app_label, name.lower())
    return key in BIG_TABLES and key not in created_here(migration)


def builds_an_index(op) -> bool:
    if isinstance(op, ops.AddIndex | ops.RemoveIndex):
        return True
    if isinstance(op, ops.AddConstraint | ops.RemoveConstraint):
        constraint = getattr(op, "constraint", None)
        # a unique or exclusion constraint is an index; a check constraint scans the table
        # under a lock too, but briefly (no sort, no build)
        return constraint is None or not isinstance(constraint, models.CheckConstraint)
    return isinstance(op, ops.AlterUniqueTogether | ops.AlterIndexTogether)


def source(code) -> str:
    """The source of a RunPython function and of the module it is in (its SQL may be there)."""
    try:
        return inspect.getsource(inspect.getmodule(code))
    except (TypeError, OSError):
        return ""


def plain_index_sql(op) -> bool:
    if isinstance(op, ops.RunSQL):
        sql = op.sql if isinstance(op.sql, str) else " ".join(map(str, op.sql))
    elif isinstance(op, ops.RunPython):
        # SQL a data step runs by hand (the search app's GIN indexes), as its source says
        sql = " ".join(source(code) for code in (op.code, op.reverse_code))
    else:
        return False
    return any(table in sql for table in BIG_DB_TABLES) and bool(PLAIN_INDEX_SQL.search(sql))


# Columns added before the rule, all of them long before the releases a shop would go back to.
NO_DB_DEFAULT_BEFORE_THE_RULE = {
    "catalog.0002_product_stock_total",
    "catalog.0008_product_price_range",  # 0009 gave them one
    "core.0002_outbox_reply_to",
    "search.0003_document_in_stock",
    "search.0004_document_title_is_active",
}


def shop_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        (m for (app, _name), m in loader.disk_migrations.items() if app in SHOP_APPS),
        key=lambda m: (m.app_label, m.name),
    )


def rule_breaks(migration) -> list[str]:
    found = []
    operations = list(flat(migration.operations))
    for op in operations:
        if big_model(migration, op) and builds_an_index(op) and not isinstance(op, CONCURRENT):
            found.append(f"{op.describe()}: not concurrent (core.migration_ops)")
        if plain_index_sql(op):
            found.append("SQL that builds or drops an index on a big table without CONCURRENTLY")
    for op in operations:
        if (
            isinstance(op, ops.AddField)
            and (migration.app_label, op.model_name.lower()) not in created_here(migration)
            and not op.field.null
            and op.field.db_default is models.NOT_PROVIDED
            and f"{migration.app_label}.{migration.name}" not in NO_DB_DEFAULT_BEFORE_THE_RULE
        ):
            found.append(f"{op.describe()}: NOT NULL without db_default")
    if migration.atomic:
        schema = [
            op for op in operations if isinstance(op, SCHEMA_CHANGES) and big_model(migration, op)
        ]
        data = [op for op in operations if isinstance(op, DATA_STEPS)]
        if schema and data:
            found.append(
                f"{schema[0].describe()} and a data step in one transaction: the lock is held "
                "until the data is written (atomic = False, update_in_batches)"
            )
    return found


def test_no_migration_blocks_a_big_table_while_the_shop_runs():
    breaks = {
        f"{m.app_label}.{m.name}": found for m in shop_migrations() if (found := rule_breaks(m))
    }
    assert breaks == {}


@pytest.mark.parametrize(
    ("operations", "atomic", "expected"),
    [
        ([ops.AddIndex("product", models.Index(fields=["name"], name="x"))], True, 1),
        ([AddIndexConcurrently("product", models.Index(fields=["name"], name="x"))], False, 0),
        ([ops.RemoveIndex("variant", "x")], True, 1),
        ([RemoveIndexConcurrently("variant", "x")], False, 0),
        ([ops.RunSQL("CREATE INDEX x ON catalog_product (name)")], True, 1),
        ([ops.RunSQL("CREATE INDEX CONCURRENTLY x ON catalog_product (name)")], False, 0),
        (
            [
                ops.AddField("product", "x", models.IntegerField(default=0, db_default=0)),
                ops.RunPython(print, ops.RunPython.noop),
            ],
            True,
            1,
        ),
        (
            [
                ops.AddField("product", "x", models.IntegerField(default=0, db_default=0)),
                ops.RunPython(print, ops.RunPython.noop),
            ],
            False,
            0,
        ),
        # a small table: anything goes
        ([ops.AddIndex("series", models.Index(fields=["name"], name="x"))], True, 0),
        # any table: a new column the release before can insert rows without
        ([ops.AddField("series", "x", models.IntegerField(default=0))], True, 1),
        ([ops.AddField("series", "x", models.IntegerField(default=0, db_default=0))], True, 0),
        ([ops.AddField("series", "x", models.IntegerField(null=True))], True, 0),
    ],
)
def test_the_rule_tells_blocking_operations_apart(operations, atomic, expected):
    class Migration:
        app_label = "catalog"
        name = "9999_future"

    Migration.operations = operations
    Migration.atomic = atomic
    assert len(rule_breaks(Migration)) == expected

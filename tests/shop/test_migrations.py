"""The admin index migrations (catalog 0006, core 0005, orders 0005) can be unapplied and
applied again, and a build that was interrupted is finished by the next migrate."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone

from core.models import OutboxMessage

# (app, the migration before, the one with the trigram indexes, one of its indexes, its table)
TRIGRAM_MIGRATIONS = [
    (
        "catalog",
        "0005_admin_list_indexes",
        "0006_search_trigram_indexes",
        "product_name_trgm",
        "catalog_product",
    ),
    (
        "core",
        "0004_outbox_admin_indexes",
        "0005_outbox_search_trigram_indexes",
        "outbox_subject_trgm",
        "core_outboxmessage",
    ),
    (
        "orders",
        "0004_order_refunded_at",
        "0005_search_trigram_indexes",
        "order_email_trgm",
        "orders_order",
    ),
]

# Unapplying and applying migrations cannot happen inside a test's transaction (CREATE INDEX
# CONCURRENTLY refuses to run in one); the tables are emptied after each test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migrated_back_and_forth():
    """Every migration is applied again after the test, whatever it did."""
    yield
    call_command("migrate", verbosity=0)


def index_state(name: str) -> tuple[bool, str] | None:
    """(valid, definition) of the index ``name``, None without one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indexrelid = to_regclass(%s)",
            [name],
        )
        return cursor.fetchone()


@pytest.mark.parametrize(("app", "before", "migration", "index", "table"), TRIGRAM_MIGRATIONS)
def test_trigram_index_migrations_unapply_and_apply_again(
    migrated_back_and_forth, app, before, migration, index, table
):
    # pg_trgm stays: the search app's trigram index (and the other apps' indexes) need it
    call_command("migrate", app, before, verbosity=0)
    if connection.vendor == "postgresql":
        assert index_state(index) is None
        assert index_state("search_lexeme_word_trgm") is not None
    call_command("migrate", app, migration, verbosity=0)
    if connection.vendor == "postgresql":
        valid, definition = index_state(index)
        assert valid
        assert "gin_trgm_ops" in definition


def two_rows_alike(table: str, state: tuple[str, str]) -> None:
    if table == "catalog_product":
        # the products table as it was at ``state`` (today's model has columns added later)
        from django.db.migrations.loader import MigrationLoader

        apps = MigrationLoader(connection).project_state(state).apps
        series = apps.get_model("catalog", "Series").objects.create(name="S", slug="s")
        category = apps.get_model("catalog", "Category").objects.create(name="C", slug="c")
        for n in range(2):
            apps.get_model("catalog", "Product").objects.create(
                name="Alike", slug=f"alike-{n}", series=series, category=category, price=1
            )
    elif table == "core_outboxmessage":
        for _ in range(2):
            OutboxMessage.objects.create(to=["ann@example.com"], subject="Hi", body_text="Hi")
    else:
        # two orders as the table was at ``state``, every required column filled in
        from django.db.migrations.loader import MigrationLoader
        from django.db.models import NOT_PROVIDED

        apps = MigrationLoader(connection).project_state(state).apps
        order = apps.get_model("orders", "Order")
        shipping = apps.get_model("cart", "ShippingMethod").objects.create(
            name="Standard", fee=Decimal("4.90")
        )
        samples = {
            "CharField": "x",
            "EmailField": "ann@example.com",
            "DecimalField": Decimal("4.90"),
            "DateTimeField": timezone.now(),
            "ForeignKey": shipping.pk,  # the delivery method, the one required relation
        }
        for n in range(2):
            values = {
                field.attname: samples[field.get_internal_type()] if not field.unique else f"{n}"
                for field in order._meta.concrete_fields
                if not (field.primary_key or field.null or field.has_default())
                and field.db_default is NOT_PROVIDED
            }
            order.objects.create(**values)


@pytest.mark.parametrize(("app", "before", "migration", "index", "table"), TRIGRAM_MIGRATIONS)
def test_an_interrupted_index_build_is_redone_by_the_next_migrate(
    postgres_only, migrated_back_and_forth, app, before, migration, index, table
):
    call_command("migrate", app, before, verbosity=0)
    # What a cancelled CREATE INDEX CONCURRENTLY leaves (a timeout, a restart, a cancelled
    # statement): an INVALID index of that name, which IF NOT EXISTS takes for the index. A
    # unique build over two equal values fails the same way.
    two_rows_alike(table, (app, before))
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} ((1))")
    assert index_state(index)[0] is False

    call_command("migrate", app, migration, verbosity=0)

    valid, definition = index_state(index)
    assert valid
    assert "gin_trgm_ops" in definition


@pytest.mark.parametrize(
    ("table", "column"), [("cart_cart", "session_key"), ("catalog_product", "is_active")]
)
def test_no_index_of_one_column_that_a_composite_index_leads_with(table, column):
    """Every write to the table kept the single-column index up to date for nothing: each
    query on the column can use the composite that starts with it (EXPLAIN on 100,000
    products and 300,000 carts: the inactive products' count as fast through
    product_active_newest, the variant list filtered by inactive products faster through
    product_active_name; no query reads a cart by its session key through either)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = [c for c in constraints.values() if c["index"] and not c["unique"]]
    composites = [c for c in indexes if len(c["columns"]) > 1 and c["columns"][0] == column]
    assert composites  # the composite stays
    singles = [name for name, c in constraints.items() if c in indexes and c["columns"] == [column]]
    assert singles == []


def single_indexes(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, c in constraints.items()
        if c["index"] and not c["unique"] and c["columns"] == [column]
    )


@pytest.mark.parametrize(
    ("app", "before", "migration", "table", "column"),
    [
        (
            "cart",
            "0002_shipping_method_messages",
            "0003_cart_session_key_single_index_dropped",
            "cart_cart",
            "session_key",
        ),
        (
            "catalog",
            "0009_price_range_db_default",
            "0010_product_is_active_single_index_dropped",
            "catalog_product",
            "is_active",
        ),
    ],
)
def test_a_redundant_index_is_dropped_concurrently_and_comes_back_when_unapplied(
    migrated_back_and_forth, app, before, migration, table, column
):
    """A plain DROP INDEX waits for an exclusive lock on the table, and on a live shop every
    query on it (each cart, each product page) queues behind that while a nightly dump reads
    the table; on PostgreSQL the drop runs CONCURRENTLY."""
    call_command("migrate", app, before, verbosity=0)
    assert single_indexes(table, column)  # what the field's db_index made (and _like)
    call_command("migrate", app, migration, verbosity=0)
    assert single_indexes(table, column) == []
    if connection.vendor == "postgresql":
        sql = io.StringIO()
        call_command("sqlmigrate", app, migration, stdout=sql)
        assert "DROP INDEX CONCURRENTLY IF EXISTS" in sql.getvalue()
    # an unapply that stopped after its first index (it runs outside a transaction) runs again
    with connection.schema_editor() as editor:
        name = editor._create_index_name(table, [column], suffix="")
        editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
    call_command("migrate", app, before, verbosity=0)
    assert single_indexes(table, column)


# every app of the shop, those that others depend on last
SHOP_APPS = ["service", "search", "guestbook", "orders", "core", "cart", "catalog", "accounts"]


def shop_tables() -> list[str]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return [t for t in tables if t.split("_")[0] in SHOP_APPS]


def test_every_app_unapplies_to_zero_and_applies_again(migrated_back_and_forth):
    """A release can be rolled back by unapplying its migrations (deploy/README.md, "Going
    back to the previous release"): every migration of every app has a way back (the data
    ones that cannot restore what they changed do nothing backwards, and say so), and applying
    them all again after that works. search 0002 could not be unapplied: Django's
    TrigramExtension dropped pg_trgm, which the other apps' indexes still use (and on SQLite
    looked for it in pg_extension)."""
    for app in SHOP_APPS:
        call_command("migrate", app, "zero", verbosity=0)
        assert not [t for t in shop_tables() if t.startswith(f"{app}_")]
    assert shop_tables() == []
    call_command("migrate", verbosity=0)
    assert {t.split("_")[0] for t in shop_tables()} == set(SHOP_APPS)

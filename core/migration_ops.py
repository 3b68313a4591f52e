"""Migration operations shared by the apps' migrations.

Migrations that use these run this code as it is now, not as it was when they were written:
change what an operation does only in a way every migration that uses it still wants (or give
the new behaviour a new operation).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import NotSupportedError
from django.db.migrations.operations import AddField, AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


class KeepTrigramExtension(TrigramExtension):
    """Unapplied, it leaves pg_trgm in place: the search app's trigram index (search 0002 made
    the extension) and the other apps' admin indexes use it. Django's own tries to drop it,
    which fails on PostgreSQL while they exist, and off PostgreSQL fails looking for it."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


class TrigramIndexes(Operation):
    """GIN trigram indexes for "contains, any case" look-ups (the admin's search), built
    CONCURRENTLY so writes go on meanwhile: ``indexes`` maps each index name to
    ``(table, expression)``, the expression being the one Django's icontains compares
    (``UPPER(name)``). PostgreSQL only (SQLite reads the table); the migration that uses it must
    say ``atomic = False``. An index whose build was interrupted (a cancelled statement, a
    restart: left INVALID, never read but still written to, which IF NOT EXISTS would keep) is
    dropped and built again. Unapplied, the indexes are dropped."""

    reversible = True

    def __init__(self, indexes: dict[str, tuple[str, str]]):
        self.indexes = indexes

    def deconstruct(self):
        return self.__class__.__name__, [], {"indexes": self.indexes}

    def state_forwards(self, app_label, state):
        pass  # not in the models' Meta: expression indexes Django would build in a transaction

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, (table, expression) in self.indexes.items():
            if self._invalid(schema_editor, name):
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                f"ON {table} USING gin ({expression} gin_trgm_ops)"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in self.indexes:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    @staticmethod
    def _invalid(schema_editor, name: str) -> bool:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
            )
            row = cursor.fetchone()
        return bool(row and row[0])

    def describe(self):
        return f"Create trigram indexes {', '.join(self.indexes)} (PostgreSQL)"


class DropFieldIndexConcurrently(Operation):
    """Drop the index that ``db_index=True`` gave a field (and, on PostgreSQL, the ``_like``
    index Django adds for a text field), CONCURRENTLY on PostgreSQL: a plain DROP INDEX waits
    for an exclusive lock on the table, and every query on it queues behind that while a long
    reader (a nightly dump) holds the table. Use it as the database side of a
    SeparateDatabaseAndState whose state side is the AlterField; the migration must say
    ``atomic = False``. Names are Django's own (schema_editor._create_index_name), as the
    field's migration made them. Unapplied, the indexes are built again (not concurrently)."""

    reversible = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "field_name": self.field_name}
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label, state):
        pass  # the AlterField beside it changes the state

    def _names(self, schema_editor, model) -> list[str]:
        field = model._meta.get_field(self.field_name)
        table = model._meta.db_table
        names = [schema_editor._create_index_name(table, [field.column], suffix="")]
        if schema_editor.connection.vendor == "postgresql" and field.get_internal_type() in (
            "CharField",
            "TextField",
            "SlugField",
        ):
            names.append(schema_editor._create_index_name(table, [field.column], suffix="_like"))
        return names

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        for name in self._names(schema_editor, model):
            schema_editor.execute(
                f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        for sql in schema_editor._field_indexes_sql(model, field):
            # IF NOT EXISTS: an unapply that failed half-way (no transaction) can be run again
            schema_editor.execute(
                str(sql).replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            )

    def describe(self):
        return f"Drop the index of {self.model_name}.{self.field_name} (concurrently)"


class AddIndexConcurrently(AddIndex):
    """AddIndex that builds the index CONCURRENTLY on PostgreSQL, so the shop keeps writing to
    the table meanwhile (a plain CREATE INDEX holds a SHARE lock for the whole build: every
    order, stock change or product edit waits; seconds on 100,000 products). The migration
    must say ``atomic = False``. An index whose build was interrupted (left INVALID) is dropped
    and built again; one that is there and valid is kept (a migration that stopped half-way
    runs again). Elsewhere (SQLite) a plain AddIndex. The migration state is AddIndex's, so
    ``makemigrations`` sees no difference. Unapplied, the index is dropped concurrently."""

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.add_index(model, self.index)
            return
        _not_in_transaction(schema_editor, self)
        state = _index_validity(schema_editor, self.index.name)
        if state is True:
            return
        if state is False:
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
            )
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.remove_index(model, self.index)
            return
        _not_in_transaction(schema_editor, self)
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
        )

    def describe(self):
        return f"{super().describe()} (concurrently on PostgreSQL)"


class RemoveIndexConcurrently(RemoveIndex):
    """RemoveIndex that drops the index CONCURRENTLY on PostgreSQL: a plain DROP INDEX waits for
    an exclusive lock on the table, and every query on it queues behind that while a long
    reader (a nightly dump) holds the table. The migration must say ``atomic = False``.
    Elsewhere a plain RemoveIndex. Unapplied, the index is built again (concurrently)."""

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        _not_in_transaction(schema_editor, self)
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.name)}"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        _not_in_transaction(schema_editor, self)
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        state = _index_validity(schema_editor, index.name)
        if state is True:
            return
        if state is False:
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index.name)}"
            )
        schema_editor.add_index(model, index, concurrently=True)

    def describe(self):
        return f"{super().describe()} (concurrently on PostgreSQL)"


def _not_in_transaction(schema_editor, operation) -> None:
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError(
            f"{type(operation).__name__} cannot run inside a transaction "
            "(set atomic = False on the migration)."
        )


def _index_validity(schema_editor, name: str) -> bool | None:
    """True: the index exists and is valid; False: it exists, INVALID (an interrupted
    concurrent build); None: there is none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


class AddFieldOnce(AddField):
    """AddField that leaves a column already there as it is, for a migration with ``atomic =
    False`` that stopped after adding it (its batched data or concurrent indexes come later):
    running it again then goes on instead of failing on "column already exists"."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            column = model._meta.get_field(self.name).column
            with schema_editor.connection.cursor() as cursor:
                have = schema_editor.connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            if any(c.name == column for c in have):
                return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


def update_in_batches(queryset, batch_size: int = 5000, **values) -> int:
    """``queryset.update(**values)`` one range of primary keys at a time, each in its own
    short transaction when the migration says ``atomic = False``: a data migration over
    100,000 rows in one statement holds all their row locks (every edit of one of them waits)
    until it ends. Returns the number of rows updated."""
    keys = queryset.order_by("pk").values_list("pk", flat=True)
    start = keys.first()
    done = 0
    while start is not None:
        # the first key of the next batch (one index read), so gaps in the keys cost nothing
        stop = next(iter(keys.filter(pk__gte=start)[batch_size : batch_size + 1]), None)
        batch = queryset.filter(pk__gte=start)
        if stop is not None:
            batch = batch.filter(pk__lt=stop)
        done += batch.update(**values)
        start = stop
    return done

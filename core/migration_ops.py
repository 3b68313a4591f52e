"""Migration operations shared by the apps' migrations.

Migrations that use these run this code as it is now, not as it was when they were written:
change what an operation does only in a way every migration that uses it still wants (or give
the new behaviour a new operation).
"""

from django.contrib.postgres.operations import TrigramExtension
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

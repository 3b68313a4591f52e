"""Queries of a fixed shape, compiled to SQL once per process.

Django builds and compiles a query's SQL anew on every call: for the short look-ups a product
page makes on a cache miss (a product by slug, its variants, its pictures) compiling costs
four times what PostgreSQL takes to answer (in-process on the bench database: ~0.4 ms of
~0.5 ms per query). A ``FixedQuery`` compiles its QuerySet once per process and database,
with sentinel arguments, remembers the SQL and where each argument goes among the
parameters, and from then on sends that SQL with the call's arguments and builds the rows
as the ORM's ModelIterable does: the backend's converters, ``Model.from_db``, and Django's
populators for the models of ``select_related``.

Only for a query of model instances whose shape (tables, columns, conditions, order,
limits) does not depend on the arguments' values, only on their presence: ``build(slug)``
returning ``Product.objects.active().filter(slug=slug)`` is one; a query that turns None into
``IS NULL``, or that adds a filter only for some values, is not. Every other parameter is kept
as compiled: a value computed when the query is built (``timezone.now()``) would be frozen, so
such a query is not one either. The first compile checks what it can (the same SQL and other
parameters from two builds, each sentinel among the parameters as given, every selected
column a field of a model or an annotation, no values() or only()) and raises
ImproperlyConfigured otherwise, so a misuse fails its first test, not a page. Queries go
through Django's cursor, so query counting, execute wrappers and connection health checks see
them as any other.
"""

import weakref
from collections.abc import Callable
from itertools import count

from django.core.exceptions import EmptyResultSet, FullResultSet, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.dispatch import receiver

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Integer arguments are compiled with these: negative (no id has them) and within a 32-bit
# column's range, as Django (5.0+) turns an exact look-up of a value its column cannot hold
# into "no rows" when compiling, which would leave the argument out of the SQL.
_SENTINEL_BASE = -(2**31) + 1
_sentinels = count()


def _sentinel(kind: type, n: int):
    if kind is int:
        return _SENTINEL_BASE + n
    if kind is str:
        return f"\x00fixed-query-argument-{n}\x00"
    raise ImproperlyConfigured(f"FixedQuery arguments must be int or str, not {kind.__name__}")


class _Compiled:
    __slots__ = ("sql", "params", "slots", "init", "converters", "model", "related", "annotations")

    def __init__(self, queryset: QuerySet, sentinels: list, using: str):
        query = queryset.query
        if (
            queryset._iterable_class is not ModelIterable  # values(), values_list()
            or queryset._known_related_objects  # a related manager's queryset
            or queryset._prefetch_related_lookups  # done by the QuerySet after its query
            or query.select_for_update  # its "only in a transaction" check runs when compiling
            or query.is_empty()  # none()
            or query.extra
            or query.combinator
            or query.deferred_loading[0]  # only(), defer()
        ):
            raise ImproperlyConfigured("FixedQuery takes a plain QuerySet of model instances")
        compiler = query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet):
            raise ImproperlyConfigured(
                "FixedQuery: Django answers this query without SQL for the sentinel arguments "
                "(an integer column smaller than 32 bits, or an unsigned one?)"
            ) from None
        columns = [col for col, _alias, _ in compiler.select]
        fields = [getattr(col, "target", None) for col in columns]
        annotated = set(compiler.annotation_col_map.values())
        if any(
            i not in annotated and (field is None or field not in field.model._meta.concrete_fields)
            for i, field in enumerate(fields)
        ):
            raise ImproperlyConfigured("FixedQuery selects models' columns and annotations only")
        # as ModelIterable: the model's own columns, then select_related's models, filled in by
        # Django's populators (built once here; they only read their settings per row)
        klass_info = compiler.klass_info
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        params = list(params)
        slots = []  # (position among the parameters, index of the argument)
        for n, sentinel in enumerate(sentinels):
            found = [i for i, value in enumerate(params) if value == sentinel]
            if not found:
                raise ImproperlyConfigured(
                    "FixedQuery: an argument is not among the query's parameters as it was "
                    "given (a lookup such as icontains rewrites it); is the query's shape fixed?"
                )
            slots += [(i, n) for i in found]
        self.sql = sql
        self.params = params
        self.slots = slots
        self.init = (start, end, [field.attname for field in fields[start:end]])
        self.annotations = list(compiler.annotation_col_map.items())
        self.related = get_related_populators(klass_info, compiler.select, using)
        self.converters = list(compiler.get_converters(columns).items())
        self.model = model

    def fixed_params(self) -> list:
        slotted = {i for i, _n in self.slots}
        return [value for i, value in enumerate(self.params) if i not in slotted]


class FixedQuery:
    """``FixedQuery(build, int, str)(42, "lamp")`` returns the model instances of
    ``build(42, "lamp")``, with SQL compiled once per process (see the module docstring).

    ``kinds`` are the types of ``build``'s positional arguments (int or str).
    """

    def __init__(self, build: Callable[..., QuerySet], *kinds: type):
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, _Compiled] = {}
        _every.add(self)

    def _compile(self, using: str) -> _Compiled:
        # twice, with other sentinels: the same SQL and the same other parameters, or the
        # query's shape or values depend on more than its arguments (a timestamp, a setting)
        first, second = (
            _Compiled(self.build(*sentinels), sentinels, using)
            for sentinels in (self._sentinels(), self._sentinels())
        )
        if first.sql != second.sql or first.fixed_params() != second.fixed_params():
            raise ImproperlyConfigured(
                "FixedQuery: the query's SQL or parameters change between builds"
            )
        self._compiled[using] = first
        return first

    def _sentinels(self) -> list:
        n = next(_sentinels)
        return [_sentinel(kind, n * 16 + i) for i, kind in enumerate(self.kinds)]

    def __call__(self, *args, using: str = "default") -> list[Model]:
        if len(args) != len(self.kinds) or not all(
            type(a) is k and (k is not int or _INT64_MIN <= a <= _INT64_MAX)
            for a, k in zip(args, self.kinds, strict=True)
        ):
            # an unexpected argument (or an integer no column holds, which the ORM answers
            # with no rows rather than a database error): the ORM, as always
            return list(self.build(*args))
        compiled = self._compiled.get(using) or self._compile(using)
        params = list(compiled.params)
        for slot, n in compiled.slots:
            params[slot] = args[n]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:  # as SQLCompiler.apply_converters, with this thread's connection
            rows = [list(row) for row in rows]
            for row in rows:
                for pos, (converters, expression) in compiled.converters:
                    value = row[pos]
                    for converter in converters:
                        value = converter(value, expression, connection)
                    row[pos] = value
        model, (start, end, attnames), related = compiled.model, compiled.init, compiled.related
        objects = []
        for row in rows:
            obj = model.from_db(using, attnames, row[start:end])
            for populator in related:
                populator.populate(row, obj)
            for name, pos in compiled.annotations:
                setattr(obj, name, row[pos])
            objects.append(obj)
        return objects

    def forget(self) -> None:
        """Compile again on the next call (tests that change settings the SQL depends on)."""
        self._compiled.clear()


_every: "weakref.WeakSet[FixedQuery]" = weakref.WeakSet()


@receiver(setting_changed)
def _forget_on_settings_change(**kwargs) -> None:
    """Tests that change settings (databases, time zones) get SQL compiled for them."""
    for query in list(_every):
        query.forget()

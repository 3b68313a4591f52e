"""Admin lists that stay quick on big tables (hundreds of thousands of orders, variants, e-mails).

``IndexedSearchMixin`` asks Django's admin search in a form PostgreSQL answers from indexes;
``ConditionFilter`` is a list filter whose "Show counts" costs one pass over the table;
``too_many_selected`` keeps an action on "select all" within a request.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin import actions as django_actions
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

LOOKUPS = {"=": "iexact", "^": "istartswith"}
# Each word is a subquery. A thousand ("a b c …", a link of a few KB) kept PostgreSQL planning
# for half a minute on 2.5 GB, on empty tables, and on after gunicorn had given up the request.
MAX_SEARCH_WORDS = 10


def search_terms(search_term: str) -> list[str]:
    """The words of an admin search, split as Django's own search splits them (a "quoted
    phrase" stays one word)."""
    terms = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        terms.append(bit)
    return terms


def _without_nul(search_term: str) -> str:
    """PostgreSQL refuses a NUL in a text value (a DataError, the admin's autocomplete then
    answered 500); no stored text holds one, so a search without it finds the same."""
    return search_term.replace("\x00", "") if search_term else search_term


def _lookup(field: str) -> str:
    if field[0] in LOOKUPS:
        return f"{field[1:]}__{LOOKUPS[field[0]]}"
    return f"{field}__icontains"


def _capped_terms(request, search_term: str) -> list[str]:
    """The search's different words, at most MAX_SEARCH_WORDS (the page says so, once: the
    list and each filter's counts search again)."""
    terms = list(dict.fromkeys(search_terms(search_term)))  # a word said twice: once
    if len(terms) > MAX_SEARCH_WORDS:
        if not getattr(request, "_search_cut", False):
            request._search_cut = True
            messages.warning(
                request,
                f"Only the first {MAX_SEARCH_WORDS} different words were looked for "
                f"(the other {len(terms) - MAX_SEARCH_WORDS} were left out).",
                fail_silently=True,  # a caller without messages (a script, a test)
            )
        terms = terms[:MAX_SEARCH_WORDS]
    return terms


def _quoted(term: str) -> str:
    """A word as Django's search splits it back out (a phrase in quotes)."""
    if any(ch.isspace() for ch in term) or term[:1] in "\"'":
        return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return term


class LimitedSearchMixin:
    """Django's own admin search, with at most MAX_SEARCH_WORDS different words: every word is
    a condition on every search field, and Django's search of 200 words kept PostgreSQL busy
    for minutes after gunicorn had given up the request."""

    def get_search_results(self, request, queryset, search_term):
        search_term = _without_nul(search_term)
        if search_term and len(search_terms(search_term)) > MAX_SEARCH_WORDS:
            search_term = " ".join(_quoted(t) for t in _capped_terms(request, search_term))
        return super().get_search_results(request, queryset, search_term)


class IndexedSearchMixin:
    """The admin search as Django does it (every word in one of ``search_fields``, any case;
    ``=`` exact, ``^`` at the start), with the fields across a relation asked apart and
    joined by UNION; at most MAX_SEARCH_WORDS different words (the page says so). One
    difference: each word may match a different row across a relation (an order whose lines'
    SKUs hold "ABC" and "XYZ" in two lines is found by "ABC XYZ"; Django wants both in one
    line), which finds everything Django finds and what staff mean.

    Django puts all the fields in one WHERE clause with OR, and a field across a join (an
    order's line SKUs, a variant's product name) then keeps PostgreSQL from using any index:
    it read every order and sorted out duplicates (5.6 s for an order number among 200,000
    orders). Here each part of the UNION is one indexed lookup (the trigram indexes of the
    migrations) and no row comes twice, so the list needs no DISTINCT.
    """

    def get_search_results(self, request, queryset, search_term):
        search_term = _without_nul(search_term)
        fields = self.get_search_fields(request)
        terms = search_terms(search_term) if search_term else []
        if not fields or not terms:
            return super().get_search_results(request, queryset, search_term)
        terms = _capped_terms(request, search_term)
        own = [_lookup(f) for f in fields if "__" not in f.lstrip("=^")]
        related = [_lookup(f) for f in fields if "__" in f.lstrip("=^")]
        every = queryset.model._default_manager.order_by()
        for term in terms:
            parts = [every.filter(**{lookup: term}).values("pk") for lookup in related]
            if own:
                either = Q.create([(lookup, term) for lookup in own], connector=Q.OR)
                parts.insert(0, every.filter(either).values("pk"))
            queryset = queryset.filter(pk__in=parts[0].union(*parts[1:]))
        return queryset, False


class ConditionFilter(admin.SimpleListFilter):
    """A list filter whose choices are conditions on the list's rows: ``conditions()`` gives
    one Q per choice. Its "Show counts" counts them all in one pass over the list; Django's
    own asked "pk IN (subquery)" for each choice (0.4 s for two payment methods on 200,000
    orders)."""

    def __init__(self, request, params, model, model_admin):
        self.model = model  # the list's model (a filter may serve several)
        super().__init__(request, params, model, model_admin)

    def conditions(self, request) -> dict[str, Q]:
        raise NotImplementedError

    def queryset(self, request, queryset):
        condition = self.conditions(request).get(self.value() or "")
        return queryset if condition is None else queryset.filter(condition)

    def get_facet_counts(self, pk_attname, filtered_qs):
        conditions = self.conditions(self.request)
        return {
            f"{i}__c": Count(pk_attname, filter=conditions[value])
            for i, (value, _label) in enumerate(self.lookup_choices)
            if value in conditions
        }


def too_many_selected(model_admin, request, queryset, *, limit: int, noun: str) -> bool:
    """Whether more than ``limit`` rows are selected for an action (staff are told to narrow
    the list). An action works row by row within the request's 30 s: "select all" of a shop's
    history (200,000 orders, 100,000 products) ran for minutes, was cut off half done by
    gunicorn with a 502, and any refusals it gathered were lost with it."""
    count = queryset.count()
    if count <= limit:
        return False
    model_admin.message_user(
        request,
        f"{count:,} {noun} selected: at most {limit:,} at a time. Narrow the list first (a "
        "filter, the dates above it, a search) and run it on each part.",
        messages.ERROR,
    )
    return True


def name_some(names: list[str], *, shown: int = 20) -> str:
    """``names`` for a message: the first ``shown`` of them, then how many more."""
    more = len(names) - shown
    listed = ", ".join(names[:shown])
    return f"{listed} and {more:,} more" if more > 0 else listed


#: The most rows "Delete selected" asks about at once (its page lists every row and every
#: related one it takes along: 30,000 guestbook entries were a 5.7 MB page after 10 s,
#: 100,000 carts 19 MB after 47 s, past gunicorn's 30 s).
DELETE_MAX_ROWS = 1_000


@admin.action(permissions=["delete"], description=django_actions.delete_selected.short_description)
def delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected", for at most DELETE_MAX_ROWS rows."""
    noun = str(modeladmin.model._meta.verbose_name_plural)
    if too_many_selected(modeladmin, request, queryset, limit=DELETE_MAX_ROWS, noun=noun):
        return None
    return django_actions.delete_selected(modeladmin, request, queryset)


class TailPaginator(Paginator):
    """Django's paginator, reading the pages past the middle of a list from its other end.

    A page is LIMIT/OFFSET: PostgreSQL reads and drops every row before it, so the last page
    of 200,000 orders (the oldest, one click away in the page links) took 1.6 s. Past the
    middle, this one asks the list in reverse order for the page's ids (an offset from the
    end) and then the page's rows by id in the list's own order: the same rows, and the last
    page costs what the first does. The list's order must decide every row's place (Django's
    admin lists add the primary key to make it so); any other list is paged as Django does."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if bottom * 2 <= self.count or not isinstance(rows, QuerySet) or not rows.ordered:
            return super().page(number)
        ids = rows.reverse().values_list("pk", flat=True)[self.count - top : self.count - bottom]
        return self._get_page(rows.filter(pk__in=list(ids)), number, self)


class YearsFromIndexQuerySet(QuerySet):
    """A list's rows whose ``dates``/``datetimes`` by year (the admin's date links above a
    list) come from the first and the last date and one look per year in between, each an
    index lookup. Django's grouped every row of the list by its year: 140-440 ms for 200,000
    orders, on every page of the order list without a date chosen."""

    def _years(self, field_name, make):
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (make(bounds[end]).year for end in ("first", "last"))
        between = [
            year
            for year in range(first + 1, last)
            if self.filter(**{f"{field_name}__year": year}).exists()
        ]
        return [first, *between, last] if last > first else [first]

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind != "year" or order != "ASC" or tzinfo is not None:
            return super().datetimes(field_name, kind, order, tzinfo)
        zone = timezone.get_current_timezone()
        years = self._years(field_name, lambda moment: timezone.localtime(moment, zone))
        return [datetime.datetime(year, 1, 1, tzinfo=zone) for year in years]

    def dates(self, field_name, kind, order="ASC"):
        if kind != "year" or order != "ASC":
            return super().dates(field_name, kind, order)
        return [datetime.date(year, 1, 1) for year in self._years(field_name, lambda day: day)]


class YearsFromIndexChangeList(ChangeList):
    """An admin list whose date links by year read indexes (YearsFromIndexQuerySet); its
    model's queryset must be a plain QuerySet."""

    def get_results(self, request):
        super().get_results(request)
        if type(self.queryset) is QuerySet:
            self.queryset = self.queryset._chain()
            self.queryset.__class__ = YearsFromIndexQuerySet


def distinct_values(model, column: str) -> list:
    """The different values of an indexed ``column`` (not NULL), in order: one index lookup
    per value (a recursive query: the next value after the last), not a pass over every row.
    For a filter's choices when a table is big and its values few."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    col, tbl = quote(model._meta.get_field(column).column), quote(table)
    # only the model's own table and column names, quoted by the database backend
    sql = (
        f"WITH RECURSIVE v(x) AS (SELECT MIN({col}) FROM {tbl} UNION ALL "  # nosec B608
        f"SELECT (SELECT MIN({col}) FROM {tbl} WHERE {col} > v.x) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by a column's values, its choices read from the column's index
    (distinct_values): Django's SELECT DISTINCT read all 200,000 outbox e-mails for the
    dozen kinds, 85-130 ms on every page of the outbox."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values(model, field_path)

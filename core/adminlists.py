"""Admin lists that stay quick on big tables (hundreds of thousands of orders, variants, e-mails).

``IndexedSearchMixin`` asks Django's admin search in a form PostgreSQL answers from indexes;
``ConditionFilter`` is a list filter whose "Show counts" costs one pass over the table.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
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

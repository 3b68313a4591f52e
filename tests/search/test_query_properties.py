"""Any text typed into the search box builds a query and runs without an exception, on SQLite
and on PostgreSQL; the prefix tsquery built from it (raw tsquery syntax) is always valid."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search import selectors
from search.models import ProductDocument
from search.services import MAX_QUERY_LENGTH, normalize_query, words
from tests.factories import ProductFactory

# Pieces a search box receives on purpose or by accident: tsquery and websearch operators,
# quotes, backslashes, Chinese (indexed as character pairs), digits that are not 0-9,
# combining marks, control characters, and any other text.
PIECES = [
    "&", "|", "!", "(", ")", ":*", ":", "*", "'", '"', "<->", "<2>", "-", " or ", " and ",
    " not ", " ", "\\", "青花瓷茶具", "茶", "²", "٣", "12", "ß", "e\u0301", "\x00", "\u200b",
    "\ud800", "tent", "Bluetooth", "SKU-00001", "_", "%", "@@",
]  # fmt: skip
typed = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join),
)


@settings(max_examples=300)
@given(raw=typed)
@example("\ud800")  # a lone surrogate
@example("a" * 500)
def test_a_typed_query_is_cleaned_once_and_for_all(raw):
    query, cut = normalize_query(raw)

    assert len(query) <= MAX_QUERY_LENGTH
    assert query == query.strip()
    assert not re.search(r"[\x00-\x1f\x7f\ud800-\udfff]", query)
    assert normalize_query(query) == (query, False)
    if not cut:
        assert query == " ".join(query.split())


@pytest.fixture
def catalog(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # indexed after commit
        ProductFactory(name="Bluetooth Speaker", stock=3)
        ProductFactory(name="手工景德镇青花瓷茶具套装", stock=0)
        ProductFactory(name="Two-Person Tent 2", stock=4)


@settings(max_examples=120)
@given(raw=typed)
@example("tent")
@example("青花瓷")
@example("2 person")
@example("blue:* & !(x")
def test_any_query_runs_on_every_search_path(catalog, raw):
    query, _cut = normalize_query(raw)
    sku_hit = selectors.exact_sku_product(query) if query else None

    found = list(selectors.search_products(query=query, sku_hit=sku_hit)[:5])
    suggestions = selectors.autocomplete(query=query[:100])
    selectors.did_you_mean(query=query)
    if connection.vendor == "postgresql":
        list(selectors.search_documents(query=query, sku_hit=sku_hit)[:5])

    assert suggestions["query"] == query[:100]
    if not words(query):
        assert found == []


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_only")
@settings(max_examples=200)
@given(raw=typed)
@example("a b c d e f g h i j")
@example("青花瓷 & x")
@example("²³")
@example("the a of")  # only stop words
def test_the_prefix_tsquery_is_valid_tsquery_for_any_text(catalog, raw):
    prefix = selectors._prefix_tsquery(raw)
    if prefix is None:
        assert not words(raw)
        return
    text = prefix.source_expressions[-1].value
    # built from word characters, spaces and its own operators only: never raw input
    assert set(re.sub(r"[^\W_]", "", text)) <= set(" &|():*")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsquery(%s::regconfig, %s)", [django_settings.SEARCH_CONFIG, text]
        )
    ProductDocument.objects.filter(title=prefix).exists()


@settings(max_examples=25)
@given(raw=typed.filter(lambda t: not re.search(r"[\ud800-\udfff]", t)))  # no browser sends one
@example("tent")
@example("!(")
def test_the_search_and_suggest_pages_answer_any_query(catalog, raw):
    cache.clear()  # rate-limit counters and cached pages of the examples before
    client = Client()
    results = client.get(reverse("search:results"), {"q": raw})
    suggest = client.get(reverse("search:suggest"), {"q": raw})

    assert results.status_code == 200
    assert suggest.status_code == 200
    assert suggest.json()["query"] == normalize_query(raw)[0][:100]

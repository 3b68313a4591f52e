"""Search counting: buffered in Redis and written every minute; directly without Redis."""

import datetime

import pytest
from django.core.cache import caches
from django.utils import timezone

from search import services
from search.models import SearchCount
from search.services import COUNT_BUFFER, flush_search_counts, record_search

pytestmark = pytest.mark.django_db


def counts() -> dict[str, tuple[int, int]]:
    return {c.query: (c.count, c.results) for c in SearchCount.objects.all()}


def test_buffered_counts_reach_the_database_once(redis_cache):
    for results in (5, 6, 7):
        record_search(query="Lantern", results=results)
    record_search(query="tent", results=0)
    assert counts() == {}  # nothing written while searching
    assert flush_search_counts() == 2
    assert counts() == {"lantern": (3, 7), "tent": (1, 0)}  # the latest result count
    assert flush_search_counts() == 0  # a second run finds nothing left
    record_search(query="lantern", results=8)
    flush_search_counts()
    assert counts()["lantern"] == (4, 8)


def test_two_flushes_at_once_take_every_count_once(redis_cache):
    record_search(query="lantern", results=1)
    record_search(query="lantern", results=1)
    first = redis_cache.take_buffer(COUNT_BUFFER)
    second = redis_cache.take_buffer(COUNT_BUFFER)  # ran at the same moment: gets nothing
    today = timezone.localdate().isoformat()
    assert first == {f"{today}|lantern": (2, "1")}
    assert second == {}


def test_counts_survive_a_database_error_during_the_flush(redis_cache, monkeypatch):
    record_search(query="lantern", results=3)
    record_search(query="stove", results=2)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_add_count", broken)
    assert flush_search_counts() == 0
    monkeypatch.undo()
    assert flush_search_counts() == 2
    assert counts() == {"lantern": (1, 3), "stove": (1, 2)}


def test_counts_are_kept_per_day(redis_cache, monkeypatch):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda: yesterday)
    record_search(query="lantern", results=1)
    monkeypatch.undo()
    record_search(query="lantern", results=1)
    flush_search_counts()
    assert sorted(SearchCount.objects.values_list("day", "count")) == [
        (yesterday, 1),
        (yesterday + datetime.timedelta(days=1), 1),
    ]


@pytest.mark.usefixtures("redis_down")
def test_with_redis_down_a_search_is_counted_at_once():
    record_search(query="lantern", results=4)
    assert counts() == {"lantern": (1, 4)}
    assert flush_search_counts() == 0  # nothing to take, and no error


def test_without_redis_a_search_is_counted_at_once():
    # the embedded default (local-memory cache): no buffer
    if hasattr(caches["default"], "take_buffer"):
        pytest.skip("runs with the embedded default cache")
    record_search(query="lantern", results=4)
    assert counts() == {"lantern": (1, 4)}
    assert flush_search_counts() == 0


# --- the admin's search report: a range of days staff type ------------------------------------

REPORT = "/admin/search/searchcount/"


@pytest.fixture
def report(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    def get(**params):
        response = client.get(REPORT, params)
        assert response.status_code == 200
        return response

    return get


def test_the_report_counts_both_ends_of_its_range_and_a_late_search_on_its_local_day(
    report, settings, monkeypatch
):
    """A search at 23:30 in Berlin (22:30 UTC) counts on its Berlin day; a range ending on
    that day includes it, and so does the default range (the last 7 days, today included)."""
    settings.TIME_ZONE = "Europe/Berlin"
    late = datetime.datetime(2026, 12, 4, 22, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late)
    record_search(query="lantern", results=3)
    flush_search_counts()  # (with Redis the count waits in a buffer until the next minute)
    assert SearchCount.objects.get().day == datetime.date(2026, 12, 4)
    SearchCount.objects.create(query="tent", day=datetime.date(2026, 12, 1), count=1, results=1)
    body = report(since="2026-12-01", until="2026-12-04").content.decode()
    assert "<td>lantern</td>" in body
    assert "<td>tent</td>" in body
    assert "<td>lantern</td>" not in report(since="2026-12-05", until="2026-12-06").content.decode()
    assert "<td>tent</td>" not in report(since="2026-12-02", until="2026-12-04").content.decode()
    assert "<td>lantern</td>" in report().content.decode()  # today, 4 December in Berlin


@pytest.mark.parametrize(
    ("since", "until", "said"),
    [
        ("2026-12-05", "2026-12-01", "The first day of the range is after its last day"),
        ("2026-13-01", "2026-12-01", "Enter a valid date"),
        ("yesterday", "", "Enter a valid date"),
    ],
)
def test_a_reversed_or_malformed_report_range_is_said_not_shown_as_empty(
    report, since, until, said
):
    SearchCount.objects.create(query="lantern", day=timezone.localdate(), count=2, results=3)
    response = report(since=since, until=until)
    body = response.content.decode()
    shown = [str(m) for m in response.context["messages"]]
    assert any(said in text for text in shown), shown
    # the report shows the last 7 days instead, and says so in its heading
    assert "<td>lantern</td>" in body


@pytest.mark.parametrize(
    ("query", "results"),
    [
        ("erika.mustermann@example.org", 0),  # somebody's e-mail address, typed or pasted
        ("Erika@Example.org lantern", 3),
        ("+49 170 1234567", 0),  # a phone number
        ("DE89 3704 0044 0532 0130 00", 0),  # an IBAN
    ],
)
def test_a_search_that_names_a_person_is_not_counted(query, results):
    """Search counts are kept two years and shown to every Catalog staff member: an e-mail
    address or a phone number typed into the search box must not end up there."""
    record_search(query=query, results=results)
    flush_search_counts()  # with Redis: out of the buffer
    assert counts() == {}


def test_numbers_that_found_products_are_still_counted():
    record_search(query="4006381333931", results=1)  # a barcode that is a variant's SKU
    record_search(query="tent 2", results=0)
    flush_search_counts()
    assert counts() == {"4006381333931": (1, 1), "tent 2": (1, 0)}

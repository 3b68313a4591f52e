"""Found by the live chaos drill (issue #6): a Redis that stalls (kill -STOP, a fork on a full
machine, a network path that drops packets) instead of refusing connections. Every cache call
waited its full socket timeout, several per page, and publishing a task waited for Redis to
come back: for the 25 s of the stall the drill's shoppers got two answers in all, after 15
and 17 seconds. The cache now treats Redis as down for a few seconds after it failed to answer,
and the outbox leaves its mail to the sweep for a while after the broker failed."""

import socket
import threading
from unittest import mock

import pytest
from django.core.cache import caches
from kombu.exceptions import OperationalError as BrokerError
from redis.connection import AbstractConnection
from redis.exceptions import TimeoutError as RedisTimeout

from core import cache as resilient
from core.models import OutboxMessage
from core.outbox import queue_message
from core.tasks import send_outbox_message_task
from tests.hardening.test_faults import _reset_broker_pools

pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled_server():
    """The address of a server that takes connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # never accepted: the kernel completes the handshakes, nobody answers
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


@pytest.fixture
def stalled_redis(settings, stalled_server):
    """The default cache pointed at a server that takes connections and never answers."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": stalled_server,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    yield caches["default"]
    caches["default"].close()


def test_a_stalled_redis_costs_one_timeout_not_one_per_cache_call(stalled_redis):
    # Counted, not timed: every wait for the stalled server is one read of an answer.
    waits = mock.patch.object(
        AbstractConnection,
        "read_response",
        autospec=True,
        side_effect=AbstractConnection.read_response,
    )
    with waits as read_response:
        for n in range(10):  # a page's worth of cache calls
            assert stalled_redis.get(f"k{n}") is None
            stalled_redis.set(f"k{n}", n)
            assert stalled_redis.add(f"lock{n}", 1) is True
        assert stalled_redis.get_many(["a", "b"]) == {}
        assert stalled_redis.count_hit("hits", 60) is None
        with pytest.raises(ValueError, match="cache unavailable"):
            stalled_redis.incr("counter")
    # one timeout (0.3 s), not thirty-two
    assert read_response.call_count == 1


def test_redis_is_asked_again_once_the_pause_is_over(redis_down, monkeypatch):
    cache = caches["default"]
    calls = []

    def timeout(*args, **kwargs):
        calls.append(args)
        raise RedisTimeout("Timeout reading from socket")

    clock = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock[0])
    with mock.patch("django.core.cache.backends.redis.RedisCache.get", timeout):
        assert cache.get("a") is None
        assert cache.get("b") is None
        assert len(calls) == 1
        clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1
        assert cache.get("c") is None
        assert len(calls) == 2
    # Redis answers again: the next call after the pause reaches it
    clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1
    with mock.patch("django.core.cache.backends.redis.RedisCache.get", return_value="v") as get:
        assert cache.get("d") == "v"
        assert cache.get("e") == "v"
    assert get.call_count == 2


def test_after_the_broker_failed_the_outbox_leaves_new_mail_to_the_sweep_for_a_while(
    django_capture_on_commit_callbacks,
):
    """Each publish to a stalled broker waited for it (the signup page took 26 s); once one
    failed, the next e-mails are left to the sweep at once instead, and none is lost."""
    with mock.patch.object(
        send_outbox_message_task, "delay", side_effect=BrokerError("timed out")
    ) as delay:
        for n in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                queue_message(to=[f"c{n}@example.com"], subject=f"Mail {n}", body_text="x")
    assert delay.call_count == 1
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3


def test_a_publish_to_a_stalled_broker_gives_up_instead_of_waiting_for_it(stalled_server):
    """Without a socket timeout the publish waited as long as the stall (past gunicorn's
    timeout, which then killed the worker mid-response after the order was committed)."""
    from django.conf import settings

    from shop.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options
    app.conf.task_always_eager = False
    app.conf.broker_url = stalled_server
    app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    _reset_broker_pools()
    outcome = []

    def publish():
        try:
            send_outbox_message_task.delay(1)
        except Exception as exc:
            outcome.append(exc)

    try:
        thread = threading.Thread(target=publish, daemon=True)
        thread.start()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the publish still waits for the stalled broker"
        assert outcome  # it failed: the outbox's sweep sends the mail
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options = saved
        _reset_broker_pools()


def test_publishing_is_not_retried_while_the_broker_stalls():
    """Measured in the drill against a warm connection to a stopped Redis: Celery's default
    3 publish retries made one publish wait 10.6 s, none 2.0 s; a connection dropped by a Redis
    restart is replaced without them (redis-py reconnects), and the outbox sweep and indexing
    in the request are the fallbacks."""
    from shop.celery import app

    assert app.conf.task_publish_retry is False


def _redis_stops_answering(cache, clock):
    """What a failed call does: the cache leaves Redis alone for the pause (and drops writes)."""
    resilient._unavailable_until[cache._location] = clock[0] + resilient.UNAVAILABLE_SECONDS


def test_a_generation_advance_dropped_while_redis_did_not_answer_is_made_when_it_answers(
    redis_cache, monkeypatch
):
    """A stalled Redis keeps what it holds: pages and counts stored under the generation that
    should have moved on would be served again once it answers (a price change that never
    shows, until the page expires)."""
    clock = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock[0])
    before = resilient.current_generation("gen:demo", None)
    _redis_stops_answering(redis_cache, clock)
    resilient.advance_generation("gen:demo", None)  # dropped: Redis does not answer
    assert resilient._dropped_advances == {"gen:demo": None}
    clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1
    # the first call after the pause makes it, before it reads anything
    assert int(redis_cache.get("gen:demo")) == before + 1
    assert resilient._dropped_advances == {}


def test_a_price_changed_while_redis_stalled_shows_once_redis_answers(redis_cache, monkeypatch):
    from decimal import Decimal

    from django.test import Client

    from core import pagecache
    from tests.factories import ProductFactory

    lantern = ProductFactory(name="Storm Lantern", price=Decimal("30.00"), stock=9)
    url = lantern.get_absolute_url()
    Client().get(url)
    assert Client().get(url)["X-Page-Cache"] == "hit"  # stored in Redis

    clock = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock[0])
    _redis_stops_answering(redis_cache, clock)
    lantern.price = Decimal("24.50")
    lantern.save()  # its page's scope and the content version: not bumped, Redis is silent
    clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1  # Redis answers again, the old page in it
    pagecache.forget_worker_copies()  # (another worker: no copy in its memory)

    page = Client().get(url).content.decode()
    assert "24.50" in page
    assert "30.00" not in page


def test_a_session_ended_while_redis_stalled_does_not_come_back_when_it_answers(
    redis_cache, monkeypatch
):
    """Logout while Redis does not answer: the session row goes, its cached copy cannot be
    deleted, and a stalled Redis still holds it once it answers (a copied cookie would be
    signed in again until the copy expires). It is deleted then."""
    from core.sessions import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = "42"
    session.create()  # the row, and the copy in Redis
    key = session.session_key

    clock = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock[0])
    _redis_stops_answering(redis_cache, clock)
    session.flush()  # logout
    clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1  # Redis answers again

    assert SessionStore(session_key=key).get("_auth_user_id") is None


def test_sessions_ended_while_redis_stalled_are_deleted_in_batches_when_it_answers(
    redis_cache, monkeypatch
):
    """Logouts dropped during a long stall are deleted by the first request after it; one
    delete per session made that request wait for up to 10,000 round trips."""
    from core.sessions import SessionStore

    keys = []
    for _ in range(resilient.REPLAY_DELETE_BATCH + 5):
        session = SessionStore()
        session["_auth_user_id"] = "42"
        session.create()
        keys.append(session.session_key)

    clock = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: clock[0])
    _redis_stops_answering(redis_cache, clock)
    for key in keys:
        SessionStore(session_key=key).delete()
    clock[0] += resilient.UNAVAILABLE_SECONDS + 0.1  # Redis answers again

    with mock.patch.object(redis_cache, "delete", wraps=redis_cache.delete) as one_by_one:
        redis_cache.get("anything")  # the first call after the pause replays the deletes
    assert one_by_one.call_count == 0
    assert resilient._dropped_deletes == {}
    assert all(redis_cache.get(SessionStore.cache_key_prefix + key) is None for key in keys)

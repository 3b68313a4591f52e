"""A Redis cache that degrades to "no cache" when Redis is down, instead of failing the page."""

import logging
import threading
import time
import uuid

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


#: After Redis failed to answer, this process leaves it alone for this many seconds: every
#: cache call meanwhile is a miss (a dropped write) at once. A Redis that stalls (stopped, a
#: fork on a full machine, packets dropped) instead of refusing connections otherwise costs
#: each call its socket timeout, several per page, and the shop stops answering.
UNAVAILABLE_SECONDS = 3.0

# {server location: time.monotonic() until which it counts as down}, shared by the threads
# and cache instances of this process
_unavailable_until: dict[str, float] = {}


def forget_unavailable() -> None:
    """Ask Redis again at the next call, and forget the advances it missed (tests)."""
    _unavailable_until.clear()
    _dropped_advances.clear()
    _dropped_deletes.clear()


def _guard(default):
    def decorator(method):
        def wrapper(self, *args, **kwargs):
            if self._unavailable():
                return default() if callable(default) else default
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                self._failed(method.__name__, exc)
                return default() if callable(default) else default

        wrapper.__name__ = method.__name__
        wrapper.__doc__ = method.__doc__
        return wrapper

    return decorator


#: A counter buffer not taken for this long is dropped (it holds statistics, nothing else).
BUFFER_TTL = 24 * 60 * 60

# Move a counter buffer (and its companion hash) aside in one atomic step (RENAME keeps the
# expiry: a taker that dies before deleting what it took leaves nothing behind for ever).
_TAKE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[4]) end
return 1
"""


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object for every command; build one per
    connection pool and reuse it (it is thread-safe: each command borrows a pooled connection).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """Every read misses and every write is dropped while Redis is unreachable.

    ``incr`` raises ValueError (as for a missing key) so counters fall back the usual way.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._location = ",".join(self._servers)

    def _unavailable(self) -> bool:
        """True while Redis failed to answer less than UNAVAILABLE_SECONDS ago. The first call
        after that makes the writes dropped meanwhile (see replay_dropped_writes)."""
        until = _unavailable_until.get(self._location)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        _unavailable_until.pop(self._location, None)
        if _dropped_advances or _dropped_deletes:
            replay_dropped_writes(self)
        return self._location in _unavailable_until  # failed again while replaying

    def is_unavailable(self) -> bool:
        """True while writes are dropped: Redis failed to answer less than
        UNAVAILABLE_SECONDS ago (a write just made may have been one of them)."""
        return self._unavailable()

    def _failed(self, operation: str, exc: BaseException) -> None:
        _unavailable_until[self._location] = time.monotonic() + UNAVAILABLE_SECONDS
        logger.warning(
            "Cache unavailable (%s): %s; not asked again for %s s",
            operation,
            exc,
            UNAVAILABLE_SECONDS,
        )

    def get(self, key, default=None, version=None):
        if self._unavailable():
            return default
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return default

    set = _guard(None)(RedisCache.set)
    # "stored": lock-style callers (allauth rate limits) go ahead instead of waiting forever
    add = _guard(True)(RedisCache.add)
    delete = _guard(False)(RedisCache.delete)
    touch = _guard(False)(RedisCache.touch)
    has_key = _guard(False)(RedisCache.has_key)
    get_many = _guard(dict)(RedisCache.get_many)
    set_many = _guard(list)(RedisCache.set_many)
    delete_many = _guard(None)(RedisCache.delete_many)

    @_guard(None)
    def clear(self):
        """Delete this cache's keys only. Redis's FLUSHDB would also drop whatever else shares
        the database (Celery's queues, another process's key prefix)."""
        client = self._cache.get_client(None, write=True)
        pattern = self.make_key("*")
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)

    def count_hit(self, key: str, window: int) -> int | None:
        """Add one to a counter that expires ``window`` s after its first hit; the new count.

        One round trip (INCR and EXPIRE NX in a pipeline) where cache.add + cache.incr take
        three. None while Redis is unreachable.
        """
        if self._unavailable():
            return None
        try:
            client = self._cache.get_client(key, write=True)
            pipe = client.pipeline(transaction=False)
            name = self.make_and_validate_key(key)
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            count, _ = pipe.execute()
            return int(count)
        except (RedisError, OSError) as exc:
            self._failed("count_hit", exc)
            return None

    def buffer_count(self, name: str, field: str, amount: int, last: str) -> bool:
        """Add ``amount`` to ``field`` of the counter buffer ``name`` and remember ``last`` (the
        latest value of a companion figure) for it: one round trip. False while Redis is
        unreachable (the caller writes to the database itself).

        The buffer expires BUFFER_TTL after its last count: while nothing takes it (Celery beat
        or the workers stopped) it grew by every new field for as long, without an expiry, so
        Redis's eviction (volatile-lru) could not touch it, and it crowded out the cache."""
        if self._unavailable():
            return False
        try:
            key = self.make_and_validate_key(name)
            client = self._cache.get_client(key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.hincrby(key, field, amount)
            pipe.hset(f"{key}:last", field, last)
            pipe.expire(key, BUFFER_TTL)
            pipe.expire(f"{key}:last", BUFFER_TTL)
            pipe.execute()
            return True
        except (RedisError, OSError) as exc:
            self._failed("buffer_count", exc)
            return False

    def take_buffer(self, name: str) -> dict[str, tuple[int, str]]:
        """Atomically take everything buffered under ``name`` ({field: (count, last)}): a
        concurrent taker gets nothing, and counts added meanwhile go to the next take."""
        key = self.make_and_validate_key(name)
        client = self._cache.get_client(key, write=True)
        taken = f"{key}:taking:{uuid.uuid4().hex}"
        if not client.eval(_TAKE_SCRIPT, 4, key, f"{key}:last", taken, f"{taken}:last"):
            return {}  # nothing buffered (or another taker was first)
        pipe = client.pipeline(transaction=True)
        pipe.hgetall(taken)
        pipe.hgetall(f"{taken}:last")
        pipe.delete(taken, f"{taken}:last")
        counts, lasts, _ = pipe.execute()
        return {f.decode(): (int(n), (lasts.get(f) or b"").decode()) for f, n in counts.items()}

    def add_many(self, data: dict, timeout: int | None) -> None:
        """cache.add for each key, in one round trip (a pipeline of SET NX)."""
        if self._unavailable():
            return
        try:
            client = self._cache.get_client(None, write=True)
            pipe = client.pipeline(transaction=False)
            expiry = self.get_backend_timeout(timeout)
            for key, value in data.items():
                name = self.make_and_validate_key(key)
                pipe.set(name, self._cache._serializer.dumps(value), ex=expiry, nx=True)
            pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("add_many", exc)

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            self.add(key, value, timeout=timeout, version=version)
        return value

    def incr(self, key, delta=1, version=None):
        if self._unavailable():
            raise ValueError("cache unavailable")
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as exc:
            self._failed("incr", exc)
            raise ValueError("cache unavailable") from exc


def cache_get(key: str):
    """cache.get that treats any cache error as a miss (whatever the backend)."""
    from django.core.cache import cache

    try:
        return cache.get(key)
    except Exception:
        return None


def cache_set(key: str, value, ttl: int | None) -> None:
    """cache.set that drops the value on any cache error: a cache outage only costs speed."""
    from django.core.cache import cache

    try:
        cache.set(key, value, ttl)
    except Exception:
        logger.warning("Cache unavailable: %s not stored", key.split(":")[0])


# Generations: a number per thing (a cart, say) that changes whenever the thing changes. A value
# derived from it is cached together with the generation it was read under, and used only
# while that is still the current one. Read the generation BEFORE the data it guards; bump it
# on every change, now and again after commit (bump_generation): a reader that read the old
# data before the commit then stores it under a generation that is already gone.


def _fresh_generation() -> int:
    """A starting value above any earlier one (milliseconds since the epoch): an evicted key
    or a failed increment never brings back a generation that old values were stored under."""
    return int(time.time() * 1000)


def current_generation(key: str, timeout: int | None) -> int | None:
    """The generation stored under ``key`` (started if missing); None when the cache is down."""
    from django.core.cache import cache

    try:
        value = cache.get(key)
        if value is None:
            cache.add(key, _fresh_generation(), timeout)
            value = cache.get(key)
        return int(value) if value is not None else None
    except Exception:
        return None


def start_generations(keys: list[str], timeout: int | None) -> None:
    """Start the generation of each of ``keys`` that has none (read them after this)."""
    from django.core.cache import cache

    value = _fresh_generation()
    try:
        if isinstance(cache, ResilientRedisCache):
            cache.add_many(dict.fromkeys(keys, value), timeout)  # one round trip
        else:
            for key in keys:
                cache.add(key, value, timeout)
    except Exception:
        logger.warning("Cache unavailable: generations not started")


def bump_generation(key: str, timeout: int | None) -> None:
    """A new generation for ``key``: now, and again when the current transaction commits."""
    from django.db import transaction

    advance_generation(key, timeout)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: advance_generation(key, timeout))


# Generation advances this process could not make while Redis did not answer: {key: timeout}.
# A Redis that stalled (stopped, unreachable) rather than restarted still holds what was cached
# under the old generations (a product page with the old price, a cart's old count) once it
# answers again; they are made then, by this process: at the first cache call after the
# resilient cache's pause, or at its next advance. Bounded: a long outage on a busy day
# drops carts' counts first (whatever is added after MAX_DROPPED_WRITES).
_dropped_advances: dict[str, int | None] = {}
# Keys whose deletion was dropped the same way (a session ended at logout: its cached copy
# would sign the old cookie in again), deleted then too.
_dropped_deletes: dict[str, None] = {}
MAX_DROPPED_WRITES = 10_000
REPLAY_DELETE_BATCH = 500
_replaying = threading.local()


def _remember(dropped: dict, key: str, value) -> None:
    """Note a dropped write in ``dropped`` (one of the two above), within MAX_DROPPED_WRITES."""
    if key in dropped or len(dropped) < MAX_DROPPED_WRITES:
        dropped[key] = value


def _advance(cache, key: str, timeout: int | None) -> bool:
    """One new generation for ``key``; False when the cache did not take it."""
    try:
        try:
            cache.incr(key)
        except ValueError:  # missing, or Redis failed mid-command: jump ahead, never back
            cache.set(key, _fresh_generation(), timeout)
    except Exception:
        return False
    # the resilient cache drops writes without an error while Redis does not answer
    return not cache_is_dropping_writes(cache)


def cache_is_dropping_writes(cache) -> bool:
    """Whether ``cache`` drops writes now (the resilient Redis cache while Redis does not
    answer); other caches never say so, they raise."""
    check = getattr(cache, "is_unavailable", None)
    return bool(check and check())


def delete_when_it_answers(key: str) -> None:
    """Delete ``key`` (a full key, as given to cache.delete) once the cache answers again: its
    deletion was just dropped."""
    _remember(_dropped_deletes, key, None)


def replay_dropped_writes(cache) -> None:
    """Make the generation advances and deletions dropped while Redis did not answer, oldest
    first; stops at the first that fails again (the rest wait for the next try)."""
    if getattr(_replaying, "active", False):
        return
    _replaying.active = True
    try:
        for key, timeout in list(_dropped_advances.items()):
            if not _advance(cache, key, timeout):
                return
            _dropped_advances.pop(key, None)
        deletes = list(_dropped_deletes)
        for start in range(0, len(deletes), REPLAY_DELETE_BATCH):
            batch = deletes[start : start + REPLAY_DELETE_BATCH]
            try:
                cache.delete_many(batch)  # one round trip: it is a shopper's request that waits
            except Exception:
                return
            if cache_is_dropping_writes(cache):
                return
            for key in batch:
                _dropped_deletes.pop(key, None)
        logger.info("Cache answers again: dropped generation advances and deletions made")
    finally:
        _replaying.active = False


def advance_generation(key: str, timeout: int | None) -> None:
    """A new generation for ``key``, once (bump_generation also does it again at commit)."""
    from django.core.cache import cache

    if _dropped_advances or _dropped_deletes:
        replay_dropped_writes(cache)
    if _advance(cache, key, timeout):
        return
    logger.warning("Cache unavailable: generation %s not bumped yet", key.split(":")[0])
    _remember(_dropped_advances, key, timeout)


def cache_get_many(keys: list[str]) -> dict:
    """cache.get_many that treats any cache error as all misses (whatever the backend)."""
    from django.core.cache import cache

    try:
        return cache.get_many(keys)
    except Exception:
        return {}

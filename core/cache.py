"""A Redis cache that degrades to "no cache" when Redis is down, instead of failing the page."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _guard(default):
    def decorator(method):
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                logger.warning("Cache unavailable (%s): %s", method.__name__, exc)
                return default() if callable(default) else default

        wrapper.__name__ = method.__name__
        wrapper.__doc__ = method.__doc__
        return wrapper

    return decorator


class ResilientRedisCache(RedisCache):
    """Every read misses and every write is dropped while Redis is unreachable.

    ``incr`` raises ValueError (as for a missing key) so counters fall back the usual way.
    """

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            logger.warning("Cache unavailable (get): %s", exc)
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

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            self.add(key, value, timeout=timeout, version=version)
        return value

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as exc:
            logger.warning("Cache unavailable (incr): %s", exc)
            raise ValueError("cache unavailable") from exc

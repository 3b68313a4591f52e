"""Fixed-window rate limits kept in the cache; a cache outage lets requests through."""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the hop our own proxies added to X-Forwarded-For.

    Only ``TRUSTED_PROXY_COUNT`` proxies are trusted, so a client-sent header changes nothing.
    """
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def allow(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt; False once ``limit`` attempts were made in the current window."""
    cache_key = f"rl:{scope}:{key}"
    count_hit = getattr(cache, "count_hit", None)  # ResilientRedisCache: one round trip
    if count_hit is not None:
        count = count_hit(cache_key, window)
        if count is None:
            logger.warning("Rate limit cache unavailable; allowing %s", scope)
        return count is None or count <= limit
    try:
        if cache.add(cache_key, 1, timeout=window):
            return True
        return cache.incr(cache_key) <= limit
    except ValueError:  # expired between add and incr
        return True
    except Exception:
        logger.warning("Rate limit cache unavailable; allowing %s", scope)
        return True


def form_over_limit(request, form, *, scope: str, limit: int, window: int, message: str) -> bool:
    """For a form sent by POST: count it for this client; when over ``limit`` in ``window`` s,
    put ``message`` on the form (which keeps what was typed) and return True (answer 429)."""
    if allow(scope=scope, key=client_ip(request), limit=limit, window=window):
        return False
    form.is_valid()
    form.add_error(None, message)
    return True

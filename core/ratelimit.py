"""Fixed-window rate limits kept in the cache; a cache outage lets requests through."""

import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# Every post to a public form counts toward this many times its limit of accepted messages:
# plenty for a person fixing typos, a ceiling for a bot hammering validation.
FORM_ATTEMPTS_FACTOR = 10


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


def client_key(request) -> str:
    """The client as rate limits count it: its address, or for IPv6 its /64 network.

    An IPv6 customer line or server is given a whole /64 (2^64 addresses): counted per address,
    one machine had endless allowance. An IPv4 address written as IPv6 (::ffff:203.0.113.9)
    counts as itself."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


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


def uncount(*, scope: str, key: str) -> None:
    """Take back one attempt counted by ``allow`` that turned out not to count (an order that
    was refused after all). Nothing once the window has ended or while the cache is down."""
    try:
        cache.decr(f"rl:{scope}:{key}")
    except ValueError:  # the window ended meanwhile (or the cache is down: ResilientRedisCache)
        pass
    except Exception:
        logger.warning("Rate limit cache unavailable; not uncounting %s", scope)


def hits(*, scope: str, key: str) -> int:
    """The attempts counted by ``allow`` in the current window, without counting one more.

    0 while the cache is unavailable (which lets the request through, as ``allow`` does)."""
    try:
        return int(cache.get(f"rl:{scope}:{key}") or 0)
    except Exception:
        logger.warning("Rate limit cache unavailable; allowing %s", scope)
        return 0


def form_over_limit(request, form, *, scope: str, limit: int, window: int, message: str) -> bool:
    """For a form sent by POST, before anything is stored: True (answer 429) when this client
    is over a limit, with ``message`` on the form (which keeps what was typed).

    Only posts that pass validation count toward ``limit``: someone who mistyped an address
    four times can still send the fifth, corrected message. Those include posts the honeypot
    drops, so a bot gets the same answers as a person and never learns it was caught. Every
    post, valid or not, counts toward ``FORM_ATTEMPTS_FACTOR`` times ``limit``, so a bot cannot
    make us validate forms without end. A client already at either limit is told so even if
    its post has errors. Validates the form (the view's own ``is_valid()`` reuses the result).
    """
    key = client_key(request)
    over = (
        not allow(
            scope=f"{scope}:posts", key=key, limit=limit * FORM_ATTEMPTS_FACTOR, window=window
        )
        or hits(scope=scope, key=key) >= limit
        # counted only now, and atomically, so two posts at once cannot both slip under it
        or (form.is_valid() and not allow(scope=scope, key=key, limit=limit, window=window))
    )
    if over:
        form.is_valid()
        form.add_error(None, message)
    return over

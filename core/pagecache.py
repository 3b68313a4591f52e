"""Whole-page caching for anonymous visitors, without ever sharing one visitor's data.

Views opt in with ``cache_anonymous_page``; ``AnonymousPageCacheMiddleware`` (at the top of
the middleware stack) stores their responses and answers later requests for the same URL
itself, before sessions, authentication, CSRF and the view run: one cache round trip per hit.
For visitors without a session, core/pagecache_wsgi.py answers the same hits even before
Django's handler, with the same key, entry and checks (``page_key``, ``lookup``).

- Only anonymous visitors with no pending messages get or fill the cache, and only with a 200
  response that set no cookie but the CSRF one. Signed-in visitors always go through the whole
  stack.
- A page may show one thing that differs between anonymous visitors with a session: the shop's
  cart count (``PAGE_CACHE_SESSION_FILL``, a ``SessionFill``). It is stored as a visitor
  without a session sees it (``neutral``) and every hit for a visitor with a session loads the
  session and puts their own (``personal``) in its place. A page built for a visitor with a
  session is stored only when their own part is found in it exactly once and is swapped back.
  Without a configured fill, visitors with a session neither get nor fill the cache.
- The cached HTML holds a placeholder where each form's CSRF token goes; every hit gets the
  visitor's own token (and cookie), as the CSRF middleware would give it.
- Every entry records the content version it was built under; ``bump_content_version()``
  (the catalog calls it on every change) makes them all stale at once, so a price, stock or name
  change shows at once. The version is read once per request, before the page's data.
- A page that shows only known things (a product page: the product, the cards of a few
  others, the category's list of them; a category or series listing: the products of its
  categories or series) declares them as scopes (``response.page_cache_scopes``, e.g.
  ``product:12``, ``category:3``, ``in-category:3``, ``in-series:2``; see
  catalog.selectors) and is stamped with their versions instead: a change bumped with
  ``scopes`` (a product's price, stock or name) makes stale the pages that declared one of
  them, and every page stamped with the content version (home, search results), but not the
  pages of other products, categories or series. A change bumped without scopes makes every
  page stale, scoped ones included; so does one of more than MAX_SCOPES things, and a page
  that declares more than that is stamped with the content version.
- A scoped bump still moves the content version: the pages stamped with it could show any
  product, fragments cached under it (navigation, related products, search results) are
  rebuilt, and a scoped page built while it moved is not stored (its data may predate a bump
  whose scope versions it would be stamped with).
- A view may attach data to its response (``response.page_cache_meta``) and an ``on_hit``
  hook that runs on every hit (e.g. to count a search); a hook that returns False sends the
  request through the whole stack instead (e.g. a rate limit that must answer 429).
"""

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import Http404, HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, CsrfViewMiddleware
from django.urls import resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from .cache import advance_generation, cache_get_many, current_generation, start_generations
from .csrf import csrf_token
from .gzipjoin import deflate_parts

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
SCOPE_PREFIX = "catalog:scope:"
SITE_SCOPE = "site"  # every scoped page depends on it: bumped by changes without scopes
SCOPE_TTL = 30 * 24 * 60 * 60  # an expired scope restarts higher: its pages go stale, safely
MAX_SCOPES = 64  # a change of more things than this makes every page stale instead


# The settings pages show are the shop's own (SHOP_*) but these, and ALSO_ON_PAGES. A list of
# the ones left out rather than of the ones shown: a new SHOP_ setting nobody thought of here
# is stamped, which costs at most an emptied cache at a restart that changes it; one missing
# from a list of the shown would have pages show its old value until they expire.
NOT_ON_PAGES = frozenset(
    {
        "SHOP_INQUIRY_RATE",  # rate limits: the answer past one is never cached
        "SHOP_ORDER_RATE",
        "SHOP_STAFF_EMAILS",  # who gets staff notices
        "SHOP_SEARCH_COUNT_DAYS",  # the admin's search report
        "SHOP_IMAGE_MAX_BYTES",  # the admin's upload checks
        "SHOP_IMAGE_MAX_PIXELS",
    }
)
# dates and times (TIME_ZONE), pictures' addresses (MEDIA_URL), which products a search finds
ALSO_ON_PAGES = frozenset({"TIME_ZONE", "MEDIA_URL", "SEARCH_CONFIG"})


def _shop_settings_stamp() -> str:
    """The settings pages show, as this process started with them (the shop's name, the
    administrator's e-mail, how amounts are written, the prices note, the time zone...), and
    the release of the code (SHOP_RELEASE). Changing one takes a restart: pages cached before
    it are then never served after it, and objects cached by another release never unpickled
    (their class may have changed shape)."""
    shown = {
        name: getattr(settings, name)
        for name in dir(settings)
        if (name.startswith("SHOP_") and name not in NOT_ON_PAGES) or name in ALSO_ON_PAGES
    }
    # the same text in every worker process (a set's order is not: hash randomization)
    text = json.dumps(shown, sort_keys=True, default=lambda v: sorted(map(repr, v)))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


# also in the keys of other caches of what pages show (search suggestions with their prices,
# the navigation, product cards, delivery methods), so none is read by another release
SETTINGS_STAMP = _shop_settings_stamp()
# entries: the page cut at its CSRF token slots, and its parts gzipped
KEY_PREFIX = f"page4:{SETTINGS_STAMP}:"
TOKEN_RE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
PLACEHOLDER = b"@@CSRF@@"
# Only the whole attribute is replaced: a query string with the placeholder in it is escaped
# in the page (the quotes become &quot;), so it can never match.
TOKEN_SLOT = b'name="csrfmiddlewaretoken" value="' + PLACEHOLDER + b'"'
# A slot as a hit fills it: every CSRF form token has the same length (the gzipped parts of an
# entry rely on that, see core/gzipjoin.py)
FILLED_SLOT_LENGTH = len(TOKEN_SLOT) - len(PLACEHOLDER) + CSRF_TOKEN_LENGTH
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
MESSAGES_SESSION_KEY = "_messages"  # its SessionStorage, which FallbackStorage falls back to
AUTH_SESSION_KEY = "_auth_user_id"  # django.contrib.auth.SESSION_KEY: signed in
SKIPPED_HEADERS = {"content-length", "set-cookie", "x-page-cache"}

# Within a request (the middleware opens the scope) the version is read once, before the
# page's data, and every later read agrees with it. Outside a request (Celery, commands) it
# is read every time.
_UNSCOPED, _UNREAD = -1, -2
_request_version: ContextVar[int] = ContextVar("content_version", default=_UNSCOPED)


def content_version() -> int:
    """A number that changes whenever shown content changes; part of content cache keys."""
    memo = _request_version.get()
    if memo >= 0:
        return memo
    version = current_generation(VERSION_KEY, None)  # kept until bumped
    if version is None:  # a cache outage degrades to "no cache", never to an error page
        return 0
    if memo == _UNREAD:
        _request_version.set(version)
    return version


# A worker serving a page from its memory (LocalPages) re-reads the version at most every
# VERSION_RECHECK seconds: a change made through another worker shows within that time, one
# made through this worker at once (_bump updates the copy).
VERSION_RECHECK = float(getattr(settings, "PAGE_CACHE_VERSION_RECHECK", 0.1))
_recent = {"version": None, "until": 0.0}


def recent_content_version() -> int:
    """content_version(), read from Redis at most every VERSION_RECHECK seconds per process."""
    now = time.monotonic()
    version = _recent["version"]
    if version is not None and now < _recent["until"]:
        return version
    version = content_version()
    _recent.update(version=version if version else None, until=now + VERSION_RECHECK)
    return version


def bump_content_version(*, scopes: Iterable[str] | None = None) -> None:
    """Make cached pages and content fragments stale: now, and again when the current
    transaction commits (a page built between the change and the commit read the old data and
    would otherwise be cached under the new version).

    Without ``scopes`` every cached page goes stale. With them (``["product:12"]``) the pages
    stamped with the content version (home, all products, search results) and fragments go
    stale, and of the scoped pages (product pages, category and series listings) only those
    that declared one of these scopes; ``scopes=[]`` leaves every scoped page alone (a change
    no scoped page shows, such as the search index)."""
    names = (SITE_SCOPE,) if scopes is None else tuple(dict.fromkeys(scopes))
    if len(names) > MAX_SCOPES:
        names = (SITE_SCOPE,)
    _bump(names)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump(names))


def _bump(scopes: tuple[str, ...]) -> None:
    if _request_version.get() != _UNSCOPED:
        _request_version.set(_UNREAD)
    _recent.update(version=None, until=0.0)  # this worker sees its own change at once
    # The content version first, then the scopes: a page stamped with scope versions is stored
    # only if the content version has not moved since the request began (_scoped_stamp), so
    # a scope bump it could have read always comes with a content version it would notice.
    advance_generation(VERSION_KEY, None)
    for name in scopes:
        key = scope_key(name)
        _recent_scopes.pop(key, None)
        advance_generation(key, SCOPE_TTL)


def forget_worker_copies() -> None:
    """Drop this worker's copies of pages and versions (tests; a process that changed the
    cache behind the shop's back)."""
    LOCAL.clear()
    _recent.update(version=None, until=0.0)
    _recent_scopes.clear()


def scope_key(name: str) -> str:
    return SCOPE_PREFIX + name


# This worker's copies of scope versions, each re-read from Redis after VERSION_RECHECK s (for
# pages served from the worker's memory, like _recent); bounded by clearing.
_recent_scopes: dict[str, tuple[int, float]] = {}
_RECENT_SCOPES_MAX = 10_000


def _scope_versions(keys: list[str], *, recent: bool) -> dict[str, int]:
    """The current version of each scope key that exists (a missing one is left out); with
    ``recent``, copies read within VERSION_RECHECK seconds are used."""
    now = time.monotonic()
    versions, wanted = {}, []
    for key in keys:
        memo = _recent_scopes.get(key) if recent else None
        if memo is not None and now < memo[1]:
            versions[key] = memo[0]
        else:
            wanted.append(key)
    if wanted:
        found = cache_get_many(wanted)
        read = {key: int(found[key]) for key in wanted if key in found}
        _remember_scopes(read.items())
        versions.update(read)
    return versions


def _remember_scopes(versions) -> None:
    if len(_recent_scopes) > _RECENT_SCOPES_MAX:
        _recent_scopes.clear()
    until = time.monotonic() + VERSION_RECHECK
    for key, version in versions:
        _recent_scopes[key] = (version, until)


def _stamp_is_current(stamp: tuple[tuple[str, int], ...], *, recent: bool) -> bool:
    current = _scope_versions([key for key, _version in stamp], recent=recent)
    return all(current.get(key) == version for key, version in stamp)


def _scoped_stamp(scopes, version: int) -> tuple[tuple[str, int], ...] | None:
    """The stamp of a page that declared ``scopes``, built under content ``version``: the
    current version of each scope and of the site scope; None (do not store the page) when the
    content version has moved since (a change may have come between the page's data and the
    versions read here) or the cache is unreachable."""
    if not version:
        return None
    keys = [scope_key(SITE_SCOPE), *sorted({scope_key(s) for s in scopes})]
    for _attempt in range(2):
        found = cache_get_many([VERSION_KEY, *keys])  # one MGET: one moment's values
        if found.get(VERSION_KEY) != version:
            return None
        missing = [key for key in keys if key not in found]
        if not missing:
            stamp = tuple((key, int(found[key])) for key in keys)
            _remember_scopes(stamp)  # as read now: a hit from this worker's memory uses them
            return stamp
        start_generations(missing, SCOPE_TTL)  # then read again with the content version
    return None


def cache_anonymous_page(*, timeout: int, on_hit: Callable[[object, dict], bool] | None = None):
    """Let AnonymousPageCacheMiddleware keep this view's pages for ``timeout`` seconds.

    ``on_hit(request, meta)`` must be a module-level function; it runs on every cache hit with
    the ``response.page_cache_meta`` the view set, and returns False to bypass the cache.
    """
    hook = f"{on_hit.__module__}.{on_hit.__qualname__}" if on_hit is not None else None

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.page_cache = (timeout, hook)
            # Cookie: never shared between visitors; Accept-Encoding: the WSGI front answers
            # hits gzipped to clients that accept it
            patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
            return response

        wrapper.page_cacheable = True  # copied onto outer decorators and method_decorator
        return wrapper

    return decorator


@functools.lru_cache(maxsize=256)
def _view_is_cacheable(func) -> bool:
    if getattr(func, "page_cacheable", False):
        return True
    view_class = getattr(func, "view_class", None)
    return bool(getattr(getattr(view_class, "dispatch", None), "page_cacheable", False))


def may_be_cached(request) -> bool:
    """Whether the view this request's URL leads to can answer from the page cache (False for
    URLs that lead nowhere). A wrong False only costs speed: the page is then built."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Http404:
        return False
    return _view_is_cacheable(match.func)


# Hooks are named by dotted path in the cache entry; import each once per process.
_hook = functools.cache(import_string)


@dataclass(frozen=True)
class SessionFill:
    """The one part of a cached page that differs for an anonymous visitor with a session:
    ``neutral`` as a page built for a visitor without a session shows it, ``personal(session)``
    as this visitor should see it (bytes of the page)."""

    neutral: bytes
    personal: Callable[[Any], bytes]


@functools.cache
def _session_fill() -> SessionFill | None:
    path = getattr(settings, "PAGE_CACHE_SESSION_FILL", None)
    return import_string(path) if path else None


class LocalPages:
    """The hottest pages, kept in this worker's memory as well (a bounded LRU).

    A page found here is served only under the current content version, which is read from
    Redis (a few bytes instead of the whole page) at most every VERSION_RECHECK seconds: a
    change shows at once in the worker that made it and within that time in the others. Copies
    live at most ``ttl`` seconds, so time-based content is never later than the shared cache by
    more.
    """

    def __init__(self, size: int, ttl: float = 10.0):
        self.size, self.ttl = size, ttl
        self._pages: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def put(self, key: str, entry: tuple, *, ttl: float | None = None) -> None:
        """Keep ``entry`` for ``self.ttl`` seconds, or ``ttl`` if that is shorter."""
        if self.size <= 0:
            return
        ttl = self.ttl if ttl is None else min(ttl, self.ttl)
        with self._lock:
            self._pages[key] = (time.monotonic() + ttl, entry)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def discard(self, key: str) -> None:
        with self._lock:
            self._pages.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


# The worker's copies of the hottest pages, shared by the middleware and the WSGI front
# (core/pagecache_wsgi.py).
LOCAL = LocalPages(getattr(settings, "PAGE_CACHE_LOCAL_ENTRIES", 64))
_UNCACHED_PREFIXES = tuple(
    p for p in (settings.STATIC_URL, settings.MEDIA_URL, "/admin/") if p and p.startswith("/")
)


def seconds_until_new_year() -> float:
    """Seconds until the shop's year ends (TIME_ZONE): pages show the year, so a page is kept
    no longer than that (the content version cannot tell; no change marks the new year)."""
    now = timezone.localtime()
    new_year = now.replace(
        year=now.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return (new_year - now).total_seconds()


def page_key(request) -> str | None:
    """This request's page cache key, or None when it may not be served from the cache.

    The key is made of what the page can depend on: scheme, validated host, script name, path
    and the raw query string, each as Django reads it (so no two URLs Django tells apart share a
    key)."""
    if request.method != "GET":
        return None
    if request.COOKIES.get(MESSAGES_COOKIE):  # (an emptied one holds no messages)
        return None
    if request.path_info.startswith(_UNCACHED_PREFIXES):
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None  # the stack answers 400
    raw = repr(
        (
            request.scheme,
            host,
            request.META.get("SCRIPT_NAME", ""),
            request.path_info,
            request.META.get("QUERY_STRING", ""),
        )
    )
    return KEY_PREFIX + hashlib.sha256(raw.encode("utf-8", "backslashreplace")).hexdigest()[:40]


def lookup(key: str) -> tuple[tuple | None, int]:
    """The current entry stored under ``key`` (None if there is none) and the content version
    it was checked against, which a page built now is stored under."""
    local = LOCAL.get(key)
    if local is not None:
        # a hot page: only versions come from Redis, at most every VERSION_RECHECK s
        stamp = local[0]
        if isinstance(stamp, tuple):
            if _stamp_is_current(stamp, recent=True):
                return local, recent_content_version()
        else:
            current = recent_content_version()
            if current and stamp == current:  # 0: the version is unknown (cache down)
                return local, current
        LOCAL.discard(key)
    try:
        found = cache.get_many([VERSION_KEY, key])
    except Exception:
        found = {}
    version = found.get(VERSION_KEY)
    shared = found.get(key)
    if shared is not None and version is not None:
        stamp = shared[0]
        if stamp == version or (
            isinstance(stamp, tuple) and _stamp_is_current(stamp, recent=False)
        ):
            LOCAL.put(key, shared, ttl=seconds_until_new_year())
            return shared, int(version)
    return None, int(version or content_version())


# Set by the WSGI front on a request it looked up but did not answer: (key, entry, version).
LOOKED_UP = "shop.page_cache.lookup"


class AnonymousPageCacheMiddleware:
    """Serve and fill the anonymous page cache (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def __call__(self, request):
        key = page_key(request)
        session = None
        if key is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:
            # reading the session costs a cache round trip: only for a view that can use it
            # (not the cart or the checkout, which are never cached)
            session = self._anonymous_session(request) if may_be_cached(request) else None
            if session is None:  # signed in, messages waiting, a session to end: whole stack
                key = None
        version = _UNREAD  # read on first use, for requests the page cache does not serve
        if key is not None:
            earlier = request.META.pop(LOOKED_UP, None)
            if earlier is not None and earlier[0] == key:
                entry, version = earlier[1], earlier[2]
            else:
                entry, version = lookup(key)
            if entry is not None:
                response = self._serve(request, entry, session)
                if response is not None:
                    return response
        scope = _request_version.set(version)
        try:
            response = self.get_response(request)
        finally:
            _request_version.reset(scope)
        if key is not None:
            self._store(request, response, key, version)
        return response

    def _anonymous_session(self, request):
        """The session data of a visitor with a session cookie, or None when a cached page may
        not be theirs: signed in, messages waiting, no fill configured, the session unreadable
        or gone (the whole stack then ends the cookie)."""
        if _session_fill() is None:
            return None
        try:
            data = self.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME]).load()
        except Exception:
            logger.warning("Page cache: session not readable", exc_info=True)
            return None
        if not data or AUTH_SESSION_KEY in data or MESSAGES_SESSION_KEY in data:
            return None
        return data

    def _serve(self, request, entry, session) -> HttpResponse | None:
        """The response for a hit, or None to send the request through the whole stack.
        Everything that can refuse comes before the hook, so a hook runs once per request."""
        _version, parts, headers, hook, meta, _gzipped = entry
        forms = len(parts) > 1
        if forms and settings.CSRF_USE_SESSIONS:
            return None  # the token lives in the session, which this path never loads
        fill = personal = None
        if session is not None:
            fill = _session_fill()
            if any(fill.neutral in part for part in parts):
                try:
                    personal = fill.personal(session)
                except Exception:
                    logger.warning("Page cache: session fill failed", exc_info=True)
                    return None
        if hook is not None:
            try:
                if _hook(hook)(request, meta) is False:
                    return None
            except Exception:
                logger.exception("Page cache hook %s failed", hook)
        if forms or settings.CSRF_COOKIE_NAME in request.COOKIES:
            self.csrf.process_request(request)  # reads the cookie; a malformed one is replaced
        if forms:  # fill in the visitor's CSRF token
            token = csrf_token(request).encode()
            content = TOKEN_SLOT.replace(PLACEHOLDER, token).join(parts)
        else:
            content = parts[0]
        if personal is not None:
            content = content.replace(fill.neutral, personal, 1)
        response = HttpResponse(content)
        for name, value in headers:
            response.headers[name] = value
        response.headers["X-Page-Cache"] = "hit"
        return self.csrf.process_response(request, response)

    def _neutral(self, request, content: bytes) -> bytes | None:
        """A page built for an anonymous visitor with a session, as a visitor without one would
        see it; None when that is not certain (no fill configured, messages waiting, their
        part not found exactly once)."""
        fill = _session_fill()
        session = getattr(request, "session", None)
        if fill is None or session is None or MESSAGES_SESSION_KEY in session:
            return None
        try:
            personal = fill.personal(session)
        except Exception:
            logger.warning("Page cache: session fill failed", exc_info=True)
            return None
        if content.count(personal) != 1:
            return None
        return content.replace(personal, fill.neutral)

    def _store(self, request, response, key: str, version: int) -> None:
        marker = getattr(response, "page_cache", None)
        if marker is None:
            return
        if (
            response.status_code != 200
            or response.streaming
            or set(response.cookies) - {settings.CSRF_COOKIE_NAME}
            or getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            return
        timeout, hook = marker
        # every page shows the year (the footer's ©): none is kept into the next one
        timeout = min(timeout, int(seconds_until_new_year()))
        if timeout <= 0:
            return
        content = TOKEN_RE.sub(TOKEN_SLOT, response.content)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            content = self._neutral(request, content)
            if content is None:
                return
        # stored cut at the token slots: a hit joins the parts with its token in one copy
        parts = tuple(content.split(TOKEN_SLOT))
        headers = [(k, v) for k, v in response.items() if k.lower() not in SKIPPED_HEADERS]
        meta = getattr(response, "page_cache_meta", {})
        stamp = version
        scopes = getattr(response, "page_cache_scopes", None)
        if scopes is not None and len(scopes) > MAX_SCOPES:
            scopes = None  # a page of many things: stamped with the content version instead
        if scopes is not None:
            stamp = _scoped_stamp(scopes, version)
            if stamp is None:
                return
        entry = (stamp, parts, headers, hook, meta, deflate_parts(parts, FILLED_SLOT_LENGTH))
        try:
            cache.set(key, entry, timeout)
        except Exception:
            logger.warning("Page cache unavailable", exc_info=True)
            return
        if version:  # with the shared cache down (version 0) no copy could ever go stale
            LOCAL.put(key, entry, ttl=timeout)
        response.headers["X-Page-Cache"] = "miss"

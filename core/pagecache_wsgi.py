"""Page-cache hits answered before Django's request handler.

``PageCacheFront`` wraps the WSGI application (shop/wsgi.py). For a GET from a visitor without
a session or waiting messages it looks the page up exactly as AnonymousPageCacheMiddleware
does (same key, same entry, same content-version check) and, when the entry is current, answers
with it: no request signals, no middleware, no database. What the middleware would add to a hit
is added here in the same way: the headers stored with the page (the middleware sits at the top
of the stack, so they are the final ones, security headers included) and, on a page with forms,
the visitor's own CSRF token and cookie (core/csrf.py: the cookie's secret when it is valid,
a new one otherwise). A client that accepts gzip gets the page gzipped from the parts the entry
holds compressed, its token slots uncompressed (core/gzipjoin.py).

Everything else goes to Django unchanged: visitors with a session (the middleware fills in
their cart count), pages with an ``on_hit`` hook (it needs the whole request), misses, stale
entries, other methods, hosts Django refuses (400). The result of a lookup that found nothing
to serve is handed on in the environ, so a miss costs one cache round trip, not two. Any error
here sends the request to Django too: this layer can make a page faster, never fail it.
"""

import logging

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.csrf import CSRF_SECRET_LENGTH

from . import pagecache
from .csrf import cookie_header, cookie_secret, masked, random_string
from .gzipjoin import accepts_gzip, gzip_join
from .requestlog import given_or_new_id

logger = logging.getLogger(__name__)

STATUS = "200 OK"


class PageCacheFront:
    """A WSGI application: the page-cache hits it may answer itself, the rest to
    ``application`` (see the module docstring)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            try:
                answer = self._answer(environ)
            except Exception:
                logger.exception("Page cache front failed; Django answers")
                environ.pop(pagecache.LOOKED_UP, None)
                answer = None
            if answer is not None:
                headers, body = answer
                start_response(STATUS, headers)
                return [body]
        return self.application(environ, start_response)

    def _answer(self, environ) -> tuple[list, bytes] | None:
        # on a copy: WSGIRequest rewrites PATH_INFO and SCRIPT_NAME in the environ it is given
        # (decoded), and Django's handler must get them as the server sent them
        request = WSGIRequest(environ.copy())
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies:
            return None  # the middleware serves them, with their own cart count
        key = pagecache.page_key(request)
        if key is None:
            return None
        entry, version = pagecache.lookup(key)
        _version, parts, stored_headers, hook, _meta, gzipped = entry or (None,) * 6
        forms = entry is not None and len(parts) > 1
        if entry is None or hook is not None or (forms and settings.CSRF_USE_SESSIONS):
            environ[pagecache.LOOKED_UP] = (key, entry, version)
            return None
        headers = list(stored_headers)
        # as CsrfViewMiddleware and get_token: the visitor's secret, or a new one when the
        # cookie is missing (and a form needs one) or malformed (always, as process_request);
        # a page with forms gets a freshly masked token and the cookie again (expiry renewed)
        sent = cookies.get(settings.CSRF_COOKIE_NAME)
        secret = cookie_secret(sent)
        if secret is None and (forms or sent is not None):
            secret = random_string(CSRF_SECRET_LENGTH)
            if not forms:
                headers.append(("Set-Cookie", cookie_header(secret)))
        slot = b""
        if forms:
            slot = pagecache.TOKEN_SLOT.replace(pagecache.PLACEHOLDER, masked(secret).encode())
            headers.append(("Set-Cookie", cookie_header(secret)))
        if accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")) and (
            not forms or len(slot) == pagecache.FILLED_SLOT_LENGTH
        ):
            # compressed once when stored; only the token slots are added per visitor
            body = gzip_join(parts, gzipped, slot)
            headers.append(("Content-Encoding", "gzip"))
        else:
            body = slot.join(parts)
        headers.append(("X-Page-Cache", "hit"))
        # as Django's answers say it (core/requestlog.py): gunicorn's access line logs it
        headers.append(("X-Request-ID", given_or_new_id(environ.get("HTTP_X_REQUEST_ID", ""))))
        headers.append(("Content-Length", str(len(body))))
        return headers, body


def with_page_cache_front(application):
    """``application`` behind a PageCacheFront when the page cache middleware is installed
    (the front serves what it stores); as it is otherwise (e.g. the bench's bare ceiling)."""
    if "core.pagecache.AnonymousPageCacheMiddleware" not in settings.MIDDLEWARE:
        return application
    return PageCacheFront(application)

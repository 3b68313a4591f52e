"""Whole-page caching for anonymous visitors, without ever sharing one visitor's data.

A page is served from the cache only to a visitor who has no session yet (so no cart, no
messages, not signed in). The cached HTML holds a placeholder where each form's CSRF token
goes; every hit gets the visitor's own token. Keys include a version that the catalog bumps on
every change, so a price, stock or name change shows at once.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
PLACEHOLDER = b'name="csrfmiddlewaretoken" value="@@CSRF@@"'


def _cacheable_request(request) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not getattr(request, "user", None).is_authenticated
    )


def cache_anonymous_page(
    *,
    timeout: int,
    version: Callable[[], int],
    on_hit: Callable[[object, dict], None] | None = None,
):
    """Cache a view's 200 responses for visitors without a session (see module docstring).

    A view may set ``response.page_cache_meta`` (a small dict); it is stored with the page and
    handed to ``on_hit(request, meta)`` on every cache hit (e.g. to count a search).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            raw = f"{request.get_host()}|{request.get_full_path()}"
            key = f"page:{version()}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"
            try:
                hit = cache.get(key)
            except Exception:
                hit = None
            if hit is not None:
                content, content_type, meta = hit
                if on_hit is not None:
                    on_hit(request, meta)
                token = get_token(request).encode()
                response = HttpResponse(
                    content.replace(b"@@CSRF@@", token), content_type=content_type
                )
                response["X-Page-Cache"] = "hit"
                patch_vary_headers(response, ["Cookie"])
                return response
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code == 200 and not response.cookies.get(
                settings.SESSION_COOKIE_NAME
            ):
                content = TOKEN_RE.sub(PLACEHOLDER, response.content)
                try:
                    meta = getattr(response, "page_cache_meta", {})
                    cache.set(key, (content, response["Content-Type"], meta), timeout)
                except Exception:
                    logger.warning("Page cache unavailable", exc_info=True)
                response["X-Page-Cache"] = "miss"
            patch_vary_headers(response, ["Cookie"])
            return response

        return wrapper

    return decorator

from functools import wraps

from django.shortcuts import render

from .ratelimit import allow, client_key


def rate_limited(*, scope: str, limit: int, window: int, methods: tuple[str, ...] = ("POST",)):
    """Answer 429 with the shop's page once a client made ``limit`` requests in ``window`` s."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not allow(
                scope=scope, key=client_key(request), limit=limit, window=window
            ):
                return render(
                    request,
                    "429.html",
                    {"page_title": "Too many requests", "retry_minutes": max(window // 60, 1)},
                    status=429,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

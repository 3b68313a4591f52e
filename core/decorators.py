from functools import wraps

from django.shortcuts import render

from .ratelimit import allow, client_key, uncount


def rate_limited(
    *,
    scope: str,
    limit: int,
    window: int,
    methods: tuple[str, ...] = ("POST",),
    count_sign_ins: bool = True,
):
    """Answer 429 with the shop's page once a client made ``limit`` requests in ``window`` s.

    ``count_sign_ins=False`` (a sign-in form): a request that signed the visitor in is taken
    back, so only failed tries count and colleagues signing in from one office
    address do not lock each other out."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            counted = request.method in methods
            takes_back_sign_ins = counted and not count_sign_ins
            if counted and not allow(
                scope=scope, key=client_key(request), limit=limit, window=window
            ):
                return render(
                    request,
                    "429.html",
                    {"page_title": "Too many requests", "retry_minutes": max(window // 60, 1)},
                    status=429,
                )
            # who was signed in before: a visitor signed in already (as a customer) stays so
            # after a wrong password, and that try must count
            before = request.user.pk if takes_back_sign_ins else None
            response = view(request, *args, **kwargs)
            if takes_back_sign_ins and request.user.is_authenticated and request.user.pk != before:
                uncount(scope=scope, key=client_key(request))
            return response

        return wrapper

    return decorator

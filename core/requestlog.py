"""Which request a log line belongs to: a request id shared with nginx's and gunicorn's access
logs, the method, the path and the member's id (never their e-mail address).

nginx sends its ``$request_id`` as ``X-Request-ID`` (deploy/nginx/shop.conf); without nginx in
front the shop makes one. The id goes back in the response's ``X-Request-ID`` header, which
gunicorn's access log prints (deploy/systemd/shop-gunicorn.service), and into every line Django
logs while it serves the request (RequestContextFilter, settings.LOGGING):

    ERROR django.request [3f2a9c... GET /checkout/review/ user=-]: Internal Server Error: ...

``journalctl -u shop-gunicorn -g 3f2a9c`` then finds the access line and the traceback
together, and nginx's log (``rid=3f2a9c...``) the client's side of it.
"""

import contextvars
import logging
import re
import secrets

from django.utils.functional import empty

from .accesslog import hide_keys

#: What an incoming X-Request-ID may be (nginx's $request_id is 32 hex digits); anything else
#: (a client's own header where no nginx replaces it) is ignored and a new id made.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

_current_request: contextvars.ContextVar = contextvars.ContextVar("shop_request", default=None)


def given_or_new_id(given: str) -> str:
    """The X-Request-ID nginx sent, or a new id when there is none (or an odd one)."""
    return given if REQUEST_ID.fullmatch(given or "") else secrets.token_hex(16)


def request_id(get_response):
    """Give the request an id (``request.id``; nginx's when it sent one) and say it in the
    response's X-Request-ID header; lines logged meanwhile name the request."""

    def middleware(request):
        request.id = given_or_new_id(request.headers.get("X-Request-ID", ""))
        token = _current_request.set(request)
        try:
            response = get_response(request)
        finally:
            _current_request.reset(token)
        response["X-Request-ID"] = request.id
        return response

    return middleware


def _user_id(request) -> str:
    """The member's id if this request already knows who it is ("-" otherwise): a log line
    must not make the request read its session (the database may be what failed)."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # request.user is a lazy object
    if wrapped is None or wrapped is empty:
        return "-"
    return str(wrapped.pk) if getattr(wrapped, "is_authenticated", False) else "anon"


def describe_request(request) -> str:
    """``<id> <METHOD> <path> user=<id>``: the request a log line or an error mail is about,
    with the keys of password-reset and confirmation links hidden."""
    path = hide_keys(getattr(request, "path", "") or "")
    rid = getattr(request, "id", "-")
    return f"{rid} {getattr(request, 'method', '-')} {path} user={_user_id(request)}"


class RequestContextFilter(logging.Filter):
    """Adds ``request_context`` to each record (`` [<id> GET /path user=12]`` while a request
    is served, empty otherwise), and hides the keys of account links in the message itself
    (django.request logs "Not Found: <path>")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get() or getattr(record, "request", None)
        record.request_context = f" [{describe_request(request)}]" if request is not None else ""
        message = record.getMessage()
        if "/accounts/" in message:
            record.msg, record.args = hide_keys(message), None
        return True

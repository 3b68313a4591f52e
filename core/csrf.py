"""CSRF tokens as django.middleware.csrf.get_token makes them, with less system-random work.

get_token draws two 32-character strings with get_random_string, which asks the operating
system for randomness once per character: 64 system calls, ~40% of the CPU of serving a
cached page (core/pagecache.py) on the bench machine. Here each string is one read.
"""

import secrets
import time

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    InvalidTokenFormat,
    _check_token_format,
    _unmask_cipher_token,
)


def _alphabet_table(alphabet: str) -> tuple[bytes, bytes]:
    """A bytes.translate table mapping a random byte to a character of ``alphabet`` and the
    bytes to drop: those at or above the largest multiple of the alphabet's size (no modulo
    bias)."""
    size = len(alphabet)
    limit = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    return table, bytes(range(limit, 256))


_CSRF_TABLE = _alphabet_table(CSRF_ALLOWED_CHARS)
_CSRF_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}


def random_string(length: int) -> str:
    """What get_random_string(length, CSRF_ALLOWED_CHARS) returns (each character uniform
    over the alphabet, from the operating system's CSPRNG), from one urandom read instead of
    one per character."""
    table, drop = _CSRF_TABLE
    chars = b""
    while len(chars) < length:
        chars += secrets.token_bytes(length * 2).translate(table, drop)
    return chars[:length].decode("ascii")


def csrf_token(request) -> str:
    """django.middleware.csrf.get_token with random_string: the same secret handling (the
    visitor's valid cookie secret, or a new one to be set as the cookie by CsrfViewMiddleware's
    process_response) and the same masking."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = random_string(CSRF_SECRET_LENGTH)
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # set it, or renew its expiry
    return masked(secret)


def masked(secret: str) -> str:
    """A form token for ``secret``, masked with a new random mask, as get_token returns it."""
    mask = random_string(CSRF_SECRET_LENGTH)
    chars, index, size = CSRF_ALLOWED_CHARS, _CSRF_INDEX, len(CSRF_ALLOWED_CHARS)
    cipher = "".join(chars[(index[x] + index[y]) % size] for x, y in zip(secret, mask, strict=True))
    return mask + cipher


def cookie_secret(value: str | None) -> str | None:
    """The secret in a visitor's CSRF cookie as CsrfViewMiddleware reads it (an old masked
    cookie unmasked), or None when there is none or it is malformed: a new one is then made."""
    if value is None:
        return None
    try:
        _check_token_format(value)
    except InvalidTokenFormat:
        return None
    if len(value) == CSRF_TOKEN_LENGTH:
        return _unmask_cipher_token(value)
    return value


_cookie_tail: dict = {"for": None, "tail": ""}


def cookie_header(secret: str) -> str:
    """The Set-Cookie value CsrfViewMiddleware sends for ``secret`` (same name, expiry and
    attributes, from the settings). Django formats the attributes, once per second and
    settings."""
    cookie = {
        "max_age": settings.CSRF_COOKIE_AGE,
        "domain": settings.CSRF_COOKIE_DOMAIN,
        "path": settings.CSRF_COOKIE_PATH,
        "secure": settings.CSRF_COOKIE_SECURE,
        "httponly": settings.CSRF_COOKIE_HTTPONLY,
        "samesite": settings.CSRF_COOKIE_SAMESITE,
    }
    name = settings.CSRF_COOKIE_NAME
    made_for = (int(time.time()), name, *cookie.values())
    if _cookie_tail["for"] != made_for:
        probe = HttpResponse()
        probe.set_cookie(name, "-", **cookie)
        text = probe.cookies[name].OutputString()
        _cookie_tail.update({"for": made_for, "tail": text.partition(";")[2]})
    tail = _cookie_tail["tail"]
    return f"{name}={secret};{tail}" if tail else f"{name}={secret}"

"""CSRF tokens as django.middleware.csrf.get_token makes them, with less system-random work.

get_token draws two 32-character strings with get_random_string, which asks the operating
system for randomness once per character: 64 system calls, ~40% of the CPU of serving a
cached page (core/pagecache.py) on the bench machine. Here each string is one read.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH


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
    mask = random_string(CSRF_SECRET_LENGTH)
    chars, index, size = CSRF_ALLOWED_CHARS, _CSRF_INDEX, len(CSRF_ALLOWED_CHARS)
    cipher = "".join(chars[(index[x] + index[y]) % size] for x, y in zip(secret, mask, strict=True))
    return mask + cipher

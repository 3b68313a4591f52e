"""gunicorn's access log without the keys of account e-mails' links.

A password-reset link (/accounts/password/reset/key/<key>/) stays usable for days when its owner
does not finish, and an address-confirmation link (/accounts/confirm-email/<key>/) confirms an
address for whoever opens it: neither belongs in a log that others read or ship elsewhere. The
path and the Referer of the next request (same-site pages send the whole address) keep
everything else. deploy/nginx/shop.conf does the same for nginx's log (its shop_private
format); the gunicorn unit names this logger (--logger-class core.accesslog.AccessLogger).
"""

import re

from gunicorn.glogging import Logger

KEY_IN_PATH = re.compile(r"(/accounts/(?:password/reset/key|confirm-email)/)(?!done/)[^/?#\s\"]+")


def hide_keys(text: str) -> str:
    """``text`` (a request line, a path or an address) with such keys replaced by [hidden]."""
    return KEY_IN_PATH.sub(r"\1[hidden]", text)


class AccessLogger(Logger):
    """gunicorn's logger; every value an access-log line may show goes through hide_keys."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str) and "/accounts/" in value:
                atoms[name] = hide_keys(value)
        return atoms

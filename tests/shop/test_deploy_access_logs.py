"""The access logs (gunicorn's in the journal, nginx's in /var/log/nginx) never hold the keys of
the links in account e-mails: a password-reset link stays usable for days when its owner does
not finish, so anyone who reads the logs (or a log shipper) could set a new password.

Both logs keep the rest of the request (path, status, client address: the privacy page says
they are kept two weeks).
"""

import datetime
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.accesslog import AccessLogger, hide_keys
from tests.nginx import running_nginx

ROOT = Path(__file__).resolve().parents[2]
RESET = "/accounts/password/reset/key/2-dj3tiv-a89c10a0fd302e574146200f9ccd2248/"
CONFIRM = "/accounts/confirm-email/Mg:1xZjxm:JIv0btaJt3adBXoH0TCgjHTHR1SC6jxREsuHJUd1jrU/"
SECRETS = ("dj3tiv-a89c10a0fd302e574146200f9ccd2248", "JIv0btaJt3adBXoH0TCgjHTHR1SC6jxREsuHJUd1jrU")


def test_keys_in_paths_and_referers_are_hidden():
    assert hide_keys(f"GET {RESET} HTTP/1.1") == (
        "GET /accounts/password/reset/key/[hidden]/ HTTP/1.1"
    )
    assert hide_keys(f"https://shop.example{CONFIRM}?next=/") == (
        "https://shop.example/accounts/confirm-email/[hidden]/?next=/"
    )
    for kept in ("/accounts/password/reset/key/done/", "/accounts/confirm-email/", "/cart/"):
        assert hide_keys(kept) == kept


def test_gunicorns_access_log_hides_the_keys():
    logger = AccessLogger(SimpleNamespace(**_gunicorn_defaults()))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": CONFIRM,
        "PATH_INFO": CONFIRM,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://shop.example{RESET}",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://shop.example{RESET}")])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=5))
    logged = " ".join(str(value) for value in atoms.values())
    for secret in SECRETS:
        assert secret not in logged
    assert atoms["r"] == "GET /accounts/confirm-email/[hidden]/ HTTP/1.1"


def test_the_gunicorn_unit_uses_that_logger():
    unit = (ROOT / "deploy/systemd/shop-gunicorn.service").read_text()
    assert "--logger-class core.accesslog.AccessLogger" in unit


def _gunicorn_defaults() -> dict:
    from gunicorn.config import Config

    config = Config()
    return {name: setting.get() for name, setting in config.settings.items()}


def _http_level_logging() -> str:
    """The map and log_format lines at the top of shop.conf."""
    conf = (ROOT / "deploy/nginx/shop.conf").read_text()
    start = conf.index("# Access log")
    return conf[start : conf.index("\n# Rate limits", start)]


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")
def test_nginxs_access_log_hides_the_keys(tmp_path):
    conf = (ROOT / "deploy/nginx/shop.conf").read_text()
    access_log = re.search(r"^\s*access_log /var/log/nginx/shop\.access\.log (\w+);", conf, re.M)
    assert access_log, "the shop's access log names its format"
    with running_nginx(
        tmp_path,
        http=_http_level_logging(),
        server=f"    access_log {tmp_path}/access.log {access_log.group(1)};\n"
        "    location / { return 204; }\n",
    ) as base:
        for path, referer in ((RESET, ""), (CONFIRM, f"https://shop.example{RESET}")):
            request = urllib.request.Request(f"{base}{path}", headers={"Referer": referer})  # noqa: S310
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
    logged = (tmp_path / "access.log").read_text()
    assert "/accounts/confirm-email/[hidden]/" in logged
    assert "/accounts/password/reset/key/[hidden]/" in logged
    assert " 204 " in logged  # the rest of the line is still there
    for secret in SECRETS:
        assert secret not in logged

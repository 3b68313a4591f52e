"""deploy/nginx/shop.conf's rate limits, run in a real nginx: whom they count together.

The shop's own limit zones and their keys are copied from the file into a test server. nginx's
realip module stands in for the TCP peer (it sets $binary_remote_addr from a header, trusted
from 127.0.0.1 only in this test), so many client addresses can be tried from one machine.
"""

import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.nginx import running_nginx

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")


def http_level_limits() -> str:
    """The maps and limit_req_zone lines at the top of shop.conf."""
    conf = (ROOT / "deploy/nginx/shop.conf").read_text()
    start = conf.index("# Rate limits")
    block = conf[start : conf.index("\nserver {", start)]
    assert "limit_req_zone" in block
    return block


@pytest.fixture
def nginx(tmp_path):
    with running_nginx(
        tmp_path,
        http=f"  access_log off;\n{http_level_limits()}",
        server="    set_real_ip_from 127.0.0.1;\n"
        "    real_ip_header X-Test-Peer;\n"
        "    limit_req_status 429;\n"
        # what passes the limit goes on to a closed port: 502, against 429 when refused
        "    location = /accounts/login/ {\n"
        "      limit_req zone=shop_login burst=5 nodelay;\n"
        "      proxy_pass http://127.0.0.1:9;\n"
        "    }\n",
    ) as base:
        yield base


def sign_in(base: str, peer: str, method: str = "POST") -> int:
    request = urllib.request.Request(  # noqa: S310
        f"{base}/accounts/login/",
        data=b"login=a&password=b" if method == "POST" else None,
        headers={"X-Test-Peer": peer},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_ipv6_client_counts_by_its_64_network(nginx):
    """A provider gives one connection a whole /64: a client taking a new address from it for
    every try was never limited while the key was the address."""
    answers = [sign_in(nginx, f"2001:db8:1:2::{n:x}") for n in range(1, 9)]
    assert answers[:6] == [502] * 6  # one at the rate, five in the burst
    assert answers[6:] == [429, 429]
    # another /64 (another customer of the same provider) is not held back
    assert sign_in(nginx, "2001:db8:1:3::1") == 502


def test_ipv4_clients_count_by_their_address(nginx):
    answers = [sign_in(nginx, "192.0.2.10") for _ in range(7)]
    assert answers == [502] * 6 + [429]
    assert sign_in(nginx, "192.0.2.11") == 502  # the next address is somebody else


def test_looking_at_the_sign_in_page_is_not_counted(nginx):
    assert {sign_in(nginx, "2001:db8:9::1", method="GET") for _ in range(10)} == {502}
    assert sign_in(nginx, "2001:db8:9::2") == 502


def test_every_zone_is_keyed_by_the_client_network():
    zones = re.findall(r"^limit_req_zone (\S+)", http_level_limits(), re.M)
    assert len(zones) == 3
    assert set(zones) == {"$shop_client", "$shop_login_limit_key"}

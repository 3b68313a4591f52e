"""deploy/README.md "Beyond one server": the load balancer's nginx lines."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_balancer_static_block() -> str:
    readme = (ROOT / "deploy/README.md").read_text()
    section = readme[readme.index("**Load balancer** (lb1)") : readme.index("**Media**")]
    return re.search(r"```nginx\n(location \^~ /static/ \{.*?\n\})\n```", section, re.S).group(1)


def test_static_files_missing_on_one_app_server_are_asked_of_the_next():
    """During a rolling update a page from an updated app server names static files (new hashes)
    that a server not yet updated lacks: the two-server drill got a 404 for every second request
    of the new stylesheet until lb1 asked the next server."""
    block = load_balancer_static_block()
    retry = re.search(r"^\s*proxy_next_upstream ([^;]*);", block, re.M).group(1).split()
    assert "http_404" in retry
    assert "error" in retry
    assert "non_idempotent" not in retry
    assert re.search(r"^\s*proxy_pass http://shop_app;", block, re.M)


def test_no_snippet_lets_nginx_send_a_post_twice():
    readme = (ROOT / "deploy/README.md").read_text()
    for snippet in re.findall(r"```nginx\n(.*?)```", readme, re.S):
        assert "non_idempotent" not in snippet


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")
def test_the_load_balancers_static_block_is_valid_nginx(tmp_path):
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http {\n  access_log off;\n"
        "  upstream shop_app {\n"
        "    server 127.0.0.1:9 max_fails=3 fail_timeout=10s;\n"
        "    server 127.0.0.2:9 max_fails=3 fail_timeout=10s;\n  }\n"
        f"  server {{\n    listen 127.0.0.1:1;\n{load_balancer_static_block()}\n  }}\n}}\n"
    )
    done = subprocess.run(  # noqa: S603
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def app_server_nginx_section() -> str:
    readme = (ROOT / "deploy/README.md").read_text()
    return readme[readme.index("Keeping nginx on each app server") : readme.index("**Media**")]


def test_an_app_servers_own_nginx_limits_visitors_not_the_balancer():
    """With nginx on the app servers too, its rate limits key on $binary_remote_addr: the drill
    had every visitor counted as lb1 (6 of 12 visitors' first sign-in refused) until that nginx
    took the visitor's address from lb1's header (realip), with one trusted proxy for the app."""
    section = app_server_nginx_section()
    snippet = re.search(r"```nginx\n(.*?)```", section, re.S).group(1)
    assert re.search(r"^set_real_ip_from 10\.0\.0\.10;", snippet, re.M)
    assert re.search(r"^real_ip_header X-Forwarded-For;", snippet, re.M)
    assert "`TRUSTED_PROXY_COUNT` stays 1" in section


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")
def test_the_realip_lines_are_valid_nginx(tmp_path):
    snippet = re.search(r"```nginx\n(.*?)```", app_server_nginx_section(), re.S).group(1)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{snippet}\n  server {{\n    listen 127.0.0.1:1;\n  }}\n}}\n"
    )
    done = subprocess.run(  # noqa: S603
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr

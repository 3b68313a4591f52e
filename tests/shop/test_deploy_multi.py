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

"""A throwaway nginx on loopback for the tests of deploy/nginx/shop.conf's http-level lines."""

import contextlib
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_nginx(tmp_path: Path, *, http: str, server: str):
    """nginx with ``http`` (lines of the http block) and one server block holding ``server``
    (its directives; ``listen`` is added), prefixed in ``tmp_path``; yields its base URL and
    stops it after."""
    port = free_port()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{http}\n"
        "  server {\n"
        f"    listen 127.0.0.1:{port};\n"
        f"{server}"
        "  }\n}\n"
    )
    command = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    started = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    assert started.returncode == 0, started.stderr
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([*command, "-s", "stop"], capture_output=True)  # noqa: S603

"""deploy/README.md "Media": the nginx lines that serve /media/ from the bucket."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def media_snippet() -> str:
    readme = (ROOT / "deploy/README.md").read_text()
    media = readme[readme.index("**Media**") :]
    return re.search(r"```nginx\n(.*?)```", media, re.S).group(1)


def test_nginx_checks_the_buckets_certificate():
    """nginx does not verify an upstream's certificate unless told to (proxy_ssl_verify is off
    by default): anyone on the way to the bucket could serve the shop's pictures."""
    snippet = media_snippet()
    assert re.search(r"^\s*proxy_ssl_verify on;", snippet, re.M)
    assert re.search(r"^\s*proxy_ssl_trusted_certificate /etc/ssl/certs/", snippet, re.M)
    assert re.search(r"^\s*proxy_ssl_server_name on;", snippet, re.M)


def test_no_query_string_reaches_the_bucket():
    """A bucket answers some parameters even unsigned (another provider than Amazon may answer
    versionId= or response-content-type=): the shop's pictures are asked for by name only."""
    assert re.search(r'^\s*set \$args "";', media_snippet(), re.M)


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx")
def test_the_media_location_with_the_snippet_is_valid_nginx(tmp_path):
    conf = (ROOT / "deploy/nginx/shop.conf").read_text()
    block = conf[conf.index("    location ^~ /media/ {") :]
    block = block[: block.index("\n    }\n") + 6]
    # the bucket's address resolved by nginx -t; a local one stands in for it
    snippet = media_snippet().replace("BUCKET.s3.eu-central-1.amazonaws.com", "127.0.0.1:9")
    block = re.sub(r"^\s*alias .*$", snippet, block, count=1, flags=re.M)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  server {{\n    listen 127.0.0.1:1;\n{block}\n  }}\n}}\n"
    )
    done = subprocess.run(  # noqa: S603
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_the_by_hand_update_names_the_s3_extra_with_a_bucket():
    """provision.sh installs "-e /srv/shop/app[s3]" when the settings name a bucket; README's
    by-hand update installed "-e /srv/shop/app" only, which leaves django-storages and boto3
    as they were whatever a new pyproject.toml asks for (also with --upgrade)."""
    readme = (ROOT / "deploy/README.md").read_text()
    by_hand = readme[readme.index("By hand, in place") :]
    by_hand = by_hand[: by_hand.index("\n```\n", by_hand.index("```sh"))]
    assert '-e "/srv/shop/app[s3]"' in by_hand
    provision = (ROOT / "deploy/provision.sh").read_text()
    assert 'extras="[s3]"' in provision

"""deploy/provision.sh: the parts of it that are Python, run here against the test database."""

import contextlib
import io
import re
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import ProductImage
from tests.conftest import image_bytes
from tests.factories import ProductFactory
from tests.shop.test_settings import ROOT

PROVISION = (ROOT / "deploy/provision.sh").read_text()


def heredoc(variable: str) -> str:
    """The Python that provision.sh keeps in VARIABLE=$(cat <<'PYEOF' ... PYEOF)."""
    return re.search(rf"{variable}=\$\(\n\s*cat <<'PYEOF'\n(.*?)\nPYEOF\n", PROVISION, re.S).group(
        1
    )


def run_in_shell(code: str) -> str:
    """What `shop-manage shell -c CODE` prints (the shell runs it as module-level code)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {})  # noqa: S102
    return out.getvalue()


@pytest.mark.django_db
def test_the_media_health_check_asks_for_the_newest_pictures_address():
    """With a bucket, provision.sh fetches this picture through nginx: on the first install
    with a bucket, nginx still served /media/ from disk, and after an update that replaced
    shop.conf, it did again (every picture 404), while provision.sh said "Done"."""
    code = heredoc("NEWEST_PICTURE")
    assert run_in_shell(code) == "picture=\n"
    product = ProductFactory()
    for name in ("older.png", "newest.png"):
        picture = ProductImage(product=product)
        picture.image.save(name, SimpleUploadedFile(name, image_bytes("PNG")), save=True)
    printed = run_in_shell(code)
    assert re.fullmatch(r"picture=/media/products/[^\s]*newest[^\s]*\.png\n", printed), printed


def test_the_media_health_check_runs_only_with_a_bucket_and_fails_the_run():
    check = PROVISION[PROVISION.index("NEWEST_PICTURE=$(") :]
    check = check[: check.index("\nmapfile -t pg_units")]
    assert "failed=1" in check
    before = PROVISION[: PROVISION.index("NEWEST_PICTURE=$(")]
    assert (
        before.rstrip()
        .splitlines()[-2]
        .startswith("if grep -Eq '^MEDIA_S3_BUCKET=.+' \"$ENV_FILE\"; then")
    )


BUCKET_LINES = """\
        proxy_pass https://shop-media.s3.eu-central-1.amazonaws.com/media/;
        proxy_set_header Host shop-media.s3.eu-central-1.amazonaws.com;
        limit_except GET HEAD { deny all; }
        set $args "";
"""


def rendered(extra: str = "") -> str:
    return (ROOT / "deploy/nginx/shop.conf").read_text().replace("__DOMAIN__", "shop.test") + extra


def keep_media(tmp_path, previous: str, live: str, new: str) -> tuple[str, str]:
    """Runs provision.sh's KEEP_MEDIA on the three files; what it printed, the new file."""
    paths = []
    for name, text in (("previous", previous), ("live", live), ("new", new)):
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", heredoc("KEEP_MEDIA"), *paths],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout, (tmp_path / "new").read_text()


def test_an_update_keeps_the_buckets_lines_in_the_media_location(tmp_path):
    """Drill: the README's bucket lines in the live site's /media/ location were gone after an
    update that changed deploy/nginx/shop.conf (provision.sh installed the new rendering):
    every picture 404."""
    previous = rendered()
    live = previous.replace("        alias /srv/shop/media/;\n", BUCKET_LINES, 1)
    assert live != previous
    live += "# certbot's lines elsewhere in the file # managed by Certbot\n"
    new = rendered("# a later change to the template\n")
    printed, installed = keep_media(tmp_path, previous, live, new)
    assert printed == "kept"
    assert BUCKET_LINES in installed
    assert "alias /srv/shop/media/;" not in installed
    assert installed.endswith("# a later change to the template\n")  # the rest is the new one
    assert "managed by Certbot" not in installed  # certbot puts its own lines back


def test_an_unedited_media_location_is_the_templates(tmp_path):
    previous = rendered()
    new = rendered("# a later change\n").replace("expires 7d;", "expires 30d;")
    printed, installed = keep_media(tmp_path, previous, previous, new)
    assert printed == ""
    assert installed == new


def test_an_edit_the_template_changed_too_is_reported_not_merged(tmp_path):
    previous = rendered()
    live = previous.replace("        alias /srv/shop/media/;\n", BUCKET_LINES, 1)
    new = rendered().replace("expires 7d;", "expires 30d;")
    printed, installed = keep_media(tmp_path, previous, live, new)
    assert printed == "changed"
    assert installed == new

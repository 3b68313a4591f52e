"""deploy/provision.sh: the parts of it that are Python, run here against the test database."""

import contextlib
import io
import re

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

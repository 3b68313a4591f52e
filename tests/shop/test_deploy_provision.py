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
    check = check[: check.index("\nCHECK_UNITS=")]
    assert "failed=1" in check
    before = PROVISION[: PROVISION.index("NEWEST_PICTURE=$(")]
    assert (
        before.rstrip()
        .splitlines()[-2]
        .startswith(
            "if grep -Eq '^MEDIA_S3_BUCKET=.+' \"$ENV_FILE\" && runs_here nginx.service; then"
        )
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


def between(start: str, end: str) -> str:
    """The lines of provision.sh from the one starting with START up to the one before END."""
    begin = PROVISION.index(start)
    return PROVISION[begin : PROVISION.index(end, begin)]


def run_units_section(tmp_path, disabled: set[str]) -> list[str]:
    """Runs provision.sh's "systemd units" step with a systemctl that only records its calls
    (and says "disabled" for the units in DISABLED); the systemctl calls, one a line."""
    calls = tmp_path / "systemctl.calls"
    script = "\n".join(
        [
            "set -euo pipefail",
            between("readonly SERVICES=", "readonly APT_PACKAGES="),
            "DEPLOY_DIR=/nonexistent",
            f"ENV_FILE={tmp_path / 'shop.env'}",
            "systemd-analyze() { true; }",
            "log() { :; }; note() { :; }; warn() { :; }; install_if_changed() { return 1; }",
            f'systemctl() {{ echo "$*" >>{calls}',
            "  if [[ $1 == is-enabled ]]; then",
            f'    case " {" ".join(sorted(disabled))} " in',
            '      *" $2 "*) echo disabled ;;',
            "      *) echo enabled ;;",
            "    esac",
            "  fi; }",
            between("DISABLED_UNITS=()", "# ---"),
            between("socket_changed=0", "# Pages in the Redis page cache"),
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr
    return [line for line in calls.read_text().splitlines() if not line.startswith("is-enabled")]


def test_an_update_keeps_the_units_an_app_server_disabled(tmp_path):
    """Drill: on an app server set up as README's "Beyond one server" says (worker, beat, nginx
    and the backup timer disabled), running provision.sh again, which is how an update is
    installed, enabled and started them all: a second Celery beat queued every periodic job
    twice, nginx answered on the app server, the backup dumped the shared database from
    there too."""
    disabled = {
        "shop-celery-worker.service",
        "shop-celery-beat.service",
        "shop-backup.timer",
        "shop-healthcheck.timer",
        "nginx.service",
    }
    calls = run_units_section(tmp_path, disabled)
    assert "enable shop-gunicorn.service shop-gunicorn.socket" in calls
    assert "restart shop-gunicorn.service" in calls
    for unit in disabled:
        assert not [call for call in calls if unit in call.split()], (unit, calls)


def test_a_first_install_enables_and_starts_every_unit(tmp_path):
    calls = run_units_section(tmp_path, set())
    assert (
        "enable shop-gunicorn.service shop-celery-worker.service shop-celery-beat.service"
        " shop-gunicorn.socket shop-backup.timer shop-healthcheck.timer"
    ) in calls
    assert (
        "restart shop-gunicorn.service shop-celery-worker.service shop-celery-beat.service"
    ) in calls
    assert "start shop-gunicorn.socket" in calls
    assert "start shop-backup.timer" in calls
    assert "start shop-healthcheck.timer" in calls


@pytest.mark.parametrize(
    ("listen", "asked"),
    [
        (
            "/run/shop/gunicorn.sock (Stream)",
            "--unix-socket /run/shop/gunicorn.sock http://localhost/healthz",
        ),
        ("10.0.0.11:8000 (Stream)", "--globoff http://10.0.0.11:8000/healthz"),
    ],
)
def test_the_health_check_asks_gunicorn_where_its_socket_listens(tmp_path, listen, asked):
    """Drill: on an app server whose shop-gunicorn.socket listens on a private address (the
    README's drop-in), the health check asked /run/shop/gunicorn.sock: "-> 000", and the run
    ended with "some checks failed"."""
    calls = tmp_path / "curl.calls"
    script = "\n".join(
        [
            "set -euo pipefail",
            "DOMAIN=shop.test",
            'note() { echo "$*"; }; warn() { echo "WARNING: $*"; }; runs_here() { true; }',
            f"systemctl() {{ echo '{listen}'; }}",
            f'curl() {{ echo "$*" >>{calls}; printf 200; }}',
            between("failed=0\nif runs_here shop-gunicorn.socket", "# Celery: a worker answers"),
            "echo failed=$failed",
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "failed=0"
    assert asked in calls.read_text()


@pytest.mark.parametrize(
    ("unit", "dropin"),
    [
        ("postgresql@.service", "postgresql@.service.d/shop-restart.conf"),
        ("nginx.service", "nginx.service.d/shop-restart.conf"),
    ],
)
def test_postgresql_and_nginx_restart_when_they_fail(tmp_path, unit, dropin):
    """Drill: kill -9 of PostgreSQL's postmaster on a provisioned server left
    postgresql@15-main "failed" (Debian's unit has no Restart=) and the shop answered 500 until
    it was started by hand; the shop's own units came back by themselves."""
    call = f"    restart_on_failure {unit}\n"
    assert call in PROVISION  # the script installs the drop-in for this unit
    calls = tmp_path / "systemctl.calls"
    snippet = between("restart_on_failure() {", "\n# ---") + call
    snippet = snippet.replace("/etc/systemd/system", str(tmp_path))
    script = "\n".join(
        [
            "set -euo pipefail",
            "note() { :; }",
            f'systemctl() {{ echo "$*" >>{calls}; }}',
            'install_if_changed() { if [[ -f $2 ]] && cmp -s "$1" "$2"; then return 1; fi; '
            'cp "$1" "$2"; }',
            snippet,
            snippet,  # a second run changes nothing
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr
    dropin = (tmp_path / dropin).read_text()
    assert dropin.splitlines()[1:] == ["[Service]", "Restart=on-failure", "RestartSec=5s"]
    assert calls.read_text().splitlines() == ["daemon-reload"]


def run_backup_time_zone(tmp_path, time_zone: str, known: bool) -> subprocess.CompletedProcess:
    env_file = tmp_path / "shop.env"
    env_file.write_text(f"SECRET_KEY=x\nTIME_ZONE={time_zone}\n")
    snippet = between("shop_tz=$(", "systemctl daemon-reload").replace(
        "/etc/systemd/system", str(tmp_path)
    )
    script = "\n".join(
        [
            "set -euo pipefail",
            f"ENV_FILE={env_file}",
            'note() { echo "$*"; }; warn() { echo "WARNING: $*"; }',
            f"systemd-analyze() {{ {'true' if known else 'false'}; }}",
            'install_if_changed() { if [[ -f $2 ]] && cmp -s "$1" "$2"; then return 1; fi; '
            'cp "$1" "$2"; }',
            snippet,
        ]
    )
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607


def test_the_backup_runs_at_0315_in_the_shops_time_zone(tmp_path):
    """The backup timer ran at 03:15 server time (UTC on most servers) and the nightly clean-up
    at 02:35-02:55 in the shop's TIME_ZONE: for a shop in America/New_York the backup ran at
    22:15 local time, before the clean-up it is meant to follow."""
    done = run_backup_time_zone(tmp_path, "America/New_York", known=True)
    assert done.returncode == 0, done.stderr
    dropin = tmp_path / "shop-backup.timer.d" / "shop-time-zone.conf"
    lines = dropin.read_text().splitlines()
    assert lines[1:] == ["[Timer]", "OnCalendar=", "OnCalendar=*-*-* 03:15:00 America/New_York"]
    assert "03:15 America/New_York" in done.stdout
    again = run_backup_time_zone(tmp_path, "America/New_York", known=True)
    assert "03:15" not in again.stdout  # unchanged: nothing to say


def test_a_time_zone_systemd_does_not_know_keeps_server_time_and_says_so(tmp_path):
    done = run_backup_time_zone(tmp_path, "Mars/Olympus", known=False)
    assert done.returncode == 0, done.stderr
    assert "WARNING: TIME_ZONE 'Mars/Olympus'" in done.stdout
    assert not (tmp_path / "shop-backup.timer.d").exists()


@pytest.mark.parametrize(
    ("mounted", "writable", "expect"),
    [
        (False, True, "install -d -m 0755 -o shop -g shop /srv/shop/media"),
        (True, True, ""),
        (True, False, "WARNING: /srv/shop/media is mounted but user shop cannot write to it"),
    ],
)
def test_a_mounted_media_export_is_left_to_its_file_server(tmp_path, mounted, writable, expect):
    """Drill: with the README's NFS media export (root_squash), provision.sh's chown of the
    mounted /srv/shop/media as root is refused by the file server, which stopped the run."""
    script = "\n".join(
        [
            "set -euo pipefail",
            "SHOP_USER=shop; SHOP_HOME=/srv/shop; APP_DIR=/srv/shop/app",
            "MEDIA_DIR=/srv/shop/media",
            'install() { echo "install $*"; }; warn() { echo "WARNING: $*"; }',
            "id() { echo 999; }",
            f"mountpoint() {{ {'true' if mounted else 'false'}; }}",
            f"as_shop() {{ {'true' if writable else 'false'}; }}",
            between(
                'install -d -m 0755 -o "$SHOP_USER" -g "$SHOP_USER" "$SHOP_HOME"',
                "install -d -m 0750",
            ),
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "install -d -m 0755 -o shop -g shop /srv/shop /srv/shop/app"
    assert "\n".join(lines[1:]).startswith(expect)
    if mounted:
        assert "/srv/shop/media" not in " ".join(
            line for line in lines if line.startswith("install")
        )


def test_nginx_logs_are_not_readable_by_every_user(tmp_path):
    """Drill: the access log (client addresses) was 0644 until logrotate's first night made the
    next one 0640 www-data:adm. A new file is made that way, and an older 0644 one corrected."""
    calls = tmp_path / "chown.calls"
    older = tmp_path / "shop.error.log"
    older.write_text("an earlier day\n")
    older.chmod(0o644)
    rotated = tmp_path / "shop.access.log.2.gz"
    rotated.write_bytes(b"older days")
    rotated.chmod(0o644)
    snippet = between("for log_file in /var/log/nginx/", "# Debian's own default site")
    snippet = snippet.replace("/var/log/nginx", str(tmp_path))
    script = f'set -euo pipefail\nchown() {{ echo "$*" >>{calls}; }}\n{snippet}'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr
    for name in ("shop.access.log", "shop.error.log"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
        assert f"www-data:adm {tmp_path / name}" in calls.read_text()
    assert older.read_text() == "an earlier day\n"  # kept, only its mode changed
    assert rotated.stat().st_mode & 0o777 == 0o640
    assert PROVISION.index("for log_file in /var/log/nginx/") < PROVISION.index("if ! nginx -t")


def test_an_existing_settings_file_keeps_its_order_numbers_prefix(tmp_path):
    """Order numbers take the shop name's initials unless SHOP_ORDER_PREFIX is set: a shop
    that had sold with MP-... numbers would have switched prefix at its next update."""
    env_file = tmp_path / "shop.env"
    env_file.write_text('SECRET_KEY=x\nSHOP_NAME="Alpenglow Tea & Trail"\n')
    snippet = between("    if ! grep -Eq '^SHOP_ORDER_PREFIX='", "else\n    SECRET_KEY=")
    script = "\n".join(
        ["set -euo pipefail", f"ENV_FILE={env_file}", 'note() { echo "$*"; }', snippet]
    )

    def run():
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607

    done = run()
    assert done.returncode == 0, done.stderr
    assert "added SHOP_ORDER_PREFIX=MP" in done.stdout
    assert env_file.read_text().splitlines()[-1] == "SHOP_ORDER_PREFIX=MP"
    again = run()
    assert again.stdout == ""
    assert env_file.read_text().count("SHOP_ORDER_PREFIX") == 1
    template = (ROOT / "deploy/shop.env.template").read_text()
    assert "\nSHOP_ORDER_PREFIX=\n" in template  # a new shop: its own initials


def run_backup_section(
    tmp_path, *, applied: bool, backup_works: bool = True, skip: bool = False, manage_fails=False
):
    """Runs provision.sh's "Backup before the update" step with a shop-manage whose
    showmigrations says whether anything is applied and a systemctl that records its calls
    (its backup writes a dump, or fails); (exit status, systemctl calls, output)."""
    calls, backups = tmp_path / "systemctl.calls", tmp_path / "backups"
    backups.mkdir()
    (backups / "db-20261204-0315.dump").write_text("last night")
    manage = tmp_path / "shop-manage"
    manage.write_text(
        "#!/bin/bash\necho 'django.db.utils.OperationalError: connection refused'; exit 1\n"
        if manage_fails
        else f"#!/bin/bash\necho '[{'X' if applied else ' '}]  accounts.0001_initial'\n"
    )
    manage.chmod(0o755)
    unit = tmp_path / "shop-backup.service"
    unit.write_text("[Service]\n")
    section = between('log "Backup before the update"', 'log "Code: $APP_DIR"')
    section = section.replace("/usr/local/bin/shop-manage", str(manage)).replace(
        "/etc/systemd/system/shop-backup.service", str(unit)
    )
    backup = f"touch {backups}/db-20261205-1002.dump" if backup_works else "false"
    script = "\n".join(
        [
            "set -euo pipefail",
            f"VAR_DIR={tmp_path} BACKUP_DIR={backups} SKIP_BACKUP={int(skip)} APP_DIR={tmp_path}",
            'log() { :; }; note() { echo "$*"; }; warn() { echo "WARNING: $*"; }',
            'die() { echo "ERROR: $*"; exit 1; }',
            "release_of() { echo 4a7ec0cf1c52; }",
            f'systemctl() {{ echo "$*" >>{calls}; {backup}; }}',
            section,
            'echo "backup_before=$backup_before"',
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)  # noqa: S603, S607
    called = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, called, done.stdout + done.stderr


def test_an_update_dumps_the_database_before_the_new_code_touches_it(tmp_path):
    """The update copied the code and ran the release's migrations on the only copy of the
    data: going back meant last night's dump, and losing the day's orders."""
    status, calls, out = run_backup_section(tmp_path, applied=True)
    assert status == 0, out
    assert calls == ["start shop-backup.service"]
    assert f"backup_before={tmp_path}/backups/db-20261205-1002.dump" in out
    # and that comes before the code is copied or anything migrated
    assert PROVISION.index('log "Backup before the update"') < PROVISION.index(
        'log "Code: $APP_DIR"'
    )


def test_an_update_whose_backup_fails_stops_before_changing_anything(tmp_path):
    status, calls, out = run_backup_section(tmp_path, applied=True, backup_works=False)
    assert status == 1
    assert "ERROR: the backup before the update failed" in out
    assert "SKIP_BACKUP=1" in out


def test_an_update_that_cannot_read_the_database_stops_before_changing_anything(tmp_path):
    """A database that does not answer is not "nothing installed": no dump, then migrations."""
    status, calls, out = run_backup_section(tmp_path, applied=True, manage_fails=True)
    assert status == 1
    assert calls == []
    assert "ERROR: cannot tell whether the database holds data" in out
    assert "connection refused" in out


def test_a_first_install_takes_no_dump(tmp_path):
    status, calls, out = run_backup_section(tmp_path, applied=False)
    assert (status, calls) == (0, [])
    assert "backup_before=none" in out


def test_skip_backup_updates_without_a_dump_and_says_so(tmp_path):
    status, calls, out = run_backup_section(tmp_path, applied=True, skip=True)
    assert (status, calls) == (0, [])
    assert "WARNING: SKIP_BACKUP=1" in out

"""deploy/backup.sh, run here with stand-ins for pg_dump and pg_restore."""

import os
import subprocess

from tests.shop.test_settings import ROOT

BACKUP = ROOT / "deploy/backup.sh"


def run_backup(tmp_path, pg_dump: str = "", **settings: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    # pg_dump writes the database it was given into its --file=...; pg_restore --list reads it
    (bin_dir / "pg_dump").write_text(
        pg_dump
        or "#!/bin/sh\nfor a; do case $a in --dbname=*) db=${a#--dbname=};; esac; done\n"
        'for a; do case $a in --file=*) echo "$db" >"${a#--file=}";; esac; done\n'
    )
    (bin_dir / "pg_restore").write_text("#!/bin/sh\nexit 0\n")
    for tool in ("pg_dump", "pg_restore"):
        (bin_dir / tool).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DATABASE_URL": "postgres://shop@/shop",
        "BACKUP_DIR": str(tmp_path / "backups"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        **settings,
    }
    return subprocess.run(  # noqa: S603
        ["/bin/bash", str(BACKUP)], env=env, capture_output=True, text=True, check=False
    )


def files(path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_media_are_mirrored(tmp_path):
    (tmp_path / "media/products/1").mkdir(parents=True)
    (tmp_path / "media/products/1/lantern.png").write_bytes(b"png")
    done = run_backup(tmp_path)
    assert done.returncode == 0, done.stderr
    assert files(tmp_path / "backups/media") == ["products/1/lantern.png"]
    assert len(list((tmp_path / "backups").glob("db-*.dump"))) == 1


def test_an_empty_media_folder_does_not_empty_the_copy(tmp_path):
    """Drill: restoring onto a new server as the README said, its safety backup ran before the
    media were back: the empty /srv/shop/media was mirrored over the old server's copy in
    backups/media/, every picture moved to media-changed/ (deleted after 14 days). The same
    happens every night on a host whose media share is not mounted."""
    (tmp_path / "media").mkdir()
    (tmp_path / "backups/media/products/1").mkdir(parents=True)
    (tmp_path / "backups/media/products/1/lantern.png").write_bytes(b"png")
    done = run_backup(tmp_path)
    assert done.returncode == 1
    assert "is empty" in done.stderr
    assert files(tmp_path / "backups/media") == ["products/1/lantern.png"]
    assert files(tmp_path / "backups/media-changed") == []
    assert len(list((tmp_path / "backups").glob("db-*.dump"))) == 1  # the database still is


def test_a_new_shop_without_uploads_backs_up(tmp_path):
    (tmp_path / "media").mkdir()
    done = run_backup(tmp_path)
    assert done.returncode == 0, done.stderr
    assert files(tmp_path / "backups/media") == []


def test_the_dump_can_come_from_a_replica(tmp_path):
    """The README said to run backup.sh's pg_dump against the streaming replica, but backup.sh
    dumped DATABASE_URL only, which the Celery worker on the same host needs to be the
    primary: there was no way to do it."""
    (tmp_path / "media").mkdir()
    replica = "postgres://shop:secret@db2.internal:5432/shop"
    done = run_backup(tmp_path, BACKUP_DATABASE_URL=replica)
    assert done.returncode == 0, done.stderr
    (dump,) = (tmp_path / "backups").glob("db-*.dump")
    assert dump.read_text() == replica + "\n"


def test_without_a_replica_the_shops_database_is_dumped(tmp_path):
    (tmp_path / "media").mkdir()
    done = run_backup(tmp_path)
    assert done.returncode == 0, done.stderr
    (dump,) = (tmp_path / "backups").glob("db-*.dump")
    assert dump.read_text() == "postgres://shop@/shop\n"


FAILING_PG_DUMP = (
    '#!/bin/sh\nfor a; do case $a in --file=*) head -c 4096 /dev/zero >"${a#--file=}";; esac; '
    "done\necho 'pg_dump: error: could not write: No space left on device' >&2\nexit 1\n"
)


def test_a_dump_that_fails_half_way_leaves_no_partial_file_and_says_how_much_space_is_left(
    tmp_path,
):
    """A disk too full for a whole dump: pg_dump wrote what fitted into db-….dump.partial and
    failed, and the partial file stayed (only a successful run rotates), holding the last free
    bytes the shop needed to take orders."""
    (tmp_path / "media").mkdir()
    (tmp_path / "backups").mkdir()
    last_night = tmp_path / "backups/db-20261204-0315.dump"
    last_night.write_text("yesterday")

    done = run_backup(tmp_path, pg_dump=FAILING_PG_DUMP)

    assert done.returncode != 0
    assert "No space left on device" in done.stderr
    assert "free space in" in done.stderr
    assert not list((tmp_path / "backups").glob("*.partial"))
    assert list((tmp_path / "backups").glob("db-*")) == [last_night]  # kept

#!/usr/bin/env bash
# backup.sh: back up the shop's database and uploaded media on this host.
#
# Run nightly as user shop by shop-backup.service (started by shop-backup.timer). It dumps
# BACKUP_DATABASE_URL (e.g. a streaming replica) if set, else DATABASE_URL. By hand:
#   sudo systemctl start shop-backup.service        (preferred: same user and sandbox)
#   sudo -u shop bash /srv/shop/app/deploy/backup.sh
#
# What it writes, under BACKUP_DIR (default /srv/shop/backups, mode 0700, owner shop):
#   db-YYYYmmdd-HHMM.dump         pg_dump custom format (restore with pg_restore, see README)
#   media/                        a mirror of MEDIA_ROOT as of the last run
#   media-changed/YYYYmmdd-HHMM/  files that run deleted from or overwrote in media/
#   shop.env                      a copy of /etc/shop/shop.env (it holds the secrets)
# Dumps and media-changed/ folders older than BACKUP_KEEP_DAYS (default 14) are deleted.
#
# These copies are on the same disk as the shop: copy BACKUP_DIR off the host as well (README).
set -euo pipefail
umask 077

ENV_FILE=/etc/shop/shop.env
# Under systemd the variables come from EnvironmentFile=; by hand, read the file.
if [[ -z ${DATABASE_URL:-} && -r $ENV_FILE ]]; then
    set -a
    # shellcheck source=/dev/null
    . "$ENV_FILE"
    set +a
fi

BACKUP_DIR=${BACKUP_DIR:-/srv/shop/backups}
MEDIA_DIR=${MEDIA_ROOT:-/srv/shop/media}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
# The database to dump: BACKUP_DATABASE_URL where it is set (a streaming replica, to keep the
# load off the primary: README.md "Beyond one server"), else the shop's own DATABASE_URL.
DB_URL=${BACKUP_DATABASE_URL:-${DATABASE_URL:-postgres://shop@/shop}}

log() { printf 'backup: %s\n' "$*"; }
die() { printf 'backup: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $KEEP_DAYS =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP_DAYS must be a whole number of days"

# libpq understands postgres:// and postgresql:// URLs; django-environ's other names for
# PostgreSQL mean the same thing.
case $DB_URL in
    postgres://* | postgresql://*) ;;
    psql://* | pgsql://* | postgis://*) DB_URL=postgresql://${DB_URL#*://} ;;
    *) die "DATABASE_URL (or BACKUP_DATABASE_URL) is not a PostgreSQL URL; nothing to dump" ;;
esac

mkdir -p "$BACKUP_DIR"
# One run per minute at most: a second run in the same minute (e.g. README's safety copy right
# after a backup taken before an update) would replace that dump with the current state.
stamp=$(date +%Y%m%d-%H%M)
while [[ -e $BACKUP_DIR/db-$stamp.dump || -e $BACKUP_DIR/media-changed/$stamp ]]; do
    log "a backup of $stamp exists already; waiting for the next minute"
    sleep 10
    stamp=$(date +%Y%m%d-%H%M)
done
cutoff=$(date -d "$KEEP_DAYS days ago" +%Y%m%d-%H%M)

# 1. Database. Written under a temporary name and checked before it takes its real name, so a
#    db-*.dump file is always a complete, readable archive. A run that fails deletes its
#    partial dump: on a disk too full for a whole one it filled the last free bytes and kept
#    them (only a successful run rotates), night after night, and says how much space is left.
dump=$BACKUP_DIR/db-$stamp.dump
on_exit() {
    local status=$?
    rm -f -- "$dump.partial"
    if ((status != 0)); then
        printf 'backup: free space in %s: %s\n' "$BACKUP_DIR" \
            "$(df -h --output=avail "$BACKUP_DIR" 2>/dev/null | tail -n 1 | tr -d ' ')" >&2
    fi
}
trap on_exit EXIT
pg_dump --format=custom --no-password --dbname="$DB_URL" --file="$dump.partial"
pg_restore --list "$dump.partial" >/dev/null
mv -f "$dump.partial" "$dump"
log "database: $dump ($(du -h "$dump" | cut -f1))"

# 2. Media. A mirror; what this run deletes or replaces in it is kept in media-changed/.
media_failed=0
if [[ -n ${MEDIA_S3_BUCKET:-} ]]; then
    # The bucket keeps the uploads: its versioning (deploy/README.md) is their backup.
    log "media: in the bucket $MEDIA_S3_BUCKET, not on this host; skipped"
elif [[ -d $MEDIA_DIR ]]; then
    mkdir -p "$BACKUP_DIR/media" "$BACKUP_DIR/media-changed"
    if [[ -z $(find "$MEDIA_DIR" -type f -print -quit) ]] \
        && [[ -n $(find "$BACKUP_DIR/media" -type f -print -quit) ]]; then
        # No uploads at all, but the last copy has some: a share that is not mounted, or a new
        # server whose media are not restored yet (README.md "A whole new server"). Mirroring
        # would move every picture out of media/ into media-changed/, deleted after KEEP_DAYS.
        log "media: ERROR: $MEDIA_DIR is empty, $BACKUP_DIR/media/ is not: not mirrored, the copy
is kept (a share not mounted? media not restored yet? If the shop really has no uploads any more,
delete $BACKUP_DIR/media/ by hand)" >&2
        media_failed=1
    else
        rsync -a --delete --backup --backup-dir="$BACKUP_DIR/media-changed/$stamp" \
            "$MEDIA_DIR/" "$BACKUP_DIR/media/"
        log "media: $MEDIA_DIR/ -> $BACKUP_DIR/media/ ($(du -sh "$BACKUP_DIR/media" | cut -f1))"
    fi
else
    log "media: $MEDIA_DIR does not exist; skipped"
fi

# 2b. The settings (SECRET_KEY, mail and database credentials): what a rebuilt server needs
#     besides the data. Readable by shop already; kept with the same care as the dumps.
if [[ -r $ENV_FILE ]]; then
    cp "$ENV_FILE" "$BACKUP_DIR/shop.env.partial"
    mv -f "$BACKUP_DIR/shop.env.partial" "$BACKUP_DIR/shop.env"
    log "settings: $ENV_FILE -> $BACKUP_DIR/shop.env"
fi

# 3. Rotation, by the time stamp in the name (not the file's mtime, which a copy can change).
shopt -s nullglob
for path in "$BACKUP_DIR"/db-*.dump "$BACKUP_DIR"/db-*.dump.partial "$BACKUP_DIR"/media-changed/*/; do
    name=${path%/}
    name=${name##*/}
    name=${name#db-}
    name=${name%.partial}
    name=${name%.dump}
    [[ $name =~ ^[0-9]{8}-[0-9]{4}$ ]] || continue
    if [[ $name < $cutoff ]]; then
        rm -rf -- "${path%/}"
        log "deleted ${path%/} (older than $KEEP_DAYS days)"
    fi
done

count=("$BACKUP_DIR"/db-*.dump)
log "done: ${#count[@]} database dumps kept in $BACKUP_DIR"
((media_failed == 0)) || die "the media were not copied (above)"

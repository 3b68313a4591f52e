#!/usr/bin/env bash
# provision.sh: set up, or update, the shop on one Debian 12 / Ubuntu 24.04 server.
#
#   sudo deploy/provision.sh DOMAIN ADMIN_EMAIL
#   sudo deploy/provision.sh shop.example.com admin@shop.example.com
#
# Run it as root from inside a checkout of the shop; the checkout is copied to /srv/shop/app.
# It is safe to run again (that is also how an update is installed, see README.md): every step
# looks at what is there first, and /etc/shop/shop.env is only ever created, never overwritten.
#
# Options, as environment variables (sudo env SKIP_TLS=1 deploy/provision.sh ...):
#   SKIP_TLS=1     do not run certbot (it is also skipped when DOMAIN is an IP address)
#   SKIP_UFW=1     leave the firewall alone
#   SKIP_BACKUP=1  an update without the database dump taken before it (README.md "Updating")
#   SHOP_NAME=...  shop name for a new /etc/shop/shop.env (default: Meadow & Pine)
#   TIME_ZONE=...  time zone for a new /etc/shop/shop.env (default: Europe/Berlin)
#   PYTHON=...     interpreter for the virtualenv (default: a system Python that satisfies
#                  requires-python in pyproject.toml; on Ubuntu 24.04, python3.11 from the
#                  deadsnakes PPA, since its own python3 is 3.12)
set -euo pipefail

readonly SHOP_USER=shop
readonly SHOP_HOME=/srv/shop
readonly APP_DIR=$SHOP_HOME/app
readonly VENV_DIR=$SHOP_HOME/venv
readonly MEDIA_DIR=$SHOP_HOME/media
readonly VAR_DIR=$SHOP_HOME/var
readonly BACKUP_DIR=$SHOP_HOME/backups
readonly ENV_DIR=/etc/shop
readonly ENV_FILE=$ENV_DIR/shop.env
readonly NGINX_SITE=/etc/nginx/sites-available/shop.conf
# The last rendering of deploy/nginx/shop.conf that was installed. certbot edits the installed
# file, so the live file is replaced only when the template itself changed.
readonly NGINX_RENDERED=$ENV_DIR/nginx-shop.conf.rendered
readonly SERVICES=(shop-gunicorn.service shop-celery-worker.service shop-celery-beat.service)
readonly UNIT_FILES=(
    shop-gunicorn.socket shop-gunicorn.service
    shop-celery-worker.service shop-celery-beat.service
    shop-backup.service shop-backup.timer
    shop-healthcheck.service shop-healthcheck.timer
)
readonly APT_PACKAGES=(
    nginx postgresql redis-server
    python3-venv python3-dev build-essential libpq-dev
    certbot python3-certbot-nginx ufw rsync git curl ca-certificates
    logrotate # keeps nginx's logs 14 days, as the privacy page says (minimal images lack it)
    tzdata    # the time zones for TIME_ZONE (Ubuntu's minimal and container images lack it)
)

log() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
    echo "usage: sudo $0 DOMAIN ADMIN_EMAIL   (e.g. shop.example.com admin@shop.example.com)" >&2
    exit 2
}

# Escape a string for the replacement side of sed s|...|...|.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# Run a command as user shop with a clean environment, from a directory it can read.
as_shop() {
    (cd / && runuser -u "$SHOP_USER" -- env -i \
        HOME="$SHOP_HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@")
}

# The commit checked out in a copy of the code ("" when it is none).
release_of() {
    [[ -e $1/.git ]] || return 0
    as_shop git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || true
}

# psql as the postgres superuser; prints bare values.
psql_admin() { (cd / && runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"); }

# The units of the local PostgreSQL clusters: postgresql@15-main on Debian 12, postgresql@16-main on
# Ubuntu 24.04. postgresql.service is only their wrapper: it shows "active" even when no cluster
# runs, and its journal holds none of their errors.
pg_cluster_units() { pg_lsclusters -h 2>/dev/null | awk '{ print "postgresql@" $1 "-" $2 ".service" }'; }
pg_down() {
    local units
    units=$(pg_cluster_units | paste -sd ' ')
    die "$1: $(pg_lsclusters 2>&1 | tail -n +2 | tr -s ' ' | paste -sd ';')
See: sudo journalctl -u ${units:-postgresql} -n 50"
}

# Install SRC as DEST (root-owned, given mode) when the content differs; true if it changed.
install_if_changed() {
    local src=$1 dest=$2 mode=$3
    if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
        return 1
    fi
    install -m "$mode" -o root -g root "$src" "$dest"
    return 0
}

# A drop-in that restarts UNIT when it fails, for units that come without Restart= (Debian's
# postgresql@ and nginx); daemon-reload only when it changed.
restart_on_failure() {
    local unit=$1 dropin
    dropin=$(mktemp)
    printf '%s\n' "# Written by the shop's deploy/provision.sh." '[Service]' \
        'Restart=on-failure' 'RestartSec=5s' >"$dropin"
    install -d -m 0755 "/etc/systemd/system/$unit.d"
    if install_if_changed "$dropin" "/etc/systemd/system/$unit.d/shop-restart.conf" 0644; then
        systemctl daemon-reload
        note "$unit restarts when it fails ($unit.d/shop-restart.conf)"
    fi
    rm -f "$dropin"
}

# ------------------------------------------------------------------------------------------------
# Arguments and checks
# ------------------------------------------------------------------------------------------------
[[ $# -eq 2 ]] || usage
DOMAIN=${1,,}
EMAIL=$2
SHOP_NAME=${SHOP_NAME:-Meadow & Pine}
TIME_ZONE=${TIME_ZONE:-Europe/Berlin}
SKIP_TLS=${SKIP_TLS:-0}
SKIP_UFW=${SKIP_UFW:-0}
SKIP_BACKUP=${SKIP_BACKUP:-0}

[[ $(id -u) -eq 0 ]] || die "run as root: sudo $0 $*"
[[ -d /run/systemd/system ]] || die "systemd is not running here; this script needs it"
[[ $DOMAIN =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] \
    || die "DOMAIN must be a host name such as shop.example.com or an IPv4 address: '$1'"
[[ $EMAIL =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$ ]] \
    || die "ADMIN_EMAIL does not look like an e-mail address: '$EMAIL'"
[[ $SHOP_NAME != *[\"\$\`\\]* ]] || die "SHOP_NAME may not contain a double quote, \$, backquote or backslash"
[[ $TIME_ZONE =~ ^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$ ]] || die "unknown TIME_ZONE: '$TIME_ZONE'"

IS_IP=0
if [[ $DOMAIN =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    IS_IP=1
fi
WANT_TLS=1
if [[ $SKIP_TLS == 1 || $IS_IP == 1 ]]; then
    WANT_TLS=0
fi

# The checkout this script belongs to.
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRC_DIR=$(dirname "$DEPLOY_DIR")
[[ -f $SRC_DIR/manage.py && -f $SRC_DIR/shop/settings.py && -f $SRC_DIR/pyproject.toml ]] \
    || die "$SRC_DIR is not a checkout of the shop (no manage.py, shop/settings.py, pyproject.toml)"

if [[ -r /etc/os-release ]]; then
    # shellcheck source=/dev/null
    . /etc/os-release
fi
case "${ID:-}-${VERSION_ID:-}" in
    debian-12 | ubuntu-24.04) ;;
    *) warn "made for Debian 12 and Ubuntu 24.04; this is ${PRETTY_NAME:-an unknown system}" ;;
esac

# Units that an earlier run set up and the operator has disabled since: on a host of a split
# installation (README.md "Beyond one server") an app server runs gunicorn only, exactly one host
# runs Celery beat and the backup timer, PostgreSQL and Redis run elsewhere. This run (an update)
# does not enable, start or restart them, and skips their set-up: it must not start a second
# beat, a public nginx on an app server or a local database nobody uses. A first install finds
# none of them disabled (the shop's units are not installed yet; the packages enable their own).
DISABLED_UNITS=()
for unit in postgresql.service redis-server.service nginx.service shop-gunicorn.socket \
    "${SERVICES[@]}" shop-backup.timer shop-healthcheck.timer; do
    if [[ $(systemctl is-enabled "$unit" 2>/dev/null) == disabled ]]; then
        DISABLED_UNITS+=("$unit")
    fi
done
# runs_here UNIT: false for a unit in DISABLED_UNITS.
runs_here() { [[ " ${DISABLED_UNITS[*]} " != *" $1 "* ]]; }
if ((${#DISABLED_UNITS[@]} > 0)); then
    note "disabled on this host, left alone: ${DISABLED_UNITS[*]}"
fi

# ------------------------------------------------------------------------------------------------
log "Packages"
# ------------------------------------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
# DEBIAN_FRONTEND quiets debconf only: dpkg still asks about a changed configuration file
# (redis.conf, which this script edits, when an update brings a new one; a cli.ini written
# before certbot was installed) and fails on "end of file on stdin". Keep the local file.
APT_INSTALL=(apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
apt-get update -q
"${APT_INSTALL[@]}" --no-install-recommends "${APT_PACKAGES[@]}"
[[ -f /usr/share/zoneinfo/$TIME_ZONE ]] || die "unknown TIME_ZONE: '$TIME_ZONE' (not in /usr/share/zoneinfo)"

# ------------------------------------------------------------------------------------------------
log "Python"
# ------------------------------------------------------------------------------------------------
# py_check PYPROJECT [X.Y.Z]: with a version, exit 0 if requires-python admits it; without,
# print the newest X.Y from 3.9 to 3.14 that it admits.
PY_CHECK=$(
    cat <<'PYEOF'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    spec = tomllib.load(f).get("project", {}).get("requires-python", "")
def pad(parts):
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))
def ok(v):
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        m = re.fullmatch(r"(~=|==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?", clause)
        if not m:
            continue
        op, parts, star = m.group(1), m.group(2).split("."), m.group(3)
        w = pad(parts)
        if star:
            same = v[: len(parts)] == w[: len(parts)]
            if (op == "==" and not same) or (op == "!=" and same):
                return False
            continue
        if op == "~=" and not (v >= w and v[: len(parts) - 1] == w[: len(parts) - 1]):
            return False
        if (op == ">=" and v < w) or (op == ">" and v <= w) or (op == "<" and v >= w):
            return False
        if (op == "<=" and v > w) or (op == "==" and v != w) or (op == "!=" and v == w):
            return False
    return True
if len(sys.argv) > 2:
    sys.exit(0 if ok(pad(sys.argv[2].split("."))) else 1)
fits = [m for m in range(9, 15) if ok((3, m, 50))]
print(f"3.{fits[-1]}" if fits else "")
PYEOF
)
py_version() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'; }
py_fits() {
    local v
    v=$(py_version "$1" 2>/dev/null) || return 1
    /usr/bin/python3 -c "$PY_CHECK" "$SRC_DIR/pyproject.toml" "$v"
}

if [[ -n ${PYTHON:-} ]]; then
    PYTHON=$(command -v "$PYTHON") || die "PYTHON=$PYTHON not found"
    py_fits "$PYTHON" || warn "$PYTHON ($(py_version "$PYTHON")) does not satisfy requires-python"
else
    WANT_PY=$(/usr/bin/python3 -c "$PY_CHECK" "$SRC_DIR/pyproject.toml")
    [[ -n $WANT_PY ]] || die "cannot read requires-python from $SRC_DIR/pyproject.toml"
    for candidate in /usr/bin/python3 "/usr/bin/python$WANT_PY"; do
        if [[ -x $candidate ]] && py_fits "$candidate"; then
            PYTHON=$candidate
            break
        fi
    done
    if [[ -z ${PYTHON:-} && ${ID:-} == ubuntu ]]; then
        note "the shop needs Python $WANT_PY; installing it from the deadsnakes PPA"
        if ! {
            "${APT_INSTALL[@]}" software-properties-common \
                && add-apt-repository -y ppa:deadsnakes/ppa \
                && apt-get update -q \
                && "${APT_INSTALL[@]}" "python$WANT_PY" "python$WANT_PY-venv" "python$WANT_PY-dev"
        }; then
            die "could not install Python $WANT_PY from the deadsnakes PPA (above; it needs
api.launchpad.net and ppa.launchpadcontent.net). Install a Python $WANT_PY with its venv, ssl and
sqlite3 modules another way, then run again with PYTHON=/path/to/python$WANT_PY"
        fi
        PYTHON=/usr/bin/python$WANT_PY
    fi
    [[ -n ${PYTHON:-} ]] \
        || die "no Python $WANT_PY here (pyproject.toml requires it); install one, then PYTHON=/path/to/python$WANT_PY"
fi
note "using $PYTHON ($(py_version "$PYTHON"))"
# What making the virtualenv and pip need (a hand-built or copied interpreter may lack them).
"$PYTHON" -c 'import ensurepip, ssl, venv, zlib' \
    || die "$PYTHON cannot make a virtualenv or reach PyPI (above: ensurepip, ssl, venv or zlib missing)"

# ------------------------------------------------------------------------------------------------
log "User $SHOP_USER and directories"
# ------------------------------------------------------------------------------------------------
if ! id -u "$SHOP_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$SHOP_HOME" --create-home \
        --shell /usr/sbin/nologin --comment "web shop" "$SHOP_USER"
    note "created system user $SHOP_USER"
fi
# nginx (www-data) must reach app/staticfiles and media; the backups and var stay private.
install -d -m 0755 -o "$SHOP_USER" -g "$SHOP_USER" "$SHOP_HOME" "$APP_DIR"
if mountpoint -q "$MEDIA_DIR"; then
    # A shared export (README.md "Beyond one server"): its owner is the file server's to set;
    # with root_squash, root's chown here is refused and would stop this script.
    as_shop test -w "$MEDIA_DIR" \
        || warn "$MEDIA_DIR is mounted but user $SHOP_USER cannot write to it: uploads will fail.
Give the export to the uid and gid of $SHOP_USER here ($(id -u "$SHOP_USER"):$(id -g "$SHOP_USER")) on the file server."
else
    install -d -m 0755 -o "$SHOP_USER" -g "$SHOP_USER" "$MEDIA_DIR"
fi
install -d -m 0750 -o "$SHOP_USER" -g "$SHOP_USER" "$VAR_DIR"
install -d -m 0700 -o "$SHOP_USER" -g "$SHOP_USER" "$BACKUP_DIR"
install -d -m 0750 -o root -g "$SHOP_USER" "$ENV_DIR"

# ------------------------------------------------------------------------------------------------
log "PostgreSQL"
# ------------------------------------------------------------------------------------------------
if ! runs_here postgresql.service; then
    note "postgresql is disabled here: the database is elsewhere (DATABASE_URL); skipped"
else
    systemctl enable --now postgresql
    # Debian's cluster units (postgresql@15-main) have no Restart=: a postmaster that was killed
    # (the OOM killer, a crash) stayed down and every page answered 500 until someone started
    # it by hand. After a crash PostgreSQL recovers from its WAL on start.
    restart_on_failure postgresql@.service
    for _ in $(seq 30); do
        pg_isready -q && break
        sleep 1
    done
    pg_isready -q || pg_down "PostgreSQL does not accept connections"
    pg_server=$(psql_admin -c 'SHOW server_version_num')
    ((pg_server >= 150000)) || warn "PostgreSQL $pg_server is older than 15"
    # Debian's defaults (shared_buffers 128 MB, random_page_cost 4) suit a spinning disk and a tiny
    # database: with 100,000 products (~400 MB) most page reads missed PostgreSQL's own cache and
    # a common search word was answered by a full scan instead of its GIN index. Sized from this
    # machine's memory; the file is ours, rewritten on every run (edit the values here).
    # The machine's memory, or the container's limit where that is smaller (a container VPS whose
    # /proc/meminfo shows the host's memory would get a shared_buffers it cannot have).
    mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    for limit_file in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
        limit=$(cat "$limit_file" 2>/dev/null || true)
        if [[ $limit =~ ^[0-9]+$ ]] && ((limit / 1024 < mem_kb)); then
            mem_kb=$((limit / 1024))
        fi
    done
    mem_mb=$((mem_kb / 1024))
    shared_mb=$((mem_mb / 4 > 8192 ? 8192 : mem_mb / 4))
    cache_mb=$((mem_mb / 2))
    pg_conf_dir=$(psql_admin -c 'SHOW config_file' | xargs dirname)/conf.d
    install -d -m 0755 "$pg_conf_dir"
    pg_tuning="# Written by the shop's deploy/provision.sh; rewritten on every run.
shared_buffers = ${shared_mb}MB
effective_cache_size = ${cache_mb}MB
work_mem = 16MB
maintenance_work_mem = 256MB
random_page_cost = 1.1
effective_io_concurrency = 200
jit = off"
    if [[ ! -f "$pg_conf_dir/shop-tuning.conf" ]] || [[ $(cat "$pg_conf_dir/shop-tuning.conf") != "$pg_tuning" ]]; then
        printf '%s\n' "$pg_tuning" >"$pg_conf_dir/shop-tuning.conf"
        systemctl restart postgresql # shared_buffers needs a restart
        for _ in $(seq 30); do
            pg_isready -q && break
            sleep 1
        done
        pg_isready -q || pg_down "PostgreSQL did not come back after tuning"
        note "PostgreSQL tuned: shared_buffers ${shared_mb}MB, effective_cache_size ${cache_mb}MB"
    fi
    if [[ $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$SHOP_USER'") != 1 ]]; then
        # No password: the Unix user shop logs in as role shop over the socket (peer authentication,
        # the "local all all peer" line of Debian's pg_hba.conf).
        psql_admin -c "CREATE ROLE $SHOP_USER LOGIN"
        note "created role $SHOP_USER"
    fi
    if [[ $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$SHOP_USER'") != 1 ]]; then
        psql_admin -c "CREATE DATABASE $SHOP_USER OWNER $SHOP_USER ENCODING 'UTF8' TEMPLATE template0"
        note "created database $SHOP_USER"
    fi
fi

# ------------------------------------------------------------------------------------------------
log "Redis"
# ------------------------------------------------------------------------------------------------
# Only a cache and a Celery broker: loopback only, nothing written to disk. When memory runs
# out, only keys with an expiry (cache entries) are evicted, never the task queue.
if ! runs_here redis-server.service; then
    note "redis-server is disabled here: Redis is elsewhere (REDIS_URL); skipped"
else
    REDIS_CONF=/etc/redis/redis.conf
    [[ -f $REDIS_CONF ]] || die "$REDIS_CONF not found"
    redis_before=$(sha256sum "$REDIS_CONF")
    sed -i -E \
        -e '/^[[:space:]]*(bind|save|appendonly|maxmemory|maxmemory-policy)([[:space:]]|$)/d' \
        -e '/^# shop: /d' \
        "$REDIS_CONF"
    cat >>"$REDIS_CONF" <<'EOF'
# shop: the lines below are set by deploy/provision.sh, which removes other bind/save/appendonly/maxmemory lines
bind 127.0.0.1
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-lru
EOF
    systemctl enable redis-server
    if [[ $(sha256sum "$REDIS_CONF") != "$redis_before" ]]; then
        systemctl restart redis-server
        note "redis.conf changed; redis-server restarted"
    else
        systemctl start redis-server
    fi
fi

# ------------------------------------------------------------------------------------------------
log "Settings: $ENV_FILE"
# ------------------------------------------------------------------------------------------------
if [[ $WANT_TLS == 1 ]]; then
    scheme=https ssl_redirect=1
else
    scheme=http ssl_redirect=0
fi
if [[ -f $ENV_FILE ]]; then
    note "$ENV_FILE exists; left as it is"
    grep -Eq "^ALLOWED_HOSTS=(.*,)?\"?$DOMAIN\"?(,|$)" "$ENV_FILE" \
        || warn "ALLOWED_HOSTS in $ENV_FILE does not list $DOMAIN: the app will answer 400 for it.
Add $DOMAIN to ALLOWED_HOSTS (and CSRF_TRUSTED_ORIGINS) there, then run this script again."
    if ! grep -Eq '^SHOP_URL=' "$ENV_FILE"; then
        # a setting newer than this file: the one line is added, nothing else is touched
        printf '\n# The shop'"'"'s public address: the links in its e-mails (added by provision.sh).\nSHOP_URL=%s://%s\n' \
            "$scheme" "$DOMAIN" >>"$ENV_FILE"
        note "added SHOP_URL=$scheme://$DOMAIN to $ENV_FILE"
    fi
    if ! grep -Eq '^SHOP_ORDER_PREFIX=' "$ENV_FILE"; then
        # order numbers took the shop name's initials once this setting came: a shop that sold
        # before keeps its MP-... numbers (empty or another prefix is the merchant's choice)
        printf '\n# What order numbers start with (added by provision.sh: as they were).\nSHOP_ORDER_PREFIX=MP\n' \
            >>"$ENV_FILE"
        note "added SHOP_ORDER_PREFIX=MP to $ENV_FILE: order numbers stay as they were"
    fi
else
    SECRET_KEY=$(/usr/bin/python3 -c 'import secrets;print(secrets.token_urlsafe(64))')
    env_tmp=$(mktemp)
    sed -e "s|__SECRET_KEY__|$(sed_escape "$SECRET_KEY")|g" \
        -e "s|__DOMAIN__|$(sed_escape "$DOMAIN")|g" \
        -e "s|__EMAIL__|$(sed_escape "$EMAIL")|g" \
        -e "s|__SCHEME__|$scheme|g" \
        -e "s|__SSL_REDIRECT__|$ssl_redirect|g" \
        -e "s|__SHOP_NAME__|$(sed_escape "$SHOP_NAME")|g" \
        -e "s|__TIME_ZONE__|$(sed_escape "$TIME_ZONE")|g" \
        "$DEPLOY_DIR/shop.env.template" >"$env_tmp"
    if grep -q '__[A-Z_]*__' "$env_tmp"; then
        rm -f "$env_tmp"
        die "shop.env.template has a placeholder this script does not fill"
    fi
    install -m 0640 -o root -g "$SHOP_USER" "$env_tmp" "$ENV_FILE"
    rm -f "$env_tmp"
    note "created $ENV_FILE (new SECRET_KEY); set EMAIL_URL in it to send real mail"
fi
chown root:"$SHOP_USER" "$ENV_FILE"
chmod 0640 "$ENV_FILE"

# ------------------------------------------------------------------------------------------------
log "Backup before the update"
# ------------------------------------------------------------------------------------------------
# An update (the shop is installed and its database migrated): dump the database as the code now
# running left it, before the new code and its migrations touch it. That dump is what "Going back
# to the previous release" (README.md) restores; releases.log says which dump and which commit
# each update left behind. A first install has nothing to keep.
RELEASES_LOG=$VAR_DIR/releases.log
previous_release=$(release_of "$APP_DIR")
backup_before="none"
if [[ $SKIP_BACKUP == 1 ]]; then
    warn "SKIP_BACKUP=1: no database dump before this update"
elif [[ -x /usr/local/bin/shop-manage && -f /etc/systemd/system/shop-backup.service ]]; then
    plan=$(/usr/local/bin/shop-manage showmigrations --plan 2>&1) \
        || die "cannot tell whether the database holds data to back up (shop-manage showmigrations: ${plan##*$'\n'}); nothing was changed yet. Fix it, or run again with SKIP_BACKUP=1"
    if grep -q '^\[X\]' <<<"$plan"; then
        systemctl start shop-backup.service \
            || die "the backup before the update failed (journalctl -u shop-backup -n 50); nothing was changed yet. Fix it and run again, or run again with SKIP_BACKUP=1"
        backup_before=$(find "$BACKUP_DIR" -maxdepth 1 -name 'db-*.dump' | sort | tail -n 1)
        note "database dumped to $backup_before (the running release: ${previous_release:-unknown})"
    else
        note "nothing migrated yet: no backup"
    fi
else
    note "nothing installed yet: no backup"
fi

# ------------------------------------------------------------------------------------------------
log "Code: $APP_DIR"
# ------------------------------------------------------------------------------------------------
if [[ $SRC_DIR == "$(cd "$APP_DIR" && pwd -P)" ]]; then
    note "running from $APP_DIR itself; nothing to copy"
else
    # A mirror of the checkout (its .git included, so "git pull" works in place later), minus
    # local state and whatever .gitignore lists. Excluded paths are never deleted on this side.
    rsync -a --delete --chown="$SHOP_USER:$SHOP_USER" --filter=':- .gitignore' \
        --exclude=/.venv/ --exclude=/media/ --exclude=/staticfiles/ --exclude=/var/ \
        --exclude='/db.sqlite3' --exclude='/db.sqlite3-*' \
        --exclude=__pycache__/ --exclude='*.pyc' --exclude='/*.egg-info/' \
        --exclude=/.pytest_cache/ --exclude=/.ruff_cache/ \
        "$SRC_DIR/" "$APP_DIR/"
    note "copied $SRC_DIR -> $APP_DIR"
fi
install -m 0755 -o root -g root "$DEPLOY_DIR/shop-manage" /usr/local/bin/shop-manage

# ------------------------------------------------------------------------------------------------
log "Virtualenv: $VENV_DIR"
# ------------------------------------------------------------------------------------------------
if [[ -x $VENV_DIR/bin/python ]]; then
    have=$(py_version "$VENV_DIR/bin/python" | cut -d. -f1,2) || have=none
    want=$(py_version "$PYTHON" | cut -d. -f1,2)
    if [[ $have != "$want" ]]; then
        note "virtualenv has Python $have, $want wanted: rebuilding it"
        rm -rf "$VENV_DIR"
    fi
fi
if [[ ! -x $VENV_DIR/bin/python ]]; then
    install -d -m 0755 -o "$SHOP_USER" -g "$SHOP_USER" "$VENV_DIR"
    as_shop "$PYTHON" -m venv "$VENV_DIR"
fi
# A venv starts with the pip and setuptools of its Python (3.11's setuptools 65.5 has known
# advisories); keep both current on every run, as updates bring no other way to move them.
as_shop "$VENV_DIR/bin/pip" install -q --upgrade pip setuptools
# Editable: the apps are imported from $APP_DIR itself, where settings.py also finds the
# templates and static sources (BASE_DIR). deploy/constraints.txt narrows a few versions.
# Uploads in an S3-compatible bucket (MEDIA_S3_BUCKET in the settings file) need the "s3" extra.
extras=""
if grep -Eq '^MEDIA_S3_BUCKET=.+' "$ENV_FILE" 2>/dev/null; then extras="[s3]"; fi
as_shop "$VENV_DIR/bin/pip" install -q -c "$APP_DIR/deploy/constraints.txt" -e "$APP_DIR$extras"

# ------------------------------------------------------------------------------------------------
log "Database migrations and static files"
# ------------------------------------------------------------------------------------------------
/usr/local/bin/shop-manage migrate --noinput
/usr/local/bin/shop-manage collectstatic --noinput --verbosity 0
# pictures uploaded before the small thumbnail existed get one (nothing to do the next time)
/usr/local/bin/shop-manage fill_small_thumbnails || warn "some pictures keep their listing thumbnail (above)"
/usr/local/bin/shop-manage check --deploy || warn "manage.py check --deploy reported problems (above)"

# ------------------------------------------------------------------------------------------------
log "systemd units"
# ------------------------------------------------------------------------------------------------
socket_changed=0
for unit in "${UNIT_FILES[@]}"; do
    if install_if_changed "$DEPLOY_DIR/systemd/$unit" "/etc/systemd/system/$unit" 0644; then
        note "installed $unit"
        [[ $unit != shop-gunicorn.socket ]] || socket_changed=1
    fi
done
# The backup at 03:15 in the shop's TIME_ZONE, as the nightly clean-up it follows (Celery beat,
# 02:25-03:10 in that zone): in the server's own zone (often UTC) it could run before it.
shop_tz=$({ sed -n 's/^TIME_ZONE=//p' "$ENV_FILE" || true; } | tail -n 1 | tr -d "\"' ")
BACKUP_TZ_DROPIN=/etc/systemd/system/shop-backup.timer.d/shop-time-zone.conf
if [[ -n $shop_tz ]] && systemd-analyze calendar "*-*-* 03:15:00 $shop_tz" >/dev/null 2>&1; then
    tz_dropin=$(mktemp)
    printf '# Written by provision.sh from TIME_ZONE in %s\n[Timer]\nOnCalendar=\nOnCalendar=*-*-* 03:15:00 %s\n' \
        "$ENV_FILE" "$shop_tz" >"$tz_dropin"
    install -d -m 0755 "$(dirname "$BACKUP_TZ_DROPIN")"
    if install_if_changed "$tz_dropin" "$BACKUP_TZ_DROPIN" 0644; then
        note "the nightly backup runs at 03:15 $shop_tz (the shop's TIME_ZONE)"
    fi
    rm -f "$tz_dropin"
else
    warn "TIME_ZONE '${shop_tz}' in $ENV_FILE is not a zone systemd knows: the backup runs at 03:15 server time"
fi
systemctl daemon-reload
# What this host runs: all of them, but for those disabled by hand (DISABLED_UNITS, above).
RUN_SERVICES=()
for unit in "${SERVICES[@]}"; do
    if runs_here "$unit"; then RUN_SERVICES+=("$unit"); fi
done
RUN_UNITS=("${RUN_SERVICES[@]}")
for unit in shop-gunicorn.socket shop-backup.timer shop-healthcheck.timer; do
    if runs_here "$unit"; then RUN_UNITS+=("$unit"); fi
done
if ((${#RUN_UNITS[@]} > 0)); then
    systemctl enable "${RUN_UNITS[@]}"
fi
if runs_here shop-gunicorn.socket; then
    if [[ $socket_changed == 1 ]] && systemctl is-active --quiet shop-gunicorn.socket; then
        # A socket unit cannot be restarted while its service runs.
        systemctl stop shop-gunicorn.service
        systemctl restart shop-gunicorn.socket
    fi
    systemctl start shop-gunicorn.socket
fi
# New code, settings or units: restart. Requests that arrive meanwhile wait in the socket.
if ((${#RUN_SERVICES[@]} > 0)); then
    systemctl restart "${RUN_SERVICES[@]}"
fi
if runs_here shop-backup.timer; then
    systemctl start shop-backup.timer
fi
if runs_here shop-healthcheck.timer; then
    systemctl start shop-healthcheck.timer
fi
# A product added or repriced while this update was under way, by the code before it (on this
# host, or on an app server not updated yet), kept no or an old price range: recompute those.
/usr/local/bin/shop-manage shell -c \
    'from catalog.services import refresh_stale_price_ranges; refresh_stale_price_ranges()' \
    >/dev/null || warn "could not recompute the price ranges of products changed during the update"
# Pages in the Redis page cache were rendered by the code and templates before this run, and
# would be served for up to 5 minutes more: make them all stale now that the new code runs.
/usr/local/bin/shop-manage shell -c \
    'from core.pagecache import bump_content_version; bump_content_version()' >/dev/null \
    || warn "could not empty the page cache; pages of the old code show for up to 5 minutes"
# Which release replaced which, and the dump taken before: how to go back (README.md).
new_release=$(release_of "$APP_DIR")
if [[ ${new_release:-x} != "${previous_release:-y}" ]]; then
    printf '%s %s -> %s backup %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "${previous_release:-none}" \
        "${new_release:-unknown}" "$backup_before" >>"$RELEASES_LOG"
    chown "$SHOP_USER:$SHOP_USER" "$RELEASES_LOG"
    note "release ${previous_release:-none} -> ${new_release:-unknown} ($RELEASES_LOG)"
fi

# ------------------------------------------------------------------------------------------------
log "nginx"
# ------------------------------------------------------------------------------------------------
nginx_tmp=$(mktemp)
sed -e "s|__DOMAIN__|$(sed_escape "$DOMAIN")|g" "$DEPLOY_DIR/nginx/shop.conf" >"$nginx_tmp"
if grep -Eqs '^[[:space:]]*server_tokens[[:space:]]' /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf; then
    # Set there for the whole http block already; a second one would fail nginx -t.
    sed -i -e '/^server_tokens off;$/d' "$nginx_tmp"
fi
if [[ ! -e /proc/net/if_inet6 ]]; then
    # No IPv6 on this host: nginx would refuse to start on [::] addresses.
    sed -i -e '/listen[[:space:]]*\[::\]/d' "$nginx_tmp"
fi
# The live site's /media/ location may have been edited by hand: a bucket's proxy lines instead
# of the alias (README.md "Media", step 3). A new shop.conf keeps that block as it is, unless
# the template changed the block itself (then the operator must redo it: a warning says so).
KEEP_MEDIA=$(
    cat <<'PYEOF'
import re, sys
# argv: the previous rendering of the template, the live site, the new rendering (rewritten)
def media_block(lines):
    """First and last+1 line of the "location ^~ /media/ { ... }" block, or None."""
    for i, line in enumerate(lines):
        if re.match(r"\s*location\s+\^~\s+/media/\s*\{", line):
            depth = 0
            for j in range(i, len(lines)):
                depth += lines[j].count("{") - lines[j].count("}")
                if depth == 0:
                    return i, j + 1
    return None
def read(path):
    with open(path) as f:
        lines = f.read().splitlines(keepends=True)
    found = media_block(lines)
    return lines, found, None if found is None else "".join(lines[slice(*found)])
_, _, previous = read(sys.argv[1])
_, _, live = read(sys.argv[2])
new_lines, found, new = read(sys.argv[3])
if live is None or live == previous:
    sys.exit(0)  # not edited by hand
if new is None or new != previous:
    print("changed", end="")  # the template changed the block too: the edit cannot be kept
    sys.exit(0)
with open(sys.argv[3], "w") as f:
    f.write("".join(new_lines[: found[0]]) + live + "".join(new_lines[found[1] :]))
print("kept", end="")
PYEOF
)
nginx_fresh=0
if [[ ! -f $NGINX_SITE ]] || ! cmp -s "$nginx_tmp" "$NGINX_RENDERED"; then
    nginx_site_tmp=$(mktemp)
    cp "$nginx_tmp" "$nginx_site_tmp"
    if [[ -f $NGINX_SITE ]]; then
        cp -p "$NGINX_SITE" "$NGINX_SITE.bak"
        note "deploy/nginx/shop.conf changed: installing it (the old file is $NGINX_SITE.bak)"
        if [[ -f $NGINX_RENDERED ]]; then
            case $(/usr/bin/python3 -c "$KEEP_MEDIA" "$NGINX_RENDERED" "$NGINX_SITE" "$nginx_site_tmp") in
                kept) note "kept the /media/ location edited in $NGINX_SITE (e.g. a bucket's lines)" ;;
                changed) warn "the /media/ location of $NGINX_SITE was edited by hand, and this
update changes it: it is now the template's again. Put your lines (e.g. a bucket's, README.md
\"Media\" step 3) back from $NGINX_SITE.bak, then: sudo systemctl reload nginx" ;;
            esac
        fi
    fi
    install -m 0644 -o root -g root "$nginx_site_tmp" "$NGINX_SITE"
    install -m 0644 -o root -g root "$nginx_tmp" "$NGINX_RENDERED"
    rm -f "$nginx_site_tmp"
    nginx_fresh=1
fi
rm -f "$nginx_tmp"
ln -sfn "$NGINX_SITE" /etc/nginx/sites-enabled/shop.conf
# The shop's logs hold client addresses (the privacy page). nginx creates a log file it does not
# find readable by every user (0644, root), and only Debian's logrotate makes the next day's
# 0640 www-data:adm: the files are made that way from the start, and an older one is corrected.
for log_file in /var/log/nginx/shop.access.log /var/log/nginx/shop.error.log; do
    [[ -e $log_file ]] || : >"$log_file"
    chown www-data:adm "$log_file"
    chmod 0640 "$log_file"
done
# and the days rotated before this (shop.access.log.1, .2.gz, ...): nobody else reads them
find /var/log/nginx -maxdepth 1 -name 'shop.*.log.*' -perm /o=r -exec chmod o-r {} +
# Debian's own default site also claims default_server on port 80.
rm -f /etc/nginx/sites-enabled/default
if ! nginx -t; then
    # Put the previous file back, and forget the rendering so the next run installs it again.
    if [[ $nginx_fresh == 1 && -f $NGINX_SITE.bak ]]; then
        cp -p "$NGINX_SITE.bak" "$NGINX_SITE"
    fi
    rm -f "$NGINX_RENDERED"
    die "nginx -t failed (above); the running nginx was not reloaded"
fi
if runs_here nginx.service; then
    # As PostgreSQL's (above): Debian's nginx.service has no Restart=, so a master that died
    # (the OOM killer, kill -9) left the shop unreachable until someone started it.
    restart_on_failure nginx.service
    systemctl enable nginx
    systemctl reload-or-restart nginx
fi
[[ $nginx_fresh == 0 ]] || note "installed $NGINX_SITE"

# ------------------------------------------------------------------------------------------------
log "Firewall (ufw)"
# ------------------------------------------------------------------------------------------------
if [[ $SKIP_UFW == 1 ]]; then
    note "SKIP_UFW=1: firewall left as it is"
else
    ufw default deny incoming >/dev/null
    ufw default allow outgoing >/dev/null
    if ufw app info OpenSSH >/dev/null 2>&1; then
        ufw allow OpenSSH
    else
        ufw allow 22/tcp
    fi
    # If sshd listens elsewhere than 22, keep that port open too: never lock the operator out.
    # Its ports come from its configuration (sshd -T) and, where ssh is socket-activated
    # (Ubuntu 24.04's default), from ssh.socket, which is what listens then. sshd -T refuses to
    # run without its privilege separation directory, and Ubuntu's ssh.service creates that only
    # when a first connection starts it (not yet when provisioning from a console or cloud-init).
    ssh_ports=()
    if command -v sshd >/dev/null 2>&1; then
        [[ -d /run/sshd ]] || install -d -m 0755 /run/sshd
        while read -r port; do
            ssh_ports+=("$port")
        done < <(sshd -T 2>/dev/null | awk '$1 == "port" { print $2 }')
        ((${#ssh_ports[@]} > 0)) || warn "sshd -T failed: only port 22 is allowed for ssh (check 'sudo sshd -T | grep ^port')"
    fi
    if systemctl is-active --quiet ssh.socket; then
        while read -r listen _; do
            if [[ $listen =~ ^(.*:)?([0-9]+)$ ]]; then
                ssh_ports+=("${BASH_REMATCH[2]}")
            fi
        done < <(systemctl show -p Listen --value ssh.socket | grep -F '(Stream)')
    fi
    for port in $(printf '%s\n' "${ssh_ports[@]}" | sort -un); do
        if [[ $port != 22 ]]; then
            ufw allow "$port/tcp"
            note "sshd listens on $port: allowed it as well"
        fi
    done
    if ufw app info 'Nginx Full' >/dev/null 2>&1; then
        ufw allow 'Nginx Full'
    else
        ufw allow 80/tcp
        ufw allow 443/tcp
    fi
    ufw --force enable
    ufw status verbose | sed 's/^/    /'
fi

# ------------------------------------------------------------------------------------------------
log "Log retention"
# ------------------------------------------------------------------------------------------------
# The shop's privacy page says request logs (they hold client addresses) are deleted after two
# weeks: nginx's logrotate keeps 14 daily files on Debian and Ubuntu, and the journal, which
# holds gunicorn's access log, is told the same here.
JOURNALD_DROPIN=/etc/systemd/journald.conf.d/shop-retention.conf
mkdir -p "$(dirname "$JOURNALD_DROPIN")"
retention=$(mktemp)
printf '[Journal]\nMaxRetentionSec=14day\n' >"$retention"
if install_if_changed "$retention" "$JOURNALD_DROPIN" 0644; then
    systemctl restart systemd-journald
    note "journal entries are deleted after 14 days ($JOURNALD_DROPIN)"
else
    note "journal retention already 14 days"
fi
rm -f "$retention"

# ------------------------------------------------------------------------------------------------
log "TLS (certbot)"
# ------------------------------------------------------------------------------------------------
if ! runs_here nginx.service; then
    note "nginx is disabled on this host: TLS is the load balancer's; skipped"
elif [[ $WANT_TLS == 0 ]]; then
    if [[ $IS_IP == 1 ]]; then
        note "$DOMAIN is an IP address: no certificate can be issued for it; TLS skipped"
    else
        note "SKIP_TLS=1: TLS skipped"
    fi
    note "The site is on plain http: pages show, but every form (cart, checkout, sign-in, admin)"
    note "fails with 403 until it has a certificate (the cookies are Secure; see README.md)."
elif grep -qF "/etc/letsencrypt/live/$DOMAIN/" "$NGINX_SITE"; then
    note "certificate already installed in $NGINX_SITE; certbot.timer renews it"
else
    # --keep-until-expiring: a certificate issued before (e.g. when shop.conf was replaced
    # above) is installed again rather than requested anew.
    if ! certbot --nginx -d "$DOMAIN" -m "$EMAIL" --agree-tos --non-interactive --redirect \
        --keep-until-expiring; then
        die "certbot failed. Check that $DOMAIN resolves to this server and that port 80 is
reachable from the internet, then run this script again (every step before this one is done)."
    fi
fi
if [[ $WANT_TLS == 1 ]] &&
    grep -Eq '^(SECURE_SSL_REDIRECT=0|CSRF_TRUSTED_ORIGINS=.*http://|SHOP_URL=http://)' "$ENV_FILE"; then
    warn "$ENV_FILE still has SECURE_SSL_REDIRECT=0 or an http:// address from a run
without TLS: set SECURE_SSL_REDIRECT=1, CSRF_TRUSTED_ORIGINS=https://$DOMAIN and
SHOP_URL=https://$DOMAIN, then
sudo systemctl restart shop-gunicorn shop-celery-worker shop-celery-beat"
fi

# ------------------------------------------------------------------------------------------------
log "Health check"
# ------------------------------------------------------------------------------------------------
# /healthz: 200 while the app reaches its database; its body says whether the cache answers.
# gunicorn listens where shop-gunicorn.socket says: /run/shop/gunicorn.sock, or on an app server
# behind a balancer the private address of its drop-in (README.md "Beyond one server").
failed=0
if runs_here shop-gunicorn.socket; then
    listen=$(systemctl show -p Listen --value shop-gunicorn.socket | grep -F '(Stream)' | head -n 1)
    listen=${listen%% *}
    if [[ $listen == /* ]]; then
        target=(--unix-socket "$listen" http://localhost/healthz)
    else
        target=(--globoff "http://$listen/healthz")
    fi
    code=000
    health=$(mktemp)
    for _ in $(seq 30); do
        code=$(curl -s -o "$health" -w '%{http_code}' --max-time 10 "${target[@]}" \
            -H "Host: $DOMAIN" -H 'X-Forwarded-Proto: https') || true
        [[ $code != 200 ]] || break
        sleep 1
    done
    if [[ $code == 200 ]]; then
        note "gunicorn: GET /healthz on $listen -> 200 $(head -c 200 "$health")"
        grep -q '"status": "ok"' "$health" \
            || warn "the app runs without its cache (Redis): sudo systemctl status redis-server"
    else
        warn "gunicorn: GET /healthz on $listen -> $code $(head -c 200 "$health")" \
            "(sudo journalctl -u shop-gunicorn)"
        failed=1
    fi
    rm -f "$health"
fi
# Celery: a worker answers a ping through the broker (this also proves the broker is reachable
# with the installed kombu/redis versions).
replies=0
for _ in $(seq 10); do
    replies=$(/usr/local/bin/shop-manage shell -c \
        'from shop.celery import app; print(len(app.control.ping(timeout=3)))' 2>/dev/null \
        | tail -n 1) || replies=0
    [[ $replies =~ ^[1-9] ]] && break
    sleep 2
done
if [[ $replies =~ ^[1-9] ]]; then
    note "celery: $replies worker(s) answered a ping"
else
    warn "celery: no worker answered a ping (sudo journalctl -u shop-celery-worker)"
    failed=1
fi
# Through nginx: 200 on plain http, or certbot's redirect to https.
if runs_here nginx.service; then
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Host: $DOMAIN" \
        http://127.0.0.1/robots.txt) || true
    if [[ $code == 200 || $code == 301 ]]; then
        note "nginx: GET http://$DOMAIN/robots.txt (via 127.0.0.1) -> $code"
    else
        warn "nginx: GET http://$DOMAIN/robots.txt (via 127.0.0.1) -> $code (/var/log/nginx/shop.error.log)"
        failed=1
    fi
fi
# Uploads in a bucket (MEDIA_S3_BUCKET): pages link them at MEDIA_URL, /media/<name>, which
# this nginx serves from /srv/shop/media unless its /media/ location proxies to the bucket
# (README.md "Media", step 3). The newest picture, fetched through nginx: a site without those
# lines (never added, or lost when an update replaced shop.conf) fails here, not on every page.
if grep -Eq '^MEDIA_S3_BUCKET=.+' "$ENV_FILE" && runs_here nginx.service; then
    # where pages link the newest product picture (MEDIA_URL + its name)
    NEWEST_PICTURE=$(
        cat <<'PYEOF'
from catalog.models import ProductImage
newest = ProductImage.objects.exclude(image="").order_by("-pk").first()
print("picture=" + (newest.image.url if newest else ""))
PYEOF
    )
    picture=$(/usr/local/bin/shop-manage shell -c "$NEWEST_PICTURE" 2>/dev/null \
        | sed -n 's/^picture=//p' | tail -n 1) || picture=""
    if [[ $picture != /* ]]; then
        note "media: no picture yet, or MEDIA_URL is another site's (${picture:-none}): not checked"
    else
        port=80 scheme=http
        [[ $WANT_TLS == 0 ]] || port=443 scheme=https
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
            --resolve "$DOMAIN:$port:127.0.0.1" "$scheme://$DOMAIN$picture") || true
        if [[ $code == 200 ]]; then
            note "media: GET $picture (via 127.0.0.1) -> 200"
        else
            warn "media: GET $picture (via 127.0.0.1) -> $code. The uploads are in the bucket
(MEDIA_S3_BUCKET), but nginx serves /media/ from disk: put the bucket's lines in the /media/
location of $NGINX_SITE (deploy/README.md, Media, step 3; if this run replaced
the file, $NGINX_SITE.bak has the previous one), then: sudo systemctl reload nginx"
            failed=1
        fi
    fi
fi
CHECK_UNITS=("${RUN_UNITS[@]}")
if runs_here nginx.service; then CHECK_UNITS+=(nginx); fi
if runs_here postgresql.service; then
    mapfile -t pg_units < <(pg_cluster_units)
    CHECK_UNITS+=("${pg_units[@]:-postgresql}")
fi
if runs_here redis-server.service; then CHECK_UNITS+=(redis-server); fi
for unit in "${CHECK_UNITS[@]}"; do
    if systemctl is-active --quiet "$unit"; then
        note "$unit: active"
    else
        warn "$unit: $(systemctl is-active "$unit" || true) (sudo journalctl -u $unit)"
        failed=1
    fi
done
((failed == 0)) || die "some checks failed (above)"

scheme=https
[[ $WANT_TLS == 1 ]] || scheme=http
log "Done: $scheme://$DOMAIN/"
note "Settings:     $ENV_FILE (then: sudo systemctl restart ${SERVICES[*]})"
note "Staff login:  sudo shop-manage createsuperuser, then $scheme://$DOMAIN/admin/"
note "Logs:         sudo journalctl -u shop-gunicorn -u shop-celery-worker -u shop-celery-beat -f"
note "Backups:      $BACKUP_DIR (nightly: systemctl list-timers shop-backup.timer)"

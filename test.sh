#!/usr/bin/env bash
# test.sh: the one command that passes the tests on a fresh machine (CI calls it via .ci/run).
#
# 1. redis-server and etcd on PATH (the test harness starts its own Redis nodes and etcd members
#    on free ports), and chromium with chromedriver (the dashboard's browser test);
# 2. a PostgreSQL server and a role oversold/oversold that may create databases
#    (the tests create one throwaway database per test), exported as TEST_DATABASE_URL;
# 3. leftover test databases from interrupted runs dropped;
# 4. cargo test --workspace, SQLite and Postgres scenarios in the same run.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF'
Usage: ./test.sh [cargo test arguments...]

Makes sure redis-server, etcd, chromium with chromedriver, and a PostgreSQL server are available
(installing them with apt-get when missing), then runs: cargo test --workspace [your arguments]

Every scenario runs on SQLite and on Postgres (test names end in ::on_sqlite / ::on_postgres).

Postgres:
  - TEST_DATABASE_URL set: used as it is (a role that may CREATE DATABASE);
  - else a server on 127.0.0.1:5432, else a local cluster started with pg_ctlcluster,
    else apt-get install postgresql; then a role oversold (password oversold, LOGIN CREATEDB) is
    created through the local socket and
    TEST_DATABASE_URL=postgres://oversold:oversold@127.0.0.1:5432/postgres is used.
Leftover databases named oversold_test_* are dropped first.
The browser test saves its screenshots under target/screenshots/.

Examples:
  ./test.sh                          # everything
  ./test.sh on_postgres              # only the Postgres scenarios
  ./test.sh -p oversold -- --nocapture
EOF
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    usage
    exit 0
fi

ROLE=oversold
ROLE_PASSWORD=oversold
PG_HOST=127.0.0.1
PG_PORT=5432

step=0
say() {
    step=$((step + 1))
    printf '\n==> [%d] %s\n' "$step" "$*"
}
info() { printf '    %s\n' "$*"; }
warn() { printf 'test.sh: warning: %s\n' "$*" >&2; }
die() {
    printf 'test.sh: error: %s\n' "$*" >&2
    exit 1
}

redact() { printf '%s' "$1" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

apt_updated=no
apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [[ $apt_updated == no ]]; then
        info "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
        apt_updated=yes
    fi
    info "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Runs a command as the postgres OS user (local socket, peer authentication).
as_postgres() {
    if [[ $(id -u) -eq 0 ]] && command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    elif [[ $(id -u) -eq 0 ]]; then
        (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    elif command -v sudo >/dev/null 2>&1; then
        (cd / && sudo -u postgres "$@")
    else
        return 1
    fi
}

pg_ready() { # port
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$1" -t 3
    else
        (exec 3<>"/dev/tcp/$PG_HOST/$1") 2>/dev/null
    fi
}

wait_pg_ready() { # port
    local deadline=$((SECONDS + 60))
    until pg_ready "$1"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# "version cluster port status" of the local cluster to use: the one on 5432, else the first.
pick_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local lines
    lines=$(pg_lsclusters -h 2>/dev/null | awk '{print $1, $2, $3, $4}') || return 1
    [[ -n $lines ]] || return 1
    awk '$3 == 5432' <<<"$lines" | head -n 1 | grep . || head -n 1 <<<"$lines"
}

start_cluster() {
    local cluster ver name port status
    cluster=$(pick_cluster) || return 1
    read -r ver name port status <<<"$cluster"
    PG_PORT=$port
    if [[ $status == online* ]]; then
        info "cluster $ver/$name is already online on port $port"
    else
        info "starting cluster $ver/$name (port $port): pg_ctlcluster --skip-systemctl-redirect $ver $name start"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start ||
            die "could not start the PostgreSQL cluster $ver/$name; see /var/log/postgresql/postgresql-$ver-$name.log"
    fi
    wait_pg_ready "$PG_PORT" || die "PostgreSQL cluster $ver/$name does not accept connections on $PG_HOST:$PG_PORT after 60s"
}

psql_url() { # url, psql args...
    local url=$1
    shift
    psql "$url" -X -q -v ON_ERROR_STOP=1 "$@"
}

# ---------------------------------------------------------------------------------------------

say "Checking the Rust toolchain"
command -v cargo >/dev/null 2>&1 || die "cargo is not installed: install Rust from https://rustup.rs"
info "$(cargo --version)"

say "Checking redis-server (the tests start their own nodes on free ports; 6379 is never used)"
if ! command -v redis-server >/dev/null 2>&1; then
    info "redis-server is missing: installing it"
    apt_install redis-server || die "could not install redis-server (no apt-get, or it failed). Install it
       yourself (Fedora: dnf install redis; macOS: brew install redis) so that redis-server is on PATH."
    command -v redis-server >/dev/null 2>&1 || die "redis-server is still not on PATH after installing it"
fi
info "$(command -v redis-server): $(redis-server --version | head -n 1)"

say "Checking etcd (the tests start their own 3-member clusters on free ports; 2379 is never used)"
if ! command -v etcd >/dev/null 2>&1; then
    info "etcd is missing: installing etcd-server and etcd-client"
    info "(the package may also start its own etcd service on 2379/2380; the tests never use it)"
    apt_install etcd-server etcd-client || die "could not install etcd (no apt-get, or it failed). Install it
       yourself (Fedora: dnf install etcd; macOS: brew install etcd) so that etcd is on PATH."
    command -v etcd >/dev/null 2>&1 || die "etcd is still not on PATH after installing it"
fi
info "$(command -v etcd): $(etcd --version | head -n 1)"

say "Checking chromium and chromedriver (the dashboard's browser test drives a headless Chromium)"
browser_missing=()
command -v chromium >/dev/null 2>&1 || browser_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || browser_missing+=(chromium-driver)
if ((${#browser_missing[@]} > 0)); then
    info "${browser_missing[*]} missing: installing"
    apt_install "${browser_missing[@]}" || die "could not install ${browser_missing[*]} (no apt-get, or it failed).
       Install Chromium and its WebDriver yourself so that chromium and chromedriver are on PATH
       (Debian: apt-get install chromium chromium-driver)."
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 ||
        die "chromium or chromedriver is still not on PATH after installing them"
fi
info "$(chromedriver --version | head -n 1)"

say "Checking PostgreSQL"
if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    info "TEST_DATABASE_URL is set: using $(redact "$TEST_DATABASE_URL") as it is"
    if command -v psql >/dev/null 2>&1; then
        psql_url "$TEST_DATABASE_URL" -At -c 'select 1' >/dev/null ||
            die "cannot connect to TEST_DATABASE_URL=$(redact "$TEST_DATABASE_URL")"
        info "it answers"
    else
        info "(psql is not installed: not checking it; the tests will)"
    fi
else
    if pg_ready "$PG_PORT"; then
        info "a PostgreSQL server answers on $PG_HOST:$PG_PORT"
    elif pick_cluster >/dev/null; then
        info "nothing answers on $PG_HOST:$PG_PORT, but a local cluster is installed"
        start_cluster
    else
        info "no PostgreSQL server found: installing one"
        apt_install postgresql || die "could not install PostgreSQL (no apt-get, or it failed).
       Install and start a PostgreSQL server yourself, or point the tests at one:
       TEST_DATABASE_URL=postgres://user:password@host:5432/postgres ./test.sh
       (the role must be allowed to CREATE DATABASE)"
        start_cluster
    fi
    command -v psql >/dev/null 2>&1 || apt_install postgresql-client ||
        die "psql is needed to create the test role; install the PostgreSQL client"

    TEST_DATABASE_URL="postgres://$ROLE:$ROLE_PASSWORD@$PG_HOST:$PG_PORT/postgres"
    info "creating or updating role $ROLE (LOGIN CREATEDB) through the local socket as the postgres user"
    role_sql="DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE_PASSWORD';
    ELSE
        ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE_PASSWORD';
    END IF;
END
\$\$;"
    if as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres -c "$role_sql"; then
        info "role $ROLE is ready"
    elif psql_url "$TEST_DATABASE_URL" -At -c 'select 1' >/dev/null 2>&1; then
        warn "could not reach the server as the postgres user over the local socket, but
         $(redact "$TEST_DATABASE_URL") already works: using it"
    else
        die "a PostgreSQL server runs on $PG_HOST:$PG_PORT but test.sh could not create the role
       $ROLE there (no local postgres OS user or socket?). As a superuser, run:
         CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE_PASSWORD';
       or set TEST_DATABASE_URL to a role that may create databases."
    fi
    psql_url "$TEST_DATABASE_URL" -At -c 'select 1' >/dev/null ||
        die "role $ROLE exists but cannot log in over TCP at $PG_HOST:$PG_PORT: check pg_hba.conf
       allows password (scram-sha-256 or md5) or trust authentication for 127.0.0.1"
    info "connected as $(redact "$TEST_DATABASE_URL")"
fi
export TEST_DATABASE_URL

say "Dropping leftover test databases (oversold_test_*)"
if command -v psql >/dev/null 2>&1; then
    list_sql="SELECT format('DROP DATABASE IF EXISTS %I%s;', datname,
                     CASE WHEN current_setting('server_version_num')::int >= 130000
                          THEN ' WITH (FORCE)' ELSE '' END)
              FROM pg_database WHERE datname LIKE 'oversold\\_test\\_%'"
    if drops=$(psql_url "$TEST_DATABASE_URL" -At -c "$list_sql"); then
        if [[ -z $drops ]]; then
            info "none"
        else
            info "dropping $(grep -c . <<<"$drops") database(s)"
            # One statement per line on stdin: DROP DATABASE cannot run inside a transaction block.
            psql_url "$TEST_DATABASE_URL" -f - <<<"$drops" ||
                warn "some leftover test databases could not be dropped (owned by another role?); continuing"
        fi
    else
        warn "could not list leftover test databases; continuing"
    fi
else
    info "(psql is not installed: skipped)"
fi

say "Running cargo test --workspace${*:+ $*}"
info "TEST_DATABASE_URL=$(redact "$TEST_DATABASE_URL")"
if cargo test --workspace "$@"; then
    printf '\n==> All tests passed.\n'
else
    status=$?
    printf '\n==> cargo test failed (exit status %d).\n' "$status" >&2
    exit "$status"
fi

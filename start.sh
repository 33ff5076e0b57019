#!/usr/bin/env bash
# start.sh: the one command a workshop needs (--room opens it to the phones of a room).
#
# Starts 5 Redis nodes (127.0.0.1:7001-7005) and a 3-member etcd cluster (clients on
# 127.0.0.1:7201-7203, peers on :7301-7303), builds oversold in release mode and starts two
# app instances (127.0.0.1:8080 and :8081) over one database, then waits until both answer
# GET /health. Everything it starts is recorded in pidfiles under .run/, which is what
# ./stop.sh stops. Running it again while things run reuses what is already there.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF'
Usage: ./start.sh [--room] [--dry-run] [--help]

Starts the oversold lab on this machine:
  - 5 Redis nodes on 127.0.0.1:7001..7005 (no persistence; never port 6379),
    installing redis-server with the system package manager when it is missing;
  - a 3-member etcd cluster for the etcd strategy: clients on 127.0.0.1:7201..7203, peers on
    127.0.0.1:7301..7303, data in .run/etcd-<name>/ (never etcd's own 2379/2380, so an etcd
    the machine already runs is left alone), installing etcd-server when it is missing;
  - a release build (cargo build --release -p oversold -p test_concurrent);
  - two app instances on http://127.0.0.1:8080 and http://127.0.0.1:8081 over one database
    (SQLite in data/oversold.db unless DATABASE_URL is set);
then waits for GET /health on both and prints the dashboard URL.

Pidfiles and logs go to .run/. Run it again at any time: running parts are reused.
Stop everything it started with ./stop.sh.

Environment:
  REDIS_BASE_PORT    first Redis port                     (default 7001)
  REDIS_NODES        number of Redis nodes                (default 5)
  APP_PORTS          app ports, comma-separated           (default 8080,8081)
  DATABASE_URL       sqlite://... or postgres://...       (default sqlite://data/oversold.db)
  RACE_WINDOW_MS, LOCK_TTL_MS, LOCK_WAIT_MS, ADMIN_TOKEN, RUST_LOG
                     passed to both app instances as they are
  APP_START_TIMEOUT  seconds to wait for each /health     (default 60)
  REDIS_SERVER       redis-server binary to use           (default redis-server)
  ETCD_CLIENT_BASE_PORT  first etcd client port           (default 7201)
  ETCD_PEER_BASE_PORT    first etcd peer port             (default 7301)
  ETCD               etcd binary to use                   (default etcd)
  ROOM_HOST          with --room: the address phones use  (default: this machine's LAN address)

Examples:
  ./start.sh
  ./start.sh --room
  ./start.sh --room --dry-run
  APP_PORTS=9080,9081 REDIS_BASE_PORT=7101 ./start.sh
  DATABASE_URL=postgres://oversold:oversold@127.0.0.1:5432/oversold ./start.sh
EOF
}

ROOM=0
DRY_RUN=0
for arg in "$@"; do
    case "$arg" in
        -h | --help)
            usage
            exit 0
            ;;
        --room) ROOM=1 ;;
        --dry-run) DRY_RUN=1 ;;
        *)
            echo "start.sh: unknown argument: $arg (try ./start.sh --help)" >&2
            exit 2
            ;;
    esac
done

RUN_DIR=.run
REDIS_BASE_PORT=${REDIS_BASE_PORT:-7001}
REDIS_NODES=${REDIS_NODES:-5}
APP_PORTS=${APP_PORTS:-8080,8081}
APP_START_TIMEOUT=${APP_START_TIMEOUT:-60}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
ETCD_CLIENT_BASE_PORT=${ETCD_CLIENT_BASE_PORT:-7201}
ETCD_PEER_BASE_PORT=${ETCD_PEER_BASE_PORT:-7301}
ETCD_MEMBERS=3
ETCD=${ETCD:-etcd}
DATABASE_URL=${DATABASE_URL:-sqlite://data/oversold.db}
APP_BIN=target/release/oversold

say() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'start.sh: warning: %s\n' "$*" >&2; }
die() {
    printf 'start.sh: error: %s\n' "$*" >&2
    exit 1
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# This machine's address on its LAN: the source address of its default route (a route lookup in
# the kernel's table; nothing is sent), else the first address hostname -I lists (macOS: en0's).
lan_ip() {
    local ip=""
    if command -v ip >/dev/null 2>&1; then
        ip=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1)
    fi
    if [[ -z $ip ]]; then
        ip=$(hostname -I 2>/dev/null | awk '{print $1}') || true
    fi
    if [[ -z $ip ]] && command -v ipconfig >/dev/null 2>&1; then
        ip=$(ipconfig getifaddr en0 2>/dev/null) || true
    fi
    printf '%s' "$ip"
}

# The database URL with its password masked, for messages.
redact() { printf '%s' "$1" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The command line of process $1, empty when it does not exist.
proc_args() { ps -p "$1" -o args= 2>/dev/null || true; }

# The pid recorded in pidfile $1 when that process is alive, else nothing.
live_pid() {
    local pid
    [[ -f $1 ]] || return 1
    pid=$(head -n 1 "$1" 2>/dev/null || true)
    is_uint "$pid" && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s' "$pid"
}

# Is the Redis node on port $1 one that start.sh started (pidfile, alive, right process)?
our_redis() {
    local pid
    pid=$(live_pid "$RUN_DIR/redis-$1.pid") || return 1
    local args
    args=$(proc_args "$pid")
    # Linux shows the process title "redis-server 127.0.0.1:7001", macOS the command line.
    [[ $args == *server* && ($args == *":$1"* || $args == *"--port $1"*) ]]
}

# Is the app instance on port $1 one that start.sh started?
our_app() {
    local pid
    pid=$(live_pid "$RUN_DIR/app-$1.pid") || return 1
    [[ $(proc_args "$pid") == *oversold* ]]
}

# Is the etcd member whose client port is $1 one that start.sh started?
our_etcd() {
    local pid
    pid=$(live_pid "$RUN_DIR/etcd-$1.pid") || return 1
    local args
    args=$(proc_args "$pid")
    [[ $args == *etcd* && $args == *"127.0.0.1:$1"* ]]
}

# GET http://127.0.0.1:$1/health of an etcd member says healthy (it has a leader)?
etcd_healthy() {
    local body
    if command -v curl >/dev/null 2>&1; then
        body=$(curl -fsS --max-time 2 --noproxy "*" "http://127.0.0.1:$1/health" 2>/dev/null) || return 1
    else
        body=$(
            exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
            printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&3
            timeout 2 cat <&3
        ) 2>/dev/null || return 1
    fi
    [[ $body == *'"health":"true"'* ]]
}

# Answers PONG on port $1?
redis_ping() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'PING\r\n' >&3
        IFS= read -r -t 2 reply <&3 || exit 1
        [[ $reply == +PONG* ]]
    ) 2>/dev/null
}

# GET http://127.0.0.1:$1/health answers 200?
health_ok() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 2 --noproxy "*" "http://127.0.0.1:$1/health" 2>/dev/null
    else
        (
            exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
            printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&3
            IFS= read -r -t 2 status <&3 || exit 1
            [[ $status == HTTP/*" 200"* ]]
        ) 2>/dev/null
    fi
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

# Installs redis-server with whichever package manager this system has.
install_redis() {
    if command -v apt-get >/dev/null 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
    elif command -v dnf >/dev/null 2>&1; then
        as_root dnf install -y redis
    elif command -v brew >/dev/null 2>&1; then
        brew install redis
    else
        return 1
    fi
}

# Installs etcd (Debian's etcd-server and etcd-client) with the system package manager.
install_etcd() {
    if command -v apt-get >/dev/null 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client
    elif command -v dnf >/dev/null 2>&1; then
        as_root dnf install -y etcd
    elif command -v brew >/dev/null 2>&1; then
        brew install etcd
    else
        return 1
    fi
}

ensure_etcd() {
    if command -v "$ETCD" >/dev/null 2>&1; then
        info "using $(command -v "$ETCD") ($("$ETCD" --version 2>/dev/null | head -n 1))"
        return
    fi
    say "$ETCD is not installed: installing it with the system package manager"
    info "(a distribution package may also start its own etcd service on 2379/2380; the lab never uses that one)"
    if install_etcd && command -v "$ETCD" >/dev/null 2>&1; then
        info "installed $(command -v "$ETCD")"
        return
    fi
    die "could not install etcd. Install it yourself (Debian/Ubuntu: sudo apt-get install etcd-server
       etcd-client; Fedora: sudo dnf install etcd; macOS: brew install etcd), or set ETCD to its
       path, then run ./start.sh again."
}

ensure_redis_server() {
    if command -v "$REDIS_SERVER" >/dev/null 2>&1; then
        info "using $(command -v "$REDIS_SERVER") ($("$REDIS_SERVER" --version | head -n 1))"
        return
    fi
    say "$REDIS_SERVER is not installed: installing it with the system package manager"
    info "(a distribution package may also start its own Redis service on port 6379; the lab never uses that one)"
    if install_redis && command -v "$REDIS_SERVER" >/dev/null 2>&1; then
        info "installed $(command -v "$REDIS_SERVER")"
        return
    fi
    if docker compose version >/dev/null 2>&1; then
        die "could not install redis-server here. Docker Compose works on this machine, so run the
       same lab in containers instead:   docker compose up --build
       (dashboard on http://127.0.0.1:8080/, stop with: docker compose down)"
    fi
    die "could not install redis-server. Install it yourself (Debian/Ubuntu: sudo apt-get install
       redis-server; Fedora: sudo dnf install redis; macOS: brew install redis), or set REDIS_SERVER
       to its path, then run ./start.sh again."
}

# ---------------------------------------------------------------------------------------------
# Settings and preflight: refuse before starting anything if a port is taken by someone else.

is_uint "$REDIS_BASE_PORT" || die "REDIS_BASE_PORT must be a port number (got '$REDIS_BASE_PORT')"
{ is_uint "$REDIS_NODES" && ((REDIS_NODES >= 1)); } || die "REDIS_NODES must be at least 1 (got '$REDIS_NODES')"
is_uint "$ETCD_CLIENT_BASE_PORT" || die "ETCD_CLIENT_BASE_PORT must be a port number (got '$ETCD_CLIENT_BASE_PORT')"
is_uint "$ETCD_PEER_BASE_PORT" || die "ETCD_PEER_BASE_PORT must be a port number (got '$ETCD_PEER_BASE_PORT')"
is_uint "$APP_START_TIMEOUT" || die "APP_START_TIMEOUT must be a number of seconds (got '$APP_START_TIMEOUT')"

redis_ports=()
for ((i = 0; i < REDIS_NODES; i++)); do
    redis_ports+=($((REDIS_BASE_PORT + i)))
done
etcd_client_ports=()
etcd_peer_ports=()
for ((i = 0; i < ETCD_MEMBERS; i++)); do
    etcd_client_ports+=($((ETCD_CLIENT_BASE_PORT + i)))
    etcd_peer_ports+=($((ETCD_PEER_BASE_PORT + i)))
done
IFS=',' read -r -a app_ports <<<"${APP_PORTS// /}"
((${#app_ports[@]} >= 1)) || die "APP_PORTS must list at least one port (got '$APP_PORTS')"

seen=" "
for port in "${redis_ports[@]}" "${app_ports[@]}" "${etcd_client_ports[@]}" "${etcd_peer_ports[@]}"; do
    { is_uint "$port" && ((port >= 1 && port <= 65535)); } || die "'$port' is not a valid port number"
    [[ $port != 6379 ]] || die "port 6379 is the default Redis port: the lab never uses it. Pick other ports (REDIS_BASE_PORT, APP_PORTS)."
    [[ $port != 2379 && $port != 2380 ]] || die "port $port is etcd's default port: the lab never uses it, so an etcd the machine runs is left alone. Pick other ports (ETCD_CLIENT_BASE_PORT, ETCD_PEER_BASE_PORT)."
    [[ $seen != *" $port "* ]] || die "port $port is listed twice (REDIS_BASE_PORT=$REDIS_BASE_PORT REDIS_NODES=$REDIS_NODES APP_PORTS=$APP_PORTS ETCD_CLIENT_BASE_PORT=$ETCD_CLIENT_BASE_PORT ETCD_PEER_BASE_PORT=$ETCD_PEER_BASE_PORT)"
    seen+="$port "
done

# Room mode: every interface, a LAN address for the phones, and a token for the instructor.
TOKEN_FILE=$RUN_DIR/admin-token
BIND_HOST=127.0.0.1
PUBLIC_HOST=127.0.0.1
token_source=""
if ((ROOM)); then
    BIND_HOST=0.0.0.0
    PUBLIC_HOST=${ROOM_HOST:-$(lan_ip)}
    [[ -n $PUBLIC_HOST ]] || die "could not find this machine's LAN address: set it yourself, e.g. ROOM_HOST=192.168.1.20 ./start.sh --room"
    if [[ -n ${ADMIN_TOKEN:-} ]]; then
        token_source="the ADMIN_TOKEN you set"
    elif [[ -s $TOKEN_FILE ]]; then
        token_source="the one in $TOKEN_FILE, kept from an earlier --room start (cat it to see it)"
    else
        token_source="a new random token, written to $TOKEN_FILE"
    fi
fi

if ((DRY_RUN)); then
    cat <<EOF
start.sh --dry-run: nothing is started, installed, built or written.

  Redis nodes: ${redis_ports[*]} on 127.0.0.1
  etcd:        clients ${etcd_client_ports[*]}, peers ${etcd_peer_ports[*]} on 127.0.0.1
  Apps:        ${app_ports[*]}, listening on $BIND_HOST (BIND=$BIND_HOST:<port>)
  Database:    $(redact "$DATABASE_URL")
EOF
    if ((ROOM)); then
        cat <<EOF
  Room mode:   phones join at http://$PUBLIC_HOST:${app_ports[0]}/join
               projector at  http://$PUBLIC_HOST:${app_ports[0]}/room
               admin token:  $token_source
EOF
    fi
    exit 0
fi

mkdir -p "$RUN_DIR"

if ((ROOM)); then
    if [[ -z ${ADMIN_TOKEN:-} ]]; then
        if [[ -s $TOKEN_FILE ]]; then
            ADMIN_TOKEN=$(head -n 1 "$TOKEN_FILE")
        else
            # 128 random bits in hex, in a file only this user can read.
            ADMIN_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
            (umask 077 && printf '%s\n' "$ADMIN_TOKEN" >"$TOKEN_FILE")
            chmod 600 "$TOKEN_FILE"
            new_token=1
        fi
    fi
    export ADMIN_TOKEN
    for port in "${app_ports[@]}"; do
        if our_app "$port"; then
            warn "app-$port already runs and is reused as it is: if it was started without --room it listens on 127.0.0.1 only (./stop.sh, then ./start.sh --room)"
        fi
    done
fi

say "Checking ports (Redis ${redis_ports[*]}; etcd ${etcd_client_ports[*]} and peers ${etcd_peer_ports[*]}; apps ${app_ports[*]})"
redis_to_start=()
for port in "${redis_ports[@]}"; do
    if our_redis "$port"; then
        info "Redis on $port already runs (pid $(live_pid "$RUN_DIR/redis-$port.pid")): reusing it"
        continue
    fi
    if [[ -e $RUN_DIR/redis-$port.pid ]]; then
        info "removing stale pidfile $RUN_DIR/redis-$port.pid"
        rm -f "$RUN_DIR/redis-$port.pid"
    fi
    if port_open "$port"; then
        die "port $port is already in use by a process that start.sh did not start.
       See who: ss -ltnp 'sport = :$port'   (or: lsof -i :$port)
       Then stop it, or move the Redis nodes:   REDIS_BASE_PORT=7101 ./start.sh"
    fi
    redis_to_start+=("$port")
done
etcd_to_start=()
for ((i = 0; i < ETCD_MEMBERS; i++)); do
    port=${etcd_client_ports[$i]}
    if our_etcd "$port"; then
        info "etcd member on $port already runs (pid $(live_pid "$RUN_DIR/etcd-$port.pid")): reusing it"
        continue
    fi
    if [[ -e $RUN_DIR/etcd-$port.pid ]]; then
        info "removing stale pidfile $RUN_DIR/etcd-$port.pid"
        rm -f "$RUN_DIR/etcd-$port.pid"
    fi
    for taken in "$port" "${etcd_peer_ports[$i]}"; do
        if port_open "$taken"; then
            die "port $taken is already in use by a process that start.sh did not start.
       See who: ss -ltnp 'sport = :$taken'   (or: lsof -i :$taken)
       Then stop it, or move the etcd members:   ETCD_CLIENT_BASE_PORT=7211 ETCD_PEER_BASE_PORT=7311 ./start.sh"
        fi
    done
    etcd_to_start+=("$i")
done
apps_to_start=()
for port in "${app_ports[@]}"; do
    if our_app "$port"; then
        info "app on $port already runs (pid $(live_pid "$RUN_DIR/app-$port.pid")): reusing it"
        continue
    fi
    if [[ -e $RUN_DIR/app-$port.pid ]]; then
        info "removing stale pidfile $RUN_DIR/app-$port.pid"
        rm -f "$RUN_DIR/app-$port.pid"
    fi
    if port_open "$port"; then
        die "port $port is already in use by a process that start.sh did not start.
       See who: ss -ltnp 'sport = :$port'   (or: lsof -i :$port)
       Then stop it, or use other app ports:   APP_PORTS=9080,9081 ./start.sh"
    fi
    apps_to_start+=("$port")
done

# ---------------------------------------------------------------------------------------------
# Redis nodes.

redis_urls=""
for port in "${redis_ports[@]}"; do
    redis_urls+="${redis_urls:+,}redis://127.0.0.1:$port"
done

if ((${#redis_to_start[@]} > 0)); then
    say "Starting ${#redis_to_start[@]} Redis node(s): ${redis_to_start[*]}"
    ensure_redis_server
    run_abs="$PWD/$RUN_DIR"
    for port in "${redis_to_start[@]}"; do
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --daemonize yes --pidfile "$run_abs/redis-$port.pid" \
            --logfile "$run_abs/redis-$port.log" --dir "$run_abs" ||
            die "redis-server did not start on port $port; see $RUN_DIR/redis-$port.log"
    done
    for port in "${redis_to_start[@]}"; do
        for ((t = 0; t < 50; t++)); do
            redis_ping "$port" && break
            sleep 0.1
        done
        if ! redis_ping "$port"; then
            tail -n 20 "$RUN_DIR/redis-$port.log" >&2 2>/dev/null || true
            die "Redis on port $port does not answer PING; see $RUN_DIR/redis-$port.log"
        fi
        info "Redis on $port: PONG (pid $(live_pid "$RUN_DIR/redis-$port.pid" || echo '?'), log $RUN_DIR/redis-$port.log)"
    done
else
    say "All ${#redis_ports[@]} Redis nodes already run"
fi

# ---------------------------------------------------------------------------------------------
# The etcd cluster: three members named m1..m3 that know each other from the start. A member
# started again finds its data in .run/etcd-<name>/ and rejoins; the --initial-* flags only
# matter the first time.

# setsid (Linux) puts a process in its own session, so that neither closing this terminal nor
# Ctrl-C in it reaches it; nohup covers systems without setsid. Both exec, so $! is the process.
if command -v setsid >/dev/null 2>&1; then
    detach=(nohup setsid)
else
    detach=(nohup)
fi

etcd_urls=""
initial_cluster=""
for ((i = 0; i < ETCD_MEMBERS; i++)); do
    etcd_urls+="${etcd_urls:+,}http://127.0.0.1:${etcd_client_ports[$i]}"
    initial_cluster+="${initial_cluster:+,}m$((i + 1))=http://127.0.0.1:${etcd_peer_ports[$i]}"
done

if ((${#etcd_to_start[@]} > 0)); then
    say "Starting ${#etcd_to_start[@]} etcd member(s)"
    ensure_etcd
    for i in "${etcd_to_start[@]}"; do
        name=m$((i + 1))
        client=${etcd_client_ports[$i]}
        peer=${etcd_peer_ports[$i]}
        "${detach[@]}" "$ETCD" --name "$name" --data-dir "$RUN_DIR/etcd-$name" \
            --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
            --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
            --initial-cluster "$initial_cluster" --initial-cluster-token oversold-lab \
            --initial-cluster-state new >"$RUN_DIR/etcd-$client.log" 2>&1 </dev/null &
        echo "$!" >"$RUN_DIR/etcd-$client.pid"
        info "etcd $name started (pid $!, clients on $client, peers on $peer, log $RUN_DIR/etcd-$client.log)"
    done
    for port in "${etcd_client_ports[@]}"; do
        for ((t = 0; t < 300; t++)); do
            etcd_healthy "$port" && break
            sleep 0.1
        done
        if ! etcd_healthy "$port"; then
            tail -n 20 "$RUN_DIR/etcd-$port.log" >&2 2>/dev/null || true
            die "the etcd member on port $port is not healthy after 30s; see $RUN_DIR/etcd-$port.log"
        fi
        info "etcd on $port: healthy (pid $(live_pid "$RUN_DIR/etcd-$port.pid" || echo '?'))"
    done
else
    say "All ${#etcd_client_ports[@]} etcd members already run"
fi

# ---------------------------------------------------------------------------------------------
# Build.

if ((${#apps_to_start[@]} > 0)); then
    if ! command -v cargo >/dev/null 2>&1; then
        hint="install Rust from https://rustup.rs and run ./start.sh again"
        if docker compose version >/dev/null 2>&1; then
            hint="$hint, or run the lab in containers: docker compose up --build"
        fi
        die "cargo is not installed: $hint"
    fi
    say "Building in release mode (cargo build --release -p oversold -p test_concurrent; the first build takes a few minutes)"
    cargo build --release -p oversold -p test_concurrent || die "the build failed (see the compiler output above)"
    [[ -x $APP_BIN ]] || die "the build finished but $APP_BIN is missing"
else
    say "All app instances already run: skipping the build (./stop.sh, then ./start.sh, to run a fresh build)"
fi

# ---------------------------------------------------------------------------------------------
# App instances, one after the other so that only the first one runs the migrations.

if [[ $DATABASE_URL == sqlite:* ]]; then
    mkdir -p data
fi


wait_for_health() { # port pid
    local port=$1 pid=$2 log=$RUN_DIR/app-$1.log deadline=$((SECONDS + APP_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if health_ok "$port"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "---- last lines of $log ----" >&2
            tail -n 30 "$log" >&2 2>/dev/null || true
            echo "----" >&2
            die "the app on port $port exited during startup; the full log is $log"
        fi
        sleep 0.5
    done
    echo "---- last lines of $log ----" >&2
    tail -n 30 "$log" >&2 2>/dev/null || true
    echo "----" >&2
    die "the app on port $port did not answer GET /health within ${APP_START_TIMEOUT}s (it is still running as pid $pid).
       Read $log; the usual causes are a Redis node or the database not reachable.
       Wait longer with APP_START_TIMEOUT=180 ./start.sh, or stop everything with ./stop.sh"
}

say "App instances over $(redact "$DATABASE_URL") (started one at a time, so only the first runs migrations)"
for port in "${app_ports[@]}"; do
    pidfile=$RUN_DIR/app-$port.pid
    log=$RUN_DIR/app-$port.log
    if our_app "$port"; then
        pid=$(live_pid "$pidfile")
        info "app-$port already runs (pid $pid)"
    else
        peers=""
        for other in "${app_ports[@]}"; do
            [[ $other == "$port" ]] || peers+="${peers:+,}http://127.0.0.1:$other"
        done
        public_url=""
        if ((ROOM)); then
            public_url="http://$PUBLIC_HOST:$port"
        fi
        env BIND="$BIND_HOST:$port" \
            PUBLIC_URL="$public_url" \
            DATABASE_URL="$DATABASE_URL" \
            REDIS_URLS="$redis_urls" \
            ETCD_ENDPOINTS="$etcd_urls" \
            INSTANCE_NAME="app-$port" \
            PEERS="$peers" \
            RUST_LOG="${RUST_LOG:-info}" \
            "${detach[@]}" "$APP_BIN" >"$log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$pidfile"
        info "app-$port started (pid $pid, log $log); waiting for /health"
    fi
    wait_for_health "$port" "$pid"
    info "app-$port is ready: http://127.0.0.1:$port/health answers 200"
done

# ---------------------------------------------------------------------------------------------

targets=""
for port in "${app_ports[@]}"; do
    targets+="${targets:+,}http://127.0.0.1:$port"
done

cat <<EOF

oversold is running.

  Dashboard:   http://127.0.0.1:${app_ports[0]}/
  Instances:   ${targets//,/  }   (one database: $(redact "$DATABASE_URL"))
  Redis nodes: ${redis_urls//,/ }
  etcd:        ${etcd_urls//,/ }
  Logs:        $RUN_DIR/app-*.log, $RUN_DIR/redis-*.log, $RUN_DIR/etcd-*.log

Next, make ten requests fight over the last ticket:

  ./target/release/test_concurrent --target $targets

Stop everything with ./stop.sh
EOF

if ((ROOM)); then
    cat <<EOF

Room mode: the apps listen on every interface of this machine.

  Phones join: http://$PUBLIC_HOST:${app_ports[0]}/join   (the projector shows it as a QR code)
  Projector:   http://$PUBLIC_HOST:${app_ports[0]}/room   (sign in first: http://$PUBLIC_HOST:${app_ports[0]}/ui/login)
EOF
    if [[ -n ${new_token:-} ]]; then
        cat <<EOF
  Admin token: $ADMIN_TOKEN
               (shown this once; kept in $TOKEN_FILE, readable by you only)
EOF
    else
        echo "  Admin token: $token_source"
    fi
fi

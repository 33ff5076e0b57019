#!/usr/bin/env bash
# stop.sh: stops exactly what ./start.sh started, as recorded by the pidfiles under .run/.
#
# A pidfile whose process is gone, or whose pid now belongs to some other program, is removed
# without signalling anything. No process is ever found by name.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF'
Usage: ./stop.sh [--help]

Stops the app instances, Redis nodes and etcd members that ./start.sh started, using the
pidfiles in .run/ (app-<port>.pid, redis-<port>.pid, etcd-<port>.pid): apps first, then Redis,
then etcd. Each process gets SIGTERM and up to
STOP_TIMEOUT seconds (default 10) to exit before SIGKILL. Stale pidfiles are removed.
Nothing else is touched: not a Redis on 6379, not an etcd on 2379, not your database, not data/
(the SQLite file survives, so the next ./start.sh continues where you left off), not the logs
or the etcd data in .run/.
EOF
}

case "${1:-}" in
    -h | --help)
        usage
        exit 0
        ;;
    "") ;;
    *)
        echo "stop.sh: unknown argument: $1 (try ./stop.sh --help)" >&2
        exit 2
        ;;
esac

RUN_DIR=.run
STOP_TIMEOUT=${STOP_TIMEOUT:-10}
[[ $STOP_TIMEOUT =~ ^[0-9]+$ ]] || {
    echo "stop.sh: STOP_TIMEOUT must be a number of seconds (got '$STOP_TIMEOUT')" >&2
    exit 1
}

say() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }

stopped=0
stale=0
failed=0

# Is the command line $2 the kind of process the pidfile kind $1 on port $3 records?
matches() {
    local kind=$1 args=$2 port=$3
    case $kind in
        app) [[ $args == *oversold* ]] ;;
        redis) [[ $args == *server* && ($args == *":$port"* || $args == *"--port $port"*) ]] ;;
        etcd) [[ $args == *etcd* && $args == *"127.0.0.1:$port"* ]] ;;
        *) return 1 ;;
    esac
}

stop_pidfile() { # kind pidfile
    local kind=$1 file=$2 name port pid args waited
    name=$(basename "$file" .pid)
    port=${name#*-}
    pid=$(head -n 1 "$file" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ ]]; then
        info "$name: pidfile holds no pid: removed $file"
        rm -f "$file"
        stale=$((stale + 1))
        return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        info "$name: pid $pid is not running (stale pidfile): removed $file"
        rm -f "$file"
        stale=$((stale + 1))
        return
    fi
    args=$(ps -p "$pid" -o args= 2>/dev/null || true)
    if ! matches "$kind" "$args" "$port"; then
        info "$name: pid $pid is now '$args', not something start.sh started: left it alone, removed $file"
        rm -f "$file"
        stale=$((stale + 1))
        return
    fi
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        info "$name: pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s: sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    if kill -0 "$pid" 2>/dev/null; then
        info "$name: pid $pid is still running; could not stop it (is it another user's process?)"
        failed=$((failed + 1))
        return
    fi
    rm -f "$file"
    case $kind in
        app) info "stopped app instance on port $port (pid $pid)" ;;
        redis) info "stopped Redis node on port $port (pid $pid)" ;;
        etcd) info "stopped etcd member on port $port (pid $pid)" ;;
    esac
    stopped=$((stopped + 1))
}

if [[ ! -d $RUN_DIR ]]; then
    say "Nothing to stop: there is no $RUN_DIR/ directory (./start.sh has not run here)"
    exit 0
fi

shopt -s nullglob
app_files=("$RUN_DIR"/app-*.pid)
redis_files=("$RUN_DIR"/redis-*.pid)
etcd_files=("$RUN_DIR"/etcd-*.pid)
shopt -u nullglob

if ((${#app_files[@]} + ${#redis_files[@]} + ${#etcd_files[@]} == 0)); then
    say "Nothing to stop: no pidfiles under $RUN_DIR/"
    exit 0
fi

if ((${#app_files[@]} > 0)); then
    say "Stopping app instances"
    for file in "${app_files[@]}"; do
        stop_pidfile app "$file"
    done
fi
if ((${#redis_files[@]} > 0)); then
    say "Stopping Redis nodes"
    for file in "${redis_files[@]}"; do
        stop_pidfile redis "$file"
    done
fi
if ((${#etcd_files[@]} > 0)); then
    say "Stopping etcd members"
    for file in "${etcd_files[@]}"; do
        stop_pidfile etcd "$file"
    done
fi

if ((failed > 0)); then
    say "Done: $stopped stopped, $stale stale pidfile(s) removed, $failed could NOT be stopped"
    exit 1
fi
say "Done: $stopped stopped, $stale stale pidfile(s) removed"

#!/usr/bin/env bash
# bench.sh: regenerates BENCHMARKS.md (and the charts under docs/bench/) from both benchmarks.
#
# 1. the lock library's micro-benchmark (cargo bench -p oversold-lock --bench lock): its own five
#    redis-server processes on free ports, our lock next to the raw SET NX PX + EVALSHA cycle and
#    the rslock crate;
# 2. test_concurrent bench against the running lab (./start.sh first): every strategy, a hot
#    event and an event per client, at 1, 16 and 64 clients (and 512 on the hot event), next to
#    the database's own limit and a trivial route, then the waves of 10,000 requests.
# Each program rewrites its own section of BENCHMARKS.md from what it printed.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF2'
Usage: ./bench.sh [--help]

Runs both benchmarks and rewrites BENCHMARKS.md and docs/bench/*.svg. Start the lab first with
./start.sh (same environment), stop it afterwards with ./stop.sh. Takes about 10 minutes.

Environment:
  APP_PORTS        the lab's app ports, as given to ./start.sh     (default 8080,8081)
  BENCH_SECONDS    seconds per strategy cell                        (default 3)
  LOCK_SECONDS     seconds per lock-benchmark measurement           (default 1)
  LOCK_ROUNDS      rounds of the lock benchmark                     (default 10)
  REPORT           the report to rewrite                            (default BENCHMARKS.md)
  DATABASE_URL     the lab's database, as given to ./start.sh       (default sqlite://data/oversold.db)

Example:
  ./start.sh && ./bench.sh && ./stop.sh
EOF2
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    usage
    exit 0
fi
if [[ $# -gt 0 ]]; then
    echo "bench.sh: unknown argument: $1 (try ./bench.sh --help)" >&2
    exit 2
fi

APP_PORTS=${APP_PORTS:-8080,8081}
REPORT=${REPORT:-BENCHMARKS.md}
targets=""
IFS=',' read -r -a ports <<<"${APP_PORTS// /}"
for port in "${ports[@]}"; do
    targets+="${targets:+,}http://127.0.0.1:$port"
done

command -v redis-server >/dev/null ||
    { echo "bench.sh: redis-server is not on PATH: run ./start.sh (it installs it) first" >&2; exit 1; }

echo "==> the lock library against raw Redis and rslock"
# A relative --report is taken from the workspace root (cargo runs a bench in its crate's directory).
cargo bench -p oversold-lock --bench lock -- --seconds "${LOCK_SECONDS:-1}" --rounds "${LOCK_ROUNDS:-10}" --report "$REPORT"

echo "==> every strategy against the lab at $targets"
# The database's own limit is measured on the lab's database, the one start.sh opened.
DATABASE_URL=${DATABASE_URL:-sqlite://data/oversold.db} \
    cargo run --release -p test_concurrent -- bench --target "$targets" \
    --seconds "${BENCH_SECONDS:-3}" --report "$REPORT" --charts docs/bench

echo "==> wrote $REPORT and docs/bench/"

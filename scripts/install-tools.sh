#!/usr/bin/env bash
# Install the command-line tools the executor runs (Debian packages): espeak-ng for speech synthesis,
# tesseract for OCR (English), DejaVu fonts to render text into images; chromium for the dashboards'
# browser tests (driven by playwright, which never downloads a browser here).
# Idempotent and quiet when everything is there. As root with apt-get the packages are installed;
# otherwise the command to install them is printed. Exits 1 when something is still missing.
#   bash scripts/install-tools.sh
set -euo pipefail

# package=a file the platform runs from it
APT_PACKAGES=(
  "espeak-ng=/usr/bin/espeak-ng"
  "tesseract-ocr=/usr/bin/tesseract"
  "fonts-dejavu-core=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
  "chromium=/usr/bin/chromium"
)
missing=()
for entry in "${APT_PACKAGES[@]}"; do
  [ -e "${entry#*=}" ] || missing+=("${entry%%=*}")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tools: installing ${missing[*]} (apt-get)"
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    apt-get update >"$log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1 || {
      tail -20 "$log" >&2; echo "tools: could not install ${missing[*]}" >&2; exit 1; }
  fi
else
  echo "tools: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs the Debian packages Duplex needs, only those missing.
# Used by `make run` and `make test`; safe to run again.
set -euo pipefail

pkgs=(
  gcc pkg-config          # cgo
  libopus-dev libopusfile-dev   # Opus codec (github.com/hraban/opus)
  espeak-ng sox           # test utterances and audio checks
  libespeak-ng-dev        # tts/espeak (cgo)
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us   # stt/sphinx (cgo) and its en-US model
  libturbojpeg0-dev       # camera snapshots' JPEG (internal/turbojpeg, cgo)
  chromium                # browser end-to-end tests (e2e/browser)
)

missing=()
for p in "${pkgs[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not on PATH (expected /usr/local/go/bin)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs the Debian packages Duplex needs (only those missing) and the
# client libraries of e2e/clients (npm ci + bundle, only when changed).
# Used by `make run` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pkgs=(
  gcc pkg-config          # cgo
  libopus-dev libopusfile-dev   # Opus codec (github.com/hraban/opus)
  espeak-ng sox           # test utterances and audio checks
  libespeak-ng-dev        # tts/espeak (cgo)
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us   # stt/sphinx (cgo) and its en-US model
  libturbojpeg0-dev       # camera snapshots' JPEG (internal/turbojpeg, cgo)
  chromium                # browser end-to-end tests (e2e/browser)
  libavcodec-dev libavutil-dev libswscale-dev   # media video decoder (cgo): H.264, VP8, VP9
  ffmpeg                  # camera test streams (media, callbot -video)
  pocketsphinx-testdata   # real human recordings (stt/sphinx tests, cmd/stt-eval)
  festival festvox-us-slt-hts   # a non-espeak voice (text2wave) for cmd/stt-eval
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
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not on PATH (expected /usr/local/go/bin)" >&2
  exit 1
fi

# Node.js and npm for the client-library tests (e2e/clients). Checked by
# command, not package: a NodeSource nodejs bundles npm and conflicts with
# Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# The official client libraries, pinned by e2e/clients/package-lock.json:
# npm ci when node_modules is missing or the lockfile changed, then the
# browser bundles (build/) when the lockfile, build.mjs or an entry changed.
clients=e2e/clients
lock_sum=$(sha256sum "$clients/package-lock.json" | cut -d' ' -f1)
if [[ ! -d $clients/node_modules || "$(cat "$clients/node_modules/.duplex-lock" 2>/dev/null)" != "$lock_sum" ]]; then
  echo "deps: npm ci in $clients"
  (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$clients/node_modules/.duplex-lock"
fi
build_sum=$(cat "$clients/package-lock.json" "$clients/build.mjs" "$clients"/entries/*.js | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$clients/build/.duplex-build" 2>/dev/null)" != "$build_sum" ]]; then
  echo "deps: bundling the client libraries into $clients/build"
  rm -rf "$clients/build"
  (cd "$clients" && node build.mjs)
  echo "$build_sum" >"$clients/build/.duplex-build"
fi

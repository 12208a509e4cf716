#!/usr/bin/env bash
# Installs what the aiortc peer baseline (bench/peer/server.py) needs:
# Debian's python3-aiortc (1.4, which brings python3-av) and espeak-ng for
# its reply. Only the capacity benchmark uses it (cmd/bench runs this script
# when aiortc does not import); `make test` does not. Installs only what is
# missing; safe to run again.
set -euo pipefail

pkgs=(python3-aiortc espeak-ng)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "bench/peer: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's Python packages import only under /usr/bin/python3 (another
# python3 may come first on PATH).
/usr/bin/python3 -c 'import aiortc, av'

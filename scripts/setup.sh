#!/usr/bin/env bash
# One command from a fresh Debian/Ubuntu clone to a beat in ./out, no Discord token needed:
# system packages (libfluidsynth3, libopus0), .venv, the package, then a demo beat. Audio is
# encoded in process (LAME inside the lameenc wheel, the system's libopus), so ffmpeg is not
# needed.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ldconfig -p 2>/dev/null | grep -q libfluidsynth.so.3 || need+=(libfluidsynth3)
ldconfig -p 2>/dev/null | grep -q libopus.so.0 || need+=(libopus0)
python3 -m venv --help >/dev/null 2>&1 && python3 -c "import ensurepip" 2>/dev/null \
  || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install: ${need[*]}" >&2; exit 1; }
    sudo="sudo -n"
  fi
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
mkdir -p out
.venv/bin/beatbot beat bpm=90 bars=8 style=any seed=1 --out out
echo "setup: done. Your beat is in ./out; run the tests with: bash scripts/test.sh"

#!/usr/bin/env bash
# Runs every test. Installs the train and test extras (TensorFlow for the Keras parity and
# training tests, simcord, hypothesis, ruff) into .venv first; run scripts/setup.sh once before.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "test: run bash scripts/setup.sh first" >&2; exit 1; }
.venv/bin/python -m pip install -q -e '.[train,test]'
exec .venv/bin/python -m pytest "$@"

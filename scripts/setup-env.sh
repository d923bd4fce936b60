#!/usr/bin/env bash
# Create .venv with everything Dubline needs (and, with --test, what its tests need).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
# torch first, pinned, so a later range never pulls a CUDA build (see README).
if [ "${DUBLINE_WITH_TORCH:-0}" = "1" ]; then
  python -m pip install -q "torch==2.13.0"
fi
# g2p-en ships the Apache-2.0 letter-to-sound model we use for unknown English
# words; install it without its dependencies (one of them is GPL, none is needed).
python -m pip install -q --no-deps "g2p-en==2.1.0"
# resemblyzer ships the Apache-2.0 GE2E speaker-encoder weights we run in numpy
# (engine/speaker.py); its own dependencies (torch, librosa, webrtcvad) are not needed.
python -m pip install -q --no-deps "resemblyzer==0.1.4"
if [ "${1:-}" = "--test" ]; then
  python -m pip install -q -e ".[test]"
else
  python -m pip install -q -e .
fi

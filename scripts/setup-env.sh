#!/usr/bin/env bash
# Create .venv with everything Dubline needs (and, with --test, what its tests need).
# --indextts2 also makes .venv-indextts2: the IndexTTS2 backend's own environment
# (indextts2-inference with its CUDA torch and transformers, ~7 GB), kept apart
# from the editor's so the two never fight over versions.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WANT_TEST=0
WANT_INDEXTTS2=0
for arg in "$@"; do
  case "$arg" in
    --test) WANT_TEST=1 ;;
    --indextts2) WANT_INDEXTTS2=1 ;;
    *) echo "setup-env.sh: unknown option $arg (use --test, --indextts2)" >&2; exit 2 ;;
  esac
done
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
# torch first, pinned, so a later range never pulls a CUDA build (see README).
if [ "${DUBLINE_WITH_TORCH:-0}" = "1" ]; then
  python -m pip install -q "torch==2.13.0"
fi
# The speaker encoder's and the English letter-to-sound model's weights ship in resources/models/
# (Apache-2.0, from resemblyzer and g2p-en, whose own dependencies we do not want): nothing extra here.
# pip's and setuptools' chatter (an editable-install notice) only when something goes wrong
PIPLOG="$(mktemp)"
# --test also installs the optional transcription and cluster (Ray) extras, so their tests run in CI
if [ "$WANT_TEST" = "1" ]; then SPEC=".[test,transcribe,cluster]"; else SPEC="."; fi
if ! python -m pip install -q -e "$SPEC" >"$PIPLOG" 2>&1; then
  cat "$PIPLOG" >&2
  rm -f "$PIPLOG"
  exit 1
fi
rm -f "$PIPLOG"
# The engine's native kernels (engine/embedded/native: ~15 % faster synthesis) are compiled once
# with the system C compiler; without one it runs on onnxruntime's own operators.
if ! command -v cc >/dev/null && ! command -v gcc >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq gcc libc6-dev >/dev/null) || echo "note: could not install gcc" >&2
  else
    echo "note: install a C compiler (gcc) for faster speech synthesis" >&2
  fi
fi
python -c "from engine.embedded import native; print('dubline:', native.status())" || true
# Kokoro's Mandarin voices, whose prosody the Japanese stock voices speak Mandarin with, ship in the npm
# package kokoro-js (Apache-2.0): taken once from the npm registry into .venv/share/dubline (checked by its
# SHA-256).  Without them Mandarin is spoken with each voice's own prosody (a stronger accent).
python -m engine.embedded.zh_voices install --if-missing \
  || echo "note: Mandarin prosody off (kokoro-js could not be fetched from the npm registry)" >&2
deactivate
# The tests open the real editor on Xvfb: its X server, and the libraries Qt's xcb plugin needs.
if [ "$WANT_TEST" = "1" ]; then
  bash scripts/system-libs.sh --test
fi

if [ "$WANT_INDEXTTS2" = "1" ]; then
  SPEC="indextts2-inference>=2.1,<3"
  STAMP=.venv-indextts2/.dubline-installed
  if [ ! -x .venv-indextts2/bin/python ]; then
    "$PY" -m venv .venv-indextts2
  fi
  if [ "$(cat "$STAMP" 2>/dev/null)" != "$SPEC" ]; then
    echo "setting up .venv-indextts2 (IndexTTS2 with its own torch; a few minutes the first time)" >&2
    .venv-indextts2/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv-indextts2/bin/python -m pip install -q "$SPEC" "soundfile>=0.12"
    # NeMo's zh/en text-normalisation grammars compile once into the package's cache (~30 s).
    .venv-indextts2/bin/python -c "from indextts.utils.front import TextNormalizer; TextNormalizer().load()" \
      >/dev/null 2>&1
    echo "$SPEC" > "$STAMP"
  fi
fi

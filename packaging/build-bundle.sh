#!/usr/bin/env bash
# Build Dubline's one-folder app bundle with PyInstaller: dist/bundle/dubline/ (the programs
# `dubline` and `dubline-editor`, Python, Qt and every model file), and dist/bundle/dubline-linux-x86_64.tar.gz
# unless --no-archive.  It is made from the wheel installed into its own build environment
# (build/bundle/venv), so the bundle holds exactly what the wheel ships.  Prints its size.
# The same spec (packaging/dubline.spec) is meant for Windows and macOS: see README "Installing".
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=1
for arg in "$@"; do
  case "$arg" in
    --no-archive) ARCHIVE=0 ;;
    *) echo "build-bundle.sh: unknown option $arg (use --no-archive)" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
BUILD=build/bundle
OUT=${DUBLINE_BUNDLE_DIST:-dist/bundle}
START=$(date +%s)
if [ ! -x "$BUILD/venv/bin/python" ]; then
  "$PY" -m venv "$BUILD/venv"
  "$BUILD/venv/bin/python" -m pip install -q --upgrade pip >/dev/null
fi
WHEEL="$(PYTHON="$BUILD/venv/bin/python" bash scripts/build-wheel.sh "$BUILD/wheel")"
"$BUILD/venv/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$BUILD/venv/bin/python" -m pip install -q "$WHEEL" "pyinstaller>=6.10,<7"
# kokoro-js's Mandarin voices (engine/embedded/zh_voices.py) go into the bundle from the build environment:
# copied from .venv where setup-env.sh put them, else taken from the npm registry once
ZH=share/dubline/kokoro-js-1.2.1
if [ -f ".venv/$ZH/voices_zh.npz" ] && [ ! -f "$BUILD/venv/$ZH/voices_zh.npz" ]; then
  mkdir -p "$BUILD/venv/$ZH" && cp ".venv/$ZH/voices_zh.npz" ".venv/$ZH/LICENSE" "$BUILD/venv/$ZH/"
fi
"$BUILD/venv/bin/python" -m engine.embedded.zh_voices install --if-missing \
  || echo "build-bundle: note: the bundle speaks Mandarin without kokoro-js's prosody" >&2
"$BUILD/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath "$OUT" --workpath "$BUILD/work" \
  packaging/dubline.spec
echo "build-bundle: $OUT/dubline: $(du -sm "$OUT/dubline" | cut -f1) MiB, built in $(( $(date +%s) - START )) s"
if [ "$ARCHIVE" = "1" ]; then
  NAME="dubline-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m).tar.gz"
  tar -C "$OUT" -czf "$OUT/$NAME" dubline
  echo "build-bundle: $OUT/$NAME: $(du -sm "$OUT/$NAME" | cut -f1) MiB"
fi

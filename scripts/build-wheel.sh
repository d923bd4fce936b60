#!/usr/bin/env bash
# Build Dubline's wheel into OUTDIR (default dist/) and print its path.  It is built from a clean
# copy of the source (what git tracks plus new files it does not ignore), so nothing an earlier
# build left in build/ can end up in it.  PYTHON picks the interpreter (default: .venv's, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
SRC="$(mktemp -d "${TMPDIR:-/tmp}/dubline-src.XXXXXX")"
trap 'rm -rf "$SRC"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | xargs -0 tar --ignore-failed-read -cf - 2>/dev/null \
    | tar -xf - -C "$SRC"
else
  tar -cf - --exclude=./.venv --exclude='./.venv-*' --exclude=./build --exclude=./dist . | tar -xf - -C "$SRC"
fi
rm -f "$OUT"/dubline-*.whl
"$PY" -m pip wheel -q --no-deps -w "$OUT" "$SRC" >"$SRC/build.log" 2>&1 || { cat "$SRC/build.log" >&2; exit 1; }
ls "$OUT"/dubline-*.whl

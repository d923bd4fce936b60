#!/usr/bin/env bash
# The wheel on its own: build it, install it into a fresh venv outside the checkout (pip resolves
# the dependencies from the registry as for any user; torch must not come along, and no resolver
# ERROR may be printed), then run the README's commands from an empty folder with empty user
# folders: an emotion prompt, a voice cloned from a clip (with consent; a shorter style search to
# keep CI quick), the demo render.
# Prints the wheel's size and the install time.  Run by scripts/run-tests.sh (DUBLINE_SKIP_WHEEL=1
# skips it); needs python3 with venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dubline-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "check-wheel: FAILED: $*" >&2; exit 1; }

WHEEL="$(PYTHON="$PY" bash scripts/build-wheel.sh "$WORK/dist")" || fail "wheel build"
echo "check-wheel: built $(basename "$WHEEL"): $(du -k "$WHEEL" | cut -f1) KiB"
"$PY" - "$WHEEL" <<'EOF' || fail "the wheel lacks data files"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["dubline_resources/emotion/anchors.json", "dubline_resources/demo/lines.json",
        "dubline_resources/demo/demo.mp4", "dubline_resources/models/ge2e/ge2e_encoder.npz",
        "dubline_resources/models/ge2e/LICENSE", "dubline_resources/models/g2p_en/checkpoint20.npz",
        "dubline_resources/models/g2p_en/NOTICE", "engine/embedded/native/ortops.c",
        "project/model.py", "cli/main.py", "editor/mainwindow.py", "engine/audio_decode.py"]
missing = [n for n in need if n not in names]
assert not missing, missing
EOF

"$PY" -m venv "$WORK/venv"
START=$(date +%s)
"$WORK/venv/bin/python" -m pip install "$WHEEL" >"$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log" >&2; fail "pip install"; }
echo "check-wheel: pip install into a fresh venv: $(( $(date +%s) - START )) s"
if grep -E "^ERROR|dependency resolver" "$WORK/install.log" >&2; then fail "pip printed resolver errors"; fi
"$WORK/venv/bin/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is not None)" \
  || fail "torch was installed"

# Everything below runs as a user would: outside the checkout, fresh cache, data and config folders.
mkdir -p "$WORK/run" "$WORK/home"
cd "$WORK/run"
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache" XDG_DATA_HOME="$WORK/home/.local/share" \
       XDG_CONFIG_HOME="$WORK/home/.config"
unset PYTHONPATH DUBLINE_CACHE DUBLINE_DATA DUBLINE_CONFIG DISPLAY WAYLAND_DISPLAY
DUB="$WORK/venv/bin/dubline"
[ -x "$WORK/venv/bin/dubline-editor" ] || fail "the dubline-editor gui-script is missing"

"$DUB" say "快点！" --emotion-text 焦急地催促 --duration 1.2 --json >say.json || fail "say --emotion-text"
"$WORK/venv/bin/python" - <<'EOF' || fail "say --emotion-text: unexpected result"
import json
r = json.load(open("say.json", encoding="utf-8"))
assert r["samples"] == 28800, r["samples"]
assert max(r["emotion_vector"]) > 0.5, r["emotion_vector"]
print("check-wheel: emotion prompt 焦急地催促 ->", r["emotion_vector"])
EOF
"$DUB" say "今天天气很好，我们一起去公园散步吧。路上可以买一杯咖啡，顺便看看湖边新开的花。" --voice jm_kumo \
  -o reference.wav 2>/dev/null || fail "say (the reference clip)"
DUBLINE_ENROLL_ITERATIONS=3 "$DUB" voice add "Wheel Test" reference.wav --consent "synthetic clip made by check-wheel.sh" \
  >voice.txt 2>/dev/null || fail "voice add"
echo "check-wheel: $(tail -1 voice.txt)"
"$DUB" say "你好，我是刚克隆的声音。" --voice "Wheel Test" -o cloned.wav --duration 2.0 --json >cloned.json \
  || fail "say with the cloned voice"
grep -q '"samples": 48000' cloned.json || fail "the cloned voice's line is not 2.0 s"
"$DUB" say "The bank closes at five, quizzaciously." -o english.wav 2>/dev/null || fail "say (English, unknown word)"
"$DUB" demo -o demo >/dev/null 2>&1 || fail "dubline demo"
[ -s demo/demo_mix.wav ] || fail "the demo mix is missing"
# with no display, `dubline` renders the demo (the editor's fallback), from the installed data
"$DUB" >/dev/null 2>&1 || fail "dubline without a display"
[ -s out/demo/demo_mix.wav ] || fail "the no-display demo render is missing"
echo "check-wheel: ok (emotion prompt, cloned voice, English, demo render, no-display start; no torch)"

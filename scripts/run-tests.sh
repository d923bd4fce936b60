#!/usr/bin/env bash
# Install everything the tests need, lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The IndexTTS2 backend's tests run its real package on tiny random weights, in its own
# environment; DUBLINE_SKIP_INDEXTTS2=1 skips making it (those tests then skip).
if [ "${DUBLINE_SKIP_INDEXTTS2:-0}" = "1" ]; then
  bash scripts/setup-env.sh --test
else
  bash scripts/setup-env.sh --test --indextts2
  export DUBLINE_REQUIRE_INDEXTTS2=1
fi
# setup-env.sh installs a C compiler where it can: the native kernels must then be in use.
if command -v cc >/dev/null || command -v gcc >/dev/null; then
  export DUBLINE_REQUIRE_NATIVE=1
fi
# It also installs Xvfb where it can (Debian, as root): the real-window test must then run, not skip.
if command -v Xvfb >/dev/null || { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; }; then
  export DUBLINE_REQUIRE_XVFB=1
fi
. .venv/bin/activate
# setup-env.sh takes kokoro-js's Mandarin voices from the npm registry: where it could, they must be in use.
if python -m engine.embedded.zh_voices status >/dev/null; then
  export DUBLINE_REQUIRE_ZH_VOICES=1
fi
ruff check .
# The wheel alone, installed as a user installs it (fresh venv outside the checkout);
# DUBLINE_SKIP_WHEEL=1 leaves it out.  Before the tests, so pytest's summary closes the output.
if [ "${DUBLINE_SKIP_WHEEL:-0}" != "1" ]; then
  bash scripts/check-wheel.sh
fi
# The Linux app bundle (PyInstaller), built and started on Xvfb: a line rendered, the main window
# grabbed from the screen, size and start-up time printed.  About 5 minutes on two cores, capped
# at 25; DUBLINE_SKIP_BUNDLE=1 leaves it out.
if [ "${DUBLINE_SKIP_BUNDLE:-0}" != "1" ]; then
  timeout 1500 bash packaging/build-bundle.sh --no-archive
  timeout 600 python packaging/check_bundle.py dist/bundle/dubline
fi
export QT_QPA_PLATFORM=offscreen
python -m pytest -q "$@"

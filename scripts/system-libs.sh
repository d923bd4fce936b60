#!/usr/bin/env bash
# System packages the editor needs beside .venv: what Qt's display plugin cannot load here (found by
# ldd on the plugin and everything it links, named as Debian packages by editor/qt_platform.py, not
# a fixed list), a CJK font for Chinese lines, libpulse for sound.  With --test also Xvfb and xauth
# (the editor's real-window test).  Installs them on Debian/Ubuntu as root, otherwise names them.
# Needs .venv (scripts/setup-env.sh); called by run.sh and by setup-env.sh --test.
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WANT_TEST=1 ;;
    *) echo "system-libs.sh: unknown option $arg (use --test)" >&2; exit 2 ;;
  esac
done
PY=.venv/bin/python
qt_missing() {
  { "$PY" -m editor.qt_platform --platform xcb "$@"
    if [ "${XDG_SESSION_TYPE:-}" = "wayland" ]; then "$PY" -m editor.qt_platform --platform wayland "$@"; fi
  } | sort -u | tr '\n' ' '
}
QT_NEED="$(qt_missing)"
EXTRA=""
if ! command -v fc-list >/dev/null; then
  EXTRA="$EXTRA fontconfig fonts-noto-cjk"  # a bare system: no font tools, so no CJK font either
elif [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  EXTRA="$EXTRA fonts-noto-cjk"
fi
if command -v ldconfig >/dev/null && ! ldconfig -p 2>/dev/null | grep -q "libpulse.so.0"; then
  EXTRA="$EXTRA libpulse0"
fi
if [ "$WANT_TEST" = "1" ]; then
  command -v Xvfb >/dev/null || EXTRA="$EXTRA xvfb"
  command -v xauth >/dev/null || EXTRA="$EXTRA xauth"
fi
# shellcheck disable=SC2086
NEED="$(echo $QT_NEED $EXTRA)"
[ -n "$NEED" ] || exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "dubline: installing system packages for the editor: $NEED" >&2
  LOG="$(mktemp)"
  if apt-get update -qq >"$LOG" 2>&1; then
    # asked again now that apt-cache knows this release's names (e.g. the t64 renames)
    [ -z "$QT_NEED" ] || QT_NEED="$(qt_missing --apt)"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $QT_NEED $EXTRA \
         >"$LOG" 2>&1; then
      tail -5 "$LOG" >&2
      echo "dubline: note: could not install $QT_NEED $EXTRA" >&2
    fi
  else
    tail -5 "$LOG" >&2
    echo "dubline: note: apt-get update failed; install $NEED yourself" >&2
  fi
  rm -f "$LOG"
  STILL="$(qt_missing --libraries)"
  [ -z "$STILL" ] || echo "dubline: note: Qt's display plugin still lacks $STILL" >&2
else
  echo "dubline: note: the editor needs these system packages (Debian/Ubuntu names): $NEED" >&2
  echo "dubline: note: install them with: sudo apt-get install $NEED" >&2
fi

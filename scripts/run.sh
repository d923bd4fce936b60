#!/usr/bin/env bash
# Install Dubline and run it: the editor when a display is available,
# otherwise a headless render of the bundled demo into out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
# Chinese lines need a CJK font in the editor, and sound needs libpulse (Qt Multimedia);
# install what is missing where we can (Debian, as root).
NEED=""
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  NEED="$NEED fonts-noto-cjk"
fi
if command -v ldconfig >/dev/null && ! ldconfig -p 2>/dev/null | grep -q "libpulse.so.0"; then
  NEED="$NEED libpulse0"
fi
if [ -n "$NEED" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    # shellcheck disable=SC2086
    (apt-get update -qq && apt-get install -y -qq $NEED >/dev/null) || echo "note: could not install$NEED" >&2
  else
    echo "note: install$NEED (Debian/Ubuntu names) for Chinese text and sound in the editor" >&2
  fi
fi
. .venv/bin/activate
exec dubline "$@"

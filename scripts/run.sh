#!/usr/bin/env bash
# Install Dubline and run it: the editor when a display is available,
# otherwise a headless render of the bundled demo into out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
# Chinese lines need a CJK font in the editor; install one where we can (Debian, as root).
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) || echo "note: could not install fonts-noto-cjk" >&2
  else
    echo "note: no CJK font found; install fonts-noto-cjk (or similar) to see Chinese text in the editor" >&2
  fi
fi
. .venv/bin/activate
exec dubline "$@"

#!/usr/bin/env bash
# Install Dubline and run it: the editor when a display is available,
# otherwise a headless render of the bundled demo into out/demo/.
# System libraries the editor's window needs (Qt's display plugin, found with ldd) are
# installed on Debian/Ubuntu as root and named otherwise (scripts/system-libs.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
bash scripts/system-libs.sh
. .venv/bin/activate
exec dubline "$@"

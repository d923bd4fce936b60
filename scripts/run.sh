#!/usr/bin/env bash
# Install Dubline and run it: the editor when a display is available,
# otherwise a headless render of the bundled demo into out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
. .venv/bin/activate
exec dubline "$@"

#!/usr/bin/env bash
# Install everything the tests need, lint, and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh --test
. .venv/bin/activate
ruff check .
export QT_QPA_PLATFORM=offscreen
python -m pytest -q "$@"

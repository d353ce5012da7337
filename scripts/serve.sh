#!/usr/bin/env bash
# Builds (installing what is missing) and runs the server at http://127.0.0.1:8080
# Extra arguments go to `mixmeet serve`, e.g. --config my.ini
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
exec build/src/mixmeet serve --config config/mixmeet.ini "$@"

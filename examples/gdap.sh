#!/usr/bin/env bash
# Runs the "Granular delegated admin" section of docs/walkthrough.md (its ```sh blocks, as printed there)
# against a fresh `serve --demo`, failing on any unexpected status, like examples/walkthrough.sh.
#
#   examples/gdap.sh [BASE_URL]     (default http://127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."
exec examples/walkthrough.sh "${1:-http://127.0.0.1:8080}" "Granular delegated admin"

#!/usr/bin/env bash
# The main job: set everything up, then run every dispute drill on the embedded chain.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocp/numba}"
exec .venv/bin/ocp drill run all "$@"

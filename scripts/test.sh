#!/usr/bin/env bash
# The whole test suite (lint first), after the same set-up as the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
.venv/bin/ruff check taptrees regtest ocp tests bench
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# The whole test suite (lint first), after the same set-up as the main job, against
# both chain backends: scripts/bitcoind.sh finds or builds (once, cached) the
# bitcoind the bitcoind half runs on.  OCP_NO_BITCOIND=1 skips that half.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# numba's compiled kernels live beside the bitcoind cache, so a fresh clone reuses them
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocp/numba}"
node=$(bash scripts/bitcoind.sh)
if [ -n "$node" ]; then
    export BITCOIND="$node"
fi
.venv/bin/ruff check taptrees regtest ocp tests bench
.venv/bin/ruff format --check taptrees regtest ocp tests bench
# both cores: pytest-xdist runs the suite in OCP_TEST_WORKERS processes (default: one per core)
exec .venv/bin/python -m pytest -n "${OCP_TEST_WORKERS:-auto}" "$@"

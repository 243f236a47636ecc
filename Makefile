# Two commands do everything on a fresh Debian machine (see README.md).
.PHONY: setup drill test lint bench

# numba's compiled hash kernels are cached here (about 30 s to build cold)
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

setup:
	@bash scripts/setup.sh

drill: setup
	@.venv/bin/ocp drill run all

test: setup
	@.venv/bin/ruff check taptrees regtest ocp tests bench
	@.venv/bin/python -m pytest

lint: setup
	@.venv/bin/ruff check taptrees regtest ocp tests bench

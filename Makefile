# Two commands do everything on a fresh Debian machine (see README.md).
.PHONY: setup drill test lint bench

setup:
	@bash scripts/setup.sh

drill: setup
	@.venv/bin/ocp drill run all

test: setup
	@.venv/bin/ruff check taptrees regtest ocp tests bench
	@.venv/bin/python -m pytest

lint: setup
	@.venv/bin/ruff check taptrees regtest ocp tests bench

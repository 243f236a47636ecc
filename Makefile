# Convenience targets; the README's two commands are scripts/drill.sh and scripts/test.sh.
.PHONY: setup drill test lint

setup:
	@bash scripts/setup.sh

drill:
	@bash scripts/drill.sh

test:
	@bash scripts/test.sh

lint: setup
	@.venv/bin/ruff check taptrees regtest ocp tests bench

"""Shared fixtures: the test vectors in ``tests/vectors`` (see its README for origins)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent / "vectors"


def vector_path(name: str) -> Path:
    """Path of a vector file shipped with the tests."""
    return VECTORS / name


def load_json_vectors(name: str) -> Any:
    """A JSON vector file, parsed."""
    with vector_path(name).open(encoding="utf-8") as f:
        return json.load(f)


def load_csv_vectors(name: str) -> list[dict[str, str]]:
    """A CSV vector file as one dict per row, keyed by the header."""
    with vector_path(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def core_cases(name: str) -> list[list[Any]]:
    """Rows of a Bitcoin Core JSON test file, comments (one-string rows) left out."""
    return [
        row for row in load_json_vectors(name) if not (len(row) == 1 and isinstance(row[0], str))
    ]

"""The test vectors in this folder (see README.md for origins) and loaders for them.

A package rather than conftest.py helpers: several conftest.py files live under
tests/, and ``from conftest import ...`` would pick whichever was imported last.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent


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
    return [row for row in load_json_vectors(name) if not (len(row) == 1 and isinstance(row[0], str))]


def core_asm(text: str) -> bytes:
    """Bitcoin Core's test-ASM dialect (``ParseScript`` in core_io.cpp) to bytes.

    Tokens: decimal numbers (pushed as minimal script numbers: OP_0, OP_1NEGATE,
    OP_1..OP_16 or a CScriptNum push), ``0x``-prefixed hex (inserted raw, not pushed),
    ``'strings'`` (pushed as data with the shortest push opcode) and opcode names
    with or without ``OP_``.  Core's numbers must lie in [-0xffffffff, 0xffffffff].
    """
    from taptrees.opcodes import opcode_from_name
    from taptrees.script import push_bytes, push_int

    out = bytearray()
    for token in text.split():
        digits = token[1:] if token.startswith("-") else token
        if digits.isdigit():
            value = int(token)
            if not -0xFFFFFFFF <= value <= 0xFFFFFFFF:
                raise ValueError(f"Core ASM number out of range: {token}")
            out += push_int(value)
        elif token.startswith("0x") and len(token) > 2:
            out += bytes.fromhex(token[2:])
        elif len(token) >= 2 and token[0] == token[-1] == "'":
            out += push_bytes(token[1:-1].encode())
        else:
            out.append(opcode_from_name(token))
    return bytes(out)


def core_script_fields(row: list[Any]) -> tuple[list[Any] | None, str, str, str, str]:
    """(witness-and-amount or None, scriptSig ASM, scriptPubKey ASM, flags, expected)
    of a script_tests.json row."""
    if isinstance(row[0], list):
        return row[0], row[1], row[2], row[3], row[4]
    return None, row[0], row[1], row[2], row[3]

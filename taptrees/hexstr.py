"""Hex text to bytes with an error that says what is wrong, in words (never
Python's own ``fromhex`` message)."""

from __future__ import annotations

from taptrees.errors import InputError

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_hex(text: str, what: str) -> bytes:
    """``text`` (surrounding whitespace ignored) as bytes; :class:`InputError` naming
    ``what`` and the first offending character otherwise."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be hex text")
    body = text.strip()
    for position, char in enumerate(body):
        if char not in HEX_DIGITS:
            raise InputError(f"{what} is malformed: {char!r} at position {position} is not a hex digit")
    if len(body) % 2:
        raise InputError(f"{what} is malformed: an odd number of hex digits ({len(body)})")
    return bytes.fromhex(body)

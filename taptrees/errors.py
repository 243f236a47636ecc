"""Errors raised on malformed input (scripts, transactions, keys, trees)."""

from __future__ import annotations


class InputError(ValueError):
    """Malformed or inconsistent input; the message names what is wrong."""

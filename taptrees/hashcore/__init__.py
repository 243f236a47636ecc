"""Batch hashing core (contract stub; the vectorized backend is issue 4).

All functions are bit-exact with :mod:`hashlib`.
"""

from __future__ import annotations

import hashlib


def merkle_parents(level: bytes) -> bytes:
    """Hash consecutive 64-byte pairs of 32-byte nodes: SHA-256(left || right) each.

    ``level`` holds an even number of 32-byte nodes; returns half as many.
    """
    if len(level) % 64:
        raise ValueError("merkle level must hold an even number of 32-byte nodes")
    return b"".join(
        hashlib.sha256(level[i : i + 64]).digest() for i in range(0, len(level), 64)
    )

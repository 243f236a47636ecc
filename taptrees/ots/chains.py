"""hash160 chains: ``H^k(x)`` with ``H = RIPEMD160(SHA256(.))``, Script's OP_HASH160.

Uses :func:`taptrees.hashes.hash160` (hashlib).  The batch hash core
(:mod:`taptrees.hashcore`) did not offer ``hash160_chains`` when this was written;
:func:`chain_ends` is the one place to switch to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.hashes import hash160


def chain(value: bytes, steps: int) -> bytes:
    """``H^steps(value)``."""
    for _ in range(steps):
        value = hash160(value)
    return value


def chain_ends(starts: Sequence[bytes], steps: int) -> tuple[bytes, ...]:
    """``H^steps`` of every start (the same number of steps for all: public keys)."""
    return tuple(chain(s, steps) for s in starts)

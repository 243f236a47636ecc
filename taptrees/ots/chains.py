"""hash160 chains: ``H^k(x)`` with ``H = RIPEMD160(SHA256(.))``, Script's OP_HASH160.

Whole keys and signatures are walked in one batch by the hash core
(:func:`taptrees.hashcore.hash160_chains`, bit-exact with hashlib, its backend
chosen by ``OCP_HASH_BACKEND``); single steps (verification) use
:func:`taptrees.hashes.hash160`.
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.hashcore import hash160_chains
from taptrees.hashes import hash160


def chain(value: bytes, steps: int) -> bytes:
    """``H^steps(value)``."""
    for _ in range(steps):
        value = hash160(value)
    return value


def chains(starts: Sequence[bytes], counts: Sequence[int]) -> tuple[bytes, ...]:
    """``H^counts[i](starts[i])`` for every lane (20-byte starts)."""
    if not starts:
        return ()
    return tuple(bytes(v) for v in hash160_chains(list(starts), list(counts)))


def chain_ends(starts: Sequence[bytes], steps: int) -> tuple[bytes, ...]:
    """``H^steps`` of every start (the same number of steps for all: public keys)."""
    return chains(starts, [steps] * len(starts))

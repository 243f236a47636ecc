"""Winternitz chain evaluation in bulk (hash160 chains over 20-byte values).

The digit layout (message digits, checksum, key derivation) belongs to the one-time
signature module; these helpers only walk chains. With digit width d a chain has
``2**d - 1`` hash160 steps: the public end is hash160^(2^d - 1)(secret), a revealed
value at position k is hash160^k(secret), and a verifier completes it with the remaining
``2**d - 1 - k`` steps and compares with the public end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from taptrees.errors import InputError
from taptrees.hashcore.api import Batch, hash160_chains
from taptrees.hashcore.words import check_counts


@dataclass(frozen=True)
class ChainShape:
    """Chains of ``2**digit_bits - 1`` hash160 steps over 20-byte values."""

    digit_bits: int

    def __post_init__(self) -> None:
        if not isinstance(self.digit_bits, int) or not 1 <= self.digit_bits <= 8:
            raise InputError(f"digit_bits: expected 1..8, got {self.digit_bits!r}")

    @property
    def steps(self) -> int:
        """Hash steps from a secret to the public end."""
        return (1 << self.digit_bits) - 1


def public_ends(
    secrets: Batch, digit_bits: int, *, backend: str | None = None, threads: int | None = None
) -> list[bytes] | np.ndarray:
    """hash160^(2^d - 1)(s) for every 20-byte secret s: the chain ends a public key commits to."""
    return hash160_chains(secrets, ChainShape(digit_bits).steps, backend=backend, threads=threads)


def advance(
    values: Batch, counts: object, *, backend: str | None = None, threads: int | None = None
) -> list[bytes] | np.ndarray:
    """hash160^counts[i](values[i]): reveal position ``counts[i]`` of a chain from its secret."""
    return hash160_chains(values, counts, backend=backend, threads=threads)


def complete(
    values: Batch,
    positions: object,
    digit_bits: int,
    *,
    backend: str | None = None,
    threads: int | None = None,
) -> list[bytes] | np.ndarray:
    """Finish chains: values[i] sits at ``positions[i]``; return the public ends they reach."""
    steps = ChainShape(digit_bits).steps
    lanes = values.shape[0] if isinstance(values, np.ndarray) else len(values)
    pos = check_counts(positions, lanes)
    if pos.size and int(pos.max()) > steps:
        raise InputError(f"positions: {int(pos.max())} exceeds the chain length {steps}")
    return hash160_chains(values, steps - pos, backend=backend, threads=threads)

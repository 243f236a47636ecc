"""Values as 4-bit limbs: the representation every arithmetic script works on.

A u32 is eight limbs of 4 bits, each a script number 0..15, laid on the stack
most significant limb deepest and the least significant limb (bits 0..3) on top.
These are exactly the digits a Winternitz verifier with 4-bit digits leaves on the
stack, so committed values need no conversion before arithmetic.

Inside the package limbs are handled least significant first (``limbs[0]`` is
bits 0..3); the functions named ``*_stack`` use stack order (deepest first).
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.errors import InputError
from taptrees.script import encode_num

LIMB_BITS = 4
LIMB_BASE = 1 << LIMB_BITS
LIMB_MASK = LIMB_BASE - 1
WORD_BITS = 32
WORD_LIMBS = WORD_BITS // LIMB_BITS
WORD_MASK = (1 << WORD_BITS) - 1


def check_word(value: int, bits: int = WORD_BITS, what: str = "value") -> int:
    """Return ``value`` if it is an unsigned integer of ``bits`` bits, else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be an integer, got {type(value).__name__}")
    if not 0 <= value < 1 << bits:
        raise InputError(f"{what} {value} is not an unsigned {bits}-bit integer")
    return value


def to_limbs(value: int, count: int = WORD_LIMBS) -> tuple[int, ...]:
    """Limbs of ``value``, least significant first."""
    check_word(value, LIMB_BITS * count)
    return tuple((value >> (LIMB_BITS * i)) & LIMB_MASK for i in range(count))


def from_limbs(limbs: Sequence[int]) -> int:
    """Inverse of :func:`to_limbs` (least significant first)."""
    value = 0
    for i, limb in enumerate(limbs):
        if not 0 <= limb <= LIMB_MASK:
            raise InputError(f"limb {i} is {limb}, not in 0..{LIMB_MASK}")
        value |= limb << (LIMB_BITS * i)
    return value


def to_limbs_stack(value: int, count: int = WORD_LIMBS) -> tuple[int, ...]:
    """Limbs of ``value`` in stack order: most significant (deepest) first."""
    return to_limbs(value, count)[::-1]


def limb_witness(value: int, count: int = WORD_LIMBS) -> list[bytes]:
    """Witness items pushing ``value`` as limbs (minimal script numbers), bottom first."""
    return [encode_num(limb) for limb in to_limbs_stack(value, count)]


def to_signed(value: int, bits: int = WORD_BITS) -> int:
    """Two's complement reading of an unsigned ``bits``-bit value."""
    return value - (1 << bits) if value >> (bits - 1) else value

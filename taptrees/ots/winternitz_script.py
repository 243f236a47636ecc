"""Tapscript verifiers for Winternitz signatures (see :mod:`taptrees.ots.winternitz`).

Every verifier has two phases.

1. Digits, one per position, top of the witness first (``c[0]`` first, ``m[M-1]``
   last): check the chain and push the digit value onto the altstack.
2. Checksum: pop the message digits (``m[M-1]`` first) and subtract them from
   ``d*M``; pop the checksum digits (``c[C-1]`` first) into a number by Horner's
   rule (``w`` doublings each); require the two to be equal (OP_NUMEQUALVERIFY).
   With ``keep="digits"`` each message digit is left on the main stack as it is
   popped, so ``m[M-1]`` ends deepest and ``m[0]`` on top.

Strategies for phase 1:

``small_script`` (witness ``[sig, v]`` per digit): the list-pick verifier.  The
digit ``v`` is copied to the altstack, then the chain is finished by picking
from a list of precomputed hashes: ``H^k(sig)`` for ``k = 0..S-1`` is built with
``OP_DUP OP_HASH160`` and ``OP_PICK v`` selects ``H^(d-v)(sig)``.  ``levels``
halvings first shrink the list: at each, when the index is below half the list,
the signature is hashed half-list times up front, otherwise half-list is taken
off the index.  The number of levels that gives the fewest bytes is chosen per
digit width (1 for ``w = 3..5``, more for wider digits).

There is no range check on ``v``: a negative index fails OP_PICK, and an index
past the list picks some deeper stack item, which at best passes the equality
for a digit larger than ``d``.  The checksum makes that useless: every digit a
forger can show is at least the signed one (hash forward, or out of range), so
``sum(message digits) + checksum`` exceeds ``d*M`` unless nothing changed, and
script arithmetic fails rather than wraps.  Digits left on the stack are
normalised to minimal script numbers (OP_ABS) so that byte comparisons
downstream cannot be fooled by a non-minimal witness encoding.

``small_witness`` (witness ``[sig]`` per digit): the digit is found by hashing.
The signature is compared with the public key before each of ``d`` hashes and
after the last; the comparison that succeeds pushes its digit (a script
constant) to the altstack.  A signature that never matches pushes nothing; the
public key of the first digit, put on the altstack first as a sentinel, would
then be popped in phase 2 as a digit and fail arithmetic (20 bytes is no
number).  It is removed at the end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from taptrees.opcodes import (
    OP_0,
    OP_2DROP,
    OP_2DUP,
    OP_ABS,
    OP_ADD,
    OP_DROP,
    OP_DUP,
    OP_ELSE,
    OP_ENDIF,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_FROMALTSTACK,
    OP_HASH160,
    OP_IF,
    OP_LESSTHAN,
    OP_NUMEQUALVERIFY,
    OP_PICK,
    OP_SUB,
    OP_SWAP,
    OP_TOALTSTACK,
    OP_TUCK,
)
from taptrees.script import Script

if TYPE_CHECKING:
    from taptrees.ots.winternitz import WinternitzParams

_DUMMY_KEY = b"\x00" * 20


def digit_small_script(digit_bits: int, chain_end: bytes, levels: int) -> Script:
    """Verify one ``[sig, v]`` pair (``v`` on top); push ``v`` to the altstack."""
    items: list = [OP_DUP, OP_TOALTSTACK]
    if levels == 0:
        items.append(OP_TOALTSTACK)
    for level in range(1, levels + 1):
        half = 1 << (digit_bits - level)
        if level > 1:
            items.append(OP_FROMALTSTACK)
        items += [
            half,
            OP_2DUP,
            OP_LESSTHAN,
            OP_IF,
            OP_DROP,
            OP_TOALTSTACK,
            [OP_HASH160] * half,
            OP_ELSE,
            OP_SUB,
            OP_TOALTSTACK,
            OP_ENDIF,
        ]
    size = 1 << (digit_bits - levels)
    items += [[OP_DUP, OP_HASH160] * (size - 1), OP_FROMALTSTACK, OP_PICK]
    items += [chain_end, OP_EQUALVERIFY]
    items += [OP_2DROP] * (size // 2) + [OP_DROP] * (size % 2)
    return Script(items)


@cache
def best_levels(digit_bits: int) -> int:
    """Halving levels that make :func:`digit_small_script` shortest for this width."""
    sizes = {lv: digit_small_script(digit_bits, _DUMMY_KEY, lv).size for lv in range(digit_bits + 1)}
    return min(sizes, key=lambda lv: (sizes[lv], lv))


def digit_small_witness(digit_bits: int, chain_end: bytes, sentinel: bool) -> Script:
    """Verify one ``[sig]`` by trying every digit; push the digit found to the altstack."""
    d = (1 << digit_bits) - 1
    items: list = [chain_end]
    if sentinel:
        items += [OP_DUP, OP_TOALTSTACK]
    items.append(OP_SWAP)
    for k in range(d):  # top is H^k(sig): it matches for digit d - k
        items += [OP_2DUP, OP_EQUAL, OP_IF, d - k, OP_TOALTSTACK, OP_ENDIF, OP_HASH160]
    items += [OP_EQUAL, OP_IF, OP_0, OP_TOALTSTACK, OP_ENDIF]
    return Script(items)


def checksum_script(params: WinternitzParams, keep: str, normalise: bool) -> Script:
    """Phase 2: pop all digits, check the checksum, keep or drop the message digits."""
    w = params.digit_bits
    items: list = [params.checksum_max]
    for _ in range(params.message_digits):
        items.append(OP_FROMALTSTACK)
        if keep == "digits":
            items += [OP_ABS] if normalise else []
            items.append(OP_TUCK)
        items.append(OP_SUB)
    items.append(OP_FROMALTSTACK)
    for _ in range(params.checksum_digits - 1):
        items += [[OP_DUP, OP_ADD] * w, OP_FROMALTSTACK, OP_ADD]
    items.append(OP_NUMEQUALVERIFY)
    return Script(items)


def known_value(params: WinternitzParams, chain_ends: Sequence[bytes], digits: Sequence[int]) -> Script:
    """Verify a signature of a value fixed when the script is built (``digits`` by
    position): each signature item, top first, is hashed to its chain end, nothing
    is pushed.  The witness is the ``small_witness`` layout (signatures only).

    Checking the checksum digits at their known values is the checksum check: a
    forger holding a signature of another value can only hash digits forward, and
    no other value has every message digit and every checksum digit at least the
    known value's."""
    items: list = []
    for p in reversed(params.witness_positions()):
        items += [[OP_HASH160] * (params.max_digit - digits[p]), chain_ends[p], OP_EQUALVERIFY]
    return Script(items)


def partial(
    params: WinternitzParams, chain_ends: Sequence[bytes], known: Mapping[int, int], keep: Collection[int]
) -> Script:
    """A ``small_script`` verifier where the digits at positions ``known`` (message
    positions only) are fixed when the script is built: those are witnessed by their
    signature item alone and hashed to their chain end (as :func:`known_value`), the
    others are ``[sig, v]`` pairs checked as in :func:`digit_small_script`.  The
    checksum check runs over every message digit, the known ones as a constant.
    The message digits at positions ``keep`` (unknown ones) are left on the main
    stack, most significant deepest, as ``keep="digits"`` leaves them."""
    w, d, m = params.digit_bits, params.max_digit, params.message_digits
    if any(p >= m for p in known) or len(known) == m:
        raise ValueError("known digits must be message digits, and not all of them (use known_value)")
    levels = best_levels(w)
    items: list = []
    for p in reversed(params.witness_positions()):  # top of the witness first
        if p in known:
            items += [[OP_HASH160] * (d - known[p]), chain_ends[p], OP_EQUALVERIFY]
        else:
            items.append(digit_small_script(w, chain_ends[p], levels))
    items.append(d * m - sum(known.values()))
    for p in reversed(range(m)):  # the altstack holds the unknown digits, m[M-1] on top
        if p in known:
            continue
        items.append(OP_FROMALTSTACK)
        if p in keep:
            items += [OP_ABS, OP_TUCK]
        items.append(OP_SUB)
    items.append(OP_FROMALTSTACK)
    for _ in range(params.checksum_digits - 1):
        items += [[OP_DUP, OP_ADD] * w, OP_FROMALTSTACK, OP_ADD]
    items.append(OP_NUMEQUALVERIFY)
    return Script(items)


def build(params: WinternitzParams, chain_ends: Sequence[bytes], strategy: str, keep: str) -> Script:
    """The whole verifier for ``chain_ends`` (by position) with ``strategy`` and ``keep``."""
    order = tuple(reversed(params.witness_positions()))  # processing order: top first
    w = params.digit_bits
    if strategy == "small_script":
        levels = best_levels(w)
        digits = [digit_small_script(w, chain_ends[p], levels) for p in order]
        return Script([digits, checksum_script(params, keep, normalise=True)])
    digits = [digit_small_witness(w, chain_ends[p], i == 0) for i, p in enumerate(order)]
    return Script([digits, checksum_script(params, keep, normalise=False), OP_FROMALTSTACK, OP_DROP])

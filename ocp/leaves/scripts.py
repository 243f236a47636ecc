"""Tapscript leaves of the OCP graph (ARCHITECTURE.md section 4).

Every leaf is built from ops.  Witness conventions (bottom of the stack first):

* committee n-of-n (:func:`committee_verify`): a ``CHECKSIGVERIFY`` chain over
  the committee keys in params order; its witness is the signatures in reverse
  key order, so the first key's signature is on top.
* relative timelocks: ``<blocks> OP_CHECKSEQUENCEVERIFY OP_DROP`` (BIP112).
* one-time-signature commitments: Winternitz verifiers (``taptrees.ots``) that
  drop the value (Kickoff, Assert) or keep its 4-bit digits for arithmetic
  (Disprove).
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.opcodes import (
    OP_CHECKSEQUENCEVERIFY,
    OP_CHECKSIG,
    OP_CHECKSIGVERIFY,
    OP_DROP,
    OP_TRUE,
)
from taptrees.script import Script


def committee_verify(keys: Sequence[bytes]) -> Script:
    """``<pk_1> CHECKSIGVERIFY ... <pk_n> CHECKSIGVERIFY``: every signer must sign."""
    return Script([[key, OP_CHECKSIGVERIFY] for key in keys])


def committee_leaf(keys: Sequence[bytes], csv_blocks: int | None = None) -> Script:
    """n-of-n, optionally after a relative timelock."""
    return Script([relative_lock(csv_blocks), committee_verify(keys), OP_TRUE])


def relative_lock(blocks: int | None) -> Script:
    """BIP112 relative height lock (nothing when ``blocks`` is None)."""
    if blocks is None:
        return Script()
    return Script([blocks, OP_CHECKSEQUENCEVERIFY, OP_DROP])


def single_key_leaf(key: bytes, csv_blocks: int | None = None) -> Script:
    return Script([relative_lock(csv_blocks), key, OP_CHECKSIG])


def confirm_leaf(committee: Sequence[bytes], depositor: bytes) -> Script:
    """Deposit -> vault: the whole committee and the depositor."""
    return Script([committee_verify(committee), depositor, OP_CHECKSIG])


def committed_values_leaf(verifiers: Sequence[Script], signer: bytes) -> Script:
    """Reveal committed values, then the signer's signature.

    ``verifiers`` are value verifiers that consume their witness and leave
    nothing; they run in reverse order, so the witness lists the values' own
    witnesses in the given order with the signature below them all.
    """
    return Script([list(reversed(list(verifiers))), signer, OP_CHECKSIG])

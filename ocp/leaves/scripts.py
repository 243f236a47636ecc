"""Script fragments of the OCP graph's leaves, in the shapes miniscript compiles
(BIP379), so Bitcoin Core's wallet and PSBT finalizer understand every leaf
that holds only keys and timelocks:

==========================  =============================================  ==========================
fragment                    script                                         miniscript
==========================  =============================================  ==========================
:func:`older`               ``<n> OP_CHECKSEQUENCEVERIFY OP_VERIFY``       ``v:older(n)`` (BIP112)
:func:`keys_chain`          ``<k1> OP_CHECKSIGVERIFY ... <kn> OP_CHECKSIG`` ``and_v(v:pk(k1),...pk(kn))``
:func:`keys_verify`         ``<k1> OP_CHECKSIGVERIFY ... <kn> OP_CHECKSIGVERIFY``  (all ``v:pk``)
==========================  =============================================  ==========================

A chain's witness is its signatures in reverse key order (the first key's on top).
Leaves that verify one-time signatures or run script arithmetic are not
miniscript; they use the same fragments around their verifiers.
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.opcodes import OP_CHECKSEQUENCEVERIFY, OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_VERIFY
from taptrees.script import Script


def older(blocks: int | None) -> Script:
    """``v:older(n)``: a BIP112 relative height lock (nothing when ``blocks`` is None)."""
    if blocks is None:
        return Script()
    return Script([blocks, OP_CHECKSEQUENCEVERIFY, OP_VERIFY])


def keys_verify(keys: Sequence[bytes]) -> Script:
    """``<k1> OP_CHECKSIGVERIFY ... <kn> OP_CHECKSIGVERIFY``: every key must sign."""
    return Script([[key, OP_CHECKSIGVERIFY] for key in keys])


def keys_chain(keys: Sequence[bytes]) -> Script:
    """``and_v(v:pk(k1),and_v(...,pk(kn)))``: every key must sign, the last check
    leaving the result."""
    if not keys:
        raise ValueError("a key chain needs at least one key")
    return Script([keys_verify(keys[:-1]), keys[-1], OP_CHECKSIG])


def miniscript_keys(keys: Sequence[bytes], csv: int | None = None) -> str:
    """The miniscript of ``older(csv)`` (optional) and a :func:`keys_chain`."""
    expr = f"pk({keys[-1].hex()})"
    for key in reversed(keys[:-1]):
        expr = f"and_v(v:pk({key.hex()}),{expr})"
    return expr if csv is None else f"and_v(v:older({csv}),{expr})"

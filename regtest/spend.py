"""Spending one taproot output: key path (BIP341) or script path (BIP341/342).

Small helpers for drills and tests: build a version-2 transaction spending
``outpoint`` (holding ``prevout``) to ``outputs`` and witness it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from taptrees.sighash import SIGHASH_DEFAULT, ScriptPath, taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import SEQUENCE_FINAL, OutPoint, Tx, TxIn, TxOut


def unsigned_spend(
    outpoint: OutPoint,
    outputs: Sequence[TxOut],
    *,
    sequence: int = SEQUENCE_FINAL,
    locktime: int = 0,
    version: int = 2,
) -> Tx:
    return Tx(version, (TxIn(outpoint, sequence=sequence),), tuple(outputs), locktime)


def key_path_spend(
    outpoint: OutPoint,
    prevout: TxOut,
    output: TaprootOutput,
    internal_seckey: bytes,
    outputs: Sequence[TxOut],
    *,
    hash_type: int = SIGHASH_DEFAULT,
    **tx_fields: int,
) -> Tx:
    """Spend ``output`` by key path: a BIP340 signature with the tweaked key."""
    tx = unsigned_spend(outpoint, outputs, **tx_fields)
    sighash = taproot_sighash(tx, 0, [prevout], hash_type)
    return tx.with_witness(0, [output.key_path_sign(internal_seckey, sighash, hash_type)])


def script_path_spend(
    outpoint: OutPoint,
    prevout: TxOut,
    output: TaprootOutput,
    leaf_index: int,
    stack: Sequence[bytes] | Callable[[bytes], Sequence[bytes]],
    outputs: Sequence[TxOut],
    **tx_fields: int,
) -> Tx:
    """Spend leaf ``leaf_index`` of ``output``; ``stack`` (bottom first) may be a
    function of the leaf's BIP342 signature hash (SIGHASH_DEFAULT)."""
    tx = unsigned_spend(outpoint, outputs, **tx_fields)
    if callable(stack):
        path = ScriptPath(output.leaf(leaf_index).hash, 0xFFFFFFFF)
        stack = stack(taproot_sighash(tx, 0, [prevout], SIGHASH_DEFAULT, path))
    return tx.with_witness(0, output.script_path_witness(leaf_index, stack))

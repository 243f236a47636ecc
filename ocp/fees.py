"""Weights and fees of graph transactions (BIP141 weight, fee = weight x rate).

Fees are fixed when the committee signs, so every pre-signed transaction's fee
comes from its weight with the largest witness it can have (65-byte signatures,
one-byte digits: :meth:`ocp.leaves.GraphLeaf.max_stack_sizes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ocp.graph import GraphOutput, GraphTx
from ocp.ids import OutputRef
from ocp.leaves import LeafName
from taptrees.tx import Tx, TxIn, TxOut, compact_size

#: Witness of a key-path spend: one 64-byte signature (SIGHASH_DEFAULT).
KEY_PATH_SIG_SIZE = 64
#: What a challenger pays itself with: a P2TR output (for weight estimates).
REWARD_SCRIPT_SIZE = 34


def fee_for(weight: int, fee_rate: float) -> int:
    """Satoshis for ``weight`` WU at ``fee_rate`` sat/vB, rounded up, plus one."""
    return int(-(-weight * fee_rate // 4)) + 1


def tx_weight(draft: Tx, witness_weight: int) -> int:
    """BIP141 weight of ``draft`` once its inputs carry ``witness_weight`` bytes of
    witness (plus the 2-byte segwit marker and flag)."""
    return len(draft.serialize(False)) * 4 + 2 + witness_weight


def witness_weight(items: Sequence[int]) -> int:
    """Bytes of one input's witness with items of the given sizes (1 WU each)."""
    return len(compact_size(len(items))) + sum(len(compact_size(n)) + n for n in items)


def leaf_spend_weight(out: GraphOutput, name: LeafName) -> int:
    """Largest witness of a spend of leaf ``name``: its stack, script, control block."""
    leaf = out.leaf(name)
    return witness_weight([*leaf.max_stack_sizes(), len(out.tapleaf(name).script.raw), len(out.control_block(name))])


def key_spend_weight() -> int:
    return witness_weight([KEY_PATH_SIG_SIZE])


def graph_tx_weight(gtx: GraphTx, outputs: Mapping[OutputRef, GraphOutput]) -> int:
    """Weight of a graph transaction with the largest witness each input may carry:
    a key-path signature, its leaf's largest stack, or for a game's data output
    (``any_leaf``) the largest over every leaf (what the builder's fee is for)."""
    witness = 0
    for spend in gtx.spends:
        if spend.leaf is None or not isinstance(spend.source, OutputRef):
            witness += key_spend_weight()
            continue
        out = outputs[spend.source]
        names = out.leaf_names if spend.any_leaf else (spend.leaf,)
        witness += max(leaf_spend_weight(out, name) for name in names)
    return tx_weight(gtx.tx, witness)


def sweep(inputs: Sequence[TxIn], spent: Sequence[TxOut], to: bytes, witness: int, fee_rate: float) -> Tx:
    """All of ``spent`` to one output, less the fee for the transaction's weight."""
    total = sum(o.value for o in spent)
    fee = fee_for(tx_weight(Tx(2, tuple(inputs), (TxOut(total, to),)), witness), fee_rate)
    return Tx(2, tuple(inputs), (TxOut(total - fee, to),))


def punish_weight(gtx: GraphTx, spend_weight: int) -> int:
    """Weight of a completed Slash/Disprove: the template plus the challenger's
    reward output (no fee inputs)."""
    reward = TxOut(0, b"\x00" * REWARD_SCRIPT_SIZE)
    return tx_weight(Tx(2, tuple(gtx.tx.inputs), (*gtx.tx.outputs, reward)), spend_weight)

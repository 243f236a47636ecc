"""Collecting a graph's transactions and the outputs later ones spend.

Each builder family adds its transactions with :meth:`GraphAssembler.add` and
gets back a :class:`Created` handle per output; the families that follow take
those handles as the outputs they spend (:func:`leaf_input`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.graph import GraphOutput, GraphTx, InputSpend
from ocp.ids import OutputRef, TxName
from ocp.leaves import LeafName
from taptrees.sighash import SIGHASH_DEFAULT
from taptrees.tx import SEQUENCE_FINAL, OutPoint, TxIn, TxOut


@dataclass(frozen=True)
class Created:
    """An output of a graph transaction, as the transactions spending it see it."""

    ref: OutputRef
    outpoint: OutPoint
    txout: TxOut
    output: GraphOutput | None  # None for payments, change and burns


def leaf_input(
    src: Created,
    leaf: LeafName,
    *,
    sequence: int = SEQUENCE_FINAL,
    hash_type: int = SIGHASH_DEFAULT,
    presigned: bool = False,
) -> tuple[TxIn, InputSpend]:
    """An input spending ``src`` by ``leaf``, and how it is spent (signers from the leaf)."""
    if src.output is None:
        raise AssertionError(f"{src.ref} is not a protocol output")
    signers = src.output.leaf(leaf).signing_keys
    return TxIn(src.outpoint, sequence=sequence), InputSpend(src.ref, leaf, signers, hash_type, presigned)


class GraphAssembler:
    """The transactions of a graph under construction, in the order added, and the
    protocol outputs they create."""

    def __init__(self) -> None:
        self.txs: dict[TxName, GraphTx] = {}
        self.outputs: dict[OutputRef, GraphOutput] = {}

    def add(self, gtx: GraphTx, outputs: Mapping[int, GraphOutput] | None = None) -> list[Created]:
        """Add ``gtx``; ``outputs`` names the protocol output at each vout that has one
        (it must be the output the transaction pays to)."""
        if gtx.name in self.txs:
            raise AssertionError(f"{gtx.name} added twice")
        self.txs[gtx.name] = gtx
        outputs = outputs or {}
        created = []
        for vout, txout in enumerate(gtx.tx.outputs):
            ref = OutputRef(gtx.name, vout)
            out = outputs.get(vout)
            if out is not None:
                if out.output.script_pubkey != txout.script_pubkey:
                    raise AssertionError(f"{ref} does not pay to output {out.label}")
                self.outputs[ref] = out
            created.append(Created(ref, gtx.tx.outpoint(vout), txout, out))
        if set(outputs) - set(range(len(gtx.tx.outputs))):
            raise AssertionError(f"{gtx.name} has no output {sorted(set(outputs))}")
        return created

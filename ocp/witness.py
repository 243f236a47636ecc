"""Assembling input witnesses of graph transactions.

Each leaf class says what stack it consumes (:meth:`ocp.leaves.GraphLeaf.stack`);
this module fills in the signatures -- pre-signed ones from the graph, the rest
made now with the role's key -- and the one-time-signature items a reveal or
disprove leaf verifies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ocp.errors import UserError
from ocp.graph import Graph
from ocp.ids import Role, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import RevealLeaf
from ocp.ots import ValueSigner
from ocp.signing import sign_spend
from taptrees.tx import Tx, TxOut


def input_witness(
    graph: Graph,
    name: TxName,
    index: int,
    tx: Tx,
    spent: Sequence[TxOut],
    keys: Sequence[RoleKey] = (),
    values: Sequence[bytes] = (),
) -> tuple[bytes, ...]:
    """Witness of input ``index`` of graph transaction ``name`` inside ``tx`` (the
    graph's own tx, or a challenger's completion of a template).

    Signatures come from the graph (pre-signed) or are made now with ``keys`` for
    spends signed at broadcast time.  ``values`` are the one-time-signature
    witness items the leaf verifies.
    """
    gtx = graph.tx(name)
    spend = gtx.spends[index]
    by_key = {(k.role, k.pubkey): k for k in keys}

    def sig_of(role: Role, pubkey: bytes) -> bytes:
        sig = graph.signature(name, index, pubkey)
        key = by_key.get((role, pubkey))
        if sig is None and key is not None:
            sig = sign_spend(graph, gtx, index, key, tx, spent)
        if sig is None:
            raise UserError(f"{name} input {index}: no {role} signature for {pubkey.hex()}")
        return sig

    if spend.leaf is None:
        return (sig_of(*spend.signers[0]),)
    out, leaf = graph.spend_leaf(spend)
    return out.witness(spend.leaf, leaf.stack(sig_of, values))


def signed_tx(
    graph: Graph,
    name: TxName,
    keys: Sequence[RoleKey] = (),
    values_by_input: Mapping[int, Sequence[bytes]] | None = None,
) -> Tx:
    """Graph transaction ``name`` as built, every input witnessed (pre-signatures from
    the graph, the rest signed now with ``keys``)."""
    gtx = graph.tx(name)
    tx = gtx.tx
    for i in range(len(tx.inputs)):
        values = (values_by_input or {}).get(i, ())
        tx = tx.with_witness(i, input_witness(graph, name, i, gtx.tx, gtx.spent, keys, values))
    return tx


def operator_values(graph: Graph, name: TxName, signer: ValueSigner, trace: Sequence[int]) -> dict[int, list[bytes]]:
    """One-time-signature witness items the operator reveals in each input of ``name``
    that spends a reveal leaf (Kickoff's claim, Assert_j's chunk): value ``i`` is
    ``trace[i + 1]``.  ``signer`` must be the operator whose transaction it is."""
    out: dict[int, list[bytes]] = {}
    for index, spend in enumerate(graph.tx(name).spends):
        if spend.leaf is None:
            continue
        _, leaf = graph.spend_leaf(spend)
        if isinstance(leaf, RevealLeaf):
            out[index] = [item for i in leaf.indices for item in signer.sign(i, trace[i + 1])]
    return out

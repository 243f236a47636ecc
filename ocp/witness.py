"""Assembling input witnesses of graph transactions.

Stacks are listed bottom first.  Per leaf (see :mod:`ocp.leaves`):

=================  ================================================
leaf               stack
=================  ================================================
key path           ``sig``
confirm            ``sig_depositor, sig_cn .. sig_c1``
payout/take*/slash ``sig_cn .. sig_c1``
challenge, refund  ``sig``
kickoff, assert    ``sig_operator, W(value)...``
disprove<i>        ``W(x_i) (i > 0), W(x_i+1), sig_cn .. sig_c1``
=================  ================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ocp.errors import UserError
from ocp.graph import Graph, GraphTx
from ocp.keyfile import RoleKey
from ocp.signing import signature_of, signer_keys
from taptrees.keys import schnorr_sign
from taptrees.sighash import ScriptPath, taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxOut


def _sign_now(
    graph: Graph, gtx: GraphTx, tx: Tx, spent: Sequence[TxOut], index: int, key: RoleKey
) -> bytes:
    spend = gtx.spends[index]
    if spend.leaf is None:
        msg = taproot_sighash(tx, index, spent, spend.hash_type)
        return TaprootOutput(key.pubkey).key_path_sign(key.secret, msg, spend.hash_type)
    out = graph.outputs[spend.source]
    path = ScriptPath(out.output.leaf(out.leaf_index(spend.leaf)).hash)
    msg = taproot_sighash(tx, index, spent, spend.hash_type, path)
    sig = schnorr_sign(key.secret, msg)
    return sig + (bytes([spend.hash_type]) if spend.hash_type else b"")


def input_witness(
    graph: Graph,
    name: str,
    index: int,
    tx: Tx,
    spent: Sequence[TxOut],
    keys: Mapping[str, RoleKey] | None = None,
    values: Sequence[bytes] = (),
) -> tuple[bytes, ...]:
    """Witness of input ``index`` of graph transaction ``name`` inside ``tx`` (the
    graph's own tx, or a challenger's completion of a template).

    Signatures come from the graph (pre-signed) or are made now with ``keys``
    (role -> key) for spends signed at broadcast time.  ``values`` are the
    one-time-signature witness items the leaf verifies.
    """
    gtx = graph.tx(name)
    spend = gtx.spends[index]
    keys = keys or {}

    def sig_of(role: str, pubkey: bytes) -> bytes:
        sig = signature_of(graph, name, index, pubkey)
        if sig is None and role in keys and keys[role].pubkey == pubkey:
            sig = _sign_now(graph, gtx, tx, spent, index, keys[role])
        if sig is None:
            raise UserError(f"{name} input {index}: no {role} signature for {pubkey.hex()[:16]}")
        return sig

    leaf = spend.leaf
    if leaf is None:
        role = spend.signers[0]
        return (sig_of(role, signer_keys(graph, role)[0]),)
    stack = leaf_stack(graph, leaf, sig_of, values)
    out = graph.outputs[spend.source]
    return out.output.script_path_witness(out.leaf_index(leaf), stack)


def leaf_stack(
    graph: Graph, leaf: str, sig_of: Callable[[str, bytes], bytes], values: Sequence[bytes] = ()
) -> list[bytes]:
    """The stack (bottom first) a graph leaf expects: signatures from ``sig_of(role,
    pubkey)`` in the order its checks consume them, and the one-time-signature
    ``values`` it verifies (see the table in the module docstring)."""
    p = graph.params

    def committee() -> list[bytes]:
        return [sig_of("committee", pk) for pk in reversed(p.committee)]

    if leaf == "confirm":
        return [sig_of("depositor", p.depositor), *committee()]
    if leaf in ("payout", "take1", "take2", "slash"):
        return committee()
    if leaf == "challenge":
        return [sig_of("operator", p.operator)]
    if leaf == "refund":
        return [sig_of("depositor", p.depositor)]
    if leaf in ("kickoff", "assert"):
        return [sig_of("operator", p.operator), *values]
    if leaf.startswith("disprove"):
        return [*values, *committee()]
    raise UserError(f"unknown leaf {leaf}")  # pragma: no cover - every leaf is listed


def signed_tx(
    graph: Graph,
    name: str,
    keys: Mapping[str, RoleKey] | None = None,
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


def operator_values(graph: Graph, name: str, signer, trace: Sequence[int]) -> dict[int, list[bytes]]:
    """One-time-signature witness items the operator reveals in Kickoff or Assert_j."""
    n = graph.params.computation.n_steps
    if name == "Kickoff":
        return {0: list(signer.sign(n - 1, trace[n]))}
    if name.startswith("Assert_"):
        chunk = graph.chunks[int(name.split("_")[1])]
        return {0: [item for i in chunk for item in signer.sign(i, trace[i + 1])]}
    return {}

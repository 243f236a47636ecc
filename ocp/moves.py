"""The moves each role makes on chain, built from a signed graph.

Shared by the scripted drills (:mod:`ocp.drill.moves` wraps these with a drill's
world) and the watcher services (:mod:`ocp.watch`): a move is the transaction and
the outputs it spends.  The challenger reads what an operator revealed *from
chain transactions* (Kickoff and Assert witnesses, parsed by the leaf each input
spends), as a real challenger must.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from ocp.errors import UserError
from ocp.graph import Graph
from ocp.ids import TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import DisproveLeaf, RevealLeaf
from ocp.ots import ValueKeys, read_value
from ocp.program import Computation
from ocp.witness import input_witness
from regtest.chain import Chain
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput, parse_script_path_witness
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

Move = tuple[Tx, list[TxOut]]
#: Value index -> the one-time-signature witness items that reveal it.
Revealed = Mapping[int, tuple[bytes, ...]]
#: The smallest output a completer adds (P2TR dust at Core's default dust relay fee).
MIN_OUTPUT = 330


def operator_trace(computation: Computation, wrong_step: int | None = None) -> tuple[int, ...]:
    """x[0..n]: honest, or with step ``wrong_step`` miscomputed (off by one bit) and
    every later step computed honestly from the wrong value (what a cheating
    operator claims and then defends)."""
    xs = [computation.initial]
    for i in range(computation.n_steps):
        x = computation.step_python(i, xs[-1])
        if i == wrong_step:
            x ^= 1
        xs.append(x)
    return tuple(xs)


def at_feerate(build: Callable[[int], Move], feerate: float) -> Move:
    """``build(fee)`` with the fee that pays ``feerate`` sat/vB for the transaction it
    builds (witness sizes do not depend on amounts: one trial build sizes it)."""
    trial, _ = build(0)
    return build(math.ceil(feerate * trial.vsize))


def complete_challenge(
    graph: Graph,
    name: TxName,
    coin: OutPoint,
    coin_txout: TxOut,
    challenger: RoleKey,
    change_to: bytes,
    fee: int,
) -> Move:
    """The Challenge template completed with the challenger's key-path ``coin`` and
    its change (``change_to``), paying ``fee``."""
    gtx = graph.tx(name)
    change = coin_txout.value + gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    if change < MIN_OUTPUT:
        raise UserError(
            f"the challenger's coin {coin} ({coin_txout.value} sat) cannot pay the challenge "
            f"fee {gtx.tx.outputs[0].value} sat and {fee} sat of fee"
        )
    tx = replace(gtx.tx, inputs=(*gtx.tx.inputs, TxIn(coin)), outputs=(*gtx.tx.outputs, TxOut(change, change_to)))
    spent = [*gtx.spent, coin_txout]
    tx = tx.with_witness(0, input_witness(graph, name, 0, tx, spent))
    own = TaprootOutput(challenger.pubkey)
    sig = own.key_path_sign(challenger.secret, taproot_sighash(tx, 1, spent))
    return tx.with_witness(1, [sig]), spent


def complete_punish(graph: Graph, name: TxName, values: list[bytes], payee: bytes, fee: int) -> Move:
    """A Slash/Disprove template completed with a reward output to ``payee``: what
    the template leaves after its burn, less ``fee``."""
    gtx = graph.tx(name)
    reward = gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    if reward < MIN_OUTPUT:
        raise UserError(f"{name} leaves {reward + fee} sat after its burn: not enough for a {fee} sat fee")
    tx = replace(gtx.tx, outputs=(*gtx.tx.outputs, TxOut(reward, payee)))
    spent = list(gtx.spent)
    return tx.with_witness(0, input_witness(graph, name, 0, tx, spent, values=values)), spent


def revealed_in(graph: Graph, name: TxName, tx: Tx) -> dict[int, tuple[bytes, ...]]:
    """What ``tx`` (graph transaction ``name`` as mined) reveals: every input that
    spends a reveal leaf, its witness taken apart as consensus does (an annex is
    ignored) and read by that leaf."""
    found: dict[int, tuple[bytes, ...]] = {}
    for index, spend in enumerate(graph.tx(name).spends):
        if spend.leaf is None:
            continue
        _, leaf = graph.spend_leaf(spend)
        if isinstance(leaf, RevealLeaf):
            stack = parse_script_path_witness(tx.inputs[index].witness).stack
            found.update(leaf.revealed(stack))
    return found


def reveal_names(graph: Graph, operator: int | None) -> list[TxName]:
    """Operator ``operator``'s transactions that reveal values (Kickoff, every Assert)."""
    return [name for name in graph.txs if name.operator == operator and name.kind in (TxKind.KICKOFF, TxKind.ASSERT)]


def revealed_on_chain(graph: Graph, chain: Chain, operator: int | None) -> dict[int, tuple[bytes, ...]]:
    """Every value operator ``operator`` (its number in the graph's names) revealed in
    a transaction the chain knows."""
    found: dict[int, tuple[bytes, ...]] = {}
    for name in reveal_names(graph, operator):
        tx = chain.get_tx(graph.tx(name).txid)
        if tx is not None:
            found.update(revealed_in(graph, name, tx))
    return found


def find_wrong_step(computation: Computation, keys: ValueKeys, revealed: Revealed) -> int | None:
    """Recompute the trace from the revealed values: the first step whose revealed
    output is not the step applied to its revealed input (None: every step checks
    out).  Every value must have been revealed."""
    prev = computation.initial
    for i in range(computation.n_steps):
        if i not in revealed:
            raise UserError(f"value {i} has not been revealed yet")
        value = read_value(keys, i, revealed[i])
        if value is None or computation.step_python(i, prev) != value:
            return i
        prev = value
    return None


def claimed_value(keys: ValueKeys, n_steps: int, revealed: Revealed) -> int | None:
    """The claim (the last value) a Kickoff revealed, or None."""
    items = revealed.get(n_steps - 1)
    return None if items is None else read_value(keys, n_steps - 1, items)


def disprove_values(graph: Graph, name: TxName, revealed: Revealed) -> list[bytes]:
    """The revealed one-time signatures Disprove ``name`` replays."""
    _, leaf = graph.spend_leaf(graph.tx(name).spends[0])
    assert isinstance(leaf, DisproveLeaf)
    return [item for i in leaf.value_indices for item in revealed[i]]


def keyed_output(graph: Graph, name: TxName, pubkey: bytes) -> int | None:
    """The output of graph transaction ``name`` that ``pubkey``'s key alone spends (a
    keyed anchor, change or payout: what its owner bumps the fee with), or None."""
    own = TaprootOutput(pubkey).script_pubkey
    for vout, out in enumerate(graph.tx(name).tx.outputs):
        if out.script_pubkey == own:
            return vout
    return None


def bump(
    chain: Chain, graph: Graph, parent: Tx, owner: RoleKey, vout: int, feerate: float, extra: Iterable[OutPoint] = ()
) -> Tx:
    """CPFP: a child of graph transaction ``parent`` spending its output ``vout`` (a
    keyed anchor, or the owner's change or payout) and the owner's coins ``extra``
    (confirmed or in the mempool), paying ``owner`` what is left after a fee that
    lifts the package (parent + child) to ``feerate`` sat/vB.  Only ``owner`` can
    make it: the output is its key's."""
    spent = [parent.outputs[vout]]
    inputs = [TxIn(OutPoint(parent.txid, vout))]
    for coin in extra:
        utxo = chain.get_output(coin)
        if utxo is None:
            raise UserError(f"the fee coin {coin} is gone")
        spent.append(utxo.txout)
        inputs.append(TxIn(coin))
    own = TaprootOutput(owner.pubkey)

    def signed(value: int) -> Tx:
        tx = Tx(2, tuple(inputs), (TxOut(value, own.script_pubkey),))
        for i in range(len(inputs)):
            tx = tx.with_witness(i, [own.key_path_sign(owner.secret, taproot_sighash(tx, i, spent))])
        return tx

    gtx = next((g for g in graph.txs.values() if g.txid == parent.txid), None)
    if gtx is None:
        raise UserError(f"{parent.txid} is not a transaction of this graph")
    parent_fee = sum(o.value for o in gtx.spent) - sum(o.value for o in parent.outputs)
    total = sum(o.value for o in spent)
    fee = math.ceil(feerate * (parent.vsize + signed(total).vsize)) - parent_fee
    if total - fee < MIN_OUTPUT:
        raise UserError(f"the owner's coins ({total} sat) cannot pay a {fee} sat bump")
    return signed(total - fee)

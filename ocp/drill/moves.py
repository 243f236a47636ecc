"""The moves each role makes on chain, built from the signed graph.

Every move returns the transaction and the outputs it spends; the drill submits
it and records the chain's answer.  The challenger's moves read what an
operator revealed *from the chain* (Kickoff and Assert witnesses, parsed by the
leaf each input spends), as a real challenger must.  ``op`` is the operator
(0-based) whose part of the graph a move belongs to.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ocp.drill.world import World
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import DisproveLeaf, RevealLeaf
from ocp.ots import read_value
from ocp.witness import input_witness, operator_values, signed_tx
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput, parse_script_path_witness
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

Move = tuple[Tx, list[TxOut]]


def graph_move(world: World, name: TxName, values_by_input: dict[int, list[bytes]] | None = None) -> Move:
    """A graph transaction as built, every input witnessed."""
    keys = [*world.actors.operators, world.actors.depositor]
    return signed_tx(world.graph, name, keys, values_by_input), list(world.graph.tx(name).spent)


def move(world: World, kind: TxKind, index: int | None = None, op: int = 0) -> Move:
    return graph_move(world, world.name(kind, index, op))


def operator_trace(world: World, wrong_step: int | None = None) -> tuple[int, ...]:
    """x[0..n]: honest, or with step ``wrong_step`` miscomputed (off by one bit) and
    every later step computed honestly from the wrong value."""
    program = world.params.computation
    xs = [program.initial]
    for i in range(program.n_steps):
        x = program.step_python(i, xs[-1])
        if i == wrong_step:
            x ^= 1
        xs.append(x)
    return tuple(xs)


def reveal(world: World, name: TxName, trace: tuple[int, ...], op: int = 0) -> Move:
    """Kickoff or Assert_j, revealing ``trace``'s values under operator ``op``'s keys."""
    return graph_move(world, name, operator_values(world.graph, name, world.signers[op], trace))


def kickoff(world: World, trace: tuple[int, ...], op: int = 0) -> Move:
    return reveal(world, world.name(TxKind.KICKOFF, None, op), trace, op)


def assert_move(world: World, j: int, trace: tuple[int, ...], op: int = 0) -> Move:
    return reveal(world, world.name(TxKind.ASSERT, j, op), trace, op)


def challenge(world: World, op: int = 0, fee: int = 2_000) -> Move:
    """Complete the Challenge template with the challenger's coin and change."""
    name = world.name(TxKind.CHALLENGE, None, op)
    gtx = world.graph.tx(name)
    coin = world.funding[(Role.CHALLENGER, 0)]
    utxo = world.chain.get_output(coin)
    if utxo is None:
        raise RuntimeError("the challenger's coin is gone")
    change = utxo.txout.value + gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    tx = replace(
        gtx.tx,
        inputs=(*gtx.tx.inputs, TxIn(coin)),
        outputs=(*gtx.tx.outputs, TxOut(change, world.actors.spk(Role.CHALLENGER))),
    )
    spent = [*gtx.spent, utxo.txout]
    tx = tx.with_witness(0, input_witness(world.graph, name, 0, tx, spent))
    own = TaprootOutput(world.actors.challenger.pubkey)
    sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(tx, 1, spent))
    return tx.with_witness(1, [sig]), spent


def with_reward(world: World, name: TxName, values: list[bytes], to: bytes | None = None) -> Move:
    """Complete a Slash/Disprove template: the challenger (or whoever ``to`` pays)
    adds its reward output, paying the fee from what the template leaves."""
    gtx = world.graph.tx(name)
    fee = 5_000 + sum(len(v) for v in values) // 2
    reward = gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    payee = to if to is not None else world.actors.spk(Role.CHALLENGER)
    tx = replace(gtx.tx, outputs=(*gtx.tx.outputs, TxOut(reward, payee)))
    spent = list(gtx.spent)
    return tx.with_witness(0, input_witness(world.graph, name, 0, tx, spent, values=values)), spent


def slash(world: World, j: int, op: int = 0) -> Move:
    return with_reward(world, world.name(TxKind.SLASH, j, op), [])


def revealed_values(world: World, op: int = 0) -> dict[int, tuple[bytes, ...]]:
    """Value index -> its one-time-signature witness items, read from every confirmed
    transaction of operator ``op`` that spends a reveal leaf (Kickoff and the
    Asserts).  Each witness is taken apart as consensus does (an annex is
    ignored) and read by the leaf it spends."""
    graph = world.graph
    found: dict[int, tuple[bytes, ...]] = {}
    for name, gtx in graph.txs.items():
        if name.operator != world.name(TxKind.KICKOFF, None, op).operator:
            continue
        for index, spend in enumerate(gtx.spends):
            if spend.leaf is None:
                continue
            _, leaf = graph.spend_leaf(spend)
            if not isinstance(leaf, RevealLeaf):
                continue
            tx = world.chain.get_tx(gtx.txid)
            if tx is None:
                continue
            stack = parse_script_path_witness(tx.inputs[index].witness).stack
            found.update(leaf.revealed(stack))
    return found


def find_wrong_step(world: World, revealed: dict[int, tuple[bytes, ...]], op: int = 0) -> int | None:
    """Recompute the trace from the revealed values: the first step whose revealed
    output is not the step applied to its revealed input."""
    program = world.params.computation
    prev = program.initial
    for i in range(program.n_steps):
        value = read_value(world.graph.ots[op], i, revealed[i])
        if value is None or program.step_python(i, prev) != value:
            return i
        prev = value
    return None


def disprove_values(world: World, step: int, revealed: dict[int, tuple[bytes, ...]], op: int = 0) -> list[bytes]:
    """The revealed one-time signatures the Disprove of ``step`` replays."""
    _, leaf = world.graph.spend_leaf(world.graph.tx(world.name(TxKind.DISPROVE, step, op)).spends[0])
    assert isinstance(leaf, DisproveLeaf)
    return [item for i in leaf.value_indices for item in revealed[i]]


def disprove(world: World, step: int, revealed: dict[int, tuple[bytes, ...]], op: int = 0,
             to: bytes | None = None) -> Move:  # fmt: skip
    name = world.name(TxKind.DISPROVE, step, op)
    return with_reward(world, name, disprove_values(world, step, revealed, op), to)


def leaf_values(world: World, leaf: RevealLeaf | DisproveLeaf, trace: tuple[int, ...], op: int = 0) -> list[bytes]:
    """Operator ``op``'s one-time signatures of ``trace`` for every value ``leaf`` verifies."""
    indices = leaf.indices if isinstance(leaf, RevealLeaf) else leaf.value_indices
    return [item for i in indices for item in world.signers[op].sign(i, trace[i + 1])]


def bump(world: World, parent: Tx, owner: RoleKey, vout: int, feerate: float,
         extra: OutPoint | None = None) -> Tx:  # fmt: skip
    """CPFP: a child of graph transaction ``parent`` spending its output ``vout`` (a
    keyed anchor, or the owner's change or payout) and, if given, the owner's
    confirmed coin ``extra``, paying ``owner`` what is left after a fee that lifts
    the package (parent + child) to ``feerate`` sat/vB.  Only ``owner`` can make
    it: the output is its key's."""
    spent = [parent.outputs[vout]]
    inputs = [TxIn(OutPoint(parent.txid, vout))]
    if extra is not None:
        utxo = world.chain.get_output(extra)
        if utxo is None:
            raise RuntimeError(f"the fee coin {extra} is gone")
        spent.append(utxo.txout)
        inputs.append(TxIn(extra))
    own = TaprootOutput(owner.pubkey)

    def signed(value: int) -> Tx:
        tx = Tx(2, tuple(inputs), (TxOut(value, own.script_pubkey),))
        for i in range(len(inputs)):
            tx = tx.with_witness(i, [own.key_path_sign(owner.secret, taproot_sighash(tx, i, spent))])
        return tx

    gtx = next(g for g in world.graph.txs.values() if g.txid == parent.txid)
    parent_fee = sum(o.value for o in gtx.spent) - sum(o.value for o in parent.outputs)
    total = sum(o.value for o in spent)
    fee = math.ceil(feerate * (parent.vsize + signed(total).vsize)) - parent_fee
    if total - fee < 330:
        raise RuntimeError(f"the owner's coins ({total} sat) cannot pay a {fee} sat bump")
    return signed(total - fee)

"""The moves each role makes on chain, built from the signed graph.

Every move returns the transaction and the outputs it spends; the drill submits
it and records the chain's answer.  The challenger's moves read what the
operator revealed *from the chain* (Kickoff and Assert witnesses, parsed by the
leaf each input spends), as a real challenger must.
"""

from __future__ import annotations

from dataclasses import replace

from ocp.drill.world import World
from ocp.ids import Role, TxKind, TxName
from ocp.leaves import DisproveLeaf, RevealLeaf
from ocp.ots import read_value
from ocp.witness import input_witness, operator_values, signed_tx
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput, parse_script_path_witness
from taptrees.tx import Tx, TxIn, TxOut

Move = tuple[Tx, list[TxOut]]

KICKOFF = TxName(TxKind.KICKOFF)
CHALLENGE = TxName(TxKind.CHALLENGE)


def graph_move(world: World, name: TxName, values_by_input: dict[int, list[bytes]] | None = None) -> Move:
    """A graph transaction as built, every input witnessed."""
    keys = {Role.OPERATOR: world.actors.operator, Role.DEPOSITOR: world.actors.depositor}
    return signed_tx(world.graph, name, keys, values_by_input), list(world.graph.tx(name).spent)


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


def reveal(world: World, name: TxName, trace: tuple[int, ...]) -> Move:
    """Kickoff or Assert_j, revealing ``trace``'s values under the one-time keys."""
    return graph_move(world, name, operator_values(world.graph, name, world.signer, trace))


def kickoff(world: World, trace: tuple[int, ...]) -> Move:
    return reveal(world, KICKOFF, trace)


def assert_move(world: World, j: int, trace: tuple[int, ...]) -> Move:
    return reveal(world, TxName(TxKind.ASSERT, j), trace)


def challenge(world: World) -> Move:
    """Complete the Challenge template with the challenger's coin and change."""
    gtx = world.graph.tx(CHALLENGE)
    coin = world.funding[Role.CHALLENGER]
    utxo = world.chain.get_output(coin)
    if utxo is None:
        raise RuntimeError("the challenger's coin is gone")
    fee = 2_000
    change = utxo.txout.value + gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    tx = replace(
        gtx.tx,
        inputs=(*gtx.tx.inputs, TxIn(coin)),
        outputs=(*gtx.tx.outputs, TxOut(change, world.actors.spk(Role.CHALLENGER))),
    )
    spent = [*gtx.spent, utxo.txout]
    tx = tx.with_witness(0, input_witness(world.graph, CHALLENGE, 0, tx, spent))
    own = TaprootOutput(world.actors.challenger.pubkey)
    sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(tx, 1, spent))
    return tx.with_witness(1, [sig]), spent


def with_reward(world: World, name: TxName, values: list[bytes]) -> Move:
    """Complete a Slash/Disprove template: the challenger adds its reward output."""
    gtx = world.graph.tx(name)
    fee = 5_000 + sum(len(v) for v in values) // 2
    reward = gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    tx = replace(gtx.tx, outputs=(*gtx.tx.outputs, TxOut(reward, world.actors.spk(Role.CHALLENGER))))
    spent = list(gtx.spent)
    return tx.with_witness(0, input_witness(world.graph, name, 0, tx, spent, values=values)), spent


def slash(world: World, j: int) -> Move:
    return with_reward(world, TxName(TxKind.SLASH, j), [])


def revealed_values(world: World) -> dict[int, tuple[bytes, ...]]:
    """Value index -> its one-time-signature witness items, read from every confirmed
    graph transaction that spends a reveal leaf (Kickoff and the Asserts).  Each
    witness is taken apart as consensus does (an annex is ignored) and read by the
    leaf it spends."""
    graph = world.graph
    found: dict[int, tuple[bytes, ...]] = {}
    for gtx in graph.txs.values():
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


def find_wrong_step(world: World, revealed: dict[int, tuple[bytes, ...]]) -> int | None:
    """Recompute the trace from the revealed values: the first step whose revealed
    output is not the step applied to its revealed input."""
    program = world.params.computation
    prev = program.initial
    for i in range(program.n_steps):
        value = read_value(world.graph.ots, i, revealed[i])
        if value is None or program.step_python(i, prev) != value:
            return i
        prev = value
    return None


def disprove(world: World, step: int, revealed: dict[int, tuple[bytes, ...]]) -> Move:
    name = TxName(TxKind.DISPROVE, step)
    _, leaf = world.graph.spend_leaf(world.graph.tx(name).spends[0])
    assert isinstance(leaf, DisproveLeaf)
    values = [item for i in leaf.value_indices for item in revealed[i]]
    return with_reward(world, name, values)

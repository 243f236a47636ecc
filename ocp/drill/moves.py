"""The moves each role makes on chain, built from the signed graph.

Every move returns the transaction and the outputs it spends; the drill submits
it and records the chain's answer.  The challenger's moves read what the
operator revealed *from the chain* (Kickoff and Assert witnesses), as a real
challenger must.
"""

from __future__ import annotations

from dataclasses import replace

from ocp.drill.world import World
from ocp.ots import read_value
from ocp.witness import input_witness, operator_values, signed_tx
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxIn, TxOut

Move = tuple[Tx, list[TxOut]]


def graph_move(world: World, name: str, values_by_input: dict[int, list[bytes]] | None = None) -> Move:
    """A graph transaction as built, every input witnessed."""
    keys = {"operator": world.actors.operator, "depositor": world.actors.depositor}
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


def kickoff(world: World, trace: tuple[int, ...]) -> Move:
    return graph_move(world, "Kickoff", operator_values(world.graph, "Kickoff", world.signer, trace))


def assert_move(world: World, j: int, trace: tuple[int, ...]) -> Move:
    name = f"Assert_{j}"
    return graph_move(world, name, operator_values(world.graph, name, world.signer, trace))


def challenge(world: World) -> Move:
    """Complete the Challenge template with the challenger's coin and change."""
    gtx = world.graph.tx("Challenge")
    coin = world.funding["challenger"]
    utxo = world.chain.get_output(coin)
    if utxo is None:
        raise RuntimeError("the challenger's coin is gone")
    fee = 2_000
    change = utxo.txout.value + gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    tx = replace(
        gtx.tx,
        inputs=(*gtx.tx.inputs, TxIn(coin)),
        outputs=(*gtx.tx.outputs, TxOut(change, world.actors.spk("challenger"))),
    )
    spent = [*gtx.spent, utxo.txout]
    tx = tx.with_witness(0, input_witness(world.graph, "Challenge", 0, tx, spent))
    own = TaprootOutput(world.actors.challenger.pubkey)
    sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(tx, 1, spent))
    return tx.with_witness(1, [sig]), spent


def with_reward(world: World, name: str, values: list[bytes]) -> Move:
    """Complete a Slash/Disprove template: the challenger adds its reward output."""
    gtx = world.graph.tx(name)
    fee = 5_000 + sum(len(v) for v in values) // 2
    reward = gtx.spent[0].value - gtx.tx.outputs[0].value - fee
    tx = replace(gtx.tx, outputs=(*gtx.tx.outputs, TxOut(reward, world.actors.spk("challenger"))))
    spent = list(gtx.spent)
    return tx.with_witness(0, input_witness(world.graph, name, 0, tx, spent, values=values)), spent


def revealed_values(world: World) -> dict[int, list[bytes]]:
    """Value index -> its one-time-signature witness items, read from the confirmed
    Kickoff and Assert transactions on chain."""
    graph = world.graph
    sizes = graph.ots.witness_sizes()
    found: dict[int, list[bytes]] = {}
    n = graph.params.computation.n_steps
    kick = world.chain.get_tx(graph.tx("Kickoff").txid)
    if kick is not None:
        found[n - 1] = list(kick.inputs[0].witness[1:-2])
    for j, chunk in enumerate(graph.chunks):
        tx = world.chain.get_tx(graph.tx(f"Assert_{j}").txid)
        if tx is None:
            continue
        items = list(tx.inputs[0].witness[1:-2])
        for i in chunk:
            k = len(sizes[i])
            found[i], items = items[:k], items[k:]
    return found


def find_wrong_step(world: World, revealed: dict[int, list[bytes]]) -> int | None:
    """Recompute the trace from the revealed values: the first step whose revealed
    output is not the step applied to its revealed input."""
    program = world.params.computation
    graph = world.graph
    prev = program.initial
    for i in range(program.n_steps):
        value = read_value(graph.ots, i, revealed[i])
        if value is None:
            return i
        if program.step_python(i, prev) != value:
            return i
        prev = value
    return None


def disprove(world: World, step: int, revealed: dict[int, list[bytes]]) -> Move:
    values = (revealed[step - 1] if step > 0 else []) + revealed[step]
    return with_reward(world, f"Disprove_{step}", values)

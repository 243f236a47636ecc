"""The moves each role makes on chain in a drill, built from the signed graph.

Thin wrappers over :mod:`ocp.moves` (shared with the watcher services) that take
the pieces from a drill's :class:`World`.  Every move returns the transaction and
the outputs it spends; the drill submits it and records the chain's answer.  The
challenger's moves read what an operator revealed *from the chain* (Kickoff and
Assert witnesses, parsed by the leaf each input spends), as a real challenger
must.  ``op`` is the operator (0-based) whose part of the graph a move belongs to.
"""

from __future__ import annotations

from ocp import moves as shared
from ocp.drill.world import World
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import DisproveLeaf, RevealLeaf
from ocp.witness import operator_values, signed_tx
from taptrees.tx import OutPoint, Tx

Move = shared.Move


def graph_move(world: World, name: TxName, values_by_input: dict[int, list[bytes]] | None = None) -> Move:
    """A graph transaction as built, every input witnessed."""
    keys = [*world.actors.operators, world.actors.depositor]
    return signed_tx(world.graph, name, keys, values_by_input), list(world.graph.tx(name).spent)


def move(world: World, kind: TxKind, index: int | None = None, op: int = 0) -> Move:
    return graph_move(world, world.name(kind, index, op))


def operator_trace(world: World, wrong_step: int | None = None) -> tuple[int, ...]:
    """x[0..n]: honest, or with step ``wrong_step`` miscomputed (off by one bit) and
    every later step computed honestly from the wrong value."""
    return shared.operator_trace(world.params.computation, wrong_step)


def reveal(world: World, name: TxName, trace: tuple[int, ...], op: int = 0) -> Move:
    """Kickoff or Assert_j, revealing ``trace``'s values under operator ``op``'s keys."""
    return graph_move(world, name, operator_values(world.graph, name, world.signers[op], trace))


def kickoff(world: World, trace: tuple[int, ...], op: int = 0) -> Move:
    return reveal(world, world.name(TxKind.KICKOFF, None, op), trace, op)


def assert_move(world: World, j: int, trace: tuple[int, ...], op: int = 0) -> Move:
    return reveal(world, world.name(TxKind.ASSERT, j, op), trace, op)


def challenge(world: World, op: int = 0, fee: int = 2_000) -> Move:
    """Complete the Challenge template with the challenger's coin and change."""
    coin = world.funding[(Role.CHALLENGER, 0)]
    utxo = world.chain.get_output(coin)
    if utxo is None:
        raise RuntimeError("the challenger's coin is gone")
    return shared.complete_challenge(
        world.graph,
        world.name(TxKind.CHALLENGE, None, op),
        coin,
        utxo.txout,
        world.actors.challenger,
        world.actors.spk(Role.CHALLENGER),
        fee,
    )


def with_reward(world: World, name: TxName, values: list[bytes], to: bytes | None = None) -> Move:
    """Complete a Slash/Disprove template: the challenger (or whoever ``to`` pays)
    adds its reward output, paying the fee from what the template leaves."""
    fee = 5_000 + sum(len(v) for v in values) // 2
    payee = to if to is not None else world.actors.spk(Role.CHALLENGER)
    return shared.complete_punish(world.graph, name, values, payee, fee)


def slash(world: World, j: int, op: int = 0) -> Move:
    return with_reward(world, world.name(TxKind.SLASH, j, op), [])


def revealed_values(world: World, op: int = 0) -> dict[int, tuple[bytes, ...]]:
    """Value index -> its one-time-signature witness items, read from every
    transaction of operator ``op`` the chain knows that spends a reveal leaf
    (Kickoff and the Asserts)."""
    return shared.revealed_on_chain(world.graph, world.chain, world.name(TxKind.KICKOFF, None, op).operator)


def find_wrong_step(world: World, revealed: dict[int, tuple[bytes, ...]], op: int = 0) -> int | None:
    """Recompute the trace from the revealed values: the first step whose revealed
    output is not the step applied to its revealed input."""
    return shared.find_wrong_step(world.params.computation, world.graph.ots[op], revealed)


def disprove_values(world: World, step: int, revealed: dict[int, tuple[bytes, ...]], op: int = 0) -> list[bytes]:
    """The revealed one-time signatures the Disprove of ``step`` replays."""
    return shared.disprove_values(world.graph, world.name(TxKind.DISPROVE, step, op), revealed)


def disprove(
    world: World, step: int, revealed: dict[int, tuple[bytes, ...]], op: int = 0, to: bytes | None = None
) -> Move:
    name = world.name(TxKind.DISPROVE, step, op)
    return with_reward(world, name, disprove_values(world, step, revealed, op), to)


def leaf_values(world: World, leaf: RevealLeaf | DisproveLeaf, trace: tuple[int, ...], op: int = 0) -> list[bytes]:
    """Operator ``op``'s one-time signatures of ``trace`` for every value ``leaf`` verifies."""
    indices = leaf.indices if isinstance(leaf, RevealLeaf) else leaf.value_indices
    return [item for i in indices for item in world.signers[op].sign(i, trace[i + 1])]


def bump(world: World, parent: Tx, owner: RoleKey, vout: int, feerate: float, extra: OutPoint | None = None) -> Tx:
    """CPFP: a child of graph transaction ``parent`` spending its output ``vout`` and,
    if given, the owner's coin ``extra`` (:func:`ocp.moves.bump`)."""
    return shared.bump(world.chain, world.graph, parent, owner, vout, feerate, () if extra is None else (extra,))

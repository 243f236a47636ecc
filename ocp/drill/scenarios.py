"""The five dispute drills (issue 8).  Each runs the graph on a chain, tries the
moves the protocol forbids, and returns its :class:`World` for the report."""

from __future__ import annotations

from collections.abc import Callable

from ocp.drill import moves
from ocp.drill.world import World, setup_world
from regtest.chain import Chain


def _open(world: World) -> None:
    """Deposit, Confirm (the graph is fully pre-signed), Prepare; each mined."""
    for name, who in (("Deposit", "depositor"), ("Confirm", "committee"), ("Prepare", "operator")):
        tx, spent = moves.graph_move(world, name)
        world.submit(name, who, tx, spent, expect=True)
        world.mine()


def _try(world: World, label: str, who: str, move: moves.Move, expect: bool) -> bool:
    tx, spent = move
    return world.submit(label, who, tx, spent, expect)


def _challenged_and_asserted(world: World, trace: tuple[int, ...], kickoff_label: str) -> dict:
    """Open, Kickoff with ``trace``'s claim, Challenge, every Assert; each mined.
    Returns what the operator revealed, as the challenger reads it from the chain."""
    _open(world)
    _try(world, kickoff_label, "operator", moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Challenge", "challenger", moves.challenge(world), True)
    world.mine()
    for j in range(world.graph.n_chunks):
        _try(world, f"Assert_{j}", "operator", moves.assert_move(world, j, trace), True)
    world.mine()
    return moves.revealed_values(world)


def happy(world: World) -> None:
    """No challenge: Take1 after the challenge window; Slash and Challenge refused."""
    _open(world)
    trace = moves.operator_trace(world)
    _try(world, "Kickoff", "operator", moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Take1 (early)", "operator", moves.graph_move(world, "Take1"), False)
    world.mine(world.params.windows.challenge - 1)
    _try(world, "Take1", "operator", moves.graph_move(world, "Take1"), True)
    world.mine()
    _try(world, "Challenge (after Take1)", "challenger", moves.challenge(world), False)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0 (S spent by Take1)", "challenger", moves.with_reward(world, "Slash_0", []), False)


def answered(world: World) -> None:
    """Challenge, correct Assert, every Disprove refused, Take2."""
    revealed = _challenged_and_asserted(world, moves.operator_trace(world), "Kickoff")
    found = moves.find_wrong_step(world, revealed)
    world.notes.append(
        "challenger recomputed the trace from chain: "
        + ("every step checks out" if found is None else f"wrong step = {found}")
    )
    for i in range(world.params.computation.n_steps):
        _try(world, f"Disprove_{i} (honest trace)", "challenger", moves.disprove(world, i, revealed), False)
    _try(world, "Take2 (early)", "operator", moves.graph_move(world, "Take2"), False)
    world.mine(world.params.windows.disprove)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0 (after Assert)", "challenger", moves.with_reward(world, "Slash_0", []), False)
    _try(world, "Take1 (after challenge)", "operator", moves.graph_move(world, "Take1"), False)
    _try(world, "Take2", "operator", moves.graph_move(world, "Take2"), True)
    world.mine()


def silent(world: World) -> None:
    """Challenge, no Assert: Slash after the response window; Take1/Take2 refused."""
    _open(world)
    trace = moves.operator_trace(world)
    _try(world, "Kickoff", "operator", moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Challenge", "challenger", moves.challenge(world), True)
    world.mine()
    _try(world, "Slash_0 (early)", "challenger", moves.with_reward(world, "Slash_0", []), False)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0", "challenger", moves.with_reward(world, "Slash_0", []), True)
    world.mine()
    _try(world, "Take1 (after challenge)", "operator", moves.graph_move(world, "Take1"), False)
    _try(world, "Take2 (no Assert)", "operator", moves.graph_move(world, "Take2"), False)


def fraud(world: World, wrong_step: int | None = None) -> None:
    """A wrong claim: challenge, Assert, the challenger finds the wrong step from the
    chain and spends that Disprove leaf; Take2 refused."""
    bad = wrong_step if wrong_step is not None else world.params.computation.n_steps // 2
    trace = moves.operator_trace(world, wrong_step=bad)
    revealed = _challenged_and_asserted(world, trace, "Kickoff (wrong claim)")
    found = moves.find_wrong_step(world, revealed)
    world.notes.append(f"challenger recomputed the trace from chain: wrong step = {found}")
    if found is None:
        raise AssertionError("the challenger found no wrong step in a fraudulent trace")
    if found > 0:
        _try(world, f"Disprove_{found - 1} (a correct step)", "challenger",
             moves.disprove(world, found - 1, revealed), False)  # fmt: skip
    _try(world, f"Disprove_{found}", "challenger", moves.disprove(world, found, revealed), True)
    world.mine()
    world.mine(world.params.windows.disprove)
    _try(world, "Take2 (after disprove)", "operator", moves.graph_move(world, "Take2"), False)


def refund(world: World) -> None:
    """The committee never confirms: Refund after the timeout (not before).  Then a
    second deposit that is confirmed cannot be refunded."""
    tx, spent = moves.graph_move(world, "Deposit")
    world.submit("Deposit", "depositor", tx, spent, expect=True)
    world.mine()
    _try(world, "Refund (early)", "depositor", moves.graph_move(world, "Refund"), False)
    world.mine(world.params.windows.refund)
    _try(world, "Refund", "depositor", moves.graph_move(world, "Refund"), True)
    world.mine()
    _try(world, "Confirm (after Refund)", "committee", moves.graph_move(world, "Confirm"), False)
    world.new_deposit()
    world.notes.append("second deposit: the committee confirms it")
    for name, who in (("Deposit", "depositor"), ("Confirm", "committee")):
        _try(world, f"{name} (deposit 2)", who, moves.graph_move(world, name), True)
        world.mine()
    world.mine(world.params.windows.refund)
    _try(world, "Refund (deposit 2, after Confirm)", "depositor", moves.graph_move(world, "Refund"), False)


SCENARIOS: dict[str, Callable[[World], None]] = {
    "happy": happy,
    "answered": answered,
    "silent": silent,
    "fraud": fraud,
    "refund": refund,
}


def run_scenario(name: str, chain: Chain, **world_options) -> World:
    world = setup_world(chain, **world_options)
    SCENARIOS[name](world)
    return world

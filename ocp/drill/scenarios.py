"""The five dispute drills (issue 8).  Each runs the graph on a chain, tries the
moves the protocol forbids, and returns its :class:`World` for the report."""

from __future__ import annotations

from collections.abc import Callable

from ocp.drill import moves
from ocp.drill.world import World, setup_world
from ocp.ids import Role, TxKind, TxName
from regtest.chain import Chain

DEPOSIT, CONFIRM, PREPARE = TxName(TxKind.DEPOSIT), TxName(TxKind.CONFIRM), TxName(TxKind.PREPARE)
TAKE1, TAKE2, REFUND = TxName(TxKind.TAKE1), TxName(TxKind.TAKE2), TxName(TxKind.REFUND)
OPERATOR, CHALLENGER, COMMITTEE, DEPOSITOR = Role.OPERATOR, Role.CHALLENGER, Role.COMMITTEE, Role.DEPOSITOR


def _open(world: World) -> None:
    """Deposit, Confirm (the graph is fully pre-signed), Prepare; each mined."""
    for name, who in ((DEPOSIT, DEPOSITOR), (CONFIRM, COMMITTEE), (PREPARE, OPERATOR)):
        tx, spent = moves.graph_move(world, name)
        world.submit(str(name), who, tx, spent, expect=True)
        world.mine()


def _try(world: World, label: str, who: Role, move: moves.Move, expect: bool) -> bool:
    tx, spent = move
    return world.submit(label, who, tx, spent, expect)


def _challenged_and_asserted(world: World, trace: tuple[int, ...], kickoff_label: str) -> dict:
    """Open, Kickoff with ``trace``'s claim, Challenge, every Assert; each mined.
    Returns what the operator revealed, as the challenger reads it from the chain."""
    _open(world)
    _try(world, kickoff_label, OPERATOR, moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Challenge", CHALLENGER, moves.challenge(world), True)
    world.mine()
    for j in range(world.graph.n_chunks):
        _try(world, f"Assert_{j}", OPERATOR, moves.assert_move(world, j, trace), True)
    world.mine()
    return moves.revealed_values(world)


def happy(world: World) -> None:
    """No challenge: Take1 after the challenge window; Slash and Challenge refused."""
    _open(world)
    trace = moves.operator_trace(world)
    _try(world, "Kickoff", OPERATOR, moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Take1 (early)", OPERATOR, moves.graph_move(world, TAKE1), False)
    world.mine(world.params.windows.challenge - 1)
    _try(world, "Take1", OPERATOR, moves.graph_move(world, TAKE1), True)
    world.mine()
    _try(world, "Challenge (after Take1)", CHALLENGER, moves.challenge(world), False)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0 (S spent by Take1)", CHALLENGER, moves.slash(world, 0), False)


def answered(world: World) -> None:
    """Challenge, correct Assert, every Disprove refused, Take2."""
    revealed = _challenged_and_asserted(world, moves.operator_trace(world), "Kickoff")
    found = moves.find_wrong_step(world, revealed)
    world.notes.append(
        "challenger recomputed the trace from chain: "
        + ("every step checks out" if found is None else f"wrong step = {found}")
    )
    for i in range(world.params.computation.n_steps):
        _try(world, f"Disprove_{i} (honest trace)", CHALLENGER, moves.disprove(world, i, revealed), False)
    _try(world, "Take2 (early)", OPERATOR, moves.graph_move(world, TAKE2), False)
    world.mine(world.params.windows.disprove)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0 (after Assert)", CHALLENGER, moves.slash(world, 0), False)
    _try(world, "Take1 (after challenge)", OPERATOR, moves.graph_move(world, TAKE1), False)
    _try(world, "Take2", OPERATOR, moves.graph_move(world, TAKE2), True)
    world.mine()


def silent(world: World) -> None:
    """Challenge, no Assert: Slash after the response window; Take1/Take2 refused."""
    _open(world)
    trace = moves.operator_trace(world)
    _try(world, "Kickoff", OPERATOR, moves.kickoff(world, trace), True)
    world.mine()
    _try(world, "Challenge", CHALLENGER, moves.challenge(world), True)
    world.mine()
    _try(world, "Slash_0 (early)", CHALLENGER, moves.slash(world, 0), False)
    world.mine(world.params.windows.response)
    _try(world, "Slash_0", CHALLENGER, moves.slash(world, 0), True)
    world.mine()
    _try(world, "Take1 (after challenge)", OPERATOR, moves.graph_move(world, TAKE1), False)
    _try(world, "Take2 (no Assert)", OPERATOR, moves.graph_move(world, TAKE2), False)


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
        _try(world, f"Disprove_{found - 1} (a correct step)", CHALLENGER,
             moves.disprove(world, found - 1, revealed), False)  # fmt: skip
    _try(world, f"Disprove_{found}", CHALLENGER, moves.disprove(world, found, revealed), True)
    world.mine()
    world.mine(world.params.windows.disprove)
    _try(world, "Take2 (after disprove)", OPERATOR, moves.graph_move(world, TAKE2), False)


def refund(world: World) -> None:
    """The committee never confirms: Refund after the timeout (not before).  Then a
    second deposit that is confirmed cannot be refunded."""
    tx, spent = moves.graph_move(world, DEPOSIT)
    world.submit(str(DEPOSIT), DEPOSITOR, tx, spent, expect=True)
    world.mine()
    _try(world, "Refund (early)", DEPOSITOR, moves.graph_move(world, REFUND), False)
    world.mine(world.params.windows.refund)
    _try(world, "Refund", DEPOSITOR, moves.graph_move(world, REFUND), True)
    world.mine()
    _try(world, "Confirm (after Refund)", COMMITTEE, moves.graph_move(world, CONFIRM), False)
    world.new_deposit()
    world.notes.append("second deposit: the committee confirms it")
    for name, who in ((DEPOSIT, DEPOSITOR), (CONFIRM, COMMITTEE)):
        _try(world, f"{name} (deposit 2)", who, moves.graph_move(world, name), True)
        world.mine()
    world.mine(world.params.windows.refund)
    _try(world, "Refund (deposit 2, after Confirm)", DEPOSITOR, moves.graph_move(world, REFUND), False)


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

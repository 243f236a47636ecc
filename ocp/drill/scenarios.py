"""The dispute drills.  Each runs the graph on a chain, tries the moves the
protocol forbids -- each must be refused for the reason it is forbidden
(:mod:`ocp.drill.refusal`) -- and returns its :class:`World` for the report."""

from __future__ import annotations

from collections.abc import Callable

from ocp.drill import moves
from ocp.drill.refusal import SPENT, STEP_CHECKS_OUT, TIMELOCK, Refusal
from ocp.drill.world import World, setup_world
from ocp.ids import Role, TxKind
from regtest.chain import Chain

OPERATOR, CHALLENGER, COMMITTEE, DEPOSITOR = Role.OPERATOR, Role.CHALLENGER, Role.COMMITTEE, Role.DEPOSITOR
K = TxKind


def _try(
    world: World,
    kind: TxKind,
    index: int | None,
    who: Role,
    move: moves.Move,
    expect: bool | Refusal,
    note: str = "",
    op: int = 0,
) -> bool:
    label = str(world.name(kind, index, op)) + (f" ({note})" if note else "")
    tx, spent = move
    return world.submit(label, who, tx, spent, expect)


def _open(world: World, operators: int = 1) -> None:
    """Deposit, Confirm (the graph is fully pre-signed), each Prepare; each mined."""
    _try(world, K.DEPOSIT, None, DEPOSITOR, moves.move(world, K.DEPOSIT), True)
    world.mine()
    _try(world, K.CONFIRM, None, DEPOSITOR, moves.move(world, K.CONFIRM), True)
    for op in range(operators):
        _try(world, K.PREPARE, None, OPERATOR, moves.move(world, K.PREPARE, op=op), True, op=op)
    world.mine()


def _kickoff(world: World, trace: tuple[int, ...], note: str = "", op: int = 0) -> None:
    _try(world, K.KICKOFF, None, OPERATOR, moves.kickoff(world, trace, op), True, note, op)


def _challenge_and_assert(world: World, trace: tuple[int, ...], op: int = 0) -> dict:
    """Challenge a mined Kickoff, then every Assert; each mined.  Returns what the
    operator revealed, as the challenger reads it from the chain."""
    _try(world, K.CHALLENGE, None, CHALLENGER, moves.challenge(world, op), True, op=op)
    world.mine()
    for j in range(world.graph.n_chunks):
        _try(world, K.ASSERT, j, OPERATOR, moves.assert_move(world, j, trace, op), True, op=op)
        world.mine()
    return moves.revealed_values(world, op)


def _disprove_the_wrong_step(world: World, revealed: dict, op: int = 0) -> int:
    found = moves.find_wrong_step(world, revealed, op)
    world.notes.append(f"challenger recomputed the trace from chain: wrong step = {found}")
    if found is None:
        raise AssertionError("the challenger found no wrong step in a fraudulent trace")
    if found > 0:
        _try(
            world,
            K.DISPROVE,
            found - 1,
            CHALLENGER,
            moves.disprove(world, found - 1, revealed, op),
            STEP_CHECKS_OUT,
            "a correct step",
            op,
        )
    _try(world, K.DISPROVE, found, CHALLENGER, moves.disprove(world, found, revealed, op), True, op=op)
    world.mine()
    return found


def happy(world: World) -> None:
    """No challenge: Take1 after the challenge window; Challenge and Slash refused."""
    _open(world)
    _kickoff(world, moves.operator_trace(world))
    world.mine()
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1), TIMELOCK, "early")
    world.mine(world.params.windows.challenge - 1)
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1), True)
    world.mine()
    _try(world, K.CHALLENGE, None, CHALLENGER, moves.challenge(world), SPENT, "after Take1")
    world.mine(world.params.windows.response)
    _try(world, K.SLASH, 0, CHALLENGER, moves.slash(world, 0), SPENT, "S spent by Take1")


def answered(world: World) -> None:
    """Challenge, correct Assert, every Disprove refused, Take2."""
    _open(world)
    trace = moves.operator_trace(world)
    _kickoff(world, trace)
    world.mine()
    revealed = _challenge_and_assert(world, trace)
    found = moves.find_wrong_step(world, revealed)
    world.notes.append(
        "challenger recomputed the trace from chain: "
        + ("every step checks out" if found is None else f"wrong step = {found}")
    )
    for i in range(world.params.computation.n_steps):
        _try(world, K.DISPROVE, i, CHALLENGER, moves.disprove(world, i, revealed), STEP_CHECKS_OUT, "honest trace")
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2), TIMELOCK, "early")
    world.mine(world.params.windows.disprove)
    world.mine(world.params.windows.response)
    _try(world, K.SLASH, 0, CHALLENGER, moves.slash(world, 0), SPENT, "after Assert")
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1), SPENT, "after challenge")
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2), True)
    world.mine()


def silent(world: World) -> None:
    """Challenge, no Assert: Slash after the response window; Take1/Take2 refused."""
    _open(world)
    _kickoff(world, moves.operator_trace(world))
    world.mine()
    _try(world, K.CHALLENGE, None, CHALLENGER, moves.challenge(world), True)
    world.mine()
    _try(world, K.SLASH, 0, CHALLENGER, moves.slash(world, 0), TIMELOCK, "early")
    world.mine(world.params.windows.response)
    _try(world, K.SLASH, 0, CHALLENGER, moves.slash(world, 0), True)
    world.mine()
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1), SPENT, "after challenge")
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2), SPENT, "no Assert")


def fraud(world: World, wrong_step: int | None = None) -> None:
    """A wrong claim: challenge, Assert, the challenger finds the wrong step from the
    chain and spends that Disprove leaf; Take2 refused."""
    bad = wrong_step if wrong_step is not None else world.params.computation.n_steps // 2
    trace = moves.operator_trace(world, wrong_step=bad)
    _open(world)
    _kickoff(world, trace, "wrong claim")
    world.mine()
    _disprove_the_wrong_step(world, _challenge_and_assert(world, trace))
    world.mine(world.params.windows.disprove)
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2), SPENT, "after disprove")


def refund(world: World) -> None:
    """The committee never confirms: Refund after the timeout (not before).  Then a
    second deposit that is confirmed cannot be refunded."""
    _try(world, K.DEPOSIT, None, DEPOSITOR, moves.move(world, K.DEPOSIT), True)
    world.mine()
    _try(world, K.REFUND, None, DEPOSITOR, moves.move(world, K.REFUND), TIMELOCK, "early")
    world.mine(world.params.windows.refund)
    _try(world, K.REFUND, None, DEPOSITOR, moves.move(world, K.REFUND), True)
    world.mine()
    _try(world, K.CONFIRM, None, DEPOSITOR, moves.move(world, K.CONFIRM), SPENT, "after Refund")
    world.new_deposit()
    world.notes.append("second deposit: the committee confirms it")
    for kind in (K.DEPOSIT, K.CONFIRM):
        _try(world, kind, None, DEPOSITOR, moves.move(world, kind), True, "deposit 2")
        world.mine()
    world.mine(world.params.windows.refund)
    _try(world, K.REFUND, None, DEPOSITOR, moves.move(world, K.REFUND), SPENT, "deposit 2, after Confirm")


def reassign(world: World) -> None:
    """Two operators on one vault: operator 1 claims wrongly and is disproved;
    operator 2 claims honestly, is not challenged and is paid from the same vault."""
    _open(world, operators=2)
    wrong = moves.operator_trace(world, wrong_step=world.params.computation.n_steps // 2)
    honest = moves.operator_trace(world)
    _kickoff(world, wrong, "wrong claim", op=0)
    _kickoff(world, honest, op=1)
    world.mine()
    _disprove_the_wrong_step(world, _challenge_and_assert(world, wrong, op=0), op=0)
    world.mine(world.params.windows.challenge)
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1, op=0), SPENT, "after challenge", op=0)
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1, op=1), True, op=1)
    world.mine(world.params.windows.disprove)
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2, op=0), SPENT, "after disprove", op=0)
    world.notes.append("operator 1 lost its stake; operator 2 was paid the deposit from the same vault")


def stakeback(world: World) -> None:
    """Two honest operators on one vault: operator 1 takes the deposit first;
    operator 2, challenged and answering, is too late for the vault and gets its
    stake back with StakeBack2."""
    _open(world, operators=2)
    trace = moves.operator_trace(world)
    _kickoff(world, trace, op=0)
    _kickoff(world, trace, op=1)
    world.mine()
    _try(world, K.CHALLENGE, None, CHALLENGER, moves.challenge(world, 1), True, op=1)
    world.mine(world.params.windows.challenge)
    _try(world, K.TAKE1, None, OPERATOR, moves.move(world, K.TAKE1, op=0), True, op=0)
    for j in range(world.graph.n_chunks):
        _try(world, K.ASSERT, j, OPERATOR, moves.assert_move(world, j, trace, 1), True, op=1)
        world.mine()
    _try(world, K.STAKEBACK2, None, OPERATOR, moves.move(world, K.STAKEBACK2, op=1), TIMELOCK, "early", op=1)
    world.mine(world.params.windows.disprove)
    _try(world, K.TAKE2, None, OPERATOR, moves.move(world, K.TAKE2, op=1), SPENT, "vault already paid", op=1)
    _try(world, K.STAKEBACK2, None, OPERATOR, moves.move(world, K.STAKEBACK2, op=1), True, op=1)
    world.mine()
    world.notes.append("operator 2 was too late for the vault and recovered its stake")


SCENARIOS: dict[str, Callable[[World], None]] = {
    "happy": happy,
    "answered": answered,
    "silent": silent,
    "fraud": fraud,
    "refund": refund,
    "reassign": reassign,
    "stakeback": stakeback,
}
#: Drills that need several operators on the vault.
OPERATORS = {"reassign": 2, "stakeback": 2}


def run_scenario(name: str, chain: Chain, **world_options) -> World:
    world_options.setdefault("n_operators", OPERATORS.get(name, 1))
    world = setup_world(chain, **world_options)
    SCENARIOS[name](world)
    return world

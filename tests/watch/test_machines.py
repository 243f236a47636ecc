"""Every transition the watchers' state machines allow and forbid (issue 20).

Each (phase, trigger) pair of each role is driven by synthetic events: the
shortest path of events from the initial phase to the phase (found in the
machine's own table), then the event under test.  A pair in the table must move
to its target and record the step; any other pair must leave the phase unchanged
and record the event as refused.  The chain-level tests below feed synthetic
confirmations (graph transactions with real witnesses, not mined) through
:func:`ocp.watch.game.claims`, as the follower produces them.
"""

from __future__ import annotations

from collections import deque

import pytest

from ocp.ids import TxKind, TxName
from ocp.watch.challenger import CHALLENGER, ChallengerPhase
from ocp.watch.events import Confirmation
from ocp.watch.game import claims
from ocp.watch.machine import CHAIN_TRIGGERS, Event, Machine, Trigger, fold, trigger_of
from ocp.watch.operator import OPERATOR, OperatorPhase, operator_run
from taptrees.tx import Tx

MACHINES = {"operator": OPERATOR, "challenger": CHALLENGER}


def path_to(machine: Machine, target) -> list[Trigger]:
    """The shortest list of triggers that takes ``machine`` to ``target`` (BFS over
    its table)."""
    queue = deque([(machine.initial, [])])
    seen = {machine.initial}
    while queue:
        phase, path = queue.popleft()
        if phase == target:
            return path
        for (p, trigger), nxt in machine.transitions.items():
            if p == phase and nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, trigger]))
    raise AssertionError(f"{target} is unreachable in the {machine.role} machine")


def events_of(triggers: list[Trigger]) -> list[Event]:
    return [Event(t, None, f"{i:064x}", 100 + i) for i, t in enumerate(triggers)]


def every_pair():
    for role, machine in MACHINES.items():
        triggers = list(Trigger) if machine is OPERATOR else list(CHAIN_TRIGGERS)
        for phase in machine.phases:
            for trigger in triggers:
                yield pytest.param(role, phase, trigger, id=f"{role}-{phase.value}-{trigger.value}")


@pytest.mark.parametrize(("role", "phase", "trigger"), list(every_pair()))
def test_every_transition_allowed_or_forbidden(role, phase, trigger):
    machine = MACHINES[role]
    before = fold(machine, events_of(path_to(machine, phase)))
    assert before.phase == phase and not before.refused
    run = fold(machine, events_of([*path_to(machine, phase), trigger]))
    target = machine.transitions.get((phase, trigger))
    if target is None:
        assert run.phase == phase, f"{trigger} must be forbidden in {phase}"
        assert [r.event.trigger for r in run.refused] == [trigger]
        assert run.refused[0].phase == phase.value
        assert run.steps == before.steps
    else:
        assert run.phase == target
        assert not run.refused
        assert (run.steps[-1].before, run.steps[-1].after) == (phase.value, target.value)
        assert run.steps[-1].event.trigger is trigger


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES)
def test_every_phase_is_reachable_and_terminal_phases_only_take_a_leftover_challenge(machine):
    for phase in machine.phases:
        path_to(machine, phase)
    for phase in machine.terminal:
        assert set(machine.allowed(phase)) <= {Trigger.CHALLENGE}, phase
        assert all(machine.after(phase, t) in (None, phase) for t in Trigger)


def test_nothing_moves_before_a_kickoff():
    """Every output a claim's moves spend is created by its Kickoff."""
    for machine in MACHINES.values():
        assert machine.allowed(machine.initial) in ((Trigger.KICKOFF,), (Trigger.CLAIM, Trigger.KICKOFF))


def test_the_operator_and_the_challenger_agree_on_what_the_chain_can_do():
    """Both machines accept the same chain events in corresponding phases (their
    tables differ only by the operator's local claim and by outcome names)."""
    same = {OperatorPhase.IDLE: ChallengerPhase.WATCHING, OperatorPhase.CLAIMING: ChallengerPhase.WATCHING}
    same.update({OperatorPhase(p.value): p for p in ChallengerPhase if p.value in OperatorPhase.__members__})
    for op_phase, ch_phase in same.items():
        op_allowed = set(OPERATOR.allowed(op_phase)) - {Trigger.CLAIM}
        assert op_allowed == set(CHALLENGER.allowed(ch_phase)), op_phase


# --- chain-level: synthetic confirmations through claims() ---------------------------------


def confirmation(name: TxName, height: int, index: int = 1, tx: Tx | None = None) -> Confirmation:
    """``name`` as if mined at ``height`` (not mined: a synthetic chain event)."""
    tx = tx if tx is not None else Tx(2, (), ())
    return Confirmation(name, f"{height:02x}{index:02x}".ljust(64, "0"), height, f"{height:064x}", index, tx)


def test_trigger_of_names_each_move():
    assert trigger_of(TxName(TxKind.ASSERT, 0), 2) is Trigger.ASSERT
    assert trigger_of(TxName(TxKind.ASSERT, 1), 2) is Trigger.LAST_ASSERT
    assert trigger_of(TxName(TxKind.ASSERT, 0), 1) is Trigger.LAST_ASSERT
    assert trigger_of(TxName(TxKind.DISPROVE, 5), 1) is Trigger.DISPROVE
    for kind in (TxKind.DEPOSIT, TxKind.CONFIRM, TxKind.PREPARE, TxKind.REFUND):
        assert trigger_of(TxName(kind), 1) is None


def test_claims_orders_by_chain_and_splits_operators(world_two_operators):
    seen = [
        confirmation(TxName(TxKind.TAKE1, None, 1), 120),
        confirmation(TxName(TxKind.KICKOFF, None, 2), 101, 2),
        confirmation(TxName(TxKind.KICKOFF, None, 1), 101, 1),
        confirmation(TxName(TxKind.DEPOSIT), 90),
    ]
    by_op = claims(world_two_operators.graph, seen)
    assert [c.name for c in by_op[1].confirmations] == [TxName(TxKind.KICKOFF, None, 1), TxName(TxKind.TAKE1, None, 1)]
    assert by_op[1].vault_taken_by is None
    assert by_op[2].vault_taken_by == TxName(TxKind.TAKE1, None, 1)  # the vault is gone for operator 2


def test_a_reorganisation_is_a_fold_over_what_is_left(world):
    """Dropping the confirmations of disconnected blocks and folding again takes the
    machine back: ANSWERED -> CLAIMED when the Challenge and the Assert leave."""
    seen = [
        confirmation(TxName(TxKind.KICKOFF), 101),
        confirmation(TxName(TxKind.CHALLENGE), 102),
        confirmation(TxName(TxKind.ASSERT, 0), 103),
    ]
    run = operator_run(claims(world.graph, seen)[None], 1, claimed=True)
    assert run.phase is OperatorPhase.ANSWERED
    left = [c for c in seen if c.height < 102]
    assert operator_run(claims(world.graph, left)[None], 1, claimed=True).phase is OperatorPhase.CLAIMED

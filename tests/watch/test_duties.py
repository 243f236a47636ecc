"""What each party must broadcast in each phase, and from which tip, driven by
synthetic chain events: graph transactions as the chain would confirm them (the
Kickoff and Assert carry real one-time signatures, made by the drill's operator,
so the challenger reads the claim with the leaf parsers), not mined."""

from __future__ import annotations

import pytest

from ocp.drill import moves
from ocp.ids import TxKind, TxName
from ocp.moves import operator_trace
from ocp.watch.challenger import (
    ChallengerPhase,
    Policy,
    challenger_duties,
    challenger_run,
    verdict_of,
)
from ocp.watch.events import Confirmation
from ocp.watch.game import claims
from ocp.watch.harness import fault_step
from ocp.watch.operator import OPERATOR, OperatorPhase, operator_duties, operator_run

K = TxKind
KICKOFF_AT = 101


def mined(world, name: TxName, height: int, tx=None) -> Confirmation:
    tx = tx if tx is not None else world.graph.tx(name).tx
    return Confirmation(name, f"{height:04x}".ljust(64, "0"), height, f"{height:064x}", 1, tx)


def game(world, *kinds_and_heights, trace=None, op: int = 0):
    """Confirmations of operator ``op``'s claim: Kickoff (revealing ``trace``'s
    claim) at KICKOFF_AT, then each (name, height)."""
    trace = trace if trace is not None else moves.operator_trace(world)
    kickoff = world.name(K.KICKOFF, None, op)
    seen = [mined(world, kickoff, KICKOFF_AT, moves.kickoff(world, trace, op)[0])]
    for name, height in kinds_and_heights:
        tx = moves.assert_move(world, name.index, trace, op)[0] if name.kind is K.ASSERT else None
        seen.append(mined(world, name, height, tx))
    return seen


def op_duties(world, seen, claimed=True, op: int = 0):
    claim = claims(world.graph, seen)[world.name(K.KICKOFF, None, op).operator]
    run = operator_run(claim, world.graph.n_chunks, claimed)
    return run.phase, operator_duties(run, claim, world.graph)


def ch_duties(world, seen, policy=Policy.FALSE_CLAIMS, op: int = 0):
    claim = claims(world.graph, seen)[world.name(K.KICKOFF, None, op).operator]
    run = challenger_run(claim, world.graph.n_chunks)
    verdict = verdict_of(world.graph, claim, op, operator_trace(world.params.computation)[-1])
    return run.phase, verdict, challenger_duties(run, claim, world.graph, policy, verdict)


def names(duties):
    return [(str(d.tx), d.from_height) for d in duties]


# --- the operator -------------------------------------------------------------------------


def test_operator_idle_does_nothing_until_told(world):
    assert op_duties(world, [], claimed=False) == (OperatorPhase.IDLE, [])


def test_operator_claiming_funds_p_then_kicks_off(world):
    phase, duties = op_duties(world, [])
    assert phase is OperatorPhase.CLAIMING
    assert names(duties) == [("Prepare", 0), ("Kickoff", 0)]
    phase, duties = op_duties(world, [mined(world, TxName(K.PREPARE), 99)])
    assert names(duties) == [("Kickoff", 0)]


def test_operator_closes_c_as_soon_as_the_challenge_window_passes(world):
    phase, [duty] = op_duties(world, game(world))
    w = world.params.windows
    assert phase is OperatorPhase.CLAIMED and duty.tx == TxName(K.TAKE1)
    assert duty.from_height == KICKOFF_AT + w.challenge - 1  # mined at KICKOFF_AT + challenge (CSV)
    assert not duty.due(duty.from_height - 1) and duty.due(duty.from_height)


def test_operator_answers_at_once(world, world_two_asserts):
    phase, duties = op_duties(world, game(world, (TxName(K.CHALLENGE), 102)))
    assert phase is OperatorPhase.CHALLENGED and names(duties) == [("Assert_0", 0)]
    w2 = world_two_asserts
    phase, duties = op_duties(w2, game(w2, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 103)))
    assert phase is OperatorPhase.ASSERTING and names(duties) == [("Assert_1", 0)]


def test_operator_takes_take2_after_the_disprove_window(world):
    phase, [duty] = op_duties(world, game(world, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 103)))
    assert phase is OperatorPhase.ANSWERED
    assert (duty.tx, duty.from_height) == (TxName(K.TAKE2), 103 + world.params.windows.disprove - 1)


def test_operator_takes_its_stake_back_once_another_operator_took_the_vault(world_two_operators):
    w = world_two_operators
    other_take = mined(w, w.name(K.TAKE1, None, 0), 108)
    phase, [duty] = op_duties(w, [*game(w, op=1), other_take], op=1)
    assert phase is OperatorPhase.CLAIMED and duty.tx == w.name(K.STAKEBACK1, None, 1)
    answered = game(w, (w.name(K.CHALLENGE, None, 1), 102), (w.name(K.ASSERT, 0, 1), 103), op=1)
    phase, [duty] = op_duties(w, [*answered, other_take], op=1)
    assert phase is OperatorPhase.ANSWERED and duty.tx == w.name(K.STAKEBACK2, None, 1)
    phase, [duty] = op_duties(w, answered, op=1)
    assert duty.tx == w.name(K.TAKE2, None, 1)


@pytest.mark.parametrize(
    "ending",
    [
        (K.TAKE1, None, OperatorPhase.PAID),
        (K.SLASH, 0, OperatorPhase.SLASHED),
    ],
)
def test_operator_has_nothing_to_do_once_it_is_over(world, ending):
    kind, index, phase = ending
    got, duties = op_duties(world, game(world, (TxName(kind, index), 110)))
    assert got is phase and phase in OPERATOR.terminal and duties == []


def test_operator_disproved_is_over(world):
    seen = game(world, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 103), (TxName(K.DISPROVE, 3), 104))
    assert op_duties(world, seen) == (OperatorPhase.DISPROVED, [])


# --- the challenger -----------------------------------------------------------------------


def test_challenger_reads_the_claim_and_challenges_only_a_false_one(world):
    w = world.params.windows
    wrong = fault_step(world.params.computation)
    false_claim = moves.operator_trace(world, wrong_step=wrong)
    phase, verdict, duties = ch_duties(world, game(world, trace=false_claim))
    assert phase is ChallengerPhase.CLAIMED
    assert verdict.claimed == false_claim[-1] != verdict.honest and verdict.claim_is_false
    assert names(duties) == [("Challenge", KICKOFF_AT), ("Slash_0", KICKOFF_AT + w.response - 1)]
    phase, verdict, duties = ch_duties(world, game(world))
    assert not verdict.claim_is_false
    assert names(duties) == [("Slash_0", KICKOFF_AT + w.response - 1)]  # an operator that never takes Take1


@pytest.mark.parametrize(
    ("policy", "challenges"), [(Policy.ALWAYS, True), (Policy.NEVER, False), (Policy.FALSE_CLAIMS, False)]
)
def test_challenger_policy_on_a_true_claim(world, policy, challenges):
    _, _, duties = ch_duties(world, game(world), policy)
    assert (TxName(K.CHALLENGE) in [d.tx for d in duties]) is challenges


def test_challenger_never_challenges_with_policy_never(world):
    false_claim = moves.operator_trace(world, wrong_step=fault_step(world.params.computation))
    _, _, duties = ch_duties(world, game(world, trace=false_claim), Policy.NEVER)
    assert TxName(K.CHALLENGE) not in [d.tx for d in duties]


def test_challenger_slashes_a_silent_operator_after_each_response_window(world_two_asserts):
    w2 = world_two_asserts
    rw = w2.params.windows.response
    phase, _, duties = ch_duties(w2, game(w2, (TxName(K.CHALLENGE), 102)))
    assert phase is ChallengerPhase.CHALLENGED and names(duties) == [("Slash_0", KICKOFF_AT + rw - 1)]
    phase, _, duties = ch_duties(w2, game(w2, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 104)))
    assert phase is ChallengerPhase.ASSERTING and names(duties) == [("Slash_1", 104 + rw - 1)]


def test_challenger_disproves_the_first_wrong_step_read_from_every_assert(world_two_asserts):
    w2 = world_two_asserts
    wrong = fault_step(w2.params.computation)
    trace = moves.operator_trace(w2, wrong_step=wrong)
    seen = game(w2, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 103), (TxName(K.ASSERT, 1), 104), trace=trace)
    phase, verdict, duties = ch_duties(w2, seen)
    assert phase is ChallengerPhase.ANSWERED and verdict.complete and verdict.wrong_step == wrong
    assert names(duties) == [(f"Disprove_{wrong}", 104)]  # one block after the last Assert (CSV 1)


def test_challenger_lets_an_honest_answer_stand(world):
    seen = game(world, (TxName(K.CHALLENGE), 102), (TxName(K.ASSERT, 0), 103))
    phase, verdict, duties = ch_duties(world, seen, Policy.ALWAYS)
    assert phase is ChallengerPhase.ANSWERED and verdict.complete and verdict.wrong_step is None
    assert duties == []


@pytest.mark.parametrize(
    ("kind", "index", "phase"),
    [
        (K.TAKE1, None, ChallengerPhase.CLOSED),
        (K.STAKEBACK1, None, ChallengerPhase.CLOSED),
        (K.SLASH, 0, ChallengerPhase.WON),
    ],
)
def test_challenger_has_nothing_to_do_once_it_is_over(world, kind, index, phase):
    got, _, duties = ch_duties(world, game(world, (TxName(kind, index), 110)), Policy.ALWAYS)
    assert got is phase and duties == []


def test_challenger_before_a_kickoff_only_watches(world):
    phase, verdict, duties = ch_duties(world, [])
    assert phase is ChallengerPhase.WATCHING and verdict is None and duties == []

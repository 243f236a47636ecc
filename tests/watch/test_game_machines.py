"""Every transition graph v2's machines allow and forbid, and the duties each phase
gives, driven by synthetic chain events (issue 20).

The claim machine is data (:data:`ocp.watch.games.CLAIM_V2`); a game's machine is
generated from the selfcheck guest's layout (30 states: 7 rounds of the first
search, execute, catch, 6 rounds of the read search, w execute, w catch).  Each
(phase, trigger) pair is driven by the shortest path of events to the phase (found
in the machine's own table) and then the event under test: a pair in the table
must move to its target, any other pair must leave the phase and record the event
as refused.  Triggers tried on a game phase: every trigger of the table (so every
move of every other state too).  The duty tests feed synthetic confirmations
(graph transaction names at heights, not mined) through
:func:`ocp.watch.game.claims` as the follower produces them.
"""

from __future__ import annotations

from collections import deque

import pytest

from ocp.builder.games import t_max
from ocp.drill.games import Guest
from ocp.game.layout import GameLayout, Phase
from ocp.ids import Role, TxKind, TxName
from ocp.watch.events import Confirmation
from ocp.watch.game import Claim, Duty, claims
from ocp.watch.games import (
    CHALLENGER_WON,
    CLAIM_V2,
    CLOSED,
    GAME_OVER,
    OPERATOR_WON,
    UNOPENED,
    ClaimPhase,
    ClaimTrigger,
    GameTrigger,
    MoveDuty,
    challenger_duties_v2,
    claim_run,
    claim_trigger_of,
    game_machine,
    game_run,
    game_trigger_of,
    operator_duties_v2,
    state_phase,
)
from ocp.watch.machine import Event, Machine, fold
from taptrees.tx import Tx

CP, CT = ClaimPhase, ClaimTrigger


@pytest.fixture(scope="module")
def layout(selfcheck) -> GameLayout:
    return selfcheck.layout


@pytest.fixture(scope="module")
def machine(layout) -> Machine:
    return game_machine(layout)


def path_to(machine: Machine, target) -> list:
    """The shortest list of triggers that takes ``machine`` to ``target`` (BFS)."""
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


def events_of(triggers: list) -> list[Event]:
    return [Event(t, None, f"{i:064x}", 100 + i) for i, t in enumerate(triggers)]


def check_pair(machine: Machine, phase, trigger) -> None:
    before = fold(machine, events_of(path_to(machine, phase)))
    assert before.phase == phase and not before.refused
    run = fold(machine, events_of([*path_to(machine, phase), trigger]))
    target = machine.transitions.get((phase, trigger))
    if target is None:
        assert run.phase == phase, f"{trigger.value} must be forbidden in {phase.value}"
        assert [r.event.trigger for r in run.refused] == [trigger]
        assert run.refused[0].phase == phase.value
        assert run.steps == before.steps
    else:
        assert run.phase == target, f"{trigger.value} in {phase.value}"
        assert not run.refused
        assert (run.steps[-1].before, run.steps[-1].after) == (phase.value, target.value)
        assert run.steps[-1].event.trigger == trigger


@pytest.mark.parametrize("phase", list(ClaimPhase), ids=[p.value for p in ClaimPhase])
@pytest.mark.parametrize("trigger", list(ClaimTrigger), ids=[t.value for t in ClaimTrigger])
def test_every_claim_transition_allowed_or_forbidden(phase, trigger):
    check_pair(CLAIM_V2, phase, trigger)


def test_claim_machine_shape():
    """Nothing before a Kickoff but the local claim; every phase reachable; terminal
    phases take only an Open (a gate Take2 left unspent)."""
    assert set(CLAIM_V2.allowed(CP.IDLE)) == {CT.CLAIM, CT.KICKOFF}
    assert set(CLAIM_V2.allowed(CP.CLAIMING)) == {CT.KICKOFF}
    for phase in CLAIM_V2.phases:
        path_to(CLAIM_V2, phase)
    for phase in CLAIM_V2.terminal:
        assert set(CLAIM_V2.allowed(phase)) == {CT.OPEN} and CLAIM_V2.after(phase, CT.OPEN) == phase
    # the stake is taken only once a game is open, and only once
    assert CLAIM_V2.after(CP.CLAIMED, CT.STAKE_TAKEN) is None
    assert CLAIM_V2.after(CP.STAKE_TAKEN, CT.STAKE_TAKEN) is None


def test_every_game_transition_allowed_or_forbidden(machine):
    """Every phase of the game against every trigger the table knows (30 states:
    about 2,500 pairs, each folded from the initial phase)."""
    triggers = sorted({t for (_, t) in machine.transitions}, key=lambda t: (t.state is not None, t.state or 0, t.kind))
    for phase in machine.phases:
        for trigger in triggers:
            check_pair(machine, phase, trigger)


def test_game_machine_follows_the_layout(layout, machine):
    """Each state allows exactly its moves and its mover's timeout; the catch states
    and BeyondN end the game; a timeout is the other side's win."""
    assert machine.allowed(UNOPENED) == (
        GameTrigger(TxKind.OPEN),
        GameTrigger(TxKind.TAKE1),
        GameTrigger(TxKind.STAKEBACK1),
    )
    for state in layout.states:
        here = state_phase(layout, state.index)
        allowed = set(machine.allowed(here))
        assert len(allowed) == len(state.moves) + 1, state.label
        assert all(t.state == state.index for t in allowed)
        silent = TxKind.OPERATOR_SILENT if state.mover is Role.OPERATOR else TxKind.CHALLENGER_SILENT
        assert machine.after(here, GameTrigger(silent, state.index)) == (
            CHALLENGER_WON if state.mover is Role.OPERATOR else OPERATOR_WON
        )
        if state.phase is Phase.CATCH:
            assert machine.after(here, GameTrigger(TxKind.CATCH, state.index)) == CHALLENGER_WON
    execute = next(s for s in layout.states if s.phase is Phase.EXECUTE and not s.prefix)
    assert (
        machine.after(state_phase(layout, execute.index), GameTrigger(TxKind.BEYOND_N, execute.index)) == OPERATOR_WON
    )
    for phase in GAME_OVER:
        assert machine.allowed(phase) == ()
    assert len(machine.phases) == len(layout.states) + 4


def test_a_round_revealed_in_several_moves(selfcheck):
    """n = 256 (ocp.game.layout.reveal_parts): rounds 0 and 1 are each revealed in
    three operator states, "reveal r part p/3"; each part's Reveal leads to the next
    part (the operator moves again, the challenger does not), the last part's to the
    round's choice; the operator's silence in any part is the challenger's win.
    Every (phase, trigger) pair of this machine is checked as above (20 states)."""
    layout = Guest(selfcheck.elf, selfcheck.tape, selfcheck.trace, nary=256).layout
    machine = game_machine(layout)
    parts = [s for s in layout.states if " part " in s.label]
    assert len(parts) >= 6
    for state in parts:
        here = state_phase(layout, state.index)
        p, of = map(int, state.label.rsplit(" ", 1)[1].split("/"))
        after = machine.after(here, GameTrigger(TxKind.REVEAL, state.index))
        nxt = layout.states[after.state]
        if p < of:
            assert nxt.mover is Role.OPERATOR and nxt.label.endswith(f"part {p + 1}/{of}")
        else:
            assert nxt.mover is Role.CHALLENGER and nxt.phase is Phase.CHOICE
        assert machine.after(here, GameTrigger(TxKind.OPERATOR_SILENT, state.index)) == CHALLENGER_WON
        assert machine.after(here, GameTrigger(TxKind.CHOOSE, state.index)) is None
    triggers = {t for (_, t) in machine.transitions}
    for phase in machine.phases:
        for trigger in triggers:
            check_pair(machine, phase, trigger)


def test_triggers_name_the_transactions():
    assert claim_trigger_of(TxName(TxKind.CATCH, 29, None, 2)) is CT.STAKE_TAKEN
    assert claim_trigger_of(TxName(TxKind.OPERATOR_SILENT, 4, None, 1)) is CT.STAKE_TAKEN
    assert claim_trigger_of(TxName(TxKind.OPEN, None, None, 1)) is CT.OPEN
    assert claim_trigger_of(TxName(TxKind.REVEAL, 0, None, 1)) is None
    assert claim_trigger_of(TxName(TxKind.CHALLENGER_SILENT, 3, None, 1)) is None
    assert game_trigger_of(TxName(TxKind.REVEAL, 6, None, 2), 2) == GameTrigger(TxKind.REVEAL, 6)
    assert game_trigger_of(TxName(TxKind.REVEAL, 6, None, 2), 1) is None  # another challenger's game
    assert game_trigger_of(TxName(TxKind.OPEN, None, None, 1), 1) == GameTrigger(TxKind.OPEN)
    assert game_trigger_of(TxName(TxKind.TAKE1), 1) == GameTrigger(TxKind.TAKE1)  # closes every gate
    assert game_trigger_of(TxName(TxKind.TAKE2), 1) is None
    assert GameTrigger(TxKind.CHOOSE, 3).value == "Choose_3"


# --- duties from synthetic confirmations ---------------------------------------------------


def confirmation(name: TxName, height: int, index: int = 1) -> Confirmation:
    """``name`` as if mined at ``height`` (not mined: a synthetic chain event)."""
    return Confirmation(
        name,
        f"{height:02x}{index:02x}{name.index or 0:02x}".ljust(64, "0"),
        height,
        f"{height:064x}",
        index,
        Tx(2, (), ()),
    )


def g(kind: TxKind, index: int | None = None, game: int = 1) -> TxName:
    return TxName(kind, index, None, game)


def state(graph, claim: Claim, k: int = 1):
    return game_run(game_machine(graph.layout), claim, k)


def the_claim(graph, names_heights) -> Claim:
    return claims(graph, [confirmation(n, h, i) for i, (n, h) in enumerate(names_heights)])[None]


def test_operator_duties_through_a_game(v2_graph):
    graph, w = v2_graph, v2_graph.params.windows
    K, layout = TxKind.KICKOFF, v2_graph.layout
    claim = the_claim(graph, [(TxName(TxKind.PREPARE), 100), (TxName(K), 100)])
    run = claim_run(claim, claimed=True)
    assert run.phase is CP.CLAIMED
    duties = operator_duties_v2(run, {1: state(graph, claim)}, claim, graph)
    assert duties == [Duty(TxName(TxKind.TAKE1), duties[0].why, 100 + w.challenge - 1)]
    # a game opens: Take2 after T_max, the operator's reveal at once
    claim = the_claim(graph, [(TxName(K), 100), (g(TxKind.OPEN), 102)])
    run = claim_run(claim, claimed=True)
    assert run.phase is CP.DISPUTED
    take2, move = operator_duties_v2(run, {1: state(graph, claim)}, claim, graph)
    assert take2.tx == TxName(TxKind.TAKE2) and take2.from_height == 100 + t_max(graph.params, layout) - 1
    assert isinstance(move, MoveDuty) and (move.state, move.from_height, move.game) == (0, 102, 1)
    assert move.slot == "/c1 state 0"
    # its reveal mined: the challenger's turn; ChallengerSilent_1 once the window passes
    claim = the_claim(graph, [(TxName(K), 100), (g(TxKind.OPEN), 102), (g(TxKind.REVEAL, 0), 103)])
    _, silent = operator_duties_v2(claim_run(claim, True), {1: state(graph, claim)}, claim, graph)
    assert silent == Duty(g(TxKind.CHALLENGER_SILENT, 1), silent.why, 103 + w.move - 1)
    # the vault went to another operator: StakeBack2 instead of Take2
    taken = Claim(None, claim.confirmations, TxName(TxKind.TAKE1, None, 2))
    assert operator_duties_v2(claim_run(taken, True), {1: state(graph, taken)}, taken, graph)[0].tx == TxName(
        TxKind.STAKEBACK2
    )


def test_operator_claims_then_stops_at_the_end(v2_graph):
    graph = v2_graph
    empty = the_claim(graph, [])
    claiming = claim_run(empty, claimed=True)
    assert [d.tx.kind for d in operator_duties_v2(claiming, {1: state(graph, empty)}, empty, graph)] == [
        TxKind.PREPARE,
        TxKind.KICKOFF,
    ]
    assert operator_duties_v2(claim_run(empty), {1: state(graph, empty)}, empty, graph) == []  # not told to claim
    paid = the_claim(graph, [(TxName(TxKind.KICKOFF), 100), (TxName(TxKind.TAKE1), 107)])
    assert claim_run(paid, True).phase is CP.PAID and state(graph, paid).phase == CLOSED
    assert operator_duties_v2(claim_run(paid, True), {1: state(graph, paid)}, paid, graph) == []


def test_challenger_duties_follow_its_verdict(v2_graph):
    graph, w = v2_graph, v2_graph.params.windows
    claim = the_claim(graph, [(TxName(TxKind.KICKOFF), 100)])
    run, game = claim_run(claim), state(graph, claim)
    assert challenger_duties_v2(run, game, claim, graph, 1, None) == []  # not judged yet
    assert challenger_duties_v2(run, game, claim, graph, 1, False) == []  # a true claim
    (open_,) = challenger_duties_v2(run, game, claim, graph, 1, True)
    assert open_.tx == g(TxKind.OPEN) and open_.from_height == 100  # mined in the block after the Kickoff
    # in the operator's state: OperatorSilent once the window passes; in its own: its move
    claim = the_claim(graph, [(TxName(TxKind.KICKOFF), 100), (g(TxKind.OPEN), 101)])
    (silent,) = challenger_duties_v2(claim_run(claim), state(graph, claim), claim, graph, 1, True)
    assert silent == Duty(g(TxKind.OPERATOR_SILENT, 0), silent.why, 101 + w.move - 1)
    claim = the_claim(graph, [(TxName(TxKind.KICKOFF), 100), (g(TxKind.OPEN), 101), (g(TxKind.REVEAL, 0), 102)])
    (move,) = challenger_duties_v2(claim_run(claim), state(graph, claim), claim, graph, 1, True)
    assert isinstance(move, MoveDuty) and (move.state, move.from_height) == (1, 102)


def test_a_challenger_stops_once_another_took_the_stake(v2_graph):
    """Game 2 caught the operator: the stake is gone, so challenger 1 has nothing to
    win (its OperatorSilent and Catch spend the stake) and stops; the operator can
    still end game 1 by ChallengerSilent."""
    graph = v2_graph
    claim = the_claim(
        graph,
        [
            (TxName(TxKind.KICKOFF), 100),
            (g(TxKind.OPEN), 101),
            (g(TxKind.OPEN, game=2), 101),
            (g(TxKind.REVEAL, 0), 102),
            (g(TxKind.CATCH, 15, game=2), 110),
        ],
    )
    run = claim_run(claim)
    assert run.phase is CP.STAKE_TAKEN
    assert challenger_duties_v2(run, state(graph, claim), claim, graph, 1, True) == []
    (silent,) = operator_duties_v2(claim_run(claim, True), {1: state(graph, claim)}, claim, graph)
    assert silent.tx == g(TxKind.CHALLENGER_SILENT, 1)


def test_a_reorganisation_is_a_fold_over_what_is_left(v2_graph):
    graph = v2_graph
    seen = [
        (TxName(TxKind.KICKOFF), 100),
        (g(TxKind.OPEN), 101),
        (g(TxKind.REVEAL, 0), 102),
        (g(TxKind.CHOOSE, 1), 103),
    ]
    claim = the_claim(graph, seen)
    assert state(graph, claim).phase == state_phase(graph.layout, 2)
    left = the_claim(graph, [s for s in seen if s[1] < 102])
    assert state(graph, left).phase == state_phase(graph.layout, 0)
    assert claim_run(left).phase is CP.DISPUTED
    assert claim_run(the_claim(graph, seen[:1])).phase is CP.CLAIMED


def test_a_move_of_another_state_is_refused(v2_graph):
    """A Choose_3 where the game is in state 1 (a follower or graph mismatch) is
    refused and logged, the phase kept."""
    graph = v2_graph
    claim = the_claim(
        graph,
        [(TxName(TxKind.KICKOFF), 100), (g(TxKind.OPEN), 101), (g(TxKind.REVEAL, 0), 102), (g(TxKind.CHOOSE, 3), 103)],
    )
    run = state(graph, claim)
    assert run.phase == state_phase(graph.layout, 1)
    assert [r.event.tx for r in run.refused] == [g(TxKind.CHOOSE, 3)]

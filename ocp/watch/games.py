"""Graph version 2 as state machines: one operator's claim, and each game a
registered challenger opens against it (docs/protocol-v2.md).

**The claim** (:data:`CLAIM_V2`, data; both roles fold it, the challenger
without the local ``claim``; every pair not listed is forbidden):

==============  ======================  ============  =====================================
phase           trigger                 next          why
==============  ======================  ============  =====================================
IDLE            claim (told to)         CLAIMING      Prepare and Kickoff are due
IDLE            Kickoff                 CLAIMED       (the challenger; or a claim made
                                                      before the operator's state dir)
CLAIMING        Kickoff                 CLAIMED
CLAIMED         Open                    DISPUTED      a challenger opened its game
CLAIMED         Take1 / StakeBack1      PAID / STAKE_BACK   no game opened
CLAIMED         Take2 / StakeBack2      PAID / STAKE_BACK   T_max passed, Take1 never taken
DISPUTED        Open                    DISPUTED      another game opened
DISPUTED        stake taken             STAKE_TAKEN   a Catch or OperatorSilent spent S
DISPUTED        Take2 / StakeBack2      PAID / STAKE_BACK   every game ended by T_max
PAID,           Open                    (same)        a gate Take2 left unspent, opened
STAKE_BACK,                                           after the end (worthless)
STAKE_TAKEN
==============  ======================  ============  =====================================

**A game** (:func:`game_machine`, generated from the game's
:class:`~ocp.game.layout.GameLayout`): ``unopened`` -Open-> the layout's state 0;
from each state, each of its moves (``Reveal_s``, ``Choose_s``, ``Execute_s``,
``StartRead_s``) leads to the state it makes, ``Catch_s`` to ``challenger won``,
``BeyondN_s`` to ``operator won``, and the silent mover's timeout
(``OperatorSilent_s`` / ``ChallengerSilent_s``) to the other side's win;
``unopened`` -Take1/StakeBack1-> ``closed`` (those spend every gate).  Triggers
carry the state they leave, so a move of another state is refused.

**Duties** (:func:`operator_duties_v2`, :func:`challenger_duties_v2`): the operator
claims (Prepare, Kickoff); takes Take1 once ``challenge_window`` passes with no game
opened, else Take2 once T_max passes (StakeBack1/2 if another operator's Take
emptied the vault); in every opened game it moves at once in its states
(:class:`MoveDuty`: its player decides the transaction) and takes
ChallengerSilent_s once ``move_window`` passes in the challenger's.  The
challenger opens its game from the block after the Kickoff when it disputes the
claim, moves at once in its states while the stake is there to win, and takes
OperatorSilent_s once ``move_window`` passes in the operator's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocp.builder.games import OPEN_CSV, t_max
from ocp.game.layout import GameLayout, MoveKind, move_kind, silent_kind
from ocp.graph import Graph
from ocp.ids import Role, TxKind, TxName
from ocp.watch.game import Claim, Duty, after_window
from ocp.watch.machine import Event, Machine, Run, fold


class ClaimPhase(StrEnum):
    IDLE = "IDLE"
    CLAIMING = "CLAIMING"
    CLAIMED = "CLAIMED"
    DISPUTED = "DISPUTED"
    PAID = "PAID"
    STAKE_BACK = "STAKE_BACK"
    STAKE_TAKEN = "STAKE_TAKEN"


class ClaimTrigger(StrEnum):
    """What moves a version-2 claim."""

    CLAIM = "claim"  # local: the operator was told to claim
    KICKOFF = "Kickoff"
    OPEN = "Open"  # any game of the claim opened
    STAKE_TAKEN = "stake taken"  # a Catch or an OperatorSilent of any game spent S
    TAKE1 = "Take1"
    TAKE2 = "Take2"
    STAKEBACK1 = "StakeBack1"
    STAKEBACK2 = "StakeBack2"


#: Kinds that end a game with the challenger's win: they spend the stake S.
STAKE_SPENDS = (TxKind.CATCH, TxKind.OPERATOR_SILENT)
#: Kinds that spend every gate: no game can open after them.
GATE_SPENDS = (TxKind.TAKE1, TxKind.STAKEBACK1)
_CLAIM_BY_KIND = {
    TxKind.KICKOFF: ClaimTrigger.KICKOFF,
    TxKind.OPEN: ClaimTrigger.OPEN,
    TxKind.CATCH: ClaimTrigger.STAKE_TAKEN,
    TxKind.OPERATOR_SILENT: ClaimTrigger.STAKE_TAKEN,
    TxKind.TAKE1: ClaimTrigger.TAKE1,
    TxKind.TAKE2: ClaimTrigger.TAKE2,
    TxKind.STAKEBACK1: ClaimTrigger.STAKEBACK1,
    TxKind.STAKEBACK2: ClaimTrigger.STAKEBACK2,
}

CP, CT = ClaimPhase, ClaimTrigger
CLAIM_V2: Machine[ClaimPhase] = Machine(
    "claim",
    CP.IDLE,
    {
        (CP.IDLE, CT.CLAIM): CP.CLAIMING,
        (CP.IDLE, CT.KICKOFF): CP.CLAIMED,
        (CP.CLAIMING, CT.KICKOFF): CP.CLAIMED,
        (CP.CLAIMED, CT.OPEN): CP.DISPUTED,
        (CP.CLAIMED, CT.TAKE1): CP.PAID,
        (CP.CLAIMED, CT.STAKEBACK1): CP.STAKE_BACK,
        (CP.CLAIMED, CT.TAKE2): CP.PAID,
        (CP.CLAIMED, CT.STAKEBACK2): CP.STAKE_BACK,
        (CP.DISPUTED, CT.OPEN): CP.DISPUTED,
        (CP.DISPUTED, CT.STAKE_TAKEN): CP.STAKE_TAKEN,
        (CP.DISPUTED, CT.TAKE2): CP.PAID,
        (CP.DISPUTED, CT.STAKEBACK2): CP.STAKE_BACK,
        (CP.PAID, CT.OPEN): CP.PAID,
        (CP.STAKE_BACK, CT.OPEN): CP.STAKE_BACK,
        (CP.STAKE_TAKEN, CT.OPEN): CP.STAKE_TAKEN,
    },
    frozenset({CP.PAID, CP.STAKE_BACK, CP.STAKE_TAKEN}),
)
#: Claim outcomes that keep the operator's stake.
KEPT_STAKE_V2 = frozenset({CP.PAID, CP.STAKE_BACK})


def claim_trigger_of(name: TxName) -> ClaimTrigger | None:
    """The claim machine's trigger for a confirmed transaction of the claim (None for
    Prepare and the games' other moves)."""
    return _CLAIM_BY_KIND.get(name.kind)


def claim_events(claim: Claim) -> list[Event]:
    out = []
    for c in claim.confirmations:
        trigger = claim_trigger_of(c.name)
        if trigger is not None:
            out.append(Event(trigger, c.name, c.txid, c.height))
    return out


def claim_run(claim: Claim, claimed: bool = False) -> Run[ClaimPhase]:
    """The claim machine folded over the chain (``claimed``: the operator's journal
    holds a claim it was told to make)."""
    local = [Event(CT.CLAIM)] if claimed else []
    return fold(CLAIM_V2, local + claim_events(claim))


# --- one game -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GamePhase:
    """Where a game is: not open yet, in one of its layout's states (``state``), or
    over; ``value`` is what the logs print."""

    value: str
    state: int | None = None


@dataclass(frozen=True)
class GameTrigger:
    """A game transaction of ``kind`` leaving layout state ``state`` (None: Open,
    and the Takes that close the gates)."""

    kind: TxKind
    state: int | None = None

    @property
    def value(self) -> str:
        return self.kind.value if self.state is None else f"{self.kind.value}_{self.state}"


UNOPENED = GamePhase("unopened")
CLOSED = GamePhase("closed")  # the gate was spent by Take1/StakeBack1: the game never opens
CHALLENGER_WON = GamePhase("challenger won")
OPERATOR_WON = GamePhase("operator won")
GAME_OVER = frozenset({CLOSED, CHALLENGER_WON, OPERATOR_WON})


def state_phase(layout: GameLayout, index: int) -> GamePhase:
    return GamePhase(layout.states[index].label, index)


def game_machine(layout: GameLayout) -> Machine[GamePhase]:
    """The game's machine from its layout (module docstring)."""
    states = layout.states
    table: dict[tuple[GamePhase, GameTrigger], GamePhase] = {
        (UNOPENED, GameTrigger(TxKind.OPEN)): state_phase(layout, 0),
        **{(UNOPENED, GameTrigger(kind)): CLOSED for kind in GATE_SPENDS},
    }
    for state in states:
        here = state_phase(layout, state.index)
        for move in state.moves:
            if move.next_state is not None:
                after = state_phase(layout, move.next_state)
            else:
                after = CHALLENGER_WON if move.kind is MoveKind.CATCH else OPERATOR_WON
            table[(here, GameTrigger(move_kind(state, move), state.index))] = after
        loser_is_operator = state.mover is Role.OPERATOR
        table[(here, GameTrigger(silent_kind(state), state.index))] = (
            CHALLENGER_WON if loser_is_operator else OPERATOR_WON
        )
    listing = (UNOPENED, *(state_phase(layout, s.index) for s in states), CLOSED, CHALLENGER_WON, OPERATOR_WON)
    return Machine("game", UNOPENED, table, GAME_OVER, listing)


def game_trigger_of(name: TxName, game: int) -> GameTrigger | None:
    """The trigger a confirmed transaction of the claim is for game ``game``
    (1-based, as in names); None when it is not about that game."""
    if name.kind in GATE_SPENDS:
        return GameTrigger(name.kind)
    if name.game != game:
        return None
    return GameTrigger(name.kind, None if name.kind is TxKind.OPEN else name.index)


def game_events(claim: Claim, game: int) -> list[Event]:
    out = []
    for c in claim.confirmations:
        trigger = game_trigger_of(c.name, game)
        if trigger is not None:
            out.append(Event(trigger, c.name, c.txid, c.height))
    return out


def game_run(machine: Machine[GamePhase], claim: Claim, game: int) -> Run[GamePhase]:
    return fold(machine, game_events(claim, game))


def state_height(run: Run[GamePhase]) -> int | None:
    """Height of the block that made the game's current state (its last step)."""
    return run.steps[-1].event.height if run.steps else None


# --- duties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveDuty:
    """Move in game ``game`` (challenger number, 1-based) of operator ``operator``,
    whose state ``state`` this party must leave, from tip ``from_height`` on: the
    party's player decides which transaction (Reveal, Choose, Execute or BeyondN,
    Catch or StartRead)."""

    operator: int | None
    game: int
    state: int
    label: str
    why: str
    from_height: int
    tx: None = None  # the transaction is the player's choice

    def due(self, tip: int) -> bool:
        return tip >= self.from_height

    @property
    def slot(self) -> str:
        """What the journal files this move under: one move per state, ever."""
        return game_label(self.operator, self.game) + f" state {self.state}"


def game_label(operator: int | None, game: int) -> str:
    return (f"@{operator}" if operator is not None else "") + f"/c{game}"


def _name(claim: Claim, kind: TxKind, index: int | None = None, game: int | None = None) -> TxName:
    return TxName(kind, index, claim.operator, game)


def operator_duties_v2(
    run: Run[ClaimPhase], games: dict[int, Run[GamePhase]], claim: Claim, graph: Graph
) -> list[Duty | MoveDuty]:
    """What the operator must get mined now or later for its claim and its games
    (``games``: challenger number -> that game's run)."""
    p, layout = graph.params, graph.layout
    assert layout is not None
    phase = run.phase
    duties: list[Duty | MoveDuty] = []
    if phase is CP.CLAIMING:
        if claim.height(_name(claim, TxKind.PREPARE)) is None:
            duties.append(Duty(_name(claim, TxKind.PREPARE), "claim: fund the claim output P", 0))
        duties.append(Duty(_name(claim, TxKind.KICKOFF), "claim: sign N, h_N and the input", 0))
        return duties
    kickoff = run.height_of(CT.KICKOFF)
    if phase is CP.CLAIMED:
        assert kickoff is not None
        kind, why = (
            (TxKind.STAKEBACK1, f"no game opened; {claim.vault_taken_by} took the vault")
            if claim.vault_taken_by
            else (TxKind.TAKE1, "no game opened: close the gates as soon as the challenge window passes")
        )
        duties.append(Duty(_name(claim, kind), why, after_window(kickoff, p.windows.challenge)))
    if phase is CP.DISPUTED:
        assert kickoff is not None
        kind, why = (
            (TxKind.STAKEBACK2, f"disputed; {claim.vault_taken_by} took the vault")
            if claim.vault_taken_by
            else (TxKind.TAKE2, "every game ended by T_max")
        )
        duties.append(Duty(_name(claim, kind), why, after_window(kickoff, t_max(p, layout))))
    if phase in (CP.DISPUTED, CP.STAKE_TAKEN):
        for k, game in sorted(games.items()):
            duties += _game_duties(Role.OPERATOR, game, claim, graph, k, stake_there=phase is CP.DISPUTED)
    return duties


def challenger_duties_v2(
    run: Run[ClaimPhase], game: Run[GamePhase], claim: Claim, graph: Graph, k: int, disputes: bool | None
) -> list[Duty | MoveDuty]:
    """What challenger ``k`` (1-based) must get mined in its game against this claim
    (``disputes``: its verdict on the claim, None before it has one)."""
    phase = run.phase
    duties: list[Duty | MoveDuty] = []
    if phase in (CP.CLAIMED, CP.DISPUTED) and game.phase == UNOPENED and disputes:
        kickoff = run.height_of(CT.KICKOFF)
        assert kickoff is not None
        duties.append(
            Duty(
                _name(claim, TxKind.OPEN, None, k), "the claim is false: open the game", after_window(kickoff, OPEN_CSV)
            )
        )
    if phase is CP.DISPUTED:
        duties += _game_duties(Role.CHALLENGER, game, claim, graph, k, stake_there=True)
    return duties


def _game_duties(
    role: Role, game: Run[GamePhase], claim: Claim, graph: Graph, k: int, stake_there: bool
) -> list[Duty | MoveDuty]:
    """``role``'s duty in game ``k`` now: its move in its own states, the other side's
    timeout in the other's (the challenger's wins need the stake still there)."""
    layout = graph.layout
    assert layout is not None
    index = game.phase.state
    if index is None:
        return []
    state = layout.states[index]
    since = state_height(game)
    assert since is not None
    if state.mover is role:
        if role is Role.CHALLENGER and not stake_there:
            return []  # nothing left to win: the stake is gone
        return [MoveDuty(claim.operator, k, index, state.label, f"{state.label}: the {role}'s move", since)]
    if role is Role.CHALLENGER and not stake_there:
        return []  # OperatorSilent spends the stake
    silent = _name(claim, silent_kind(state), index, k)
    return [
        Duty(
            silent,
            f"{state.label}: the {state.mover} let the move window pass",
            after_window(since, graph.params.windows.move),
        )
    ]

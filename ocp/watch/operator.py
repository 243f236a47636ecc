"""The operator as a state machine over its claim (graph version 1.1).

Phases and transitions (:data:`OPERATOR`, data; every pair not listed is
forbidden):

==============  ======================  ============  =====================================
phase           trigger                 next          why
==============  ======================  ============  =====================================
IDLE            claim (told to)         CLAIMING      Prepare and Kickoff are due
IDLE            Kickoff                 CLAIMED       a claim made before this state dir
CLAIMING        Kickoff                 CLAIMED
CLAIMED         Challenge               CHALLENGED    C spent: it must answer
CLAIMED         Take1 / StakeBack1      PAID / STAKE_BACK
CLAIMED         Assert / last Assert    ASSERTING / ANSWERED  (an Assert needs no Challenge)
CLAIMED         Slash                   SLASHED       Take1 not taken within the response window
CHALLENGED      Assert / last Assert    ASSERTING / ANSWERED
CHALLENGED      Slash                   SLASHED       silent past the response window
ASSERTING       Assert / last Assert    ASSERTING / ANSWERED
ASSERTING       Challenge               ASSERTING     C spent after an unchallenged Assert
ASSERTING       Slash                   SLASHED
ANSWERED        Take2 / StakeBack2      PAID / STAKE_BACK
ANSWERED        Disprove                DISPROVED     a wrong step re-checked on chain
ANSWERED        Challenge               ANSWERED
PAID, DISPROVED Challenge               (same)        a leftover C spent after the end
==============  ======================  ============  =====================================

Duties (:func:`operator_duties`): CLAIMING: Prepare, then Kickoff; CLAIMED: Take1
(StakeBack1 once another operator's Take emptied the vault) as soon as
``challenge_window`` passes -- a Challenge is valid while C is unspent, so C is
closed promptly (docs/protocol.md, Windows); CHALLENGED and ASSERTING: the next
Assert at once; ANSWERED: Take2 (or StakeBack2) once ``disprove_window`` passes.
"""

from __future__ import annotations

from enum import StrEnum

from ocp.graph import Graph
from ocp.ids import TxKind, TxName
from ocp.watch.game import Claim, Duty, after_window
from ocp.watch.machine import Event, Machine, Run, Trigger, fold


class OperatorPhase(StrEnum):
    IDLE = "IDLE"
    CLAIMING = "CLAIMING"
    CLAIMED = "CLAIMED"
    CHALLENGED = "CHALLENGED"
    ASSERTING = "ASSERTING"
    ANSWERED = "ANSWERED"
    PAID = "PAID"
    STAKE_BACK = "STAKE_BACK"
    SLASHED = "SLASHED"
    DISPROVED = "DISPROVED"


O, T = OperatorPhase, Trigger  # noqa: E741 - short names keep the table readable
OPERATOR: Machine[OperatorPhase] = Machine(
    "operator",
    O.IDLE,
    {
        (O.IDLE, T.CLAIM): O.CLAIMING,
        (O.IDLE, T.KICKOFF): O.CLAIMED,
        (O.CLAIMING, T.KICKOFF): O.CLAIMED,
        (O.CLAIMED, T.CHALLENGE): O.CHALLENGED,
        (O.CLAIMED, T.TAKE1): O.PAID,
        (O.CLAIMED, T.STAKEBACK1): O.STAKE_BACK,
        (O.CLAIMED, T.ASSERT): O.ASSERTING,
        (O.CLAIMED, T.LAST_ASSERT): O.ANSWERED,
        (O.CLAIMED, T.SLASH): O.SLASHED,
        (O.CHALLENGED, T.ASSERT): O.ASSERTING,
        (O.CHALLENGED, T.LAST_ASSERT): O.ANSWERED,
        (O.CHALLENGED, T.SLASH): O.SLASHED,
        (O.ASSERTING, T.ASSERT): O.ASSERTING,
        (O.ASSERTING, T.LAST_ASSERT): O.ANSWERED,
        (O.ASSERTING, T.CHALLENGE): O.ASSERTING,
        (O.ASSERTING, T.SLASH): O.SLASHED,
        (O.ANSWERED, T.TAKE2): O.PAID,
        (O.ANSWERED, T.STAKEBACK2): O.STAKE_BACK,
        (O.ANSWERED, T.DISPROVE): O.DISPROVED,
        (O.ANSWERED, T.CHALLENGE): O.ANSWERED,
        (O.PAID, T.CHALLENGE): O.PAID,
        (O.DISPROVED, T.CHALLENGE): O.DISPROVED,
    },
    frozenset({O.PAID, O.STAKE_BACK, O.SLASHED, O.DISPROVED}),
)
#: Outcomes that keep the operator's stake (exit 0); the others lose it (exit 1).
KEPT_STAKE = frozenset({O.PAID, O.STAKE_BACK})


def operator_run(claim: Claim, n_chunks: int, claimed: bool) -> Run[OperatorPhase]:
    """The operator's machine folded over its claim (``claimed``: the journal holds
    a claim the operator was told to make)."""
    events = [Event(Trigger.CLAIM)] if claimed else []
    return fold(OPERATOR, events + claim.events(n_chunks))


def operator_duties(run: Run[OperatorPhase], claim: Claim, graph: Graph) -> list[Duty]:
    """What the operator must get mined now or later, in order."""
    w = graph.params.windows
    op = claim.operator

    def name(kind: TxKind, index: int | None = None) -> TxName:
        return TxName(kind, index, op)

    phase = run.phase
    if phase is O.CLAIMING:
        duties = []
        if claim.height(name(TxKind.PREPARE)) is None:
            duties.append(Duty(name(TxKind.PREPARE), "claim: fund the claim output P", 0))
        return [*duties, Duty(name(TxKind.KICKOFF), "claim: reveal the claimed value", 0)]
    if phase is O.CLAIMED:
        kickoff = run.height_of(Trigger.KICKOFF)
        assert kickoff is not None
        if claim.vault_taken_by is not None:
            return [
                Duty(
                    name(TxKind.STAKEBACK1),
                    f"unchallenged; {claim.vault_taken_by} took the vault",
                    after_window(kickoff, w.challenge),
                )
            ]
        return [
            Duty(
                name(TxKind.TAKE1),
                "unchallenged: close C as soon as the challenge window passes",
                after_window(kickoff, w.challenge),
            )
        ]
    if phase in (O.CHALLENGED, O.ASSERTING):
        j = len(claim.of_kind(TxKind.ASSERT))
        return [Duty(name(TxKind.ASSERT, j), f"challenged: reveal chunk {j} of the trace", 0)]
    if phase is O.ANSWERED:
        last = run.height_of(Trigger.LAST_ASSERT)
        assert last is not None
        if claim.vault_taken_by is not None:
            return [
                Duty(
                    name(TxKind.STAKEBACK2),
                    f"answered; {claim.vault_taken_by} took the vault",
                    after_window(last, w.disprove),
                )
            ]
        return [
            Duty(name(TxKind.TAKE2), "answered: paid once the disprove window passes", after_window(last, w.disprove))
        ]
    return []

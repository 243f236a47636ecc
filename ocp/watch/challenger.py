"""The challenger as a state machine over each operator's claim (graph version 1.1).

Phases and transitions (:data:`CHALLENGER`, data; every pair not listed is
forbidden):

==============  ======================  ============  =====================================
phase           trigger                 next          why
==============  ======================  ============  =====================================
WATCHING        Kickoff                 CLAIMED       the claim is read from its witness
CLAIMED         Challenge               CHALLENGED    (ours or anyone's)
CLAIMED         Take1 / StakeBack1      CLOSED        unchallenged; the operator is paid
CLAIMED         Assert / last Assert    ASSERTING / ANSWERED
CLAIMED         Slash                   WON           the operator let the response window pass
CHALLENGED      Assert / last Assert    ASSERTING / ANSWERED
CHALLENGED      Slash                   WON
ASSERTING       Assert / last Assert    ASSERTING / ANSWERED
ASSERTING       Challenge               ASSERTING
ASSERTING       Slash                   WON           the operator stopped halfway
ANSWERED        Disprove                WON           a wrong step re-checked on chain
ANSWERED        Take2 / StakeBack2      CLOSED        the answer stood
ANSWERED        Challenge               ANSWERED
CLOSED, WON     Challenge               (same)        a leftover C spent after the end
==============  ======================  ============  =====================================

Duties (:func:`challenger_duties`): CLAIMED: the Challenge when the claim is false
(policy ``false-claims``), always (``always``, to exercise the answered path) or
never (``never``), from the block after the Kickoff; CHALLENGED and ASSERTING:
Slash_j once the operator let ``response_window`` pass since S_j was created
(also in CLAIMED, for S0, when the operator never took Take1); ANSWERED: the
Disprove of the first wrong step, read from the Kickoff and every Assert as mined.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocp.builder.claim import CHALLENGE_CSV
from ocp.graph import Graph
from ocp.ids import TxKind, TxName
from ocp.leaves import DISPROVE_CSV
from ocp.moves import claimed_value, find_wrong_step, revealed_in
from ocp.watch.game import Claim, Duty, after_window
from ocp.watch.machine import Machine, Run, Trigger, fold


class ChallengerPhase(StrEnum):
    WATCHING = "WATCHING"
    CLAIMED = "CLAIMED"
    CHALLENGED = "CHALLENGED"
    ASSERTING = "ASSERTING"
    ANSWERED = "ANSWERED"
    WON = "WON"
    CLOSED = "CLOSED"


class Policy(StrEnum):
    """When the challenger opens a dispute."""

    FALSE_CLAIMS = "false-claims"
    ALWAYS = "always"
    NEVER = "never"


C, T = ChallengerPhase, Trigger
CHALLENGER: Machine[ChallengerPhase] = Machine(
    "challenger",
    C.WATCHING,
    {
        (C.WATCHING, T.KICKOFF): C.CLAIMED,
        (C.CLAIMED, T.CHALLENGE): C.CHALLENGED,
        (C.CLAIMED, T.TAKE1): C.CLOSED,
        (C.CLAIMED, T.STAKEBACK1): C.CLOSED,
        (C.CLAIMED, T.ASSERT): C.ASSERTING,
        (C.CLAIMED, T.LAST_ASSERT): C.ANSWERED,
        (C.CLAIMED, T.SLASH): C.WON,
        (C.CHALLENGED, T.ASSERT): C.ASSERTING,
        (C.CHALLENGED, T.LAST_ASSERT): C.ANSWERED,
        (C.CHALLENGED, T.SLASH): C.WON,
        (C.ASSERTING, T.ASSERT): C.ASSERTING,
        (C.ASSERTING, T.LAST_ASSERT): C.ANSWERED,
        (C.ASSERTING, T.CHALLENGE): C.ASSERTING,
        (C.ASSERTING, T.SLASH): C.WON,
        (C.ANSWERED, T.DISPROVE): C.WON,
        (C.ANSWERED, T.TAKE2): C.CLOSED,
        (C.ANSWERED, T.STAKEBACK2): C.CLOSED,
        (C.ANSWERED, T.CHALLENGE): C.ANSWERED,
        (C.CLOSED, T.CHALLENGE): C.CLOSED,
        (C.WON, T.CHALLENGE): C.WON,
    },
    frozenset({C.WON, C.CLOSED}),
)


@dataclass(frozen=True)
class Verdict:
    """The challenger's reading of a claim: the value the Kickoff revealed, the value
    the computation gives, and -- once every Assert is mined -- the first step the
    revealed trace gets wrong (None: every step checks out, or not known yet)."""

    claimed: int | None
    honest: int
    wrong_step: int | None = None
    complete: bool = False  # every value is revealed on chain

    @property
    def claim_is_false(self) -> bool:
        return self.claimed != self.honest

    def to_json(self) -> dict:
        return {
            "claimed": self.claimed,
            "honest": self.honest,
            "claim_is_false": self.claim_is_false,
            "wrong_step": self.wrong_step,
            "complete": self.complete,
        }


def verdict_of(graph: Graph, claim: Claim, operator_index: int, honest_claim: int) -> Verdict | None:
    """Read the claim from the mined Kickoff (its witness, by the leaf parsers) and,
    when every value is on chain, find the first wrong step (None before a Kickoff).
    ``operator_index`` is 0-based; ``honest_claim`` is the computation's x[n]."""
    kickoff = claim.of_kind(TxKind.KICKOFF)
    if not kickoff:
        return None
    computation = graph.params.computation
    keys = graph.ots[operator_index]
    revealed: dict[int, tuple[bytes, ...]] = {}
    for c in claim.confirmations:
        if c.name.kind in (TxKind.KICKOFF, TxKind.ASSERT):
            revealed.update(revealed_in(graph, c.name, c.tx))
    claimed = claimed_value(keys, computation.n_steps, revealed)
    complete = len(revealed) == computation.n_steps
    wrong = find_wrong_step(computation, keys, revealed) if complete else None
    return Verdict(claimed, honest_claim, wrong, complete)


def challenger_run(claim: Claim, n_chunks: int) -> Run[ChallengerPhase]:
    return fold(CHALLENGER, claim.events(n_chunks))


def wants_challenge(policy: Policy, verdict: Verdict) -> bool:
    return policy is Policy.ALWAYS or (policy is Policy.FALSE_CLAIMS and verdict.claim_is_false)


def challenger_duties(
    run: Run[ChallengerPhase], claim: Claim, graph: Graph, policy: Policy, verdict: Verdict | None
) -> list[Duty]:
    """What the challenger must get mined in one operator's game."""
    w = graph.params.windows
    op = claim.operator

    def name(kind: TxKind, index: int | None = None) -> TxName:
        return TxName(kind, index, op)

    phase = run.phase
    duties: list[Duty] = []
    if phase is C.CLAIMED and verdict is not None and wants_challenge(policy, verdict):
        kickoff = run.height_of(Trigger.KICKOFF)
        assert kickoff is not None
        why = (
            f"the claim {verdict.claimed} is false (the program gives {verdict.honest})"
            if verdict.claim_is_false
            else "policy: challenge every claim"
        )
        duties.append(Duty(name(TxKind.CHALLENGE), why, after_window(kickoff, CHALLENGE_CSV)))
    if phase in (C.CLAIMED, C.CHALLENGED, C.ASSERTING):
        j = len(claim.of_kind(TxKind.ASSERT))
        created = claim.height(name(TxKind.ASSERT, j - 1)) if j else run.height_of(Trigger.KICKOFF)
        assert created is not None
        duties.append(
            Duty(
                name(TxKind.SLASH, j),
                f"the operator left S{j} unanswered for the response window",
                after_window(created, w.response),
            )
        )
    if phase is C.ANSWERED and verdict is not None and verdict.wrong_step is not None:
        last = run.height_of(Trigger.LAST_ASSERT)
        assert last is not None
        step = verdict.wrong_step
        duties.append(
            Duty(
                name(TxKind.DISPROVE, step),
                f"step {step} of the asserted trace is wrong",
                after_window(last, DISPROVE_CSV),
            )
        )
    return duties

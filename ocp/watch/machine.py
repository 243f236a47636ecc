"""State machines as data: a table of (phase, trigger) -> next phase, folded over
the events that happened.

A trigger is a graph transaction of one operator's claim confirming on chain
(:func:`trigger_of` names it: Kickoff, Challenge, Assert or the last Assert,
Slash, Disprove, Take1, Take2, StakeBack1, StakeBack2), or a local decision
(:attr:`Trigger.CLAIM`: the operator was told to claim).  A pair that is not in a
machine's table is *forbidden*: :func:`fold` keeps the phase and records the
event as :class:`Refused` (on a valid chain only a follower or graph mismatch
produces one; it is logged, never acted on).

Because the phase is a fold over events in chain order, a reorganisation is
handled by folding again over the confirmations that are still on the active
chain; a restart folds over what the chain and the journal say.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from ocp.ids import TxKind, TxName


class Trigger(StrEnum):
    """What moves a party's machine."""

    CLAIM = "claim"  # local: the operator was told to claim
    KICKOFF = "Kickoff"
    CHALLENGE = "Challenge"
    ASSERT = "Assert"  # an Assert that is not the last
    LAST_ASSERT = "last Assert"
    SLASH = "Slash"
    DISPROVE = "Disprove"
    TAKE1 = "Take1"
    TAKE2 = "Take2"
    STAKEBACK1 = "StakeBack1"
    STAKEBACK2 = "StakeBack2"


#: Chain triggers (every trigger but the local ones).
CHAIN_TRIGGERS = tuple(t for t in Trigger if t is not Trigger.CLAIM)
_BY_KIND = {
    TxKind.KICKOFF: Trigger.KICKOFF,
    TxKind.CHALLENGE: Trigger.CHALLENGE,
    TxKind.SLASH: Trigger.SLASH,
    TxKind.DISPROVE: Trigger.DISPROVE,
    TxKind.TAKE1: Trigger.TAKE1,
    TxKind.TAKE2: Trigger.TAKE2,
    TxKind.STAKEBACK1: Trigger.STAKEBACK1,
    TxKind.STAKEBACK2: Trigger.STAKEBACK2,
}


def trigger_of(name: TxName, n_chunks: int) -> Trigger | None:
    """The trigger a confirmed graph transaction is for its operator's machines
    (None for Deposit, Confirm, Prepare and Refund: facts, not moves of a claim)."""
    if name.kind is TxKind.ASSERT:
        return Trigger.LAST_ASSERT if name.index == n_chunks - 1 else Trigger.ASSERT
    return _BY_KIND.get(name.kind)


class Named(Hashable, Protocol):
    """A phase or a trigger: hashable, with the ``value`` the logs print (a StrEnum
    member, or a graph v2 game's phase and trigger, :mod:`ocp.watch.games`)."""

    @property
    def value(self) -> str: ...


P = TypeVar("P", bound=Named)


@dataclass(frozen=True)
class Machine(Generic[P]):
    """One role's phases and the transitions between them (``listing``: every phase,
    when the phases are not the members of one enum)."""

    role: str
    initial: P
    transitions: Mapping[tuple[P, Named], P]
    terminal: frozenset[P]
    listing: tuple[P, ...] = ()

    def after(self, phase: P, trigger: Named) -> P | None:
        """The phase ``trigger`` leads to from ``phase``; None when forbidden."""
        return self.transitions.get((phase, trigger))

    def allowed(self, phase: P) -> tuple[Named, ...]:
        return tuple(t for (p, t) in self.transitions if p == phase)

    @property
    def phases(self) -> tuple[P, ...]:
        return self.listing or tuple(type(self.initial))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Event:
    """A trigger with where it happened (``height``/``txid`` are None for a local one)."""

    trigger: Named
    tx: TxName | None = None
    txid: str | None = None
    height: int | None = None


@dataclass(frozen=True)
class Step:
    """A transition taken."""

    event: Event
    before: str
    after: str

    def to_json(self) -> dict:
        return {
            "from": self.before,
            "to": self.after,
            "trigger": self.event.trigger.value,
            "tx": None if self.event.tx is None else str(self.event.tx),
            "txid": self.event.txid,
            "height": self.event.height,
        }


@dataclass(frozen=True)
class Refused:
    """An event the machine forbids in the phase it was in."""

    event: Event
    phase: str


@dataclass(frozen=True)
class Run(Generic[P]):
    """A machine folded over events: where it is, the path taken, what was refused."""

    phase: P
    steps: tuple[Step, ...]
    refused: tuple[Refused, ...]

    def height_of(self, trigger: Named) -> int | None:
        """Height of the last step taken on ``trigger``."""
        for step in reversed(self.steps):
            if step.event.trigger == trigger:
                return step.event.height
        return None


def fold(machine: Machine[P], events: Iterable[Event]) -> Run[P]:
    phase = machine.initial
    steps: list[Step] = []
    refused: list[Refused] = []
    for event in events:
        after = machine.after(phase, event.trigger)
        if after is None:
            refused.append(Refused(event, phase.value))
            continue
        steps.append(Step(event, phase.value, after.value))
        phase = after
    return Run(phase, tuple(steps), tuple(refused))

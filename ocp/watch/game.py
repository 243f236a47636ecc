"""One operator's claim as the chain shows it, and what a party must broadcast.

A :class:`Claim` gathers the confirmations of one operator's part of the graph
(and whether another operator's Take already emptied the shared vault); both
roles' machines fold over its events.  A :class:`Duty` is a graph transaction a
party must get mined and the first tip at which the chain accepts it (relative
timelocks: a transaction spending an output confirmed at height ``h`` with a CSV
of ``k`` enters the mempool once the tip is ``h + k - 1``, to be mined at
``h + k``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ocp.graph import Graph
from ocp.ids import TxKind, TxName
from ocp.watch.events import Confirmation
from ocp.watch.machine import Event, trigger_of

#: Kinds that spend the shared vault V: the first to confirm wins it.
VAULT_SPENDS = (TxKind.TAKE1, TxKind.TAKE2)


def operator_numbers(graph: Graph) -> list[int | None]:
    """The operator field of each operator's transaction names (None when one)."""
    n = len(graph.params.operators)
    return [None] if n == 1 else list(range(1, n + 1))


@dataclass(frozen=True)
class Claim:
    """Operator ``operator``'s graph transactions confirmed on the active chain, in
    chain order, and the other operator's Take that spent the vault, if any."""

    operator: int | None
    confirmations: tuple[Confirmation, ...]
    vault_taken_by: TxName | None = None

    def confirmation(self, name: TxName) -> Confirmation | None:
        for c in self.confirmations:
            if c.name == name:
                return c
        return None

    def height(self, name: TxName) -> int | None:
        c = self.confirmation(name)
        return None if c is None else c.height

    def of_kind(self, kind: TxKind) -> list[Confirmation]:
        return [c for c in self.confirmations if c.name.kind is kind]

    def events(self, n_chunks: int) -> list[Event]:
        """The machine events of this claim, in chain order."""
        out = []
        for c in self.confirmations:
            trigger = trigger_of(c.name, n_chunks)
            if trigger is not None:
                out.append(Event(trigger, c.name, c.txid, c.height))
        return out


def claims(graph: Graph, confirmed: Iterable[Confirmation]) -> dict[int | None, Claim]:
    """Every operator's :class:`Claim` from the confirmations of the whole graph."""
    ordered = sorted(confirmed, key=lambda c: c.order)
    vault = next((c.name for c in ordered if c.name.kind in VAULT_SPENDS), None)
    out = {}
    for op in operator_numbers(graph):
        mine = tuple(
            c
            for c in ordered
            if c.name.operator == op and c.name.kind not in (TxKind.DEPOSIT, TxKind.CONFIRM, TxKind.REFUND)
        )
        taken = vault if vault is not None and vault.operator != op else None
        out[op] = Claim(op, mine, taken)
    return out


@dataclass(frozen=True)
class Duty:
    """Broadcast graph transaction ``tx`` (for ``why``) once the tip reaches
    ``from_height``."""

    tx: TxName
    why: str
    from_height: int

    def due(self, tip: int) -> bool:
        return tip >= self.from_height

    @property
    def slot(self) -> str:
        """What the journal files it under: the transaction's name."""
        return str(self.tx)


def after_window(height: int, window: int) -> int:
    """The first tip at which an output confirmed at ``height`` may be spent by a
    leaf with a CSV of ``window`` blocks (BIP68/BIP112)."""
    return height + window - 1

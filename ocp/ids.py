"""Typed identities of the OCP graph: transactions, outputs, roles.

Names users read (``Assert_3``, ``Kickoff:1``) are *rendered* from these values
and never parsed back: the graph, the file loader and the CLI look names up in
the graph they built (:func:`tx_by_label`), so a transaction, output or role
is always a value with fields, not a string with a convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ocp.errors import UserError


class TxKind(StrEnum):
    """Every kind of transaction of the graph (ARCHITECTURE.md section 4)."""

    DEPOSIT = "Deposit"
    CONFIRM = "Confirm"
    PREPARE = "Prepare"
    KICKOFF = "Kickoff"
    CHALLENGE = "Challenge"
    ASSERT = "Assert"
    SLASH = "Slash"
    TAKE1 = "Take1"
    TAKE2 = "Take2"
    DISPROVE = "Disprove"
    STAKEBACK1 = "StakeBack1"
    STAKEBACK2 = "StakeBack2"
    REFUND = "Refund"
    # version 2: a game between an operator and a registered challenger
    OPEN = "Open"  # the challenger opens its game with its bond
    REVEAL = "Reveal"  # the operator reveals a search round's hashes
    CHOOSE = "Choose"  # the challenger's choice
    EXECUTE = "Execute"  # the operator reveals the disputed step's record
    BEYOND_N = "BeyondN"  # the operator shows the search ended past N (it wins the game)
    START_READ = "StartRead"  # the challenger starts the read search
    CATCH = "Catch"  # the challenger spends a challenger leaf: it takes the stake
    OPERATOR_SILENT = "OperatorSilent"  # the operator missed its move: the challenger wins
    CHALLENGER_SILENT = "ChallengerSilent"  # the challenger missed its move: the bond to the operator


#: Transactions of the deposit, shared by every operator (never carry an operator number).
SHARED_KINDS = frozenset({TxKind.DEPOSIT, TxKind.CONFIRM, TxKind.REFUND})


@dataclass(frozen=True, order=True)
class TxName:
    """A transaction of the graph: its kind, for numbered families (Assert_j,
    Slash_j, Disprove_i; a game's state) its index, in a graph with several
    operators the operator's number (1-based; None when the deposit has one
    operator), and in a game the challenger's number (1-based)."""

    kind: TxKind
    index: int | None = None
    operator: int | None = None
    game: int | None = None

    def __str__(self) -> str:
        text = self.kind.value if self.index is None else f"{self.kind.value}_{self.index}"
        if self.operator is not None:
            text += f"@{self.operator}"
        return text if self.game is None else f"{text}/c{self.game}"


@dataclass(frozen=True, order=True)
class OutputRef:
    """Output ``vout`` of graph transaction ``tx``."""

    tx: TxName
    vout: int

    def __str__(self) -> str:
        return f"{self.tx}:{self.vout}"


class Role(StrEnum):
    """Who takes part in the protocol."""

    COMMITTEE = "committee"
    OPERATOR = "operator"
    DEPOSITOR = "depositor"
    CHALLENGER = "challenger"


@dataclass(frozen=True, order=True)
class FundingRef:
    """A role's own key-path coin named in params (``[funding]``); ``operator`` is the
    operator's number in a graph with several (a challenger's number for its bond
    coin); ``against``: the number of the operator whose game a challenger's bond
    coin opens, in a graph with several operators (one coin per game)."""

    role: Role
    operator: int | None = None
    against: int | None = None

    def __str__(self) -> str:
        text = f"funding:{self.role}" + ("" if self.operator is None else f"@{self.operator}")
        return text + ("" if self.against is None else f"/o{self.against}")

    @property
    def field(self) -> str:
        """Where the params file names this coin."""
        if self.operator is None:
            return f"funding.{self.role}"
        text = f"funding.{self.role}s[{self.operator - 1}]"
        return text + ("" if self.against is None else f"[{self.against - 1}]")


def role_of(text: object, what: str = "role") -> Role:
    """The :class:`Role` named ``text`` (from a file or the command line)."""
    try:
        return Role(text)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UserError(f"{what} {text!r} is not one of {known}") from None


def tx_by_label(names, label: str) -> TxName:
    """The transaction among ``names`` that renders as ``label`` (a lookup, never a parse)."""
    table = {str(name): name for name in names}
    try:
        return table[label]
    except KeyError:
        raise UserError(f"graph has no transaction {label!r}") from None

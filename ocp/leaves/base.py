"""What every leaf of the graph is: a script, the witness it needs, how to read
that witness back, its purpose and who signs.

A leaf class keeps these together (the model is Clementine's script kinds and
Core's ``feature_taproot.py`` spenders), so the builder, the signers, the
witness assembly, the file writer, the audit and the challenger's reader all
ask the leaf instead of switching on its name.

Stacks are listed bottom first, as in a witness.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from ocp.ids import Role
from taptrees.script import Script

#: Upper bound of a BIP340 signature in a witness (64 bytes + a hash type byte).
MAX_SIG_SIZE = 65

#: ``sig_of(role, pubkey)`` -> the signature of ``pubkey`` (a member of ``role``).
SigSource = Callable[[Role, bytes], bytes]
#: A key that signs a leaf, and the role it signs for.
Signer = tuple[Role, bytes]


class LeafKind(StrEnum):
    CONFIRM = "confirm"
    REFUND = "refund"
    PAYOUT = "payout"
    KICKOFF = "kickoff"
    CHALLENGE = "challenge"
    TAKE1 = "take1"
    ASSERT = "assert"
    SLASH = "slash"
    TAKE2 = "take2"
    DISPROVE = "disprove"
    # version 2 (games)
    CLAIM = "claim"  # the Kickoff's claim
    OPEN = "open"  # a challenger opens its game
    MOVE = "move"  # the next mover's move, committee pre-signed
    TIMEOUT = "timeout"  # the mover was silent: its opponent wins the game
    WIN = "win"  # a challenger's win takes the stake
    CHECK = "check"  # one check leaf of a data output (ocp.stepleaves)


@dataclass(frozen=True, order=True)
class LeafName:
    """A leaf within one output: its kind and, for disprove leaves, the step."""

    kind: LeafKind
    index: int | None = None

    def __str__(self) -> str:
        return self.kind.value if self.index is None else f"{self.kind.value}{self.index}"


class GraphLeaf:
    """Base of every leaf class (frozen dataclasses with a ``name`` field).

    Subclasses define :attr:`signing_keys`, :attr:`purpose`, :meth:`build_script`,
    :meth:`stack`, :meth:`max_stack_sizes` and, where the witness carries
    one-time-signed values, :meth:`revealed`; leaves miniscript can express give
    :attr:`miniscript`."""

    name: LeafName

    @property
    def signing_keys(self) -> tuple[Signer, ...]:
        """Every key whose signature the witness carries, with its role."""
        raise NotImplementedError

    @property
    def signers(self) -> tuple[Role, ...]:
        """Roles whose signatures the witness carries (in first-seen order)."""
        roles: list[Role] = []
        for role, _ in self.signing_keys:
            if role not in roles:
                roles.append(role)
        return tuple(roles)

    @property
    def miniscript(self) -> str | None:
        """The miniscript expression this leaf's script is compiled from, or None
        when the leaf is not miniscript (one-time signatures, script arithmetic)."""
        return None

    @property
    def purpose(self) -> str:
        raise NotImplementedError

    def build_script(self) -> Script:
        raise NotImplementedError

    @cached_property
    def script(self) -> Script:
        return self.build_script()

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        """The witness stack this leaf consumes (signatures from ``sig_of``, one-time
        signature items ``values``), bottom first."""
        raise NotImplementedError

    def max_stack_sizes(self) -> list[int]:
        """Largest size of every stack item, for fee and weight bounds."""
        raise NotImplementedError

    def revealed(self, stack: Sequence[bytes]) -> Mapping[int, tuple[bytes, ...]]:
        """Value index -> the one-time-signature items of that value in ``stack``
        (the stack of a spend of this leaf, as found on chain).  Leaves that reveal
        nothing return ``{}``."""
        return {}

"""Leaves the committee signs: the n-of-n (optionally after a relative
timelock) and the Deposit's confirm leaf (n-of-n and the depositor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocp.ids import Role
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, SigSource
from ocp.leaves.scripts import committee_leaf, confirm_leaf
from taptrees.script import Script


def committee_stack(keys: Sequence[bytes], sig_of: SigSource) -> list[bytes]:
    """The n-of-n chain's signatures: reverse key order, the first key's on top."""
    return [sig_of(Role.COMMITTEE, pk) for pk in reversed(keys)]


@dataclass(frozen=True, eq=False)
class CommitteeLeaf(GraphLeaf):
    """n-of-n, after ``csv`` blocks when given (vault payout, Take1, Take2, Slash)."""

    name: LeafName
    committee: tuple[bytes, ...]
    csv: int | None
    what: str

    signers = (Role.COMMITTEE,)

    @property
    def purpose(self) -> str:
        lock = f" after {self.csv} blocks" if self.csv is not None else ""
        return f"committee n-of-n{lock} ({self.what})"

    def build_script(self) -> Script:
        return committee_leaf(self.committee, self.csv)

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return committee_stack(self.committee, sig_of)

    def max_stack_sizes(self) -> list[int]:
        return [MAX_SIG_SIZE] * len(self.committee)


@dataclass(frozen=True, eq=False)
class ConfirmLeaf(GraphLeaf):
    """Deposit -> vault: the whole committee and the depositor."""

    name: LeafName
    committee: tuple[bytes, ...]
    depositor: bytes

    signers = (Role.COMMITTEE, Role.DEPOSITOR)
    purpose = "committee n-of-n + depositor: Deposit -> vault (Confirm)"

    def build_script(self) -> Script:
        return confirm_leaf(self.committee, self.depositor)

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [sig_of(Role.DEPOSITOR, self.depositor), *committee_stack(self.committee, sig_of)]

    def max_stack_sizes(self) -> list[int]:
        return [MAX_SIG_SIZE] * (len(self.committee) + 1)

"""A leaf one key signs alone, optionally after a relative timelock (the
Challenge connector's operator leaf, the Deposit's refund)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocp.ids import Role
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, SigSource
from ocp.leaves.scripts import single_key_leaf
from taptrees.script import Script


@dataclass(frozen=True, eq=False)
class KeyLeaf(GraphLeaf):
    name: LeafName
    role: Role
    key: bytes
    csv: int | None
    what: str

    @property
    def signers(self) -> tuple[Role, ...]:
        return (self.role,)

    @property
    def purpose(self) -> str:
        lock = f" after {self.csv} blocks" if self.csv is not None else ""
        return f"{self.role} signature{lock} ({self.what})"

    def build_script(self) -> Script:
        return single_key_leaf(self.key, self.csv)

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [sig_of(self.role, self.key)]

    def max_stack_sizes(self) -> list[int]:
        return [MAX_SIG_SIZE]

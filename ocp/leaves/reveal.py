"""Leaves that reveal trace values under the operator's one-time keys (the
Kickoff's claim, each Assert's chunk of values).

Script: the Winternitz verifiers of the values (each drops its value), last
value first, then ``<operator> OP_CHECKSIG``.  Stack, bottom first: the
operator's signature, then each value's witness items in value order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocp.errors import UserError
from ocp.ids import Role
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, SigSource
from ocp.leaves.scripts import committed_values_leaf
from ocp.ots import ValueKeys, value_verifier
from taptrees.script import Script


def split_values(
    keys: ValueKeys, indices: Sequence[int], items: Sequence[bytes]
) -> dict[int, tuple[bytes, ...]]:
    """Cut ``items`` into each value's witness items (fixed count per key)."""
    sizes = keys.witness_sizes()
    need = sum(len(sizes[i]) for i in indices)
    if len(items) != need:
        raise UserError(f"a reveal of values {list(indices)} has {len(items)} items, expected {need}")
    out: dict[int, tuple[bytes, ...]] = {}
    pos = 0
    for i in indices:
        k = len(sizes[i])
        out[i] = tuple(items[pos : pos + k])
        pos += k
    return out


@dataclass(frozen=True, eq=False)
class RevealLeaf(GraphLeaf):
    name: LeafName
    keys: ValueKeys
    indices: tuple[int, ...]
    operator: bytes
    what: str

    signers = (Role.OPERATOR,)

    @property
    def purpose(self) -> str:
        return f"Winternitz-verify {self.what} + operator signature"

    def build_script(self) -> Script:
        return committed_values_leaf([value_verifier(self.keys, i) for i in self.indices], self.operator)

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [sig_of(Role.OPERATOR, self.operator), *values]

    def max_stack_sizes(self) -> list[int]:
        sizes = self.keys.witness_sizes()
        return [MAX_SIG_SIZE, *(s for i in self.indices for s in sizes[i])]

    def revealed(self, stack: Sequence[bytes]) -> Mapping[int, tuple[bytes, ...]]:
        if not stack:
            raise UserError(f"{self.name} witness is empty")
        return split_values(self.keys, self.indices, stack[1:])

"""A check leaf of a version-2 game (:mod:`ocp.stepleaves`) as a graph leaf.

Script ``<k1> OP_CHECKSIGVERIFY ... <kn> OP_CHECKSIGVERIFY`` over its signers
(the mover alone for a data output's leaf; the committee and the operator for the
Kickoff's claim), then the check leaf's own script: the one-time-key prefix that
verifies its values and the body that leaves 1 exactly when its condition holds.

Stack, bottom first: the check leaf's witness (its values' one-time signatures and
bare values, :meth:`ocp.stepleaves.base.CheckLeaf.witness`), then the signers'
signatures in reverse key order (the first key's on top).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, Signer, SigSource
from ocp.leaves.keys import signatures_stack
from ocp.leaves.scripts import keys_verify
from ocp.stepleaves.base import CheckLeaf
from taptrees.ots.winternitz import WinternitzPublicKey
from taptrees.script import Script


@dataclass(frozen=True, eq=False)
class CheckedLeaf(GraphLeaf):
    name: LeafName
    check: CheckLeaf
    keys: Mapping[str, WinternitzPublicKey]  # the check leaf's value names -> one-time keys
    by: tuple[Signer, ...]  # who signs it: the mover, or the committee and the operator
    label: str = ""

    @property
    def signing_keys(self) -> tuple[Signer, ...]:
        return self.by

    @property
    def purpose(self) -> str:
        return f"{self.label or self.check.kind}: {self.check.purpose}"

    def build_script(self) -> Script:
        return Script([keys_verify([pk for _, pk in self.by]), self.check.script(self.keys)])

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [*values, *signatures_stack(self.by, sig_of)]

    @cached_property
    def _witness_sizes(self) -> list[int]:
        layout = self.check.layout
        return [size for v in layout.values for size in layout.max_item_sizes(v)]

    def max_stack_sizes(self) -> list[int]:
        """Each item's largest size: a digit signature 20 bytes, a digit or limb one
        byte (:meth:`taptrees.ots.values.ValueLayout.max_item_sizes`), then the signers'."""
        return [*self._witness_sizes, *[MAX_SIG_SIZE] * len(self.by)]

    def revealed(self, stack: Sequence[bytes]):  # noqa: ANN201 - values by name, not items
        raise NotImplementedError("read a check leaf's values with values_of()")

    def values_of(self, stack: Sequence[bytes]) -> dict[str, int]:
        """The values a spend of this leaf carries (every signature checked)."""
        n = len(self.by)
        return self.check.parse_witness(list(stack[: len(stack) - n]), self.keys)

"""Disprove leaves: Bitcoin Script re-runs one step of the claimed computation.

The leaf for step ``i`` (value ``i`` is ``x[i+1]``):

1. ``v:older(1)``: a Disprove never hangs off an unconfirmed Assert, so nothing
   but the operator's anchor can pin a move of the operator (ARCHITECTURE.md
   section 4, Fees);
2. the committee's n-of-n (pre-signed SIGHASH_SINGLE|ANYONECANPAY: the burn is
   fixed, the challenger adds its reward output and, if it wants, fee inputs);
3. the computation's :class:`taptrees.arith.disprove.Disprove` claim for the
   step: verify the committed output ``x[i+1]`` and input ``x[i]`` (Winternitz,
   keeping their 4-bit digits; for step 0 the input is the public program input,
   a constant in the script), recompute the step on limbs and leave 1 only if the
   committed output is wrong.

Stack, bottom first: ``W(x[i])`` (i > 0), ``W(x[i+1])``, the committee's signatures
in reverse key order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocp.errors import UserError
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, Signer, SigSource
from ocp.leaves.keys import committee_signers, signatures_stack
from ocp.leaves.reveal import split_values
from ocp.leaves.scripts import keys_verify, older
from ocp.ots import STRATEGY, ValueKeys
from ocp.program import Computation
from taptrees.script import Script

#: Blocks after the last Assert before a Disprove may be mined.
DISPROVE_CSV = 1


@dataclass(frozen=True, eq=False)
class DisproveLeaf(GraphLeaf):
    name: LeafName
    committee: tuple[bytes, ...]
    keys: ValueKeys
    computation: Computation
    step: int

    def __post_init__(self) -> None:
        if not 0 <= self.step < self.computation.n_steps:
            raise UserError(f"step {self.step} out of range")

    @property
    def signing_keys(self) -> tuple[Signer, ...]:
        return committee_signers(self.committee)

    @property
    def purpose(self) -> str:
        i = self.step
        return f"committee + verify x{i}, x{i + 1}; succeeds iff step {i} is wrong"

    @property
    def value_indices(self) -> tuple[int, ...]:
        """The values the witness reveals: x[i] (value i-1) unless i = 0, and x[i+1]."""
        return (self.step,) if self.step == 0 else (self.step - 1, self.step)

    def build_script(self) -> Script:
        value_keys = {"y": self.keys.pubkeys[self.step]}
        if self.step > 0:
            value_keys["x"] = self.keys.pubkeys[self.step - 1]
        check = self.computation.step_disprove(self.step).script(value_keys, strategy=STRATEGY)
        return Script([older(DISPROVE_CSV), keys_verify(self.committee), check])

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [*values, *signatures_stack(self.signing_keys, sig_of)]

    def max_stack_sizes(self) -> list[int]:
        sizes = self.keys.witness_sizes()
        return [*(s for i in self.value_indices for s in sizes[i]), *[MAX_SIG_SIZE] * len(self.committee)]

    def revealed(self, stack: Sequence[bytes]) -> Mapping[int, tuple[bytes, ...]]:
        n = len(self.committee)
        if len(stack) < n:
            raise UserError(f"{self.name} witness has fewer items than the committee's signatures")
        return split_values(self.keys, self.value_indices, stack[: len(stack) - n])

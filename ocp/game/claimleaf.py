"""Two check leaves the graph adds to :mod:`ocp.stepleaves`: the Kickoff's claim
and the operator's way out of a game steered past N.

* :class:`ClaimReveal`: the operator's claim, "the program halts with exit code 0
  at step N on this input": it verifies ``claim_n``, ``claim_h`` (h_N),
  ``input_len`` and ``input0 .. input{K-1}`` under the operator's claim keys and
  keeps nothing; the challenger's leaves (Halt, HaltBeyondMax, Input) re-verify
  the same signatures later.
* :class:`TranslateBeyondN`: Translate's check (step i is where the choices
  lead) *and* StepBeyondN's (i > N) in ONE leaf, over one signature of ``step``:
  verifying them in two inputs of one transaction would let the operator sign
  two different step numbers under one key and leave the game with the one past
  N while the choices lead before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import OPERATOR, Body, CheckLeaf, arith_body
from ocp.stepleaves.schema import HASH_BITS, WORD_BITS
from ocp.stepleaves.search import Translate
from taptrees.arith import Add, And, Const, Eq, Ltu, Shl
from taptrees.ots.values import Value
from taptrees.script import Script


@dataclass(frozen=True)
class ClaimReveal(CheckLeaf):
    """The claim's values, verified and dropped (``input_words`` input words)."""

    input_words: int
    spender = OPERATOR
    purpose = "the operator claims N, h_N and the input"

    def values(self) -> tuple[Value, ...]:
        words = tuple(Value(f"input{k}", WORD_BITS, kept=False) for k in range(self.input_words))
        return (
            Value("claim_n", WORD_BITS, kept=False),
            Value("claim_h", HASH_BITS, kept=False),
            Value("input_len", WORD_BITS, kept=False),
            *words,
        )

    def build(self, b: Body) -> int:
        return b.dag.const(1)

    def accepts(self, values: Mapping[str, int]) -> bool:
        return True


@dataclass(frozen=True)
class TranslateBeyondN(CheckLeaf):
    """``step == offset + sum(choice_r << shift_r)`` and ``step > claim_n``."""

    counts: tuple[int, ...]
    shifts: tuple[int, ...]
    offset: int = 1
    spender = OPERATOR
    purpose = "the choices lead past the claimed N: the challenger disputed the padding"

    @classmethod
    def of(cls, translate: Translate) -> TranslateBeyondN:
        if translate.prefix:
            raise ValueError("the read search has no way out past N")
        return cls(translate.counts, translate.shifts, translate.offset)

    def values(self) -> tuple[Value, ...]:
        from ocp.stepleaves.search import choice_bits

        return (
            *(Value(f"choice{r}", choice_bits(c)) for r, c in enumerate(self.counts)),
            Value("step", WORD_BITS),
            Value("claim_n", WORD_BITS),
        )

    def _compile(self) -> Script:
        def condition(w):
            total = Const(self.offset)
            for r, k in enumerate(self.shifts):
                total = Add(total, Shl(w[f"choice{r}"], k))
            return And(Eq(total, w["step"]), Ltu(w["claim_n"], w["step"]))

        return arith_body(self.layout, condition)

    def accepts(self, v: Mapping[str, int]) -> bool:
        total = self.offset + sum(v[f"choice{r}"] << k for r, k in enumerate(self.shifts))
        return v["step"] == total & 0xFFFFFFFF and v["step"] > v["claim_n"]

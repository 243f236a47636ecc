"""Search round leaves: the operator's reveals, the challenger's choices, and the
translation of the choices into the disputed step.

A round of an n-ary search: the operator reveals the n - 1 inner hashes of the
current interval (one-time keys per round and slot), the challenger answers with
its choice of sub-interval (its own one-time key per round), and the operator's
next reveal re-checks that signed choice.  After the last round the operator
reveals the disputed step number ``i`` and the leaf checks it is the interval
the choices translate to.

* :class:`Choice` (challenger): the signed choice is below the round's count of
  sub-intervals (a range check: a 4-bit digit can sign values past n).
* :class:`Reveal` (operator): verifies a chunk of the round's hashes (their
  signatures only: no limbs are kept) and, in the first chunk of a round after
  the first, the challenger's previous choice with the same range check.
  :func:`reveal_chunks` splits a round so that every leaf stays under the
  1,000-item stack limit with room to spare.
* :class:`Translate` (operator): ``step == offset + sum(choice_r * width_r)``
  for the power-of-two widths of the rounds.

Geometry (how many rounds, sub-intervals and widths) is the caller's: the search
definition of the dispute trace fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import OPERATOR, Body, CheckLeaf, arith_body
from ocp.stepleaves.schema import HASH_BITS, WORD_BITS
from taptrees.arith import Add, Const, Eq, Shl
from taptrees.ots.values import Value
from taptrees.script import Script

#: witness items a reveal leaf may use (the stack limit is 1,000; the verifiers
#: need a few dozen more while they run)
MAX_REVEAL_ITEMS = 900


def choice_bits(count: int) -> int:
    """Width (a multiple of 4) of a choice among ``count`` sub-intervals."""
    bits = max(1, (count - 1).bit_length())
    return -(-bits // 4) * 4


@dataclass(frozen=True)
class Choice(CheckLeaf):
    """The challenger's choice of round ``round`` is one of ``count`` sub-intervals."""

    round: int
    count: int
    purpose = "the challenger's signed choice is in range"

    def values(self) -> tuple[Value, ...]:
        return (Value(f"choice{self.round}", choice_bits(self.count)),)

    def build(self, b: Body) -> int:
        name = f"choice{self.round}"
        return b.dag.ltu_words(b[name], b.const(self.count, len(b[name])))

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v[f"choice{self.round}"] < self.count


@dataclass(frozen=True)
class Reveal(CheckLeaf):
    """The operator's hashes ``slots`` of round ``round``; with ``prev_count`` > 0 it
    also verifies the challenger's choice of the round before (one of
    ``prev_count``)."""

    round: int
    slots: tuple[int, ...]
    prev_count: int = 0
    spender = OPERATOR
    purpose = "the operator reveals a round's hashes after the challenger's choice"

    def values(self) -> tuple[Value, ...]:
        out = []
        if self.prev_count:
            out.append(Value(f"choice{self.round - 1}", choice_bits(self.prev_count)))
        out += [Value(f"hash{self.round}_{s}", HASH_BITS, kept=False) for s in self.slots]
        return tuple(out)

    def build(self, b: Body) -> int:
        if not self.prev_count:
            return b.dag.const(1)
        name = f"choice{self.round - 1}"
        return b.dag.ltu_words(b[name], b.const(self.prev_count, len(b[name])))

    def accepts(self, v: Mapping[str, int]) -> bool:
        return not self.prev_count or v[f"choice{self.round - 1}"] < self.prev_count


def reveal_chunks(round: int, n_slots: int, prev_count: int, strategy: str = "small_script") -> list[Reveal]:
    """The reveal leaves of one round: as few as keep each witness under
    :data:`MAX_REVEAL_ITEMS` items."""
    per_hash = Value("h", HASH_BITS).params.total_digits * (2 if strategy == "small_script" else 1)
    choice_items = 2 * Value("c", choice_bits(max(prev_count, 2))).params.total_digits if prev_count else 0
    leaves, slot = [], 1
    while slot < n_slots + 1:
        room = MAX_REVEAL_ITEMS - (choice_items if not leaves else 0)
        take = max(1, min(room // per_hash, n_slots + 1 - slot))
        leaves.append(Reveal(round, tuple(range(slot, slot + take)), prev_count if not leaves else 0))
        slot += take
    return leaves


@dataclass(frozen=True)
class Translate(CheckLeaf):
    """The operator's step ``i`` is ``offset + sum(choice_r << shift_r)`` over the
    rounds' choices (``shifts[r]`` = log2 of round r's sub-interval width)."""

    counts: tuple[int, ...]
    shifts: tuple[int, ...]
    offset: int = 0
    spender = OPERATOR
    purpose = "the operator's disputed step is where the challenger's choices lead"

    def values(self) -> tuple[Value, ...]:
        return (*(Value(f"choice{r}", choice_bits(c)) for r, c in enumerate(self.counts)),
                Value("step", WORD_BITS))

    def _compile(self) -> Script:
        def condition(w):
            total = Const(self.offset)
            for r, k in enumerate(self.shifts):
                total = Add(total, Shl(w[f"choice{r}"], k))
            return Eq(total, w["step"])
        return arith_body(self.layout, condition)

    def accepts(self, v: Mapping[str, int]) -> bool:
        total = self.offset + sum(v[f"choice{r}"] << k for r, k in enumerate(self.shifts))
        return v["step"] == total & 0xFFFFFFFF

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

The geometry (how many rounds, how many sub-intervals each, their widths) is the
dispute trace's :class:`ocp.zkvm.search.NArySearch`: :func:`search_leaves` builds
every move leaf of one search from it, :func:`translate_leaf` the last one and
:func:`equivocation_leaves` the challenger's EquivocationResign leaves, one per
revealed slot.  Keys are named ``hash{r}_{s}`` (round r from 0, slot s from 1),
``choice{r}`` and ``step``; the read-value search prefixes its own with ``w_``
(fresh operator keys) and shares round 0's hashes with the first search.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.errors import UserError
from ocp.stepleaves.base import OPERATOR, Body, CheckLeaf, arith_body
from ocp.stepleaves.challenges import EquivocationResign
from ocp.stepleaves.schema import HASH_BITS, WORD_BITS
from ocp.zkvm.search import NArySearch
from taptrees.arith import Add, Const, Eq, Shl
from taptrees.ots.values import Value
from taptrees.script import Script

#: witness items a reveal leaf may use (the stack limit is 1,000; the verifiers
#: need a few dozen more while they run)
MAX_REVEAL_ITEMS = 900


def _below(b: Body, name: str, count: int) -> int:
    """``name < count``; always true when ``count`` is 2^(its width): n = 16 or 256
    parts fill their 4 or 8 bits, and ``count`` itself has no limbs of that width."""
    limbs = b[name]
    if count >= 1 << (4 * len(limbs)):
        return b.dag.const(1)
    return b.dag.ltu_words(limbs, b.const(count, len(limbs)))


def choice_bits(count: int) -> int:
    """Width (a multiple of 4) of a choice among ``count`` sub-intervals."""
    bits = max(1, (count - 1).bit_length())
    return -(-bits // 4) * 4


@dataclass(frozen=True)
class Choice(CheckLeaf):
    """The challenger's choice of round ``round`` is one of ``count`` sub-intervals."""

    round: int
    count: int
    prefix: str = ""
    purpose = "the challenger's signed choice is in range"

    @property
    def key(self) -> str:
        return f"{self.prefix}choice{self.round}"

    def values(self) -> tuple[Value, ...]:
        return (Value(self.key, choice_bits(self.count)),)

    def build(self, b: Body) -> int:
        return _below(b, self.key, self.count)

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v[self.key] < self.count


@dataclass(frozen=True)
class Reveal(CheckLeaf):
    """The operator's hashes ``slots`` of round ``round``; with ``prev_count`` > 0 it
    also verifies the challenger's choice of the round before (one of
    ``prev_count``)."""

    round: int
    slots: tuple[int, ...]
    prev_count: int = 0
    prefix: str = ""
    spender = OPERATOR
    purpose = "the operator reveals a round's hashes after the challenger's choice"

    @property
    def choice_key(self) -> str:
        return f"{self.prefix}choice{self.round - 1}"

    def values(self) -> tuple[Value, ...]:
        out = []
        if self.prev_count:
            out.append(Value(self.choice_key, choice_bits(self.prev_count)))
        out += [Value(hash_key(self.round, s, self.prefix), HASH_BITS, kept=False) for s in self.slots]
        return tuple(out)

    def build(self, b: Body) -> int:
        if not self.prev_count:
            return b.dag.const(1)
        return _below(b, self.choice_key, self.prev_count)

    def accepts(self, v: Mapping[str, int]) -> bool:
        return not self.prev_count or v[self.choice_key] < self.prev_count


def hash_key(round: int, slot: int, prefix: str = "") -> str:
    """Key of the hash revealed in round ``round`` (from 0), slot ``slot`` (from 1)."""
    return f"{prefix}hash{round}_{slot}"


def reveal_chunks(
    round: int, n_slots: int, prev_count: int, strategy: str = "small_script", prefix: str = ""
) -> list[Reveal]:
    """The reveal leaves of one round: as few as keep each witness under
    :data:`MAX_REVEAL_ITEMS` items."""
    per_hash = Value("h", HASH_BITS).params.total_digits * (2 if strategy == "small_script" else 1)
    choice_items = 2 * Value("c", choice_bits(max(prev_count, 2))).params.total_digits if prev_count else 0
    leaves, slot = [], 1
    while slot < n_slots + 1:
        room = MAX_REVEAL_ITEMS - (choice_items if not leaves else 0)
        take = max(1, min(room // per_hash, n_slots + 1 - slot))
        leaves.append(Reveal(round, tuple(range(slot, slot + take)), prev_count if not leaves else 0, prefix))
        slot += take
    return leaves


@dataclass(frozen=True)
class Translate(CheckLeaf):
    """The operator's step ``i`` is ``offset + sum(choice_r << shift_r)`` over the
    rounds' choices (``shifts[r]`` = log2 of round r's sub-interval width)."""

    counts: tuple[int, ...]
    shifts: tuple[int, ...]
    offset: int = 0
    prefix: str = ""
    spender = OPERATOR
    purpose = "the operator's disputed step is where the challenger's choices lead"

    def values(self) -> tuple[Value, ...]:
        p = self.prefix
        return (
            *(Value(f"{p}choice{r}", choice_bits(c)) for r, c in enumerate(self.counts)),
            Value(p + "step", WORD_BITS),
        )

    def _compile(self) -> Script:
        p = self.prefix

        def condition(w):
            total = Const(self.offset)
            for r, k in enumerate(self.shifts):
                total = Add(total, Shl(w[f"{p}choice{r}"], k))
            return Eq(total, w[p + "step"])

        return arith_body(self.layout, condition)

    def accepts(self, v: Mapping[str, int]) -> bool:
        p = self.prefix
        total = self.offset + sum(v[f"{p}choice{r}"] << k for r, k in enumerate(self.shifts))
        return v[p + "step"] == total & 0xFFFFFFFF


# --- from the search geometry -----------------------------------------------------------------


def _geometry(search: NArySearch) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(branching, log2 sub-interval width) per round."""
    if search.max_steps >= 1 << WORD_BITS:
        raise UserError(f"search space {search.max_steps} does not fit the {WORD_BITS}-bit step values")
    shifts, bits = [], search.log_steps
    for b in search.branching:
        bits -= b.bit_length() - 1
        shifts.append(bits)
    return search.branching, tuple(shifts)


def translate_leaf(search: NArySearch, prefix: str = "") -> Translate:
    """The step the choices lead to: ``[lo, lo + 1]`` with ``lo = sum(c_r * width_r)``,
    disputed step ``lo + 1`` (``NArySearch.disputed_step``)."""
    counts, shifts = _geometry(search)
    return Translate(counts, shifts, 1, prefix)


def search_leaves(search: NArySearch, prefix: str = "", shared_first: bool = False) -> list[CheckLeaf]:
    """Every move leaf of one search, in play order: per round the operator's reveal
    chunks (the first re-checking the previous choice) and the challenger's choice,
    then Translate.  ``shared_first``: round 0's hashes are the first search's (the
    read search), so its round 0 has no reveal and round 1's reveal checks its choice."""
    counts, _ = _geometry(search)
    leaves: list[CheckLeaf] = []
    for r, b in enumerate(counts):
        prev = counts[r - 1] if r else 0
        if not (shared_first and r == 0):
            leaves += reveal_chunks(r, b - 1, prev, prefix=prefix)
        leaves.append(Choice(r, b, prefix))
    leaves.append(translate_leaf(search, prefix))
    return leaves


def equivocation_leaves(search: NArySearch, prefix: str = "", shared_first: bool = False) -> list[EquivocationResign]:
    """One EquivocationResign per revealed slot: round r's slot s sits ``s`` sub-intervals
    (``2**shift_r`` steps each) into an interval of ``2**(shift_r + log2 b_r)`` steps."""
    counts, shifts = _geometry(search)
    out = []
    for r, (b, k) in enumerate(zip(counts, shifts, strict=True)):
        hash_prefix = "" if shared_first and r == 0 else prefix
        modulus = k + b.bit_length() - 1
        for slot in range(1, b):
            out.append(EquivocationResign(hash_key(r, slot, hash_prefix), modulus, slot << k, prefix))
    return out

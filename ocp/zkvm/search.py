"""The n-ary search over the hash chain (ARCHITECTURE section 5, "Search").

The search space is fixed when the graph is built: steps ``0 .. M`` with ``M = 2**k``.
``h_0`` is agreed (a constant) and ``h_M`` is disputed (the claim's ``h_N``: after the
halting step N the chain is constant).  Each round splits the current interval
``[lo, hi]`` into ``b`` equal parts: the operator reveals the ``b - 1`` interior hashes
``h(lo + j * (hi - lo) / b)``, ``j = 1 .. b - 1``; the challenger answers with a choice
``c`` in ``0 .. b - 1`` and the next interval is ``[lo + c*len/b, lo + (c+1)*len/b]``.
Rounds use ``b = n`` while that many parts fit, the last round the rest
(``b = 2**(k mod log2 n)``, as BitVMX's ``nary_last_round``), so the search ends on an
interval ``[i - 1, i]``: step i is disputed, ``h_{i-1}`` agreed.

A choice is the challenger's signed value; its move leaf range-checks ``c < b`` and
the operator's next reveal re-derives the interval from it (:meth:`NArySearch.interval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ocp.errors import UserError

MAX_LOG_STEPS = 48


@dataclass(frozen=True)
class NArySearch:
    """``NArySearch(max_steps, n)``: M = max_steps (a power of two), n = 2 .. 256."""

    max_steps: int
    n: int

    def __post_init__(self) -> None:
        m, n = self.max_steps, self.n
        if not isinstance(n, int) or n < 2 or n > 256 or n & (n - 1):
            raise UserError(f"n-ary search: n must be a power of two in 2..256, got {n}")
        if not isinstance(m, int) or m < 2 or m & (m - 1) or m.bit_length() - 1 > MAX_LOG_STEPS:
            raise UserError(f"n-ary search: max steps must be a power of two in 2..2**{MAX_LOG_STEPS}, got {m}")

    @classmethod
    def covering(cls, steps: int, n: int) -> NArySearch:
        """The smallest search space holding ``steps`` (M = next power of two >= steps, >= 2)."""
        m = 2
        while m < steps:
            m *= 2
        return cls(m, n)

    @property
    def log_steps(self) -> int:
        return self.max_steps.bit_length() - 1

    @cached_property
    def branching(self) -> tuple[int, ...]:
        """Parts per round: ``n`` for the full rounds, then the rest (if any)."""
        bits, k = self.n.bit_length() - 1, self.log_steps
        rounds = [self.n] * (k // bits)
        if k % bits:
            rounds.append(1 << (k % bits))
        return tuple(rounds)

    @property
    def rounds(self) -> int:
        return len(self.branching)

    def interval(self, choices: tuple[int, ...] | list[int]) -> tuple[int, int]:
        """The interval after the given choices (one per round so far)."""
        lo, length = 0, self.max_steps
        for r, c in enumerate(choices):
            b = self.branching[r]
            if not 0 <= c < b:
                raise UserError(f"round {r + 1}: choice {c} out of range 0..{b - 1}")
            length //= b
            lo += c * length
        return lo, lo + length

    def reveals(self, choices: tuple[int, ...] | list[int]) -> tuple[int, ...]:
        """The steps whose hashes the operator reveals in round ``len(choices) + 1``."""
        r = len(choices)
        if r >= self.rounds:
            raise UserError("the search is over")
        lo, hi = self.interval(choices)
        b = self.branching[r]
        step = (hi - lo) // b
        return tuple(lo + j * step for j in range(1, b))

    def choice_for(self, choices: tuple[int, ...] | list[int], target: int) -> int:
        """The choice whose sub-interval ``(lo', hi']`` contains ``target`` (lo < target <= hi)."""
        lo, hi = self.interval(choices)
        if not lo < target <= hi:
            raise UserError(f"step {target} is not in the interval ({lo}, {hi}]")
        b = self.branching[len(choices)]
        return (target - lo - 1) // ((hi - lo) // b)

    def disputed_step(self, choices: tuple[int, ...] | list[int]) -> int:
        """After all rounds: the step i of the final interval ``[i - 1, i]``."""
        if len(choices) != self.rounds:
            raise UserError(f"the search has {self.rounds} rounds, got {len(choices)} choices")
        lo, hi = self.interval(choices)
        assert hi == lo + 1
        return hi

    def choices_for(self, target: int) -> tuple[int, ...]:
        """The choices that lead to ``[target - 1, target]`` (1 <= target <= M)."""
        out: list[int] = []
        for _ in range(self.rounds):
            out.append(self.choice_for(out, target))
        return tuple(out)

    def position(self, choices: tuple[int, ...] | list[int], step: int) -> tuple[int, int] | None:
        """Where the search revealed ``h_step``: (round 1.., slot 1..b-1), or None when it
        was not revealed (0 and M are the endpoints, known before the search)."""
        for r in range(len(choices) + 1 if len(choices) < self.rounds else self.rounds):
            pts = self.reveals(list(choices[:r]))
            if step in pts:
                return r + 1, pts.index(step) + 1
        return None

    def hashes_revealed(self) -> int:
        """Hashes the operator reveals over a whole search."""
        return sum(b - 1 for b in self.branching)

    def describe(self) -> dict[str, object]:
        return {
            "max_steps": self.max_steps,
            "n": self.n,
            "rounds": self.rounds,
            "branching": list(self.branching),
            "hashes_revealed": self.hashes_revealed(),
        }

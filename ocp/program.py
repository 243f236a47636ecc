"""The claimed computation of graph version 1: a program of u32 steps.

``x[0]`` is the program input and ``x[i+1] = step_i(x[i])``; the trace is
``x[1..n]`` and the operator's claim is ``x[n]``.  Each step is one operation of
the script-arithmetic library with a constant operand, so every step has a
Python form (:meth:`U32Step.apply`) and a Script form (:func:`step_expr`, a
``taptrees.arith`` expression) from one description.

A :class:`Computation` is everything the graph needs from a claimed computation;
:class:`U32Program` is the one version 1 ships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ocp.errors import UserError
from taptrees.arith import Add, And, Const, Expr, Not, Or, Rotl, Rotr, Shl, Shr, Sub, Word, Xor
from taptrees.arith.disprove import Disprove

MASK32 = 0xFFFFFFFF


def _rotr(x: int, k: int) -> int:
    k %= 32
    return ((x >> k) | (x << (32 - k))) & MASK32


#: The operations a step may use, with their u32 semantics.
STEP_OPS: dict[str, Callable[[int, int], int]] = {
    "add": lambda x, k: (x + k) & MASK32,
    "sub": lambda x, k: (x - k) & MASK32,
    "xor": lambda x, k: x ^ k,
    "and": lambda x, k: x & k,
    "or": lambda x, k: x | k,
    "not": lambda x, _k: ~x & MASK32,
    "shl": lambda x, k: (x << k) & MASK32,
    "shr": lambda x, k: x >> k,
    "rotr": _rotr,
    "rotl": lambda x, k: _rotr(x, 32 - (k % 32)),
}
SHIFT_OPS = frozenset({"shl", "shr", "rotr", "rotl"})


@dataclass(frozen=True)
class U32Step:
    op: str
    operand: int = 0

    def __post_init__(self) -> None:
        if self.op not in STEP_OPS:
            raise UserError(f"unknown step operation {self.op!r}; known: {', '.join(STEP_OPS)}")
        limit = 31 if self.op in SHIFT_OPS else MASK32
        if not 0 <= self.operand <= limit:
            raise UserError(f"step {self.op} operand {self.operand} out of range 0..{limit}")

    def apply(self, x: int) -> int:
        return STEP_OPS[self.op](x, self.operand)

    def __str__(self) -> str:
        return self.op if self.op == "not" else f"{self.op} {self.operand:#x}"

    @classmethod
    def parse(cls, text: str) -> U32Step:
        parts = text.split()
        if not parts or len(parts) > 2:
            raise UserError(f"step {text!r} must be 'OP' or 'OP OPERAND'")
        try:
            operand = int(parts[1], 0) if len(parts) == 2 else 0
        except ValueError:
            raise UserError(f"step {text!r}: operand is not a number") from None
        return cls(parts[0].lower(), operand)


class Computation(Protocol):
    """What the transaction graph needs from a claimed computation."""

    @property
    def n_steps(self) -> int: ...

    @property
    def initial(self) -> int: ...

    def trace(self) -> tuple[int, ...]:
        """x[0..n]: the input and every intermediate value, the claim last."""
        ...

    def step_python(self, i: int, x: int) -> int: ...

    def step_disprove(self, i: int) -> Disprove:
        """Step ``i`` as a disprove claim over committed ``x`` (value i-1, absent for
        step 0) and ``y`` (value i): ``y`` must equal step i applied to ``x``."""
        ...

    def to_json(self) -> dict: ...


@dataclass(frozen=True)
class U32Program:
    """A straight-line u32 program with its input (a :class:`Computation`)."""

    initial: int
    steps: tuple[U32Step, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.initial <= MASK32:
            raise UserError(f"program input {self.initial} is not a u32")
        if not self.steps:
            raise UserError("a program needs at least one step")

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def step_python(self, i: int, x: int) -> int:
        return self.steps[i].apply(x)

    def step_disprove(self, i: int) -> Disprove:
        y = Word("y")
        if i == 0:
            return Disprove(inputs=(), claims=((y, step_expr(self.steps[0], Const(self.initial))),))
        x = Word("x")
        return Disprove(inputs=(x,), claims=((y, step_expr(self.steps[i], x)),))

    def trace(self) -> tuple[int, ...]:
        values = [self.initial]
        for step in self.steps:
            values.append(step.apply(values[-1]))
        return tuple(values)

    def to_json(self) -> dict:
        return {"input": self.initial, "steps": [str(s) for s in self.steps]}

    @classmethod
    def from_json(cls, obj: object) -> U32Program:
        if not isinstance(obj, dict):
            raise UserError("computation must be a table with 'input' and 'steps'")
        if not isinstance(obj.get("input"), int):
            raise UserError("computation.input must be an integer (u32)")
        steps = obj.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise UserError("computation.steps must be a list of strings like 'add 0x10'")
        return cls(obj["input"], tuple(U32Step.parse(s) for s in steps))

    @classmethod
    def sample(cls, n_steps: int, seed: int = 1) -> U32Program:
        """A deterministic mixing program of ``n_steps`` (for drills and benchmarks)."""
        cycle = ("add", "xor", "rotr", "sub", "and", "or", "shl", "not")
        steps = []
        state = seed * 0x9E3779B9 & MASK32
        for i in range(n_steps):
            state = (state * 1664525 + 1013904223) & MASK32
            op = cycle[i % len(cycle)]
            if op in SHIFT_OPS:
                operand = 1 + state % 31
            elif op == "and":
                operand = state | 0x0F0F0F0F
            else:
                operand = state
            steps.append(U32Step(op, 0 if op == "not" else operand))
        return cls(seed & MASK32, tuple(steps))


def step_expr(step: U32Step, x: Expr) -> Expr:
    """The u32 expression of one program step applied to ``x``."""
    k = step.operand
    match step.op:
        case "add":
            return Add(x, Const(k))
        case "sub":
            return Sub(x, Const(k))
        case "xor":
            return Xor(x, Const(k))
        case "and":
            return And(x, Const(k))
        case "or":
            return Or(x, Const(k))
        case "not":
            return Not(x)
        case "shl":
            return Shl(x, k)
        case "shr":
            return Shr(x, k)
        case "rotr":
            return Rotr(x, k)
        case "rotl":
            return Rotl(x, k)
    raise UserError(f"no script form for step {step}")  # pragma: no cover

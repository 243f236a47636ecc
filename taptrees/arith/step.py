"""A step: a computation on committed values, described once.

``Step(inputs=(a, b), outputs=(Add(a, b),))`` gives the script
(:meth:`Step.script`) and the Python semantics (:meth:`Step.evaluate`) from the
same expressions, so the two cannot drift.  The script expects the inputs' limbs
on the stack (first input deepest, each most significant limb deepest) and
leaves the outputs' limbs in the same layout, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from taptrees.arith.compiler import Compiled, LimbProgram, compile_program
from taptrees.arith.expr import LIMBS_OF, NUM, Evaluation, Expr, Lowering, Var
from taptrees.arith.limbs import LIMB_BITS, LIMB_MASK
from taptrees.arith.peak import static_peak
from taptrees.errors import InputError
from taptrees.script import Script, encode_num


def stack_items(kind: str, value: int) -> list[int]:
    """The script numbers a value of ``kind`` occupies, bottom first."""
    if kind == NUM:
        return [value]
    n = LIMBS_OF[kind]
    return [(value >> (LIMB_BITS * i)) & LIMB_MASK for i in reversed(range(n))]


@dataclass(frozen=True, eq=False)
class Step:
    """Inputs (named variables) and output expressions of one computation."""

    inputs: tuple[Var, ...]
    outputs: tuple[Expr, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        names = [v.name for v in self.inputs]
        if len(set(names)) != len(names):
            raise InputError(f"step inputs have repeated names: {names}")
        if not self.outputs:
            raise InputError("a step needs at least one output")
        for e in self.outputs:
            if not isinstance(e, Expr):
                raise InputError(f"step output {e!r} is not an expression")

    # --- Python semantics -----------------------------------------------------------

    def evaluate(self, values: Mapping[str, int]) -> tuple[int, ...]:
        """Output values for input values given by name."""
        ev = Evaluation(dict(values))
        for v in self.inputs:
            ev.value(v)  # checks presence and range of every input
        return tuple(ev.value(e) for e in self.outputs)

    def input_stack(self, values: Mapping[str, int]) -> list[int]:
        """Script numbers of the inputs as the script expects them, bottom first."""
        ev = Evaluation(dict(values))
        return [n for v in self.inputs for n in stack_items(v.kind, ev.value(v))]

    def witness(self, values: Mapping[str, int]) -> list[bytes]:
        """Witness items (minimal script numbers) putting the inputs on the stack."""
        return [encode_num(n) for n in self.input_stack(values)]

    def output_stack(self, results: Sequence[int]) -> list[int]:
        """Script numbers the script leaves for ``results``, bottom first."""
        return [n for e, r in zip(self.outputs, results, strict=True) for n in stack_items(e.kind, r)]

    # --- script ---------------------------------------------------------------------

    @cached_property
    def compiled(self) -> Compiled:
        program = LimbProgram()
        bound = {v.name: tuple(reversed([program.input() for _ in range(LIMBS_OF[v.kind])])) for v in self.inputs}
        # program.input() is called deepest first; limbs are kept least significant first
        lowering = Lowering(program, bound)
        outs = []
        for e in self.outputs:
            outs += list(reversed(lowering.limbs(e)))
        return compile_program(program, outs)

    def script(self) -> Script:
        return Script(self.compiled.items)

    @property
    def input_count(self) -> int:
        return sum(LIMBS_OF[v.kind] for v in self.inputs)

    def peak_stack(self) -> int:
        """Peak stack + alt stack items when run on the inputs alone (static analysis)."""
        return static_peak(self.script(), self.input_count).peak

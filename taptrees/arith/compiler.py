"""Schedule limb fragments on the stack: a small compiler from a limb DAG to script.

A :class:`LimbProgram` is a DAG of fragment applications over limb values (plain
ints), built by lowering word-level expressions.  Identical applications are
shared (common subexpressions), constants are pushed where they are used, and
:func:`compile_program` walks the applications in order keeping a model of the
stack: an operand is copied with ``OP_PICK`` while it has later uses and moved
with ``OP_ROLL`` at its last use, results nobody uses are dropped at once, and
lookup tables are pushed once, above the inputs and below all working values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from taptrees.arith.fragments import Fragment
from taptrees.arith.tables import TABLES
from taptrees.errors import InputError
from taptrees.opcodes import (
    OP_2DROP,
    OP_DROP,
    OP_DUP,
    OP_FROMALTSTACK,
    OP_NIP,
    OP_OVER,
    OP_PICK,
    OP_ROLL,
    OP_ROT,
    OP_SWAP,
    OP_TOALTSTACK,
)


@dataclass(frozen=True)
class Application:
    """One use of a fragment: operand values in, result values out."""

    fragment: Fragment
    operands: tuple[int, ...]
    results: tuple[int, ...]


@dataclass
class LimbProgram:
    """A DAG of fragment applications over limb values, built step by step."""

    applications: list[Application] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    constants: dict[int, int] = field(default_factory=dict)  # value id -> number
    _next: int = 0
    _const_ids: dict[int, int] = field(default_factory=dict)
    _shared: dict[tuple, tuple[int, ...]] = field(default_factory=dict)

    def _new(self) -> int:
        self._next += 1
        return self._next

    def input(self) -> int:
        v = self._new()
        self.inputs.append(v)
        return v

    def const(self, number: int) -> int:
        if number not in self._const_ids:
            v = self._new()
            self._const_ids[number] = v
            self.constants[v] = number
        return self._const_ids[number]

    def const_value(self, v: int) -> int | None:
        return self.constants.get(v)

    def apply(self, fragment: Fragment, *operands: int) -> tuple[int, ...]:
        if len(operands) != fragment.n_in:
            raise ValueError(f"{fragment.name} takes {fragment.n_in} operands")
        key_ops = tuple(sorted(operands)) if fragment.commutative else operands
        key = (fragment.name, key_ops)
        if key not in self._shared:
            results = tuple(self._new() for _ in range(fragment.n_out))
            self.applications.append(Application(fragment, operands, results))
            self._shared[key] = results
        return self._shared[key]

    def apply1(self, fragment: Fragment, *operands: int) -> int:
        (result,) = self.apply(fragment, *operands)
        return result


_TABLE = "table"
_TEMP = "temp"


@dataclass
class _Emitter:
    program: LimbProgram
    uses: dict[int, int]
    stack: list = field(default_factory=list)  # bottom..top: value ids or markers
    items: list = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table name -> index of its entry 0

    def remove(self, i: int) -> None:
        """Delete stack slot ``i``, keeping the tables' indexes right."""
        del self.stack[i]
        for name, at in self.tables.items():
            if i < at:
                self.tables[name] = at - 1

    def depth_of(self, slot_index: int) -> int:
        return len(self.stack) - 1 - slot_index

    def find(self, v: int) -> int:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == v:
                return i
        raise AssertionError(f"value {v} is not on the stack")

    def fetch(self, v: int) -> None:
        """Put value ``v`` on top for a consumer (a copy unless this is its last use)."""
        if v in self.program.constants:
            self.items.append(self.program.constants[v])
            self.stack.append(_TEMP)
            return
        i = self.find(v)
        d = self.depth_of(i)
        self.uses[v] -= 1
        if self.uses[v] == 0:
            self.items += {0: [], 1: [OP_SWAP], 2: [OP_ROT]}.get(d, [d, OP_ROLL])
            self.remove(i)
        else:
            self.items += {0: [OP_DUP], 1: [OP_OVER]}.get(d, [d, OP_PICK])
        self.stack.append(_TEMP)

    def drop(self, v: int) -> None:
        d = self.depth_of(self.find(v))
        self.items += {0: [OP_DROP], 1: [OP_NIP]}.get(d, [d, OP_ROLL, OP_DROP])
        self.remove(self.find(v))

    def in_place(self, operands: Sequence[int]) -> bool:
        """True when the operands already lie on top, in order, each at its last use."""
        k = len(operands)
        if k == 0 or len(self.stack) < k or len(set(operands)) != k:
            return False
        top = self.stack[-k:]
        return top == list(operands) and all(self.uses.get(v) == 1 for v in operands)

    def table_depths(self) -> dict[str, int]:
        return {name: self.depth_of(i) for name, i in self.tables.items()}

    def run(self, app: Application) -> None:
        ops = list(app.operands)
        if app.fragment.commutative and self.in_place(ops[::-1]):
            ops = ops[::-1]
        if self.in_place(ops):
            for v in ops:
                self.uses[v] -= 1
            self.stack[-len(ops) :] = [_TEMP] * len(ops)
        else:
            for v in ops:
                self.fetch(v)
        self.items += app.fragment.emit(self.table_depths())
        del self.stack[len(self.stack) - app.fragment.n_in :]
        self.stack += list(app.results)
        for v in reversed(app.results):
            if self.uses.get(v, 0) == 0:
                self.drop(v)


@dataclass(frozen=True)
class Compiled:
    """Script items and what the compiler knows about them."""

    items: list
    tables: tuple[str, ...]


def _live(program: LimbProgram, outputs: Sequence[int]) -> list[Application]:
    needed = set(outputs)
    live = []
    for app in reversed(program.applications):
        if needed.intersection(app.results):
            live.append(app)
            needed.update(app.operands)
    return live[::-1]


def compile_program(program: LimbProgram, outputs: Sequence[int], keep_tables: bool = False) -> Compiled:
    """Script that turns the program's inputs (on the stack, first input deepest) into
    ``outputs`` (first deepest).  Tables are dropped at the end unless ``keep_tables``."""
    apps = _live(program, outputs)
    uses: dict[int, int] = {}
    for v in [*(o for app in apps for o in app.operands), *outputs]:
        if v not in program.constants:
            uses[v] = uses.get(v, 0) + 1
    produced = set(program.inputs) | {r for app in apps for r in app.results}
    for v in uses:
        if v not in produced:
            raise InputError("expression uses a value that is not an input of the step")
    em = _Emitter(program, uses, stack=list(program.inputs))
    for v in reversed(program.inputs):
        if uses.get(v, 0) == 0:
            em.drop(v)
    tables = tuple(sorted({t for app in apps for t in app.fragment.tables}))
    for name in tables:
        table = TABLES[name]
        em.items += table.push_items()
        em.stack += [(_TABLE, name, i) for i in reversed(range(len(table.entries)))]
        em.tables[name] = len(em.stack) - 1
    for app in apps:
        em.run(app)
    if em.in_place(list(outputs)):
        for v in outputs:
            em.uses[v] -= 1
        em.stack[-len(outputs) :] = [_TEMP] * len(outputs)
    else:
        for v in outputs:
            em.fetch(v)
    leftovers = [s for s in em.stack if isinstance(s, int)]
    assert not leftovers, f"values left on the stack: {leftovers}"
    n_table = sum(len(TABLES[t].entries) for t in tables)
    if n_table and not keep_tables:
        em.items += _drop_below(n_table, len(outputs))
    return Compiled(em.items, tables)


def _drop_below(count: int, above: int) -> list:
    """Drop ``count`` items lying under the top ``above`` items, in the fewest bytes."""
    if above == 0:
        return [OP_2DROP] * (count // 2) + [OP_DROP] * (count % 2)
    if above == 1:
        return [OP_NIP] * count
    via_alt = [OP_TOALTSTACK] * above + _drop_below(count, 0) + [OP_FROMALTSTACK] * above
    return via_alt

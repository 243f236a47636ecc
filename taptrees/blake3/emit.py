"""Schedule a limb DAG on the stack, with lookup tables read by absolute position.

The tables lie at the very bottom of the main stack, so an entry's position
counted from the bottom never changes while the program runs.  ``OP_DEPTH``
turns such a position into a ``OP_PICK`` index whatever lies above::

    <index> OP_DEPTH OP_SWAP OP_SUB OP_PICK     # picks the item at position index - 2

(BitVM's BLAKE3 reads its tables the same way.)  Four tables, from the bottom:

* ``row`` (16): ``R[y] = -2 - P_xor - 16 y``, the row offset of the XOR table;
* ``mod`` (48) and ``quot`` (48): ``s mod 16`` and ``s div 16 + beta`` for a
  column sum ``s < 48``, where ``beta = P_mod + 1``: carries are kept *biased* by
  ``beta`` so that a column sum indexes ``mod`` and ``quot`` with no extra push;
* ``xor`` (256): ``x ^ y`` at position ``P_xor + 16 y + x``.

A two-limb XOR copies the row operand ``y`` between ``OP_DEPTH OP_DUP`` and the
first pick (7 bytes of code besides the two operand fetches)::

    OP_DEPTH OP_DUP <y> OP_SUB OP_PICK <x> OP_SUB OP_ADD OP_PICK

and a column of an addition turns its (biased) sum into ``(s mod 16, carry)``
with one ``OP_DEPTH``::

    OP_DEPTH OP_SWAP OP_SUB OP_DUP OP_PICK OP_SWAP <-48> OP_ADD OP_PICK

Columns whose sums stay below 32 use a branch instead and no table
(``OP_DUP 16 OP_GREATERTHANOREQUAL OP_TUCK OP_IF 16 OP_SUB OP_ENDIF``).

The scheduler walks the operations in order with a model of the stack: an
operand is copied (``OP_PICK``) while it has later uses and moved (``OP_ROLL``)
at its last, results nobody uses are dropped at once, and each lookup's offset
is computed from the modelled height (corrections of one are ``OP_1ADD`` /
``OP_1SUB``).  The script assumes that nothing but its inputs lies on the main
stack when it starts; it ends with the outputs on top and the tables dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taptrees.blake3.dag import LimbDag, Op
from taptrees.opcodes import (
    OP_1ADD,
    OP_1SUB,
    OP_2DROP,
    OP_ADD,
    OP_BOOLAND,
    OP_BOOLOR,
    OP_DEPTH,
    OP_DROP,
    OP_DUP,
    OP_ENDIF,
    OP_FROMALTSTACK,
    OP_GREATERTHAN,
    OP_GREATERTHANOREQUAL,
    OP_IF,
    OP_LESSTHAN,
    OP_NIP,
    OP_NOT,
    OP_NUMEQUAL,
    OP_NUMEQUALVERIFY,
    OP_OVER,
    OP_PICK,
    OP_ROLL,
    OP_ROT,
    OP_SUB,
    OP_SWAP,
    OP_TOALTSTACK,
    OP_TUCK,
    OP_VERIFY,
)
from taptrees.script import Script, push_int

ROW_C0 = -2  # the row table's constant: XOR's final index assumes x moved, y copied


@dataclass(frozen=True)
class TableLayout:
    """Which tables a program needs and where entry 0 of each lies (from the bottom);
    ``custom`` are the program's own tables (name, entries), above the others."""

    names: tuple[str, ...]
    custom: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def sizes(self) -> dict[str, int]:
        return {"row": 16, "mod": 48, "quot": 48, "xor": 256, **{n: len(e) for n, e in self.custom}}

    @property
    def position(self) -> dict[str, int]:
        pos, at = {}, 0
        for name in self.names:
            pos[name] = at
            at += self.sizes[name]
        return pos

    @property
    def total(self) -> int:
        return sum(self.sizes[n] for n in self.names)

    @property
    def beta(self) -> int:
        """Bias of column sums and carries of table columns."""
        return self.position["mod"] + 1

    def entries(self, name: str) -> list[int]:
        p = self.position
        if name == "row":
            return [ROW_C0 - p["xor"] - 16 * y for y in range(16)]
        if name == "xor":
            return [x ^ y for y in range(16) for x in range(16)]
        if name == "mod":
            return [s % 16 for s in range(48)]
        if name == "quot":
            return [s // 16 + self.beta for s in range(48)]
        return list(dict(self.custom)[name])

    def push_items(self) -> list:
        """Script items pushing every table, bottom entry first; runs of equal values
        are pushed once and copied with OP_DUP/OP_2DUP/OP_3DUP."""
        items: list = []
        for name in self.names:
            items += _push_runs(self.entries(name))
        return items


def _push_runs(values: list[int]) -> list:
    from taptrees.opcodes import OP_2DUP, OP_3DUP

    items: list = []
    i = 0
    while i < len(values):
        v = values[i]
        run = 1
        while i + run < len(values) and values[i + run] == v:
            run += 1
        if len(push_int(v)) == 1 or run < 3:
            items += [v] * run
        else:  # one push, then copies: DUP to 2, 2DUP to 4, then 3DUPs
            items.append(v)
            have = 1
            while have < run:
                if have == 1:
                    items.append(OP_DUP)
                    have += 1
                elif have < 3 or run - have < 3:
                    take = min(2, run - have)
                    items.append(OP_2DUP if take == 2 else OP_DUP)
                    have += take
                else:
                    items.append(OP_3DUP)
                    have += 3
        i += run
    return items


def layout_for(dag: LimbDag, ops: Sequence[Op]) -> TableLayout:
    names = []
    if any(op.kind in ("xor", "xorc") for op in ops):
        names += ["row"]
    if any(op.kind == "col" and op.param.method == "table" for op in ops):
        names += ["mod", "quot"]
    if any(op.kind in ("xor", "xorc") for op in ops):
        names += ["xor"]
    used = sorted({op.param[0] for op in ops if op.kind == "pick"})
    custom = tuple((n, dag.tables[n]) for n in used)
    return TableLayout(tuple(names) + tuple(used), custom)


def live_ops(dag: LimbDag, outputs: Sequence[int]) -> list[Op]:
    """Operations some output or some check depends on, in program order."""
    needed = set(outputs)
    live = []
    for op in reversed(dag.ops):
        if op.kind in ("eqverify", "verify") or needed.intersection(op.results):
            live.append(op)
            needed.update(op.operands)
    return live[::-1]


def _fetch_cost(depth: int, move: bool) -> int:
    if move and depth <= 2:
        return 0 if depth == 0 else 1
    if depth <= 1:
        return 1
    return 1 + len(push_int(depth))


class Emitter:
    """A model of the main stack (bottom first: value ids, or None for anything
    anonymous) and the script that gets it there."""

    def __init__(self, dag: LimbDag, uses: dict[int, int], layout: TableLayout) -> None:
        self.dag = dag
        self.uses = uses
        self.layout = layout
        self.stack: list[int | None] = []
        self.items: list = []

    # --- primitives ----------------------------------------------------------------

    def code(self, items: list, pops: int, pushes: int) -> None:
        self.items += items
        if pops:
            del self.stack[len(self.stack) - pops :]
        self.stack += [None] * pushes

    def push(self, number: int) -> None:
        self.code([number], 0, 1)

    def depth(self, v: int) -> int:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == v:
                return len(self.stack) - 1 - i
        raise AssertionError(f"value {v} is not on the stack")

    def cost(self, v: int) -> int:
        c = self.dag.known(v)
        if c is not None:
            return len(push_int(c))
        return _fetch_cost(self.depth(v), self.uses[v] == 1)

    def fetch(self, v: int) -> bool:
        """Put ``v`` on top (a copy while it has later uses); True if it was copied."""
        c = self.dag.known(v)
        if c is not None:
            self.push(c)
            return True
        d = self.depth(v)
        self.uses[v] -= 1
        if self.uses[v] == 0:
            self.items += {0: [], 1: [OP_SWAP], 2: [OP_ROT]}.get(d, [d, OP_ROLL])
            del self.stack[len(self.stack) - 1 - d]
            self.stack.append(None)
            return False
        self.items += {0: [OP_DUP], 1: [OP_OVER]}.get(d, [d, OP_PICK])
        self.stack.append(None)
        return True

    def fetch_cheapest(self, values: Sequence[int]) -> None:
        rest = list(values)
        while rest:
            v = min(rest, key=self.cost)
            rest.remove(v)
            self.fetch(v)

    def adjust(self, delta: int) -> None:
        """Add ``delta`` to the number on top."""
        if delta == 0:
            return
        if delta == 1:
            self.code([OP_1ADD], 1, 1)
        elif delta == -1:
            self.code([OP_1SUB], 1, 1)
        else:
            self.code([delta, OP_ADD], 1, 1)

    def bind(self, results: Sequence[int]) -> None:
        """Name the top ``len(results)`` items (first result deepest); drop unused ones."""
        n = len(results)
        if n:
            self.stack[len(self.stack) - n :] = list(results)
        for v in reversed(results):
            if self.uses.get(v, 0) == 0:
                self.drop(v)

    def drop(self, v: int) -> None:
        d = self.depth(v)
        self.items += {0: [OP_DROP], 1: [OP_NIP]}.get(d, [d, OP_ROLL, OP_DROP])
        del self.stack[len(self.stack) - 1 - d]

    # --- operations -------------------------------------------------------------------

    def run(self, op: Op) -> None:
        getattr(self, f"_op_{op.kind}")(op)

    def _op_xor(self, op: Op) -> None:
        a, b = op.operands
        # y: the row operand, preferably one that stays (copied); x: the other
        y, x = (b, a) if self.uses[b] > 1 and self.uses[a] == 1 else (a, b)
        d_value = len(self.stack)  # OP_DEPTH pushes the height before it
        self.code([OP_DEPTH, OP_DUP], 0, 2)
        self.fetch(y)
        self.code([OP_SUB], 2, 1)  # n1 = D - y
        # PICK pops n1 and reads position (len - 2) - n1 = (len - 2 - D) + y; want P_row + y
        self.adjust(len(self.stack) - 2 - d_value - self.layout.position["row"])
        self.code([OP_PICK], 1, 1)  # [D, R[y]]
        self.fetch(x)
        self.code([OP_SUB, OP_ADD], 3, 1)  # n2 = D + R[y] - x
        # PICK reads (len - 2) - n2 = (len - 2 - D) - ROW_C0 + P_xor + 16 y + x
        self.adjust(len(self.stack) - 2 - d_value - ROW_C0)
        self.code([OP_PICK], 1, 1)
        self.bind(op.results)

    def _lookup_top(self, index_offset: int) -> None:
        """The top item is an index ``i``; replace it by the item at absolute
        position ``i + index_offset``."""
        # OP_DEPTH OP_SWAP OP_SUB leaves n = L - i (L = height with i on top);
        # OP_PICK then reads (L - 2) - n = i - 2.
        self.code([OP_DEPTH, OP_SWAP, OP_SUB], 1, 1)
        self.adjust(-(index_offset + 2))
        self.code([OP_PICK], 1, 1)

    def _op_xorc(self, op: Op) -> None:
        (x,) = op.operands
        self.fetch(x)
        self.code([self.layout.position["xor"] + 16 * op.param + 2, OP_ADD], 1, 1)
        self._lookup_top(-2)
        self.bind(op.results)

    def _op_not(self, op: Op) -> None:
        self.fetch(op.operands[0])
        self.code([15, OP_SWAP, OP_SUB], 1, 1)
        self.bind(op.results)

    def _op_col(self, op: Op) -> None:
        col = op.param
        operands = list(op.operands)
        self.fetch_cheapest(operands)
        self.code([OP_ADD] * (len(operands) - 1), len(operands), 1)
        k = col.k
        if col.method == "table" and not col.carry_in:
            k += self.layout.beta
        if k:
            self.code([k, OP_ADD], 1, 1)
        if col.method == "none":
            pass
        elif col.method == "if":
            if col.top:
                self.code([OP_DUP, 15, OP_GREATERTHAN, OP_IF, 16, OP_SUB, OP_ENDIF], 1, 1)
            else:  # -> (carry, s mod 16), carry deeper
                self.code([OP_DUP, 16, OP_GREATERTHANOREQUAL, OP_TUCK, OP_IF, 16, OP_SUB, OP_ENDIF], 1, 2)
                r, c = op.results
                self.bind((c, r))
                return
        else:  # table: the sum is biased by beta
            beta = self.layout.beta
            if col.top:
                self._lookup_top(self.layout.position["mod"] - beta)
            else:
                # n = L - s'; DUP PICK reads (L - 1) - n = s' - 1 = P_mod + s
                self.code([OP_DEPTH, OP_SWAP, OP_SUB, OP_DUP, OP_PICK, OP_SWAP], 1, 2)
                delta = self.layout.position["mod"] - self.layout.position["quot"]
                self.code([delta, OP_ADD, OP_PICK], 1, 1)
        self.bind(op.results)

    def _op_split7(self, op: Op) -> None:
        self.fetch(op.operands[0])
        self.code([OP_DUP, 8, OP_GREATERTHANOREQUAL, OP_TUCK, OP_IF, 8, OP_SUB, OP_ENDIF, OP_DUP, OP_ADD], 1, 2)
        self.bind(op.results)

    def _op_plus(self, op: Op) -> None:
        self.fetch_cheapest(op.operands)
        self.code([OP_ADD], 2, 1)
        self.bind(op.results)

    def _op_eq(self, op: Op) -> None:
        self.fetch_cheapest(op.operands)
        self.code([OP_NUMEQUAL], 2, 1)
        self.bind(op.results)

    def _op_band(self, op: Op) -> None:
        self.fetch_cheapest(op.operands)
        self.code([OP_BOOLAND], 2, 1)
        self.bind(op.results)

    def _op_bor(self, op: Op) -> None:
        self.fetch_cheapest(op.operands)
        self.code([OP_BOOLOR], 2, 1)
        self.bind(op.results)

    def _op_lt(self, op: Op) -> None:
        x, y = op.operands
        self.fetch(x)
        self.fetch(y)
        self.code([OP_LESSTHAN], 2, 1)
        self.bind(op.results)

    def _op_lt3(self, op: Op) -> None:
        x, y, b = op.operands
        self.fetch(x)
        self.fetch_cheapest((y, b))
        self.code([OP_ADD, OP_LESSTHAN], 3, 1)
        self.bind(op.results)

    def _op_lowbits(self, op: Op) -> None:
        self.fetch(op.operands[0])
        items: list = []
        for bit in range(3, op.param - 1, -1):
            items += [OP_DUP, 1 << bit, OP_GREATERTHANOREQUAL, OP_IF, 1 << bit, OP_SUB, OP_ENDIF]
        self.code(items, 1, 1)
        self.bind(op.results)

    def _op_scale(self, op: Op) -> None:
        self.fetch(op.operands[0])
        self.code([OP_DUP, OP_ADD] * op.param, 1, 1)
        self.bind(op.results)

    def _op_pick(self, op: Op) -> None:
        table, offset = op.param
        self.fetch(op.operands[0])
        self._lookup_top(self.layout.position[table] + offset)
        self.bind(op.results)

    def _op_verify(self, op: Op) -> None:
        self.fetch(op.operands[0])
        self.code([OP_VERIFY], 1, 0)

    def _op_bnot(self, op: Op) -> None:
        self.fetch(op.operands[0])
        self.code([OP_NOT], 1, 1)
        self.bind(op.results)

    def _op_eqverify(self, op: Op) -> None:
        self.fetch_cheapest(op.operands)
        self.code([OP_NUMEQUALVERIFY], 2, 0)


@dataclass(frozen=True)
class Compiled:
    script: Script
    layout: TableLayout
    n_inputs: int
    n_outputs: int


def compile_dag(dag: LimbDag, outputs: Sequence[int], inputs_on_alt: bool = False) -> Compiled:
    """Script running ``dag``: inputs (``dag.inputs`` order, first deepest) on the main
    stack with nothing below them, or, with ``inputs_on_alt``, on the altstack with
    the first input on top of it; leaves ``outputs`` (first deepest) and nothing else
    on the main stack."""
    ops = live_ops(dag, outputs)
    uses: dict[int, int] = {}
    for v in [*(o for op in ops for o in op.operands), *outputs]:
        if dag.known(v) is None:
            uses[v] = uses.get(v, 0) + 1
    layout = layout_for(dag, ops)
    em = Emitter(dag, uses, layout)
    n_in = len(dag.inputs)
    if not inputs_on_alt:
        em.items += [OP_TOALTSTACK] * n_in
    em.items += layout.push_items()
    em.stack += [None] * layout.total
    em.items += [OP_FROMALTSTACK] * n_in
    em.stack += list(dag.inputs)
    for v in reversed(dag.inputs):
        if uses.get(v, 0) == 0:
            em.drop(v)
    for op in ops:
        em.run(op)
    for v in outputs:
        c = dag.known(v)
        if c is not None:
            em.push(c)
        else:
            em.fetch(v)
    leftovers = [s for s in em.stack if s is not None]
    assert not leftovers, f"values left on the stack: {leftovers}"
    em.items += _drop_below(layout.total, len(outputs))
    return Compiled(Script(em.items), layout, n_in, len(outputs))


def _drop_below(count: int, above: int) -> list:
    """Drop ``count`` items lying under the top ``above`` items, in the fewest bytes."""
    if count == 0:
        return []
    drops = [OP_2DROP] * (count // 2) + [OP_DROP] * (count % 2)
    if above == 0:
        return drops
    if above == 1 and count <= 2 + len(drops):
        return [OP_NIP] * count
    return [OP_TOALTSTACK] * above + drops + [OP_FROMALTSTACK] * above

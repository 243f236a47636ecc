"""A DAG of 4-bit limb operations with constant folding: what BLAKE3 lowers to.

Values are integer ids; a value is a program input (a limb on the stack when the
script starts), a constant (never on the stack: pushed where it is used, or
folded away) or a result of an :class:`Op`.  Builders fold every operation whose
operands are all constant and the identities (``x ^ 0``, ``x ^ x``, adding 0),
and identical operations are shared, so the Script half only sees what really
has to be computed.  Words are tuples of eight limb ids, least significant first.

Operation kinds (``Op.kind``) and their semantics (:func:`evaluate_op`):

* ``xor`` (x, y) -> x ^ y;  ``xorc`` (x) with param k -> x ^ k;  ``not`` (x) -> 15 - x
* ``col`` (terms...) with param ``Column``: one column of a multi-word addition,
  ``s = sum(terms) + k``, giving ``(s mod 16, s div 16)`` (or ``s mod 16`` for
  the top column); how the carry is represented depends on the method, see
  :mod:`taptrees.blake3.emit`
* ``split7`` (z) -> (z >> 3, 2 (z & 7)): the two halves a rotation by 7 needs
* ``plus`` (a, b) -> a + b (never above 15 where it is used)
* ``eq`` (x, y) -> x == y;  ``band`` / ``bor`` (a, b);  ``bnot`` (a) -> not a
* ``lowbits`` (x) with param b -> x mod 2**b
* ``scale`` (x) with param k -> x * 2**k (plain numbers, e.g. table indices)
* ``pick`` (i) with param (table, offset) -> entry ``i + offset`` of a table the
  program declared with :meth:`LimbDag.table`
* ``lt`` (x, y) -> x < y;  ``lt3`` (x, y, b) -> x < y + b (a borrow chain, least
  significant limb first, compares words)
* ``eqverify`` (x, y): fails the script unless x == y; ``verify`` (a): fails
  unless a (no results; always live)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LIMB = 16
Limbs = tuple[int, ...]


@dataclass(frozen=True)
class Column:
    """Parameters of one addition column: the constant ``k`` added, how the carry
    is represented (``method``), and whether the carry out is dropped (``top``)."""

    k: int
    method: str  # "none" (sum < 16), "if" (sum < 32, carry 0/1), "table" (sum < 48, carry biased)
    top: bool
    carry_in: bool  # the last term is the previous column's carry (a value, not a constant)


@dataclass(frozen=True)
class Op:
    kind: str
    operands: tuple[int, ...]
    results: tuple[int, ...]
    param: object = None


@dataclass
class LimbDag:
    """Operations over limb values, built in evaluation order."""

    ops: list[Op] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    constants: dict[int, int] = field(default_factory=dict)
    _next: int = 0
    _const_ids: dict[int, int] = field(default_factory=dict)
    _shared: dict[tuple, tuple[int, ...]] = field(default_factory=dict)
    tables: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def table(self, name: str, entries: tuple[int, ...]) -> None:
        """Declare a lookup table of script numbers (read with :meth:`pick`)."""
        if name in ("row", "mod", "quot", "xor"):
            raise ValueError(f"table name {name!r} is reserved")
        self.tables[name] = tuple(entries)

    def pick(self, index: int, table: str, offset: int = 0) -> int:
        if table not in self.tables:
            raise ValueError(f"no table {table!r}")
        c = self.known(index)
        if c is not None:
            return self.const(self.tables[table][c + offset])
        return self.op("pick", (index,), 1, (table, offset))[0]

    def scale(self, x: int, k: int) -> int:
        c = self.known(x)
        if c is not None:
            return self.const(c << k)
        return self.op("scale", (x,), 1, k)[0] if k else x

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

    def known(self, v: int) -> int | None:
        return self.constants.get(v)

    def op(
        self,
        kind: str,
        operands: Sequence[int],
        n_results: int,
        param: object = None,
        commutative: bool = False,
        share: bool = True,
    ) -> tuple[int, ...]:
        operands = tuple(operands)
        key = (kind, tuple(sorted(operands)) if commutative else operands, param)
        if share and key in self._shared:
            return self._shared[key]
        results = tuple(self._new() for _ in range(n_results))
        self.ops.append(Op(kind, operands, results, param))
        if share:
            self._shared[key] = results
        return results

    # --- limb operations with folding ------------------------------------------------

    def xor(self, x: int, y: int) -> int:
        cx, cy = self.known(x), self.known(y)
        if cx is not None and cy is not None:
            return self.const(cx ^ cy)
        if cx is not None:
            x, y, cx, cy = y, x, cy, cx
        if cy is not None:
            if cy == 0:
                return x
            if cy == LIMB - 1:
                return self.op("not", (x,), 1)[0]
            return self.op("xorc", (x,), 1, cy)[0]
        if x == y:
            return self.const(0)
        return self.op("xor", (x, y), 1, commutative=True)[0]

    def split7(self, z: int) -> tuple[int, int]:
        c = self.known(z)
        if c is not None:
            return self.const(c >> 3), self.const(2 * (c & 7))
        h, low = self.op("split7", (z,), 2)
        return h, low

    def plus(self, a: int, b: int) -> int:
        ca, cb = self.known(a), self.known(b)
        if ca is not None and cb is not None:
            return self.const(ca + cb)
        if ca == 0:
            return b
        if cb == 0:
            return a
        return self.op("plus", (a, b), 1, commutative=True)[0]

    def eq(self, x: int, y: int) -> int:
        cx, cy = self.known(x), self.known(y)
        if cx is not None and cy is not None:
            return self.const(int(cx == cy))
        if x == y:
            return self.const(1)
        return self.op("eq", (x, y), 1, commutative=True)[0]

    def band(self, a: int, b: int) -> int:
        ca, cb = self.known(a), self.known(b)
        if ca == 0 or cb == 0:
            return self.const(0)
        if ca is not None:
            return b
        if cb is not None:
            return a
        return self.op("band", (a, b), 1, commutative=True)[0]

    def bor(self, a: int, b: int) -> int:
        ca, cb = self.known(a), self.known(b)
        if ca == 1 or cb == 1:
            return self.const(1)
        if ca is not None:
            return b
        if cb is not None:
            return a
        return self.op("bor", (a, b), 1, commutative=True)[0]

    def verify(self, a: int) -> None:
        ca = self.known(a)
        if ca is not None:
            if not ca:
                raise ValueError("verify of the constant 0 can never pass")
            return
        self.op("verify", (a,), 0, share=False)

    def bnot(self, a: int) -> int:
        ca = self.known(a)
        if ca is not None:
            return self.const(int(not ca))
        return self.op("bnot", (a,), 1)[0]

    def eqverify(self, x: int, y: int) -> None:
        cx, cy = self.known(x), self.known(y)
        if cx is not None and cy is not None:
            if cx != cy:
                raise ValueError("eqverify of two different constants can never pass")
            return
        self.op("eqverify", (x, y), 0, commutative=True, share=False)

    # --- words ------------------------------------------------------------------------

    def word_const(self, number: int) -> Limbs:
        return tuple(self.const((number >> (4 * i)) & 15) for i in range(8))

    def word_input(self) -> Limbs:
        """Eight input limbs; the caller lays them most significant deepest."""
        return tuple(reversed([self.input() for _ in range(8)]))

    def eq_words(self, a: Limbs, b: Limbs) -> int:
        """1 iff the two limb sequences are equal."""
        same = self.const(1)
        for x, y in zip(a, b, strict=True):
            same = self.band(same, self.eq(x, y))
        return same

    def ltu_words(self, a: Limbs, b: Limbs) -> int:
        """1 iff a < b as unsigned numbers (limbs least significant first)."""
        borrow: int | None = None
        for x, y in zip(a, b, strict=True):
            cx, cy = self.known(x), self.known(y)
            if borrow is None:
                if cx is not None and cy is not None:
                    borrow = self.const(int(cx < cy))
                else:
                    borrow = self.op("lt", (x, y), 1)[0]
            else:
                cb = self.known(borrow)
                if cx is not None and cy is not None and cb is not None:
                    borrow = self.const(int(cx < cy + cb))
                elif cb == 0:
                    borrow = self.op("lt", (x, y), 1)[0]
                else:
                    borrow = self.op("lt3", (x, y, borrow), 1)[0]
        return borrow

    def xor_words(self, a: Limbs, b: Limbs) -> Limbs:
        return tuple(self.xor(x, y) for x, y in zip(a, b, strict=True))

    def add_words(self, *words: Limbs) -> Limbs:
        """Sum of words mod 2**32, column by column with a rippling carry (in several
        passes when a column could reach 48)."""
        if len(words) == 1:
            return words[0]
        columns = []
        for i in range(8):
            terms = [w[i] for w in words if self.known(w[i]) is None]
            k = sum(self.known(w[i]) for w in words if self.known(w[i]) is not None)
            columns.append((terms, k))
        # the carry into a column is at most (max sum of the column before) // 16
        carry_max = 0
        maxima = []
        for terms, k in columns:
            top = 15 * len(terms) + k + carry_max
            maxima.append(top)
            carry_max = top // 16
        if max(maxima) >= 48:  # too many terms for one pass of 48-entry tables
            return self.add_words(self.add_words(*words[:-1]), words[-1])
        word_method = "if" if max(maxima) < 32 else "table"
        out: list[int] = []
        carry: int | None = None  # the carry value, None when the carry is a constant
        const_carry = 0
        for i, (terms, k) in enumerate(columns):
            top_col = i == 7
            k += const_carry
            operands = list(terms) + ([carry] if carry is not None else [])
            if not operands:
                out.append(self.const(k % 16))
                const_carry, carry = k // 16, None
                continue
            if len(operands) == 1 and k == 0 and carry is None:
                out.append(operands[0])
                const_carry = 0
                continue
            method = "none" if maxima[i] < 16 else word_method
            param = Column(k, method, top_col, carry is not None)
            if top_col or method == "none":
                (r,) = self.op("col", operands, 1, param)
                out.append(r)
                carry, const_carry = None, 0
            else:
                r, c = self.op("col", operands, 2, param)
                out.append(r)
                carry, const_carry = c, 0
        return tuple(out)


def evaluate(dag: LimbDag, inputs: Sequence[int]) -> dict[int, int]:
    """Python semantics of every value, for limbs given in ``dag.inputs`` order
    (the carries of table columns are kept unbiased here)."""
    if len(inputs) != len(dag.inputs):
        raise ValueError(f"{len(dag.inputs)} inputs needed, got {len(inputs)}")
    val = dict(zip(dag.inputs, inputs, strict=True))
    val.update(dag.constants)
    for op in dag.ops:
        args = [val[v] for v in op.operands]
        if op.kind == "pick":
            table, offset = op.param
            val[op.results[0]] = dag.tables[table][args[0] + offset]
            continue
        res = evaluate_op(op, args)
        if res is False:
            raise ValueError(f"{op.kind} fails")
        for r, x in zip(op.results, res, strict=True):
            val[r] = x
    return val


def evaluate_op(op: Op, args: list[int]) -> tuple[int, ...] | bool:
    k = op.kind
    if k == "xor":
        return (args[0] ^ args[1],)
    if k == "xorc":
        return (args[0] ^ op.param,)
    if k == "not":
        return (15 - args[0],)
    if k == "col":
        s = sum(args) + op.param.k
        if op.param.top or op.param.method == "none":
            return (s % 16,)
        return (s % 16, s // 16)
    if k == "split7":
        return (args[0] >> 3, 2 * (args[0] & 7))
    if k == "plus":
        return (args[0] + args[1],)
    if k == "eq":
        return (int(args[0] == args[1]),)
    if k == "band":
        return (int(bool(args[0] and args[1])),)
    if k == "bor":
        return (int(bool(args[0] or args[1])),)
    if k == "lt":
        return (int(args[0] < args[1]),)
    if k == "lowbits":
        return (args[0] % (1 << op.param),)
    if k == "scale":
        return (args[0] << op.param,)
    if k == "lt3":
        return (int(args[0] < args[1] + args[2]),)
    if k == "verify":
        return () if args[0] else False
    if k == "bnot":
        return (int(not args[0]),)
    if k == "eqverify":
        return () if args[0] == args[1] else False
    raise ValueError(f"unknown op {k}")

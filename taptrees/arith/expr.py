"""Word-level expressions: each operation is described once and yields both its
Python value (:meth:`Expr.value`) and its limb program (:meth:`Expr.limbs`).

Kinds: ``word`` (u32, 8 limbs), ``dword`` (u64, 16 limbs; a 32x32 product),
``bit`` (one item, 0 or 1) and ``num`` (one script number, for small values).
Values are unsigned Python ints; signed operations read them as two's complement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from taptrees.arith import fragments as F
from taptrees.arith.compiler import LimbProgram
from taptrees.arith.limbs import (
    LIMB_BASE,
    LIMB_BITS,
    LIMB_MASK,
    WORD_BITS,
    WORD_LIMBS,
    WORD_MASK,
    check_word,
    to_signed,
)
from taptrees.errors import InputError

WORD, DWORD, BIT, NUM = "word", "dword", "bit", "num"
LIMBS_OF = {WORD: WORD_LIMBS, DWORD: 2 * WORD_LIMBS, BIT: 1, NUM: 1}
BITS_OF = {WORD: WORD_BITS, DWORD: 2 * WORD_BITS, BIT: 1}

Limbs = tuple[int, ...]  # limb value ids, least significant first


@dataclass
class Evaluation:
    """Python semantics of expressions over named input values (memoized per node)."""

    env: Mapping[str, int]
    memo: dict[int, int] = field(default_factory=dict)

    def value(self, e: Expr) -> int:
        key = id(e)
        if key not in self.memo:
            self.memo[key] = e.evaluate(self)
        return self.memo[key]


@dataclass
class Lowering:
    """Limb program of expressions (memoized per node), with the input limbs bound."""

    program: LimbProgram
    inputs: dict[str, Limbs]
    memo: dict[int, Limbs] = field(default_factory=dict)
    keep: list = field(default_factory=list)  # nodes built during lowering stay alive

    def limbs(self, e: Expr) -> Limbs:
        key = id(e)
        if key not in self.memo:
            self.keep.append(e)
            self.memo[key] = tuple(e.lower(self))
        return self.memo[key]

    # limb helpers with constant folding
    def const(self, n: int) -> int:
        return self.program.const(n)

    def known(self, v: int) -> int | None:
        return self.program.const_value(v)


class Expr:
    """Base of all expressions."""

    kind: ClassVar[str] = WORD

    def evaluate(self, ev: Evaluation) -> int:
        raise NotImplementedError

    def lower(self, lo: Lowering) -> Limbs:
        raise NotImplementedError

    # operator sugar for words
    def __add__(self, other: Expr) -> Expr:
        return Add(self, other)

    def __sub__(self, other: Expr) -> Expr:
        return Sub(self, other)

    def __xor__(self, other: Expr) -> Expr:
        return Xor(self, other)

    def __and__(self, other: Expr) -> Expr:
        return And(self, other)

    def __or__(self, other: Expr) -> Expr:
        return Or(self, other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __lshift__(self, k: int) -> Expr:
        return Shl(self, k)

    def __rshift__(self, k: int) -> Expr:
        return Shr(self, k)


def _need(e: Expr, *kinds: str) -> None:
    if e.kind not in kinds:
        raise InputError(f"{type(e).__name__} operand has kind {e.kind}, expected {' or '.join(kinds)}")


def _shift_amount(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < WORD_BITS:
        raise InputError(f"constant shift amount must be an int in 0..31, got {k!r}")
    return k


# --- leaves --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Var(Expr):
    """A named input: a committed value on the stack when the step starts."""

    name: str
    var_kind: str = WORD

    def __post_init__(self) -> None:
        if self.var_kind not in LIMBS_OF:
            raise InputError(f"unknown kind {self.var_kind!r} for input {self.name!r}")

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.var_kind

    def evaluate(self, ev: Evaluation) -> int:
        if self.name not in ev.env:
            raise InputError(f"no value given for input {self.name!r}")
        value = ev.env[self.name]
        if self.kind == NUM:
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 1 << 31:
                raise InputError(f"input {self.name!r} = {value!r} is not a 4-byte script number")
            return value
        return check_word(value, BITS_OF[self.kind], f"input {self.name!r}")

    def lower(self, lo: Lowering) -> Limbs:
        if self.name not in lo.inputs:
            raise InputError(f"{self.name!r} is used but is not an input of the step")
        return lo.inputs[self.name]


def Word(name: str) -> Var:  # noqa: N802 - reads as a type
    """A u32 input."""
    return Var(name, WORD)


@dataclass(frozen=True, eq=False)
class Const(Expr):
    """A constant word."""

    number: int

    def __post_init__(self) -> None:
        check_word(self.number, WORD_BITS, "constant")

    def evaluate(self, ev: Evaluation) -> int:
        return self.number

    def lower(self, lo: Lowering) -> Limbs:
        return tuple(lo.const((self.number >> (4 * i)) & LIMB_MASK) for i in range(WORD_LIMBS))


# --- add and subtract ------------------------------------------------------------------


def _ripple(lo: Lowering, a: Limbs, b: Limbs, mod2, carry2, mod3, carry3) -> Limbs:
    """Limb-by-limb add or subtract with a rippling carry/borrow: the two-operand
    fragments until a carry exists, three-operand ones after; the top limb drops it."""
    out, carry = [], None
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        last = i == len(a) - 1
        if carry is None:
            if last:
                out.append(lo.program.apply1(mod2, x, y))
            else:
                s, carry = lo.program.apply(carry2, x, y)
                out.append(s)
        elif last:
            out.append(lo.program.apply1(mod3, x, y, carry))
        else:
            s, carry = lo.program.apply(carry3, x, y, carry)
            out.append(s)
    return tuple(out)


def _add_limbs(lo: Lowering, a: Limbs, b: Limbs) -> Limbs:
    return _ripple(lo, a, b, F.ADD_MOD_2, F.ADD_CARRY_2, F.ADD_MOD_3, F.ADD_CARRY_3)


def _sub_limbs(lo: Lowering, a: Limbs, b: Limbs) -> Limbs:
    return _ripple(lo, a, b, F.SUB_MOD_2, F.SUB_BORROW_2, F.SUB_MOD_3, F.SUB_BORROW_3)


@dataclass(frozen=True, eq=False)
class Add(Expr):
    """a + b mod 2**32."""

    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) + ev.value(self.b)) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return _add_limbs(lo, lo.limbs(self.a), lo.limbs(self.b))


@dataclass(frozen=True, eq=False)
class Sub(Expr):
    """a - b mod 2**32."""

    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) - ev.value(self.b)) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return _sub_limbs(lo, lo.limbs(self.a), lo.limbs(self.b))


# --- bitwise ---------------------------------------------------------------------------

_BITWISE = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}


def _contiguous(mask: int) -> tuple[int, int] | None:
    """(lowest, highest) set bit of a limb mask whose set bits are contiguous."""
    if not 0 < mask < LIMB_MASK:
        return None
    low = (mask & -mask).bit_length() - 1
    high = mask.bit_length() - 1
    return (low, high) if mask == ((1 << (high + 1)) - 1) ^ ((1 << low) - 1) else None


def _and_mask(lo: Lowering, x: int, mask: int) -> int | None:
    """x & mask for a contiguous constant mask, with splits instead of the bitwise
    table: ((x >> low) mod 2**width) << low."""
    bits = _contiguous(mask)
    if bits is None:
        return None
    low, high = bits
    v = _split(lo, x, low)[0] if low else x
    if high < LIMB_BITS - 1:
        v = _split(lo, v, high - low + 1)[1]
    return _shl_add(lo, v, low, lo.const(0)) if low else v


def _bitwise_limb(lo: Lowering, kind: str, x: int, y: int) -> int:
    cx, cy = lo.known(x), lo.known(y)
    if cx is not None and cy is not None:
        return lo.const(_BITWISE[kind](cx, cy))
    if cx is not None:
        x, y, cx, cy = y, x, cy, cx
    if cy is not None:  # fold the identities of a constant operand
        if (kind, cy) in (("and", LIMB_MASK), ("or", 0), ("xor", 0)):
            return x
        if (kind, cy) in (("and", 0), ("or", LIMB_MASK)):
            return lo.const(cy)
        if (kind, cy) == ("xor", LIMB_MASK):
            return lo.program.apply1(F.NOT_LIMB, x)
        if (kind, cy) == ("xor", 8):
            return lo.program.apply1(F.FLIP_TOP, x)
        # a contiguous mask: x & c by splits; x | c = (x & ~c) + c; x ^ c = x + c - 2 (x & c)
        if kind == "and" and _contiguous(cy):
            return _and_mask(lo, x, cy)
        if kind == "or" and _contiguous(LIMB_MASK ^ cy):
            return lo.program.apply1(F.PLUS, _and_mask(lo, x, LIMB_MASK ^ cy), y)
        if kind == "xor" and _contiguous(cy):
            both = lo.program.apply1(F.shl(1), _and_mask(lo, x, cy))
            return lo.program.apply1(F.MINUS, lo.program.apply1(F.PLUS, x, y), both)
    if x == y:
        return lo.const(0) if kind == "xor" else x
    return lo.program.apply1(F.bitwise(kind), x, y)


def _bool(lo: Lowering, kind: str, x: int, y: int) -> int:
    """AND/OR/XOR of two bits, folding constants and repeated operands."""
    cx, cy = lo.known(x), lo.known(y)
    if cx is not None and cy is not None:
        return lo.const(_BITWISE[kind](cx, cy))
    if cx is not None:
        x, y, cx, cy = y, x, cy, cx
    if cy is not None:
        if (kind, cy) in (("and", 1), ("or", 0), ("xor", 0)):
            return x
        if (kind, cy) in (("and", 0), ("or", 1)):
            return lo.const(cy)
        return _bool_not(lo, x)  # xor with 1
    if x == y:
        return lo.const(0) if kind == "xor" else x
    fragment = {"and": F.BOOL_AND, "or": F.BOOL_OR, "xor": F.BOOL_XOR}[kind]
    return lo.program.apply1(fragment, x, y)


def _bool_not(lo: Lowering, x: int) -> int:
    c = lo.known(x)
    return lo.const(1 - c) if c is not None else lo.program.apply1(F.BOOL_NOT, x)


def _equal(lo: Lowering, x: int, y: int) -> int:
    cx, cy = lo.known(x), lo.known(y)
    if cx is not None and cy is not None:
        return lo.const(int(cx == cy))
    if x == y:
        return lo.const(1)
    return lo.program.apply1(F.EQUAL, x, y)


@dataclass(frozen=True, eq=False)
class _Bitwise(Expr):
    a: Expr
    b: Expr
    op: ClassVar[str] = ""
    bool_fragment: ClassVar[F.Fragment | None] = None

    def __post_init__(self) -> None:
        _need(self.a, WORD, BIT)
        if self.b.kind != self.a.kind:
            raise InputError(f"{type(self).__name__} of a {self.a.kind} and a {self.b.kind}")

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.a.kind

    def evaluate(self, ev: Evaluation) -> int:
        return _BITWISE[self.op](ev.value(self.a), ev.value(self.b))

    def lower(self, lo: Lowering) -> Limbs:
        a, b = lo.limbs(self.a), lo.limbs(self.b)
        if self.kind == BIT:
            return (_bool(lo, self.op, a[0], b[0]),)
        return tuple(_bitwise_limb(lo, self.op, x, y) for x, y in zip(a, b, strict=True))


@dataclass(frozen=True, eq=False)
class And(_Bitwise):
    """a & b (words), or a AND b (bits)."""

    op: ClassVar[str] = "and"
    bool_fragment: ClassVar[F.Fragment | None] = F.BOOL_AND


@dataclass(frozen=True, eq=False)
class Or(_Bitwise):
    """a | b (words), or a OR b (bits)."""

    op: ClassVar[str] = "or"
    bool_fragment: ClassVar[F.Fragment | None] = F.BOOL_OR


@dataclass(frozen=True, eq=False)
class Xor(_Bitwise):
    """a ^ b (words), or a != b (bits)."""

    op: ClassVar[str] = "xor"
    bool_fragment: ClassVar[F.Fragment | None] = F.BOOL_XOR


@dataclass(frozen=True, eq=False)
class Not(Expr):
    """~a (words), or NOT a (bits)."""

    a: Expr

    def __post_init__(self) -> None:
        _need(self.a, WORD, BIT)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.a.kind

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) ^ (WORD_MASK if self.kind == WORD else 1)

    def lower(self, lo: Lowering) -> Limbs:
        a = lo.limbs(self.a)
        if self.kind == BIT:
            return (_bool_not(lo, a[0]),)
        out = []
        for x in a:
            c = lo.known(x)
            out.append(lo.const(LIMB_MASK - c) if c is not None else lo.program.apply1(F.NOT_LIMB, x))
        return tuple(out)


# --- shifts and rotates by a constant ----------------------------------------------------


def _split(lo: Lowering, x: int, s: int) -> tuple[int, int]:
    """(x >> s, x & (2**s - 1)) for a limb, folding constants."""
    c = lo.known(x)
    if c is not None:
        return lo.const(c >> s), lo.const(c & ((1 << s) - 1))
    hi, low = lo.program.apply(F.split(s), x)
    return hi, low


def _shl_add(lo: Lowering, x: int, s: int, y: int) -> int:
    """x * 2**s + y where the two parts do not overlap, folding constants."""
    cx, cy = lo.known(x), lo.known(y)
    if cx is not None and cy is not None:
        return lo.const((cx << s) + cy)
    if cx == 0:
        return y
    if cy == 0:
        return lo.program.apply1(F.shl(s), x)
    return lo.program.apply1(F.shl_add(s), x, y)


def _shift_left(lo: Lowering, limbs: Limbs, k: int, fill: int, rotate: bool = False) -> Limbs:
    n = len(limbs)
    q, r = divmod(k, LIMB_BITS)

    def at(j: int) -> int:
        if rotate:
            return limbs[j % n]
        return limbs[j] if 0 <= j < n else fill

    if r == 0:
        return tuple(at(i - q) for i in range(n))
    out = []
    for i in range(n):
        _, low = _split(lo, at(i - q), LIMB_BITS - r)
        high, _ = _split(lo, at(i - q - 1), LIMB_BITS - r)
        out.append(_shl_add(lo, low, r, high))
    return tuple(out)


def _shift_right(lo: Lowering, limbs: Limbs, k: int, fill: int, rotate: bool = False) -> Limbs:
    n = len(limbs)
    q, r = divmod(k, LIMB_BITS)

    def at(j: int) -> int:
        if rotate:
            return limbs[j % n]
        return limbs[j] if 0 <= j < n else fill

    if r == 0:
        return tuple(at(i + q) for i in range(n))
    out = []
    for i in range(n):
        high, _ = _split(lo, at(i + q), r)
        _, low = _split(lo, at(i + q + 1), r)
        out.append(_shl_add(lo, low, LIMB_BITS - r, high))
    return tuple(out)


def _sign_fill(lo: Lowering, top: int) -> int:
    c = lo.known(top)
    if c is not None:
        return lo.const(LIMB_MASK if c >= 8 else 0)
    return lo.program.apply1(F.SIGN_FILL, top)


@dataclass(frozen=True, eq=False)
class _ConstShift(Expr):
    a: Expr
    k: int

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _shift_amount(self.k)


@dataclass(frozen=True, eq=False)
class Shl(_ConstShift):
    """a << k mod 2**32."""

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) << self.k) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return _shift_left(lo, lo.limbs(self.a), self.k, lo.const(0))


@dataclass(frozen=True, eq=False)
class Shr(_ConstShift):
    """a >> k (logical)."""

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) >> self.k

    def lower(self, lo: Lowering) -> Limbs:
        return _shift_right(lo, lo.limbs(self.a), self.k, lo.const(0))


@dataclass(frozen=True, eq=False)
class Sar(_ConstShift):
    """a >> k (arithmetic: the sign bit fills)."""

    def evaluate(self, ev: Evaluation) -> int:
        return (to_signed(ev.value(self.a)) >> self.k) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        a = lo.limbs(self.a)
        return _shift_right(lo, a, self.k, _sign_fill(lo, a[-1]))


@dataclass(frozen=True, eq=False)
class Rotl(_ConstShift):
    """a rotated left by k."""

    def evaluate(self, ev: Evaluation) -> int:
        x = ev.value(self.a)
        return ((x << self.k) | (x >> (WORD_BITS - self.k))) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return _shift_left(lo, lo.limbs(self.a), self.k, lo.const(0), rotate=True)


@dataclass(frozen=True, eq=False)
class Rotr(_ConstShift):
    """a rotated right by k."""

    def evaluate(self, ev: Evaluation) -> int:
        x = ev.value(self.a)
        return ((x >> self.k) | (x << (WORD_BITS - self.k))) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return _shift_right(lo, lo.limbs(self.a), self.k, lo.const(0), rotate=True)


# --- bits, comparisons, selection ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BitOf(Expr):
    """Bit k of a word, as a bit."""

    a: Expr
    k: int
    kind: ClassVar[str] = BIT

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _shift_amount(self.k)

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) >> self.k) & 1

    def lower(self, lo: Lowering) -> Limbs:
        limb = lo.limbs(self.a)[self.k // LIMB_BITS]
        c = lo.known(limb)
        if c is not None:
            return (lo.const((c >> (self.k % LIMB_BITS)) & 1),)
        return (lo.program.apply(F.BITS, limb)[self.k % LIMB_BITS],)


@dataclass(frozen=True, eq=False)
class FromBit(Expr):
    """A bit as the word 0 or 1 (MIPS slt/sltu write this)."""

    c: Expr

    def __post_init__(self) -> None:
        _need(self.c, BIT)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.c)

    def lower(self, lo: Lowering) -> Limbs:
        return (lo.limbs(self.c)[0],) + (lo.const(0),) * (WORD_LIMBS - 1)


@dataclass(frozen=True, eq=False)
class Eq(Expr):
    """a == b, as a bit."""

    a: Expr
    b: Expr
    kind: ClassVar[str] = BIT

    def __post_init__(self) -> None:
        _need(self.a, WORD, DWORD, BIT, NUM)
        if self.b.kind != self.a.kind:
            raise InputError(f"Eq of a {self.a.kind} and a {self.b.kind}")

    def evaluate(self, ev: Evaluation) -> int:
        return int(ev.value(self.a) == ev.value(self.b))

    def lower(self, lo: Lowering) -> Limbs:
        acc = lo.const(1)
        for x, y in zip(lo.limbs(self.a), lo.limbs(self.b), strict=True):
            acc = _bool(lo, "and", acc, _equal(lo, x, y))
        return (acc,)


def _less(lo: Lowering, a: Limbs, b: Limbs) -> int:
    borrow = None
    for x, y in zip(a, b, strict=True):
        if borrow is None:
            borrow = lo.program.apply1(F.LESS_2, x, y)
        else:
            borrow = lo.program.apply1(F.LESS_3, x, y, borrow)
    return borrow


@dataclass(frozen=True, eq=False)
class Ltu(Expr):
    """a < b as unsigned words, as a bit."""

    a: Expr
    b: Expr
    kind: ClassVar[str] = BIT

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return int(ev.value(self.a) < ev.value(self.b))

    def lower(self, lo: Lowering) -> Limbs:
        return (_less(lo, lo.limbs(self.a), lo.limbs(self.b)),)


def _flip_top(lo: Lowering, x: int) -> int:
    c = lo.known(x)
    return lo.const(c ^ 8) if c is not None else lo.program.apply1(F.FLIP_TOP, x)


@dataclass(frozen=True, eq=False)
class Lts(Expr):
    """a < b as two's complement words, as a bit."""

    a: Expr
    b: Expr
    kind: ClassVar[str] = BIT

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return int(to_signed(ev.value(self.a)) < to_signed(ev.value(self.b)))

    def lower(self, lo: Lowering) -> Limbs:
        a, b = lo.limbs(self.a), lo.limbs(self.b)
        a = a[:-1] + (_flip_top(lo, a[-1]),)
        b = b[:-1] + (_flip_top(lo, b[-1]),)
        return (_less(lo, a, b),)


@dataclass(frozen=True, eq=False)
class Select(Expr):
    """a if c else b (c a bit; a, b words or bits)."""

    c: Expr
    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        _need(self.c, BIT)
        _need(self.a, WORD, BIT, DWORD, NUM)
        if self.b.kind != self.a.kind:
            raise InputError(f"Select between a {self.a.kind} and a {self.b.kind}")

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.a.kind

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) if ev.value(self.c) else ev.value(self.b)

    def lower(self, lo: Lowering) -> Limbs:
        (c,) = lo.limbs(self.c)
        known = lo.known(c)
        if known is not None:
            return lo.limbs(self.a if known else self.b)
        out = []
        for x, y in zip(lo.limbs(self.a), lo.limbs(self.b), strict=True):
            cx, cy = lo.known(x), lo.known(y)
            if x == y or (cx is not None and cx == cy):
                out.append(x)
            elif (cx, cy) == (1, 0):
                out.append(c)  # the bit itself
            elif (cx, cy) == (0, 1):
                out.append(_bool_not(lo, c))
            else:
                out.append(lo.program.apply1(F.SELECT, x, y, c))
        return tuple(out)


# --- extension --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Extend(Expr):
    a: Expr
    bits: int

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        if self.bits not in (8, 16):
            raise InputError(f"extension from {self.bits} bits: only 8 and 16 are supported")


@dataclass(frozen=True, eq=False)
class ZeroExt(_Extend):
    """The low ``bits`` bits of a, zero-extended (MIPS lbu/lhu, andi-style masks)."""

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) & ((1 << self.bits) - 1)

    def lower(self, lo: Lowering) -> Limbs:
        keep = self.bits // LIMB_BITS
        return lo.limbs(self.a)[:keep] + (lo.const(0),) * (WORD_LIMBS - keep)


@dataclass(frozen=True, eq=False)
class SignExt(_Extend):
    """The low ``bits`` bits of a, sign-extended (MIPS lb/lh, seb/seh)."""

    def evaluate(self, ev: Evaluation) -> int:
        return to_signed(ev.value(self.a) & ((1 << self.bits) - 1), self.bits) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        keep = self.bits // LIMB_BITS
        a = lo.limbs(self.a)
        return a[:keep] + (_sign_fill(lo, a[keep - 1]),) * (WORD_LIMBS - keep)


# --- shifts by a committed amount -----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _VarShift(Expr):
    a: Expr
    s: Expr

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.s, WORD)

    def stage(self, x: Expr, k: int) -> Expr:
        raise NotImplementedError

    def lower(self, lo: Lowering) -> Limbs:
        """A barrel shifter: for each bit k of s (k < 5), select x shifted by 2**k."""
        x: Expr = self.a
        for k in range(5):
            x = Select(BitOf(self.s, k), self.stage(x, 1 << k), x)
        return lo.limbs(x)


@dataclass(frozen=True, eq=False)
class ShlVar(_VarShift):
    """a << (s mod 32) (MIPS sllv)."""

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) << (ev.value(self.s) & 31)) & WORD_MASK

    def stage(self, x: Expr, k: int) -> Expr:
        return Shl(x, k)


@dataclass(frozen=True, eq=False)
class ShrVar(_VarShift):
    """a >> (s mod 32), logical (MIPS srlv)."""

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) >> (ev.value(self.s) & 31)

    def stage(self, x: Expr, k: int) -> Expr:
        return Shr(x, k)


@dataclass(frozen=True, eq=False)
class SarVar(_VarShift):
    """a >> (s mod 32), arithmetic (MIPS srav)."""

    def evaluate(self, ev: Evaluation) -> int:
        return (to_signed(ev.value(self.a)) >> (ev.value(self.s) & 31)) & WORD_MASK

    def stage(self, x: Expr, k: int) -> Expr:
        return Sar(x, k)


# --- multiplication --------------------------------------------------------------------------


def _multiply(lo: Lowering, a: Limbs, b: Limbs) -> Limbs:
    """Schoolbook product on limbs: column sums of limb products, then carries."""
    n = len(a)
    out, carry, carry_max = [], None, 0
    for col in range(2 * n - 1):
        terms, bound = [], carry_max
        for i in range(max(0, col - n + 1), min(col, n - 1) + 1):
            x, y = a[i], b[col - i]
            cx, cy = lo.known(x), lo.known(y)
            if cx == 0 or cy == 0:
                continue
            if cx is not None and cy is not None:
                terms.append(lo.const(cx * cy))
            else:
                terms.append(lo.program.apply1(F.limb_product(), x, y))
            bound += LIMB_MASK * LIMB_MASK
        if carry is not None:
            terms.append(carry)
        if not terms:
            out.append(lo.const(0))
            carry, carry_max = None, 0
            continue
        total = terms[0]
        for t in terms[1:]:
            total = lo.program.apply1(F.PLUS, total, t)
        carry_max = bound >> LIMB_BITS
        q, r = lo.program.apply(F.divmod_limb(max(1, carry_max.bit_length())), total)
        out.append(r)
        carry = q
    out.append(carry if carry is not None else lo.const(0))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class MulU(Expr):
    """a * b as unsigned words: the full 64-bit product (MIPS multu)."""

    a: Expr
    b: Expr
    kind: ClassVar[str] = DWORD

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) * ev.value(self.b)

    def lower(self, lo: Lowering) -> Limbs:
        return _multiply(lo, lo.limbs(self.a), lo.limbs(self.b))


@dataclass(frozen=True, eq=False)
class MulS(Expr):
    """a * b as two's complement words: the 64-bit product, unsigned encoding (MIPS mult).

    hi(signed) = hi(unsigned) - (a < 0 ? b : 0) - (b < 0 ? a : 0)  (mod 2**32).
    """

    a: Expr
    b: Expr
    kind: ClassVar[str] = DWORD

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        product = to_signed(ev.value(self.a)) * to_signed(ev.value(self.b))
        return product & ((1 << 64) - 1)

    def lower(self, lo: Lowering) -> Limbs:
        u = MulU(self.a, self.b)
        zero = Const(0)
        hi = Sub(
            Sub(Hi(u), Select(BitOf(self.a, 31), self.b, zero)),
            Select(BitOf(self.b, 31), self.a, zero),
        )
        return lo.limbs(Lo(u)) + lo.limbs(hi)


@dataclass(frozen=True, eq=False)
class Hi(Expr):
    """The high word of a dword."""

    d: Expr

    def __post_init__(self) -> None:
        _need(self.d, DWORD)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.d) >> WORD_BITS

    def lower(self, lo: Lowering) -> Limbs:
        return lo.limbs(self.d)[WORD_LIMBS:]


@dataclass(frozen=True, eq=False)
class Lo(Expr):
    """The low word of a dword."""

    d: Expr

    def __post_init__(self) -> None:
        _need(self.d, DWORD)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.d) & WORD_MASK

    def lower(self, lo: Lowering) -> Limbs:
        return lo.limbs(self.d)[:WORD_LIMBS]


# --- script numbers for small values ------------------------------------------------------------

MAX_NUM_LIMBS = 7  # 28 bits: always a positive 4-byte script number


def _num_limbs(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_NUM_LIMBS:
        raise InputError(f"limb count for a script number must be 1..{MAX_NUM_LIMBS}, got {count!r}")
    return count


@dataclass(frozen=True, eq=False)
class ToNum(Expr):
    """The low ``limbs`` limbs of a word as one script number (low 4*limbs bits)."""

    a: Expr
    limbs_used: int = MAX_NUM_LIMBS
    kind: ClassVar[str] = NUM

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _num_limbs(self.limbs_used)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.a) & ((1 << (LIMB_BITS * self.limbs_used)) - 1)

    def lower(self, lo: Lowering) -> Limbs:
        a = lo.limbs(self.a)[: self.limbs_used]
        acc = a[-1]
        for limb in reversed(a[:-1]):
            acc = _shl_add(lo, acc, LIMB_BITS, limb)
        return (acc,)


@dataclass(frozen=True, eq=False)
class FromNum(Expr):
    """A script number 0 <= n < 16**limbs as a word; the script fails otherwise."""

    n: Expr
    limbs_used: int = MAX_NUM_LIMBS

    def __post_init__(self) -> None:
        _need(self.n, NUM)
        _num_limbs(self.limbs_used)

    def evaluate(self, ev: Evaluation) -> int:
        n = ev.value(self.n)
        if not 0 <= n < 1 << (LIMB_BITS * self.limbs_used):
            raise InputError(f"{n} does not fit in {self.limbs_used} limbs")
        return n

    def lower(self, lo: Lowering) -> Limbs:
        (n,) = lo.limbs(self.n)
        stack_order = lo.program.apply(F.num_to_limbs(self.limbs_used), n)
        zeros = (lo.const(0),) * (WORD_LIMBS - self.limbs_used)
        return tuple(reversed(stack_order)) + zeros


@dataclass(frozen=True, eq=False)
class NumConst(Expr):
    """A small constant as a script number."""

    number: int
    kind: ClassVar[str] = NUM

    def evaluate(self, ev: Evaluation) -> int:
        return self.number

    def lower(self, lo: Lowering) -> Limbs:
        return (lo.const(self.number),)


@dataclass(frozen=True, eq=False)
class Bits(Expr):
    """Bits ``lo .. lo + width - 1`` of a word as one script number (an instruction
    field, an address's lane): each limb's part is cut out with the split tables and
    the parts are joined, so a field costs a few bytes and no bitwise table."""

    a: Expr
    lo: int
    width: int
    kind: ClassVar[str] = NUM

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        if not (0 <= self.lo and 1 <= self.width <= 28 and self.lo + self.width <= WORD_BITS):
            raise InputError(f"bit field {self.lo}+{self.width} is not inside a word (at most 28 bits)")

    def evaluate(self, ev: Evaluation) -> int:
        return (ev.value(self.a) >> self.lo) & ((1 << self.width) - 1)

    def lower(self, lo: Lowering) -> Limbs:
        limbs = lo.limbs(self.a)
        acc: int | None = None
        at = 0  # bits of the field gathered so far
        end = self.lo + self.width
        for i in range(self.lo // LIMB_BITS, (end - 1) // LIMB_BITS + 1):
            first, last = max(self.lo, LIMB_BITS * i), min(end, LIMB_BITS * (i + 1))
            part = limbs[i]
            if first > LIMB_BITS * i:
                part = _split(lo, part, first - LIMB_BITS * i)[0]
            if last < LIMB_BITS * (i + 1):
                part = _split(lo, part, last - first)[1]
            acc = part if acc is None else _shl_add(lo, part, at, acc)
            at += last - first
        return (acc,)


@dataclass(frozen=True, eq=False)
class ShlNum(Expr):
    """n * 2**k for a script number (no overflow check: the caller keeps it below 2**31)."""

    n: Expr
    k: int
    kind: ClassVar[str] = NUM

    def __post_init__(self) -> None:
        _need(self.n, NUM)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.n) << self.k

    def lower(self, lo: Lowering) -> Limbs:
        (n,) = lo.limbs(self.n)
        return (_shl_add(lo, n, self.k, lo.const(0)),)


def _lookup_fragment(pairs: tuple[tuple[int, int], ...], default: int) -> F.Fragment:
    """n -> value of n in ``pairs`` (default otherwise): ``default`` plus, for the key n
    equals, that key's value minus the default (keys distinct; zero deltas skipped)."""
    from taptrees.opcodes import OP_ADD, OP_ENDIF, OP_IF, OP_NIP, OP_NUMEQUAL, OP_OVER

    items: list = [default]
    for key, value in pairs:
        if value != default:
            items += [OP_OVER, key, OP_NUMEQUAL, OP_IF, value - default, OP_ADD, OP_ENDIF]
    items.append(OP_NIP)
    name = "lookup_" + "_".join(f"{k}:{v}" for k, v in pairs) + f"_{default}"
    return F.Fragment(name, 1, 1, lambda _depths: list(items))


@dataclass(frozen=True, eq=False)
class NumLookup(Expr):
    """A script number's image under a build-time table: ``dict(pairs).get(n, default)``
    (a syscall number's entry micro-step, say): one comparison per key whose value
    is not the default."""

    n: Expr
    pairs: tuple[tuple[int, int], ...]
    default: int = 0
    kind: ClassVar[str] = NUM

    def __post_init__(self) -> None:
        _need(self.n, NUM)
        keys = [k for k, _v in self.pairs]
        if len(set(keys)) != len(keys):
            raise InputError("lookup keys must be distinct")

    def evaluate(self, ev: Evaluation) -> int:
        return dict(self.pairs).get(ev.value(self.n), self.default)

    def lower(self, lo: Lowering) -> Limbs:
        (n,) = lo.limbs(self.n)
        c = lo.known(n)
        if c is not None:
            return (lo.const(dict(self.pairs).get(c, self.default)),)
        return (lo.program.apply1(_lookup_fragment(self.pairs, self.default), n),)


def _low_mask_fragment(i: int, offset: int) -> F.Fragment:
    """n -> limb i of the mask of the low ``n + offset`` bits: ``2**t - 1`` with
    ``t = n + offset - 4 i`` clamped to 0..4 (a five-entry table picked by t)."""
    from taptrees.opcodes import OP_0, OP_ADD, OP_MAX, OP_MIN, OP_NIP, OP_PICK, OP_SUB

    shift = 4 * i - offset
    items: list = [shift, OP_SUB] if shift > 0 else ([-shift, OP_ADD] if shift < 0 else [])
    items += [OP_0, OP_MAX, 4, OP_MIN, 15, 7, 3, 1, OP_0, 5, OP_PICK, OP_PICK, OP_NIP]
    items += [OP_NIP] * 5  # the table and t
    return F.Fragment(f"low_mask_{i}_{offset}", 1, 1, lambda _depths: list(items))


@dataclass(frozen=True, eq=False)
class LowMask(Expr):
    """The word whose low ``n + offset`` bits are set (n a script number; all 32 from
    32 up, none at 0 or below): each limb from the number alone, no shifting."""

    n: Expr
    offset: int = 0

    def __post_init__(self) -> None:
        _need(self.n, NUM)

    def evaluate(self, ev: Evaluation) -> int:
        k = max(0, min(WORD_BITS, ev.value(self.n) + self.offset))
        return (1 << k) - 1

    def lower(self, lo: Lowering) -> Limbs:
        (n,) = lo.limbs(self.n)
        c = lo.known(n)
        if c is not None:
            return lo.limbs(Const((1 << max(0, min(WORD_BITS, c + self.offset))) - 1))
        return tuple(lo.program.apply1(_low_mask_fragment(i, self.offset), n) for i in range(WORD_LIMBS))


@dataclass(frozen=True, eq=False)
class Join(Expr):
    """The dword ``hi * 2**32 + lo``."""

    lo: Expr
    hi: Expr
    kind: ClassVar[str] = DWORD

    def __post_init__(self) -> None:
        _need(self.lo, WORD)
        _need(self.hi, WORD)

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.lo) | ev.value(self.hi) << WORD_BITS

    def lower(self, lo: Lowering) -> Limbs:
        return lo.limbs(self.lo) + lo.limbs(self.hi)


def _columns(a: int, b: int) -> list[int]:
    """Column sums of the schoolbook product of two words' limbs (15 columns)."""
    x = [(a >> (4 * i)) & LIMB_MASK for i in range(WORD_LIMBS)]
    y = [(b >> (4 * i)) & LIMB_MASK for i in range(WORD_LIMBS)]
    return [sum(x[i] * y[k - i] for i in range(max(0, k - 7), min(k, 7) + 1)) for k in range(15)]


def product_carries(a: int, b: int, product: int, full: bool, addend: int = 0) -> list[int]:
    """The carries that make :class:`MulEq`'s column equations hold when ``product``
    is ``a * b + addend`` (``full``) or its low word:
    ``carry_k = (c_k + addend_k + carry_{k-1} - r_k) // 16``."""
    cols = [c + ((addend >> (4 * k)) & LIMB_MASK if k < WORD_LIMBS else 0) for k, c in enumerate(_columns(a, b))][
        : 14 if full else 8
    ]
    out, carry = [], 0
    for k, c in enumerate(cols):
        carry = (c + carry - ((product >> (4 * k)) & LIMB_MASK)) // LIMB_BASE
        out.append(carry)
    return out


@dataclass(frozen=True, eq=False)
class MulEq(Expr):
    """``a * b == product`` (a dword: the whole product; a word: its low 32 bits), as
    a bit, checked against operator-supplied carries instead of computing digits:
    with the product's limbs r_k and the columns' sums c_k of limb products,
    ``c_k + carry_{k-1} == r_k + 16 carry_k`` for every column (the full product's
    last carry is its top limb).  With ``addend`` (a word), the check is
    ``a * b + addend == product``: the addend's limbs join the low columns.  Summed with weights 16**k the carries cancel, so
    the equations hold for some integers exactly when the product is right (low
    word: when it is right modulo 2**32, the last carry free): no division by 16 in
    Script, the step that dominates computing a product.  ``carries``: script
    numbers, 14 for a whole product, 8 for a low word (:func:`product_carries`)."""

    a: Expr
    b: Expr
    product: Expr
    carries: tuple[Expr, ...]
    addend: Expr | None = None
    kind: ClassVar[str] = BIT

    def __post_init__(self) -> None:
        _need(self.a, WORD)
        _need(self.b, WORD)
        _need(self.product, WORD, DWORD)
        if self.addend is not None:
            _need(self.addend, WORD)
        want = 14 if self.product.kind == DWORD else 8
        if len(self.carries) != want:
            raise InputError(f"MulEq of a {self.product.kind} takes {want} carries, got {len(self.carries)}")
        for c in self.carries:
            _need(c, NUM)

    def evaluate(self, ev: Evaluation) -> int:
        add = ev.value(self.addend) if self.addend is not None else 0
        cols = [
            c + ((add >> (4 * k)) & LIMB_MASK if k < WORD_LIMBS else 0)
            for k, c in enumerate(_columns(ev.value(self.a), ev.value(self.b)))
        ]
        product = ev.value(self.product)
        carries = [ev.value(c) for c in self.carries]
        full = self.product.kind == DWORD
        if full:
            carries.append(product >> 60)
        prev = 0
        for k, c in enumerate(cols[: 15 if full else 8]):
            if c + prev != ((product >> (4 * k)) & LIMB_MASK) + LIMB_BASE * carries[k]:
                return 0
            prev = carries[k]
        return 1

    def lower(self, lo: Lowering) -> Limbs:
        x, y, r = lo.limbs(self.a), lo.limbs(self.b), lo.limbs(self.product)
        addend = lo.limbs(self.addend) if self.addend is not None else ()
        full = self.product.kind == DWORD
        carries = [lo.limbs(c)[0] for c in self.carries] + ([r[15]] if full else [])
        ok = lo.const(1)
        prev = None
        for k in range(15 if full else 8):
            total = prev
            for i in range(max(0, k - 7), min(k, 7) + 1):
                cx, cy = lo.known(x[i]), lo.known(y[k - i])
                if cx == 0 or cy == 0:
                    continue
                if cx is not None and cy is not None:
                    term = lo.const(cx * cy)
                else:
                    term = lo.program.apply1(F.limb_product(), x[i], y[k - i])
                total = term if total is None else lo.program.apply1(F.PLUS, total, term)
            if k < len(addend) and lo.known(addend[k]) != 0:
                total = addend[k] if total is None else lo.program.apply1(F.PLUS, total, addend[k])
            if total is None:
                total = lo.const(0)
            rhs = _shl_add(lo, carries[k], LIMB_BITS, r[k])
            ok = _bool(lo, "and", ok, _equal(lo, total, rhs))
            prev = carries[k]
        return (ok,)

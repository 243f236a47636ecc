"""Script semantics of every micro-step kind of the dispute machine.

:data:`SEMANTICS` maps each kind ``(mnemonic, micro)`` of
:data:`ocp.zkvm.micro.MICRO_OPS` to a function from the step's inputs (as
:mod:`taptrees.arith` expressions: the word, pc, npc, the two read values, the
witness) to an :class:`Out`: the read addresses, the write, the next pc triple and
the witness the micro-step computes.  It is the table's semantics a second time,
in the only form Script can run; the execute leaves' Python twin is the table
itself and the differential tests hold the two together through Bitcoin Core's
interpreter.  Build-time facts (byte order, read-only and code ranges) are
constants of the leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ocp.zkvm import micro as mi
from ocp.zkvm.record import (
    FAULT_MICRO,
    HALT_PC,
    HI,
    INPUT_BASE,
    K_ALT_SIZE,
    K_ALT_SP,
    K_BRK,
    K_EXIT,
    K_HEAP,
    K_INPUT_LEN,
    K_INPUT_OFF,
    K_SEGV_FLAGS,
    K_SEGV_HANDLER,
    LO,
    NO_READ,
    NO_WRITE_ADDRESS,
    NULL_GUARD_END,
    REG_BASE,
    RESERVED_BASE,
    SIGRETURN_PC,
)
from taptrees.arith import (
    Add,
    And,
    BitOf,
    Bits,
    Const,
    Eq,
    Expr,
    FromBit,
    FromNum,
    Join,
    LowMask,
    Lts,
    Ltu,
    MulEq,
    Not,
    NumConst,
    NumLookup,
    Or,
    Rotl,
    Rotr,
    Sar,
    Select,
    Shl,
    ShlNum,
    Shr,
    SignExt,
    Sub,
    ToNum,
    Var,
    Xor,
    ZeroExt,
)
from taptrees.arith.expr import NUM, Evaluation, Lowering, product_carries
from taptrees.arith.fragments import Fragment
from taptrees.opcodes import OP_0, OP_MAX, OP_SUB

M32 = 0xFFFFFFFF


def C(x: int) -> Expr:  # noqa: N802 - a constant word
    return Const(x & M32)


# --- the word's fields ------------------------------------------------------------


def field_zero(w: Expr, lo: int) -> Expr:
    """The 5-bit register field at bit ``lo`` is 0."""
    return Eq(Bits(w, lo, 5), NumConst(0))


@dataclass(frozen=True, eq=False)
class RegAddr(Expr):
    """Address of the register named by the 5-bit field of ``w`` at bit ``lo``:
    ``REG_BASE + 4 * field``.  A leaf compares it with a committed address by
    :func:`equals` (the field as a number against the address's low byte, the
    other limbs against REG_BASE's), not limb by limb."""

    w: Expr
    lo: int

    def evaluate(self, ev: Evaluation) -> int:
        return REG_BASE + 4 * ((ev.value(self.w) >> self.lo) & 31)

    def lower(self, lo: Lowering) -> tuple[int, ...]:
        return lo.limbs(Or(C(REG_BASE), Shl(And(Shr(self.w, self.lo), C(31)), 2)))


def reg_of(w: Expr, lo: int) -> Expr:
    """Address of the register named by the 5-bit field at bit ``lo``."""
    return RegAddr(w, lo)


def equals(x: Expr, e: Expr) -> Expr:
    """``x == e`` for a committed word x, in the cheapest form: a Select is compared
    branch by branch (``c and x == a or not c and x == b``: no per-limb selection,
    and a constant branch is a comparison with constants), a register address by
    its field."""
    if isinstance(e, Select) and e.kind == "word":
        return Or(And(e.c, equals(x, e.a)), And(Not(e.c), equals(x, e.b)))
    if isinstance(e, RegAddr):
        low = Eq(ToNum(x, 2), ShlNum(Bits(e.w, e.lo, 5), 2))
        return And(low, Eq(And(x, C(0xFFFFFF00)), C(REG_BASE)))
    if isinstance(e, FromNum):  # the number against x's low limbs, the rest zero
        k = e.limbs_used
        return And(Eq(ToNum(x, k), e.n), Eq(And(x, C((M32 << (4 * k)) & M32)), C(0)))
    return Eq(x, e)


def dest(w: Expr, lo: int) -> Expr:
    return Select(field_zero(w, lo), C(NO_WRITE_ADDRESS), reg_of(w, lo))


def dval(w: Expr, lo: int, v: Expr) -> Expr:
    return Select(field_zero(w, lo), C(0), v)


def simm(w: Expr) -> Expr:
    return SignExt(w, 16)


@dataclass(frozen=True)
class Lanes:
    """A shift by a whole number of bytes, ``8 b0 + 16 b1`` bits (b0, b1 bits; None
    for 0): two selections between limb moves instead of a barrel shifter."""

    b0: Expr | None
    b1: Expr | None

    @classmethod
    def of(cls, a: Expr, flip: bool) -> Lanes:
        """``8 (a & 3)`` bits, or ``24 - 8 (a & 3)`` with ``flip`` (3 - x is x ^ 3)."""
        b0, b1 = BitOf(a, 0), BitOf(a, 1)
        return cls(Not(b0), Not(b1)) if flip else cls(b0, b1)

    def apply(self, x: Expr, move: Callable[[Expr, int], Expr]) -> Expr:
        for bit, k in ((self.b0, 8), (self.b1, 16)):
            if bit is not None:
                x = Select(bit, move(x, k), x)
        return x

    def shr(self, x: Expr) -> Expr:
        return self.apply(x, Shr)

    def shl(self, x: Expr) -> Expr:
        return self.apply(x, Shl)

    def rotr(self, x: Expr) -> Expr:
        return self.apply(x, Rotr)

    def rotl(self, x: Expr) -> Expr:
        return self.apply(x, Rotl)

    def mask_low(self) -> Expr:
        """(1 << k) - 1 for the shift k."""
        return Not(self.shl(C(M32)))

    def mask_high(self) -> Expr:
        """M32 ^ (M32 >> k) for the shift k."""
        return Not(self.shr(C(M32)))


def barrel(x: Expr, amount: Expr, lo: int, stage: Callable[[Expr, int], Expr]) -> Expr:
    """x shifted (``stage``: Shl, Shr, Sar or Rotr) by bits ``lo .. lo + 4`` of
    ``amount`` (a shift field of the word, or a register's low five bits): five
    selections, each bit read straight from ``amount``'s limbs."""
    for k in range(5):
        x = Select(BitOf(amount, lo + k), stage(x, 1 << k), x)
    return x


def readable(a: Expr) -> Expr:
    return And(Not(Ltu(a, C(NULL_GUARD_END))), Ltu(a, C(RESERVED_BASE)))


# --- outcomes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """What a micro-step computes: read addresses, write, next triple, witness."""

    read1: Expr
    read2: Expr
    waddr: Expr
    wval: Expr
    pc2: Expr
    npc2: Expr
    micro2: Expr
    witness: Expr
    extra: Expr | None = None  #: a further condition (division: the witness check)


def choose(c: Expr, a: Out, b: Out) -> Out:
    """Field by field ``a if c else b`` (identical fields stay as they are)."""

    def sel(x: Expr, y: Expr) -> Expr:
        if x is y or (isinstance(x, Const) and isinstance(y, Const) and x.number == y.number):
            return x
        return Select(c, x, y)

    fields = [f for f in Out.__dataclass_fields__ if f != "extra"]
    if a.extra is not None or b.extra is not None:  # pragma: no cover - not combined today
        raise ValueError("choose() of outcomes with extra conditions")
    return Out(*(sel(getattr(a, f), getattr(b, f)) for f in fields))


#: carries of a product check fit in 12 bits (a column is at most 8 * 225 plus a carry)
CARRY_BITS = 12


@dataclass(frozen=True)
class Hint:
    """A bare witness value of an execute leaf: name, width, one number or limbs, and
    how the operator computes it from the record (``env``: field -> value)."""

    name: str
    bits: int
    number: bool
    compute: Callable[[dict[str, int]], int]


@dataclass(frozen=True)
class Ctx:
    """The step's inputs as expressions."""

    w: Expr
    pc: Expr
    npc: Expr
    v1: Expr
    v2: Expr
    witness: Expr
    big_endian: bool
    ro: tuple[tuple[int, int], ...]
    code: tuple[tuple[int, int], ...] = ()
    wval: Expr | None = None  #: the committed write value (division checks it)
    hints: list[Hint] = field(default_factory=list)  #: operator-supplied values the body checks
    checks: list[Expr] = field(default_factory=list)  #: conditions the hints must meet

    def hint(self, name: str, bits: int, number: bool, compute: Callable[[dict[str, int]], int]) -> Expr:
        """A value the operator supplies bare in the witness (computed by ``compute``
        from the record and the hints before it); the leaf's checks decide whether
        it is right, so it needs no signature."""
        self.hints.append(Hint(name, bits, number, compute))
        return Var(name, NUM if number else "word")

    def _carries(self, a: Expr, b: Expr, product: Expr, full: bool, addend: Expr | None = None) -> tuple[Expr, ...]:
        def carry(k: int) -> Callable[[dict[str, int]], int]:
            def compute(env: dict[str, int]) -> int:
                # the honest carries when the product is right (always in range); else
                # anything in range (no carries can make a wrong product pass)
                ev = Evaluation(env)
                add = ev.value(addend) if addend is not None else 0
                c = product_carries(ev.value(a), ev.value(b), ev.value(product), full, add)[k]
                return c if 0 <= c < 1 << CARRY_BITS else 0

            return compute

        return tuple(self.hint(f"carry{k}", CARRY_BITS, True, carry(k)) for k in range(14 if full else 8))

    def product_low(self, a: Expr, b: Expr) -> Expr:
        """``a * b mod 2**32``: a hint word, checked by :class:`MulEq` with carries."""
        low = self.hint("product_lo", 32, False, lambda env: Evaluation(env).value(a) * Evaluation(env).value(b) & M32)
        self.checks.append(MulEq(a, b, low, self._carries(a, b, low, False)))
        return low

    def product_is(self, a: Expr, b: Expr, product: Expr, addend: Expr | None = None) -> Expr:
        """``a * b (+ addend) == product`` (a dword, or a word for the low half) as a
        bit, checked with hinted carries."""
        full = product.kind == "dword"
        return MulEq(a, b, product, self._carries(a, b, product, full, addend), addend)

    def product_high_is(self, a: Expr, b: Expr, high: Expr) -> Expr:
        """``a * b >> 32 == high`` as a bit: the low word hinted, the whole product checked."""
        low = self.hint("product_lo", 32, False, lambda env: Evaluation(env).value(a) * Evaluation(env).value(b) & M32)
        return self.product_is(a, b, Join(low, high))

    @property
    def nxt(self) -> Expr:
        return Add(self.npc, C(4))

    def step(self, read1: Expr, read2: Expr, waddr: Expr, wval: Expr) -> Out:
        """An ordinary last micro-step: next triple (npc, npc + 4, 0), no witness."""
        return Out(read1, read2, waddr, wval, self.npc, self.nxt, C(0), C(0))

    def stay(self, read1: Expr, read2: Expr, waddr: Expr, wval: Expr, micro2: int, witness: Expr | None = None) -> Out:
        """A micro-step that is not the instruction's last: (pc, npc, micro2)."""
        return Out(read1, read2, waddr, wval, self.pc, self.npc, C(micro2), witness or C(0))

    def halt(self, read1: Expr, read2: Expr, status: int, code: Expr) -> Out:
        """The halting step (``micro.halt``): write K_EXIT, go to HALT_PC."""
        return Out(read1, read2, C(K_EXIT), Or(C(status << 8), And(code, C(0xFF))), C(HALT_PC), C(HALT_PC), C(0), code)

    def fault(self, read1: Expr, read2: Expr, a: Expr, micro2: Expr) -> Out:
        return Out(read1, read2, C(mi.T_FADDR), a, self.pc, self.npc, micro2, C(0))

    def ea(self) -> Expr:
        return Add(self.v1, simm(self.w))

    def in_ro(self, a: Expr) -> Expr:
        return self.in_ranges(a, self.ro)

    def in_ranges(self, a: Expr, ranges: tuple[tuple[int, int], ...]) -> Expr:
        hit: Expr | None = None
        for lo, hi in ranges:
            inside = And(Not(Ltu(a, C(lo))), Ltu(a, C(hi))) if hi <= M32 else Not(Ltu(a, C(lo)))
            hit = inside if hit is None else Or(hit, inside)
        return hit if hit is not None else Eq(C(0), C(1))

    def byte_shift(self, a: Expr) -> Lanes:
        """``micro.bshift``: bit position of the byte at ``a`` in its word
        (``8 lane``, big-endian ``24 - 8 lane``)."""
        return Lanes.of(a, flip=self.big_endian)

    def half_shift(self, a: Expr) -> Lanes:
        """``micro.hshift``: ``8 (a & 2)``, big-endian ``16 - 8 (a & 2)``."""
        return Lanes(None, Lanes.of(a, flip=self.big_endian).b1)

    def lr_shift(self, a: Expr, left: bool) -> Lanes:
        """``micro.lr_shift``: the byte lanes an lwl/lwr/swl/swr moves, times 8."""
        return Lanes.of(a, flip=self.big_endian != left)

    def writable(self, a: Expr) -> Expr:
        return And(readable(a), Not(self.in_ro(a)))

    def access_fault(self, r1: Expr, r2: Expr, a: Expr) -> Out:
        """``micro.fault`` of a store: SEGV_MAPERR (128) unless readable, then ACCERR (129)."""
        return self.fault(r1, r2, a, Select(readable(a), C(FAULT_MICRO + 1), C(FAULT_MICRO)))


RS, RT, RD = 21, 16, 11
Semantics = Callable[[Ctx], Out]


def _rd_rs_rt(f: Callable[[Ctx], Expr]) -> Semantics:
    return lambda c: c.step(reg_of(c.w, RS), reg_of(c.w, RT), dest(c.w, RD), dval(c.w, RD, f(c)))


def _rd_rt(f: Callable[[Ctx], Expr]) -> Semantics:
    return lambda c: c.step(reg_of(c.w, RT), C(NO_READ), dest(c.w, RD), dval(c.w, RD, f(c)))


def _rt_rs(f: Callable[[Ctx], Expr]) -> Semantics:
    return lambda c: c.step(reg_of(c.w, RS), C(NO_READ), dest(c.w, RT), dval(c.w, RT, f(c)))


def _overflow_add(c: Ctx, b: Expr, sub: bool) -> tuple[Expr, Expr]:
    res = Sub(c.v1, b) if sub else Add(c.v1, b)
    flip = And(Xor(c.v1, b), Xor(c.v1, res)) if sub else And(Xor(c.v1, res), Xor(b, res))
    return res, BitOf(flip, 31)


def _add_like(sub: bool, imm: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        b = simm(c.w) if imm else c.v2
        res, over = _overflow_add(c, b, sub)
        r1, r2 = reg_of(c.w, RS), C(NO_READ) if imm else reg_of(c.w, RT)
        lo = RT if imm else RD
        ok = c.step(r1, r2, dest(c.w, lo), dval(c.w, lo, res))
        return choose(over, c.halt(r1, r2, mi.ST_OVERFLOW, c.pc), ok)

    return sem


def _mov(zero: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        move = c.step(r1, r2, dest(c.w, RD), dval(c.w, RD, c.v1))
        stay = c.step(r1, r2, C(NO_WRITE_ADDRESS), C(0))
        is_zero = Eq(c.v2, C(0))
        return choose(is_zero if zero else Not(is_zero), move, stay)

    return sem


def _branch(cond: Callable[[Ctx], Expr], two: bool = False, link: bool = False) -> Semantics:
    def sem(c: Ctx) -> Out:
        target = Add(Add(c.pc, C(4)), Shl(simm(c.w), 2))
        r2 = reg_of(c.w, RT) if two else C(NO_READ)
        waddr = C(REG_BASE + 4 * 31) if link else C(NO_WRITE_ADDRESS)
        wval = Add(c.pc, C(8)) if link else C(0)
        return Out(reg_of(c.w, RS), r2, waddr, wval, c.npc, Select(cond(c), target, c.nxt), C(0), C(0))

    return sem


def _jump(link: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        target = Or(And(Add(c.pc, C(4)), C(0xF0000000)), Shl(And(c.w, C(0x3FFFFFF)), 2))
        waddr = C(REG_BASE + 4 * 31) if link else C(NO_WRITE_ADDRESS)
        return Out(C(NO_READ), C(NO_READ), waddr, Add(c.pc, C(8)) if link else C(0), c.npc, target, C(0), C(0))

    return sem


def _jr(link: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        waddr = dest(c.w, RD) if link else C(NO_WRITE_ADDRESS)
        wval = dval(c.w, RD, Add(c.pc, C(8))) if link else C(0)
        return Out(reg_of(c.w, RS), C(NO_READ), waddr, wval, c.npc, c.v1, C(0), C(0))

    return sem


def _nop(c: Ctx) -> Out:
    return c.step(C(NO_READ), C(NO_READ), C(NO_WRITE_ADDRESS), C(0))


def _trap(cond: Callable[[Ctx], Expr]) -> Semantics:
    def sem(c: Ctx) -> Out:
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        code = And(Shr(c.w, 6), C(0x3FF))
        return choose(cond(c), c.halt(r1, r2, mi.ST_TRAP, code), c.step(r1, r2, C(NO_WRITE_ADDRESS), C(0)))

    return sem


def _signed_high_fix(a: Expr, b: Expr) -> Expr:
    """What the unsigned high word of a * b exceeds the signed one by (mod 2**32):
    ``(a < 0 ? b : 0) + (b < 0 ? a : 0)``."""
    return Add(Select(BitOf(a, 31), b, C(0)), Select(BitOf(b, 31), a, C(0)))


def _product_check(c: Ctx, hi: bool, signed: bool) -> Expr:
    """The committed write value is the low (any signedness) or high word of v1 * v2."""
    if not hi:
        return c.product_is(c.v1, c.v2, c.wval)
    high = Add(c.wval, _signed_high_fix(c.v1, c.v2)) if signed else c.wval
    return c.product_high_is(c.v1, c.v2, high)


def _mul_step(hi: bool, signed: bool, micro2: int | None) -> Semantics:
    """mult/multu: LO = low(rs * rt), then HI = high: the written word is checked as
    the product's (:class:`MulEq`, hinted carries), not computed."""

    def sem(c: Ctx) -> Out:
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        check = _product_check(c, hi, signed)
        if micro2 is None:
            o = c.step(r1, r2, C(HI if hi else LO), c.wval)
        else:
            o = c.stay(r1, r2, C(HI if hi else LO), c.wval, micro2)
        return Out(o.read1, o.read2, o.waddr, o.wval, o.pc2, o.npc2, o.micro2, o.witness, check)

    return sem


def _load_word(c: Ctx) -> Out:
    a = c.ea()
    ok_read = And(Eq(And(a, C(3)), C(0)), readable(a))
    r1, r2 = reg_of(c.w, RS), Select(ok_read, a, C(NO_READ))
    good = c.step(r1, r2, dest(c.w, RT), dval(c.w, RT, c.v2))
    bad = c.fault(r1, r2, a, C(FAULT_MICRO))
    unaligned = c.halt(r1, r2, mi.ST_ADDRESS_ERROR, a)
    return choose(Not(Eq(And(a, C(3)), C(0))), unaligned, choose(readable(a), good, bad))


def _load_part(half: bool, signed: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        aligned = Eq(And(a, C(1)), C(0)) if half else Eq(C(0), C(0))
        ok = And(aligned, readable(a))
        r1, r2 = reg_of(c.w, RS), Select(ok, And(a, C(0xFFFFFFFC)), C(NO_READ))
        shifted = (c.half_shift(a) if half else c.byte_shift(a)).shr(c.v2)
        v = SignExt(shifted, 16 if half else 8) if signed else ZeroExt(shifted, 16 if half else 8)
        good = c.step(r1, r2, dest(c.w, RT), dval(c.w, RT, v))
        out = choose(readable(a), good, c.fault(r1, r2, a, C(FAULT_MICRO)))
        if half:
            out = choose(aligned, out, c.halt(r1, r2, mi.ST_ADDRESS_ERROR, a))
        return out

    return sem


def _store_word(micro2: int | None) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        writable = And(readable(a), Not(c.in_ro(a)))
        good = c.step(r1, r2, a, c.v2) if micro2 is None else c.stay(r1, r2, a, c.v2, micro2)
        code = Select(readable(a), C(FAULT_MICRO + 1), C(FAULT_MICRO))
        out = choose(writable, good, c.fault(r1, r2, a, code))
        return choose(Eq(And(a, C(3)), C(0)), out, c.halt(r1, r2, mi.ST_ADDRESS_ERROR, a))

    return sem


def _sc1(c: Ctx) -> Out:
    return c.step(C(NO_READ), C(NO_READ), dest(c.w, RT), dval(c.w, RT, C(1)))


def _sb_sh0(half: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        aligned = Eq(And(a, C(1)), C(0)) if half else Eq(C(0), C(0))
        r1 = reg_of(c.w, RS)
        r2 = Select(And(aligned, c.writable(a)), And(a, C(0xFFFFFFFC)), C(NO_READ))
        shift = c.half_shift(a) if half else c.byte_shift(a)
        good = c.stay(r1, r2, C(mi.T0), shift.rotr(c.v2), 1)
        out = choose(c.writable(a), good, c.access_fault(r1, r2, a))
        return choose(aligned, out, c.halt(r1, r2, mi.ST_ADDRESS_ERROR, a)) if half else out

    return sem


def _sb_sh1(half: bool) -> Semantics:
    keep, low = (0xFFFF0000, 0xFFFF) if half else (0xFFFFFF00, 0xFF)
    return lambda c: c.stay(reg_of(c.w, RT), C(mi.T0), C(mi.T0), Or(And(c.v2, C(keep)), And(c.v1, C(low))), 2)


def _sb_sh2(half: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        shift = c.half_shift(a) if half else c.byte_shift(a)
        return c.step(reg_of(c.w, RS), C(mi.T0), And(a, C(0xFFFFFFFC)), shift.rotl(c.v2))

    return sem


def _lwlr0(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r1, r2 = reg_of(c.w, RS), Select(readable(a), And(a, C(0xFFFFFFFC)), C(NO_READ))
        k = c.lr_shift(a, left)
        part = k.shl(c.v2) if left else k.shr(c.v2)
        return choose(readable(a), c.stay(r1, r2, C(mi.T0), part, 1), c.fault(r1, r2, a, C(FAULT_MICRO)))

    return sem


def _lwlr1(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        k = c.lr_shift(c.ea(), left)
        return c.stay(reg_of(c.w, RS), reg_of(c.w, RT), C(mi.T1), And(c.v2, k.mask_low() if left else k.mask_high()), 2)

    return sem


def _lwlr2(c: Ctx) -> Out:
    return c.step(C(mi.T0), C(mi.T1), dest(c.w, RT), dval(c.w, RT, Or(c.v1, c.v2)))


def _swlr0(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        k = c.lr_shift(a, left)
        part = k.shr(c.v2) if left else k.shl(c.v2)
        return choose(c.writable(a), c.stay(r1, r2, C(mi.T0), part, 1), c.access_fault(r1, r2, a))

    return sem


def _swlr1(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r2 = Select(c.writable(a), And(a, C(0xFFFFFFFC)), C(NO_READ))
        k = c.lr_shift(a, left)
        return c.stay(reg_of(c.w, RS), r2, C(mi.T1), And(c.v2, k.mask_high() if left else k.mask_low()), 2)

    return sem


def _swlr2(c: Ctx) -> Out:
    return c.stay(C(mi.T0), C(mi.T1), C(mi.T0), Or(c.v1, c.v2), 3)


def _swlr3(c: Ctx) -> Out:
    return c.step(reg_of(c.w, RS), C(mi.T0), And(c.ea(), C(0xFFFFFFFC)), c.v2)


def _divu(second: bool) -> Semantics:
    """divu: micro 0 writes LO = q with witness r, micro 1 HI = r with witness q.
    Script cannot divide: it checks the operator's q and r by ``q v2 + r == v1`` as
    64-bit numbers (:class:`MulEq` with hinted carries) and ``r < v2`` (v2 = 0:
    q = v1, r = 0).  The witness itself is a hint: the checks fix it."""

    def sem(c: Ctx) -> Out:
        q, r = (c.witness, c.wval) if second else (c.wval, c.witness)
        exact = c.product_is(q, c.v2, Join(c.v1, C(0)), addend=r)  # q v2 + r == v1, exactly
        by_zero = And(Eq(q, c.v1), Eq(r, C(0)))
        ok = Select(Eq(c.v2, C(0)), by_zero, And(exact, Ltu(r, c.v2)))
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        if second:
            out = c.step(r1, r2, C(HI), c.wval)
            return Out(out.read1, out.read2, out.waddr, out.wval, out.pc2, out.npc2, out.micro2, c.witness, ok)
        return Out(r1, r2, C(LO), c.wval, c.pc, c.npc, C(1), c.witness, ok)

    return sem


def _clz(ones: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        x = Not(c.v1) if ones else c.v1
        n: Expr = C(0)
        for k in (16, 8, 4, 2, 1):
            top_zero = Eq(Shr(x, 32 - k), C(0))
            n = Add(n, Select(top_zero, C(k), C(0)))
            x = Select(top_zero, Shl(x, k), x)
        n = Add(n, FromBit(Not(BitOf(x, 31))))
        return c.step(reg_of(c.w, RS), C(NO_READ), dest(c.w, RD), dval(c.w, RD, n))

    return sem


def _acc(dst: int, r1: int, r2: int, micro2: int | None, f: Callable[[Ctx], Expr]) -> Semantics:
    def sem(c: Ctx) -> Out:
        if micro2 is None:
            return c.step(C(r1), C(r2), C(dst), f(c))
        return c.stay(C(r1), C(r2), C(dst), f(c), micro2)

    return sem


def _madd_mul(hi: bool, signed: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        o = c.stay(reg_of(c.w, RS), reg_of(c.w, RT), C(mi.T1 if hi else mi.T0), c.wval, 2 if hi else 1)
        return Out(o.read1, o.read2, o.waddr, o.wval, o.pc2, o.npc2, o.micro2, o.witness, _product_check(c, hi, signed))

    return sem


def _badpc(c: Ctx) -> Out:
    unaligned = Not(Eq(And(c.pc, C(3)), C(0)))
    return choose(
        unaligned,
        c.halt(C(NO_READ), C(NO_READ), mi.ST_ADDRESS_ERROR, c.pc),
        c.halt(C(NO_READ), C(NO_READ), mi.ST_SIGNALLED, C(mi.SIGSEGV)),
    )


def _madd_family() -> dict[tuple[str, int], Semantics]:
    out: dict[tuple[str, int], Semantics] = {}
    for name, signed, add in (
        ("madd", True, True),
        ("maddu", False, True),
        ("msub", True, False),
        ("msubu", False, False),
    ):
        out[name, 0] = _madd_mul(False, signed)
        out[name, 1] = _madd_mul(True, signed)
        if add:
            out[name, 2] = _acc(mi.T2, LO, mi.T0, 3, lambda c: FromBit(Ltu(Add(c.v1, c.v2), c.v1)))
            out[name, 4] = _acc(LO, LO, mi.T0, 5, lambda c: Add(c.v1, c.v2))
            out[name, 5] = _acc(HI, HI, mi.T1, None, lambda c: Add(c.v1, c.v2))
        else:
            out[name, 2] = _acc(mi.T2, LO, mi.T0, 3, lambda c: FromBit(Ltu(c.v1, c.v2)))
            out[name, 4] = _acc(LO, LO, mi.T0, 5, lambda c: Sub(c.v1, c.v2))
            out[name, 5] = _acc(HI, HI, mi.T1, None, lambda c: Sub(c.v1, c.v2))
        out[name, 3] = _acc(mi.T1, mi.T1, mi.T2, 4, lambda c: Add(c.v1, c.v2))
    return out


# --- signed division, bit fields -----------------------------------------------------


def _abs(x: Expr) -> Expr:
    """|x| of a two's complement word, as a u32 (|INT_MIN| = 2**31)."""
    return Select(BitOf(x, 31), Sub(C(0), x), x)


def _div(second: bool) -> Semantics:
    """div: micro 0 writes LO = q with witness r, micro 1 HI = r with witness q.  The
    leaf checks the operator's q and r: ``|q| |v2| + |r| == |v1|`` (a 64-bit product
    with high word 0, :class:`MulEq` with hinted carries), ``|r| < |v2|``, q negative
    exactly when the signs differ and q != 0, r negative exactly when v1 is and
    r != 0 (division toward zero); ``v2 = 0`` or ``INT_MIN / -1``: q = v1, r = 0
    (the table's pinned result)."""

    def sem(c: Ctx) -> Out:
        q, r = (c.witness, c.wval) if second else (c.wval, c.witness)
        a, b = c.v1, c.v2
        abs_r = _abs(r)
        exact = c.product_is(_abs(q), _abs(b), Join(_abs(a), C(0)), addend=abs_r)
        q_sign = And(Not(Eq(q, C(0))), Xor(BitOf(a, 31), BitOf(b, 31)))
        r_sign = And(Not(Eq(r, C(0))), BitOf(a, 31))
        signs = And(Eq(BitOf(q, 31), q_sign), Eq(BitOf(r, 31), r_sign))
        ok = And(And(exact, Ltu(abs_r, _abs(b))), signs)
        special = Or(Eq(b, C(0)), And(Eq(a, C(0x80000000)), Eq(b, C(M32))))
        pinned = And(Eq(q, a), Eq(r, C(0)))
        check = Select(special, pinned, ok)
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        if second:
            out = c.step(r1, r2, C(HI), c.wval)
            return Out(out.read1, out.read2, out.waddr, out.wval, out.pc2, out.npc2, out.micro2, c.witness, check)
        return Out(r1, r2, C(LO), c.wval, c.pc, c.npc, C(1), c.witness, check)

    return sem


def _ext(c: Ctx) -> Out:
    """ext: rt = (rs >> pos) & mask(size); pos = sa, size - 1 = the rd field.  The
    mask (1 << (rd + 1)) - 1 is M32 >> (31 - rd)."""
    value = And(barrel(c.v1, c.w, 6, Shr), LowMask(Bits(c.w, 11, 5), 1))
    return c.step(reg_of(c.w, RS), C(NO_READ), dest(c.w, RT), dval(c.w, RT, value))


@dataclass(frozen=True, eq=False)
class MaskBetween(Expr):
    """``hi & ~lo`` for two low masks (``LowMask``): limb by limb ``max(0, hi - lo)``,
    since a low mask's limb is ``2**t - 1`` and t grows with the mask."""

    hi: Expr
    lo: Expr

    def evaluate(self, ev: Evaluation) -> int:
        return ev.value(self.hi) & ~ev.value(self.lo) & M32

    def lower(self, lo: Lowering) -> tuple[int, ...]:
        return tuple(
            lo.program.apply1(_SUB_SAT, x, y) for x, y in zip(lo.limbs(self.hi), lo.limbs(self.lo), strict=True)
        )


_SUB_SAT = Fragment("sub_sat", 2, 1, lambda _depths: [OP_SUB, OP_0, OP_MAX])


def _ins(c: Ctx) -> Out:
    """ins: rt = rt with bits lsb..msb replaced by rs's low bits; lsb = sa, msb = the rd
    field; the insert mask is bits lsb..msb (empty when msb < lsb)."""
    lsb = Bits(c.w, 6, 5)
    imask = MaskBetween(LowMask(Bits(c.w, 11, 5), 1), LowMask(lsb))
    # the two parts are disjoint, so their sum is their OR (and cheaper in Script)
    value = Add(And(c.v2, Not(imask)), And(barrel(c.v1, c.w, 6, Shl), imask))
    return c.step(reg_of(c.w, RS), reg_of(c.w, RT), dest(c.w, RT), dval(c.w, RT, value))


# --- syscall micro-programs (ocp.zkvm.micro, "syscall micro-programs") -----------------


def reg(r: int) -> Expr:
    return C(REG_BASE + 4 * r)


NONE = C(NO_READ)


def _stay(r1: Expr, r2: Expr, waddr: Expr, wval: Expr, micro2: Expr | int) -> Semantics:
    """A micro-step that stays at the instruction: ``(pc, npc, micro2)``."""
    m2 = C(micro2) if isinstance(micro2, int) else micro2
    return lambda c: Out(r1, r2, waddr, wval, c.pc, c.npc, m2, C(0))


def _ret(c: Ctx, r1: Expr, r2: Expr, value: Expr) -> Out:
    """``micro.ret``: T0 = a result (-errno for errors), then the RET0 micro-step."""
    return Out(r1, r2, C(mi.T0), value, c.pc, c.npc, C(mi.SYS_RET0), C(0))


def _no_write(c: Ctx, r1: Expr, r2: Expr, micro2: int) -> Out:
    return Out(r1, r2, C(NO_WRITE_ADDRESS), C(0), c.pc, c.npc, C(micro2), C(0))


def _errno(e: int) -> Expr:
    return C(-e)


def _is(x: Expr, value: int) -> Expr:
    return Eq(x, C(value))


#: the dispatch table's initial T0 values, and each call's index among them
T0_VALUES = tuple(sorted(set(mi.DISPATCH_T0)))
_T0_INDEX = tuple((n, T0_VALUES.index(t) + 1) for n, t in zip(mi.DISPATCH_NUM, mi.DISPATCH_T0, strict=True))
_ENTRIES = tuple((n, e) for n, e in zip(mi.DISPATCH_NUM, mi.DISPATCH_ENTRY, strict=True) if e != mi.SYS_RET0)


def _sys0(c: Ctx) -> Out:
    """Dispatch on $v0 (v1); $a0 is v2: exit halts with its code, a known call sets T0
    and enters its program, anything else halts UNKNOWN_SYSCALL.  The number's low
    16 bits index two build-time tables (``NumLookup``): which initial T0 (0: not a
    known call) and which entry micro-step."""
    r1, r2 = reg(2), reg(4)
    small = Eq(And(c.v1, C(0xFFFF0000)), C(0))
    n = ToNum(c.v1, 4)
    t0 = NumLookup(n, _T0_INDEX, 0)
    found = And(small, Not(Eq(t0, NumConst(0))))
    entry = FromNum(NumLookup(n, _ENTRIES, mi.SYS_RET0), 2)
    value: Expr = C(T0_VALUES[-1])
    for k in reversed(range(len(T0_VALUES) - 1)):
        value = Select(Eq(t0, NumConst(k + 1)), C(T0_VALUES[k]), value)
    enter = Out(r1, r2, C(mi.T0), value, c.pc, c.npc, entry, C(0))
    is_exit = And(small, Or(Eq(n, NumConst(4001)), Eq(n, NumConst(4246))))
    halt = choose(is_exit, c.halt(r1, r2, mi.ST_EXITED, c.v2), c.halt(r1, r2, mi.ST_UNKNOWN_SYSCALL, c.v1))
    return choose(found, enter, halt)


def _is_error(x: Expr) -> Expr:
    return Not(Ltu(x, C(mi.ERR_MIN)))


def _ret0(c: Ctx) -> Out:
    value = Select(_is_error(c.v1), Sub(C(0), c.v1), c.v1)
    return Out(C(mi.T0), NONE, reg(2), value, c.pc, c.npc, C(mi.SYS_RET1), C(0))


def _ret1(c: Ctx) -> Out:
    return c.step(C(mi.T0), NONE, reg(7), FromBit(_is_error(c.v1)))


def _kill(r: int) -> Semantics:
    return lambda c: c.halt(reg(r), NONE, mi.ST_SIGNALLED, c.v1)


def _read0(c: Ctx) -> Out:  # v1 = fd, v2 = count
    bad = _ret(c, reg(4), reg(6), _errno(mi.EBADF))
    return choose(_is(c.v1, 0), _stay(reg(4), reg(6), C(mi.T1), c.v2, mi.SYS_READ + 1)(c), bad)


def _read5(c: Ctx) -> Out:  # v1 = input offset, v2 = n
    r1, r2 = C(K_INPUT_OFF), C(mi.T0)
    return choose(_is(c.v2, 0), _no_write(c, r1, r2, mi.SYS_RET0), _stay(r1, r2, C(mi.T2), c.v1, mi.RD_LOOP)(c))


def _rdloop0(c: Ctx) -> Out:  # v1 = offset T2, v2 = the input word
    r2 = Add(C(INPUT_BASE), And(c.v1, C(0xFFFFFFFC)))
    return _stay(C(mi.T2), r2, C(mi.T5), ZeroExt(c.byte_shift(c.v1).shr(c.v2), 8), mi.RD_LOOP + 1)(c)


def _rdloop1(c: Ctx) -> Out:  # v1 = destination T3, v2 = its word
    ok = c.writable(c.v1)
    r1, r2 = C(mi.T3), Select(ok, And(c.v1, C(0xFFFFFFFC)), NONE)
    good = _stay(r1, r2, C(mi.T6), c.byte_shift(c.v1).rotr(c.v2), mi.RD_LOOP + 2)(c)
    return choose(ok, good, _no_write(c, r1, r2, mi.RD_FAULT))


def _rdloop3(c: Ctx) -> Out:  # v1 = T3, v2 = T6
    value = c.byte_shift(c.v1).rotl(c.v2)
    return _stay(C(mi.T3), C(mi.T6), And(c.v1, C(0xFFFFFFFC)), value, mi.RD_LOOP + 4)(c)


def _rdloop5(c: Ctx) -> Out:  # v1 = T3, v2 = T4
    d = Add(c.v1, C(1))
    return Out(C(mi.T3), C(mi.T4), C(mi.T3), d, c.pc, c.npc, Select(Eq(d, c.v2), C(mi.RD_END), C(mi.RD_LOOP)), C(0))


def _rdfault1(c: Ctx) -> Out:  # v1 = T3, v2 = buf
    copied = Sub(c.v1, c.v2)
    return _ret(c, C(mi.T3), reg(5), Select(_is(copied, 0), _errno(mi.EFAULT), copied))


def _write(c: Ctx) -> Out:  # v1 = fd, v2 = count
    ok = Or(_is(c.v1, 1), _is(c.v1, 2))
    return _ret(c, reg(4), reg(6), Select(ok, c.v2, _errno(mi.EBADF)))


def _mmap0(c: Ctx) -> Out:  # v1 = flags, v2 = len
    r1, r2 = reg(7), reg(5)
    length = And(Add(c.v2, C(0xFFF)), C(0xFFFFF000))
    fixed = FromBit(Not(Eq(And(c.v1, C(mi.MAP_FIXED)), C(0))))
    good = _stay(r1, r2, C(mi.T1), Or(length, fixed), mi.SYS_MMAP + 1)(c)
    anonymous = Not(Eq(And(c.v1, C(mi.MAP_ANONYMOUS)), C(0)))
    out = choose(_is(length, 0), _ret(c, r1, r2, _errno(mi.EINVAL)), good)
    return choose(anonymous, out, _ret(c, r1, r2, _errno(mi.EBADF)))


def _mmap1(c: Ctx) -> Out:  # v1 = addr hint, v2 = heap
    hint = And(And(Not(_is(c.v1, 0)), Eq(And(c.v1, C(0xFFF)), C(0))), Not(Ltu(c.v1, c.v2)))
    return _stay(reg(4), C(K_HEAP), C(mi.T2), Select(hint, c.v1, c.v2), mi.SYS_MMAP + 2)(c)


def _mmap2(c: Ctx) -> Out:  # v1 = T1, v2 = addr
    r1, r2 = C(mi.T1), reg(4)
    fixed = _stay(r1, r2, C(mi.T2), And(c.v2, C(0xFFFFF000)), mi.SYS_MMAP + 3)(c)
    return choose(BitOf(c.v1, 0), fixed, _no_write(c, r1, r2, mi.SYS_MMAP + 3))


def _mmap3(c: Ctx) -> Out:  # v1 = T1 (length | fixed), v2 = T2 base
    r1, r2 = C(mi.T1), C(mi.T2)
    end = Add(c.v2, And(c.v1, C(0xFFFFF000)))
    over = Or(Ltu(end, c.v2), Ltu(C(mi.HEAP_LIMIT), end))  # carried past 2**32, or past the limit
    good = _stay(r1, r2, C(mi.T1), end, mi.SYS_MMAP + 4)(c)
    return choose(over, _ret(c, r1, r2, _errno(mi.ENOMEM)), good)


def _mmap4(c: Ctx) -> Out:  # v1 = T1 end, v2 = heap
    r1, r2 = C(mi.T1), C(K_HEAP)
    grow = _stay(r1, r2, C(K_HEAP), c.v1, mi.SYS_MMAP + 5)(c)
    return choose(Ltu(c.v2, c.v1), grow, _no_write(c, r1, r2, mi.SYS_MMAP + 5))


def _word_pair_ok(c: Ctx, a: Expr) -> Expr:
    return And(And(Eq(And(a, C(3)), C(0)), c.writable(a)), c.writable(Add(a, C(4))))


def _word_read_ok(a: Expr, n: int) -> Expr:
    return And(And(Eq(And(a, C(3)), C(0)), readable(a)), readable(Add(a, C(4 * n - 4))))


def _clock0(c: Ctx) -> Out:  # v1 = timespec pointer ($a1)
    r1 = reg(5)
    good = _stay(r1, NONE, c.v1, C(mi.CLOCK_SECONDS), mi.SYS_CLOCK + 1)(c)
    return choose(_word_pair_ok(c, c.v1), good, _ret(c, r1, NONE, _errno(mi.EFAULT)))


def _second_word(r: int) -> Semantics:
    return lambda c: _stay(reg(r), NONE, Add(c.v1, C(4)), C(0), mi.SYS_RET0)(c)


def _tod0(c: Ctx) -> Out:  # v1 = timeval pointer ($a0)
    r1 = reg(4)
    good = _stay(r1, NONE, c.v1, C(mi.CLOCK_SECONDS), mi.SYS_TOD + 1)(c)
    out = choose(_word_pair_ok(c, c.v1), good, _ret(c, r1, NONE, _errno(mi.EFAULT)))
    return choose(_is(c.v1, 0), _no_write(c, r1, NONE, mi.SYS_RET0), out)


def _time(c: Ctx) -> Out:  # v1 = $a0
    r1 = reg(4)
    ok = And(Eq(And(c.v1, C(3)), C(0)), c.writable(c.v1))
    good = _stay(r1, NONE, c.v1, C(mi.CLOCK_SECONDS), mi.SYS_RET0)(c)
    out = choose(ok, good, _ret(c, r1, NONE, _errno(mi.EFAULT)))
    return choose(_is(c.v1, 0), _no_write(c, r1, NONE, mi.SYS_RET0), out)


def _affinity(c: Ctx) -> Out:  # v1 = mask pointer ($a2)
    r1 = reg(6)
    ok = And(Eq(And(c.v1, C(3)), C(0)), c.writable(c.v1))
    good = _stay(r1, NONE, c.v1, C(0x01000000 if c.big_endian else 1), mi.SYS_RET0)(c)
    return choose(ok, good, _ret(c, r1, NONE, _errno(mi.EFAULT)))


def _sigaction0(c: Ctx) -> Out:  # v1 = sig, v2 = act
    r1, r2 = reg(4), reg(5)
    good = _stay(r1, r2, C(mi.T1), c.v2, mi.SYS_SIGACTION + 1)(c)
    out = choose(_word_read_ok(c.v2, 2), good, _ret(c, r1, r2, _errno(mi.EFAULT)))
    skip = Or(Not(_is(c.v1, mi.SIGSEGV)), _is(c.v2, 0))
    return choose(skip, _no_write(c, r1, r2, mi.SYS_RET0), out)


def _at_t1(offset: int, dst: int, micro2: int) -> Semantics:
    """Copy the word at T1 + offset (read 2) into ``dst``."""
    return lambda c: _stay(C(mi.T1), Add(c.v1, C(offset)), C(dst), c.v2, micro2)(c)


def _altstack0(c: Ctx) -> Out:  # v1 = ss
    r1 = reg(4)
    good = _stay(r1, NONE, C(mi.T1), c.v1, mi.SYS_ALTSTACK + 1)(c)
    out = choose(_word_read_ok(c.v1, 3), good, _ret(c, r1, NONE, _errno(mi.EFAULT)))
    return choose(_is(c.v1, 0), _no_write(c, r1, NONE, mi.SYS_RET0), out)


def _altstack1(c: Ctx) -> Out:  # v2 = ss_flags
    r1, r2 = C(mi.T1), Add(c.v1, C(8))
    disable = _stay(r1, r2, C(K_ALT_SIZE), C(0), mi.SYS_RET0)(c)
    return choose(BitOf(c.v2, 1), disable, _no_write(c, r1, r2, mi.SYS_ALTSTACK + 2))


def _sigret0(c: Ctx) -> Out:  # v1 = $sp
    r1 = reg(29)
    good = _stay(r1, NONE, C(mi.T_FRAME), c.v1, mi.SYS_SIGRETURN + 1)(c)
    return choose(_word_read_ok(c.v1, mi.FRAME_SIZE // 4), good, c.halt(r1, NONE, mi.ST_SIGNALLED, C(mi.SIGSEGV)))


def _lo_half(big_endian: bool) -> int:
    return 4 if big_endian else 0


def _sigret(k: int) -> Semantics:
    """Restore slot k of the signal frame (1..31: $k, 32: HI, 33: LO, 34: the pc)."""

    def sem(c: Ctx) -> Out:
        low = _lo_half(c.big_endian)
        offset = (
            mi.FR_SC_REGS + 8 * k if k <= 31 else {32: mi.FR_SC_MDHI, 33: mi.FR_SC_MDLO, 34: mi.FR_SC_PC}[k]
        ) + low
        r1, r2 = C(mi.T_FRAME), Add(c.v1, C(offset))
        if k == 34:
            return Out(r1, r2, C(NO_WRITE_ADDRESS), C(0), c.v2, Add(c.v2, C(4)), C(0), C(0))
        dst = REG_BASE + 4 * k if k <= 31 else HI if k == 32 else LO
        return _stay(r1, r2, C(dst), c.v2, mi.SYS_SIGRETURN + k + 1)(c)

    return sem


def _syscall_kinds() -> dict[tuple[str, int], Semantics]:
    out: dict[tuple[str, int], Semantics] = {
        (0,): _sys0,
        (mi.SYS_RET0,): _ret0,
        (mi.SYS_RET1,): _ret1,
        (mi.SYS_KILL_A1,): _kill(5),
        (mi.SYS_KILL_A2,): _kill(6),
        (mi.SYS_READ,): _read0,
        (mi.SYS_READ + 1,): lambda c: _stay(C(K_INPUT_LEN), C(K_INPUT_OFF), C(mi.T2), Sub(c.v1, c.v2), mi.SYS_READ + 2)(
            c
        ),
        (mi.SYS_READ + 2,): lambda c: _stay(
            C(mi.T1), C(mi.T2), C(mi.T0), Select(Ltu(c.v1, c.v2), c.v1, c.v2), mi.SYS_READ + 3
        )(c),
        (mi.SYS_READ + 3,): lambda c: _stay(reg(5), C(mi.T0), C(mi.T4), Add(c.v1, c.v2), mi.SYS_READ + 4)(c),
        (mi.SYS_READ + 4,): lambda c: _stay(reg(5), NONE, C(mi.T3), c.v1, mi.SYS_READ + 5)(c),
        (mi.SYS_READ + 5,): _read5,
        (mi.RD_LOOP,): _rdloop0,
        (mi.RD_LOOP + 1,): _rdloop1,
        (mi.RD_LOOP + 2,): lambda c: _stay(
            C(mi.T5), C(mi.T6), C(mi.T6), Or(And(c.v2, C(0xFFFFFF00)), c.v1), mi.RD_LOOP + 3
        )(c),
        (mi.RD_LOOP + 3,): _rdloop3,
        (mi.RD_LOOP + 4,): lambda c: _stay(C(mi.T2), NONE, C(mi.T2), Add(c.v1, C(1)), mi.RD_LOOP + 5)(c),
        (mi.RD_LOOP + 5,): _rdloop5,
        (mi.RD_END,): lambda c: _stay(C(mi.T2), NONE, C(K_INPUT_OFF), c.v1, mi.SYS_RET0)(c),
        (mi.RD_FAULT,): lambda c: _stay(C(mi.T2), NONE, C(K_INPUT_OFF), c.v1, mi.RD_FAULT + 1)(c),
        (mi.RD_FAULT + 1,): _rdfault1,
        (mi.SYS_WRITE,): _write,
        (mi.SYS_BRK,): lambda c: _ret(c, C(K_BRK), NONE, c.v1),
        (mi.SYS_MMAP,): _mmap0,
        (mi.SYS_MMAP + 1,): _mmap1,
        (mi.SYS_MMAP + 2,): _mmap2,
        (mi.SYS_MMAP + 3,): _mmap3,
        (mi.SYS_MMAP + 4,): _mmap4,
        (mi.SYS_MMAP + 5,): lambda c: _ret(c, C(mi.T2), NONE, c.v1),
        (mi.SYS_CLOCK,): _clock0,
        (mi.SYS_CLOCK + 1,): _second_word(5),
        (mi.SYS_TOD,): _tod0,
        (mi.SYS_TOD + 1,): _second_word(4),
        (mi.SYS_TIME,): _time,
        (mi.SYS_AFFINITY,): _affinity,
        (mi.SYS_SIGACTION,): _sigaction0,
        (mi.SYS_SIGACTION + 1,): _at_t1(0, K_SEGV_FLAGS, mi.SYS_SIGACTION + 2),
        (mi.SYS_SIGACTION + 2,): _at_t1(4, K_SEGV_HANDLER, mi.SYS_RET0),
        (mi.SYS_ALTSTACK,): _altstack0,
        (mi.SYS_ALTSTACK + 1,): _altstack1,
        (mi.SYS_ALTSTACK + 2,): _at_t1(0, K_ALT_SP, mi.SYS_ALTSTACK + 3),
        (mi.SYS_ALTSTACK + 3,): _at_t1(4, K_ALT_SIZE, mi.SYS_RET0),
        (mi.SYS_SIGRETURN,): _sigret0,
        **{(mi.SYS_SIGRETURN + k,): _sigret(k) for k in range(1, 35)},
    }
    return {("syscall", k[0]): f for k, f in out.items()}


# --- SIGSEGV delivery (micro-steps 128 and up, whatever the word) ----------------------


def _bit_word(b: Expr) -> Expr:
    return FromBit(b)


def _f0(c: Ctx) -> Out:  # v1 = handler, v2 = sa_flags
    r1, r2 = C(K_SEGV_HANDLER), C(K_SEGV_FLAGS)
    onstack = _bit_word(Not(Eq(And(c.v2, C(mi.SA_ONSTACK)), C(0))))
    good = _stay(r1, r2, C(mi.T_USEALT), onstack, FAULT_MICRO + 3)(c)
    return choose(Ltu(c.v1, C(2)), c.halt(r1, r2, mi.ST_SIGNALLED, C(mi.SIGSEGV)), good)


def _fstore(k: int) -> Semantics:
    """Frame store k (``micro.x_fstore``): the word at T_FRAME + offset(k)."""

    def sem(c: Ctx) -> Out:
        offset = mi.frame_store_offset(k, (1,) if c.big_endian else (0,))
        r1, r2 = C(mi.T_FRAME), C(mi.frame_store_source(k))
        a = Add(c.v1, C(offset))
        value = {0: C(mi.SIGSEGV), 2: C(0), 4: c.pc}.get(k, c.v2)
        good = Out(r1, r2, a, value, c.pc, c.npc, C(mi.F_STORES + k + 1), C(0))
        return choose(c.writable(a), good, c.halt(r1, r2, mi.ST_SIGNALLED, C(mi.SIGSEGV)))

    return sem


def _fault_kinds() -> dict[tuple[str, int], Semantics]:
    f, e = FAULT_MICRO, mi.F_ENTRY
    out: dict[int, Semantics] = {
        f: _stay(NONE, NONE, C(mi.T_FCODE), C(mi.SEGV_MAPERR), f + 2),
        f + 1: _stay(NONE, NONE, C(mi.T_FCODE), C(mi.SEGV_ACCERR), f + 2),
        f + 2: _f0,
        f + 3: lambda c: _stay(
            C(mi.T_USEALT), C(K_ALT_SIZE), C(mi.T_USEALT), _bit_word(And(Not(_is(c.v1, 0)), Not(_is(c.v2, 0)))), f + 4
        )(c),
        f + 4: lambda c: _stay(reg(29), C(K_ALT_SP), C(mi.T_ONALT), Sub(c.v1, c.v2), f + 5)(c),
        f + 5: lambda c: _stay(C(mi.T_ONALT), C(K_ALT_SIZE), C(mi.T_ONALT), _bit_word(Ltu(c.v1, c.v2)), f + 6)(c),
        f + 6: lambda c: _stay(
            C(mi.T_USEALT), C(mi.T_ONALT), C(mi.T_USEALT), _bit_word(And(Not(_is(c.v1, 0)), _is(c.v2, 0))), f + 7
        )(c),
        f + 7: lambda c: _stay(C(K_ALT_SP), C(K_ALT_SIZE), C(mi.T_FRAME), Add(c.v1, c.v2), f + 8)(c),
        f + 8: lambda c: choose(
            _is(c.v1, 0),
            _stay(C(mi.T_USEALT), reg(29), C(mi.T_FRAME), c.v2, f + 9)(c),
            _no_write(c, C(mi.T_USEALT), reg(29), f + 9),
        ),
        f + 9: lambda c: _stay(
            C(mi.T_FRAME), NONE, C(mi.T_FRAME), And(Sub(c.v1, C(mi.FRAME_SIZE)), C(0xFFFFFFF8)), f + 10
        )(c),
        **{mi.F_STORES + k: _fstore(k) for k in range(mi.N_FRAME_STORES)},
        e: _stay(NONE, NONE, reg(4), C(mi.SIGSEGV), e + 1),
        e + 1: lambda c: _stay(C(mi.T_FRAME), NONE, reg(5), Add(c.v1, C(mi.FR_SIGNO)), e + 2)(c),
        e + 2: lambda c: _stay(C(mi.T_FRAME), NONE, reg(6), Add(c.v1, C(mi.FR_UCONTEXT)), e + 3)(c),
        e + 3: _stay(NONE, NONE, reg(31), C(SIGRETURN_PC), e + 4),
        e + 4: lambda c: _stay(C(K_SEGV_HANDLER), NONE, reg(25), c.v1, e + 5)(c),
        e + 5: lambda c: Out(C(mi.T_FRAME), C(K_SEGV_HANDLER), reg(29), c.v1, c.v2, Add(c.v2, C(4)), C(0), C(0)),
    }
    return {("fault", m): sem for m, sem in out.items()}


#: Script semantics by kind.
SEMANTICS: dict[tuple[str, int], Semantics] = {
    ("addu", 0): _rd_rs_rt(lambda c: Add(c.v1, c.v2)),
    ("subu", 0): _rd_rs_rt(lambda c: Sub(c.v1, c.v2)),
    ("add", 0): _add_like(sub=False, imm=False),
    ("sub", 0): _add_like(sub=True, imm=False),
    ("and", 0): _rd_rs_rt(lambda c: And(c.v1, c.v2)),
    ("or", 0): _rd_rs_rt(lambda c: Or(c.v1, c.v2)),
    ("xor", 0): _rd_rs_rt(lambda c: Xor(c.v1, c.v2)),
    ("nor", 0): _rd_rs_rt(lambda c: Not(Or(c.v1, c.v2))),
    ("slt", 0): _rd_rs_rt(lambda c: FromBit(Lts(c.v1, c.v2))),
    ("sltu", 0): _rd_rs_rt(lambda c: FromBit(Ltu(c.v1, c.v2))),
    ("movz", 0): _mov(zero=True),
    ("movn", 0): _mov(zero=False),
    ("mul", 0): _rd_rs_rt(lambda c: c.product_low(c.v1, c.v2)),
    ("sllv", 0): _rd_rs_rt(lambda c: barrel(c.v2, c.v1, 0, Shl)),
    ("srlv", 0): _rd_rs_rt(lambda c: barrel(c.v2, c.v1, 0, Shr)),
    ("srav", 0): _rd_rs_rt(lambda c: barrel(c.v2, c.v1, 0, Sar)),
    ("rotrv", 0): _rd_rs_rt(lambda c: barrel(c.v2, c.v1, 0, Rotr)),
    ("sll", 0): _rd_rt(lambda c: barrel(c.v1, c.w, 6, Shl)),
    ("srl", 0): _rd_rt(lambda c: barrel(c.v1, c.w, 6, Shr)),
    ("sra", 0): _rd_rt(lambda c: barrel(c.v1, c.w, 6, Sar)),
    ("rotr", 0): _rd_rt(lambda c: barrel(c.v1, c.w, 6, Rotr)),
    ("wsbh", 0): _rd_rt(lambda c: Or(Shl(And(c.v1, C(0x00FF00FF)), 8), And(Shr(c.v1, 8), C(0x00FF00FF)))),
    ("seb", 0): _rd_rt(lambda c: SignExt(c.v1, 8)),
    ("seh", 0): _rd_rt(lambda c: SignExt(c.v1, 16)),
    ("addiu", 0): _rt_rs(lambda c: Add(c.v1, simm(c.w))),
    ("addi", 0): _add_like(sub=False, imm=True),
    ("slti", 0): _rt_rs(lambda c: FromBit(Lts(c.v1, simm(c.w)))),
    ("sltiu", 0): _rt_rs(lambda c: FromBit(Ltu(c.v1, simm(c.w)))),
    ("andi", 0): _rt_rs(lambda c: And(c.v1, ZeroExt(c.w, 16))),
    ("ori", 0): _rt_rs(lambda c: Or(c.v1, ZeroExt(c.w, 16))),
    ("xori", 0): _rt_rs(lambda c: Xor(c.v1, ZeroExt(c.w, 16))),
    ("lui", 0): lambda c: c.step(C(NO_READ), C(NO_READ), dest(c.w, RT), dval(c.w, RT, Shl(c.w, 16))),
    ("mfhi", 0): lambda c: c.step(C(HI), C(NO_READ), dest(c.w, RD), dval(c.w, RD, c.v1)),
    ("mflo", 0): lambda c: c.step(C(LO), C(NO_READ), dest(c.w, RD), dval(c.w, RD, c.v1)),
    ("mthi", 0): lambda c: c.step(reg_of(c.w, RS), C(NO_READ), C(HI), c.v1),
    ("mtlo", 0): lambda c: c.step(reg_of(c.w, RS), C(NO_READ), C(LO), c.v1),
    ("mult", 0): _mul_step(hi=False, signed=True, micro2=1),
    ("mult", 1): _mul_step(hi=True, signed=True, micro2=None),
    ("multu", 0): _mul_step(hi=False, signed=False, micro2=1),
    ("multu", 1): _mul_step(hi=True, signed=False, micro2=None),
    ("beq", 0): _branch(lambda c: Eq(c.v1, c.v2), two=True),
    ("bne", 0): _branch(lambda c: Not(Eq(c.v1, c.v2)), two=True),
    ("blez", 0): _branch(lambda c: Or(Eq(c.v1, C(0)), BitOf(c.v1, 31))),
    ("bgtz", 0): _branch(lambda c: And(Not(Eq(c.v1, C(0))), Not(BitOf(c.v1, 31)))),
    ("bltz", 0): _branch(lambda c: BitOf(c.v1, 31)),
    ("bgez", 0): _branch(lambda c: Not(BitOf(c.v1, 31))),
    ("bltzal", 0): _branch(lambda c: BitOf(c.v1, 31), link=True),
    ("bgezal", 0): _branch(lambda c: Not(BitOf(c.v1, 31)), link=True),
    ("j", 0): _jump(link=False),
    ("jal", 0): _jump(link=True),
    ("jr", 0): _jr(link=False),
    ("jalr", 0): _jr(link=True),
    ("sync", 0): _nop,
    ("pref", 0): _nop,
    ("break", 0): lambda c: c.halt(C(NO_READ), C(NO_READ), mi.ST_BREAK, c.w),
    ("lw", 0): _load_word,
    ("ll", 0): _load_word,
    ("lb", 0): _load_part(half=False, signed=True),
    ("lbu", 0): _load_part(half=False, signed=False),
    ("lh", 0): _load_part(half=True, signed=True),
    ("lhu", 0): _load_part(half=True, signed=False),
    ("sw", 0): _store_word(None),
    ("sc", 0): _store_word(1),
    ("sc", 1): _sc1,
    ("teq", 0): _trap(lambda c: Eq(c.v1, c.v2)),
    ("tne", 0): _trap(lambda c: Not(Eq(c.v1, c.v2))),
    ("tge", 0): _trap(lambda c: Not(Lts(c.v1, c.v2))),
    ("tgeu", 0): _trap(lambda c: Not(Ltu(c.v1, c.v2))),
    ("tlt", 0): _trap(lambda c: Lts(c.v1, c.v2)),
    ("tltu", 0): _trap(lambda c: Ltu(c.v1, c.v2)),
    ("sb", 0): _sb_sh0(half=False),
    ("sb", 1): _sb_sh1(half=False),
    ("sb", 2): _sb_sh2(half=False),
    ("sh", 0): _sb_sh0(half=True),
    ("sh", 1): _sb_sh1(half=True),
    ("sh", 2): _sb_sh2(half=True),
    ("lwl", 0): _lwlr0(left=True),
    ("lwr", 0): _lwlr0(left=False),
    ("lwl", 1): _lwlr1(left=True),
    ("lwr", 1): _lwlr1(left=False),
    ("lwl", 2): _lwlr2,
    ("lwr", 2): _lwlr2,
    ("swl", 0): _swlr0(left=True),
    ("swr", 0): _swlr0(left=False),
    ("swl", 1): _swlr1(left=True),
    ("swr", 1): _swlr1(left=False),
    ("swl", 2): _swlr2,
    ("swr", 2): _swlr2,
    ("swl", 3): _swlr3,
    ("swr", 3): _swlr3,
    ("divu", 0): _divu(second=False),
    ("divu", 1): _divu(second=True),
    ("clz", 0): _clz(ones=False),
    ("clo", 0): _clz(ones=True),
    ("invalid", 0): lambda c: c.halt(C(NO_READ), C(NO_READ), mi.ST_INVALID_INSTRUCTION, c.w),
    ("badpc", 0): _badpc,
    ("div", 0): _div(second=False),
    ("div", 1): _div(second=True),
    ("ext", 0): _ext,
    ("ins", 0): _ins,
    **_madd_family(),
    **_syscall_kinds(),
    **_fault_kinds(),
}

"""Execute leaves: the operator reveals step i's record and proves it correct.

One leaf per micro-step kind ``(mnemonic, micro)`` of the dispute machine
(:data:`ocp.zkvm.micro.MICRO_OPS`).  The leaf verifies the operator's one-time
signatures of the record's fields and spends only when

* the instruction word is of the kind (its opcode fields, exactly as
  :func:`ocp.zkvm.isa.decode` reads them) and ``micro`` is the kind's;
* the read addresses are the ones the micro-step reads (the registers the word
  names, or the effective address);
* the write, the next pc triple and the witness are what the micro-step computes
  from the read values.

The Script semantics below are the second form of the table's functions (Script
cannot call Python); the Python twin of every leaf *is* the table
(:meth:`ExecuteLeaf.accepts` runs ``MICRO_OPS[kind]``), and the differential
tests hold the two together through Bitcoin Core's interpreter.  Build-time
facts are constants: the byte order and the read-only ranges (for stores) are
leaf parameters, a read slot the kind never uses is not revealed, nor is the
witness of a kind that never has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import OPERATOR, CheckLeaf, arith_body
from ocp.stepleaves.schema import RECORD_FIELDS
from ocp.zkvm import isa
from ocp.zkvm import micro as mi
from ocp.zkvm.record import (
    FAULT_MICRO,
    HALT_PC,
    HI,
    K_EXIT,
    LO,
    NO_READ,
    NO_WRITE_ADDRESS,
    NULL_GUARD_END,
    REG_BASE,
    RESERVED_BASE,
)
from taptrees.arith import (
    Add,
    And,
    BitOf,
    Const,
    Eq,
    Expr,
    FromBit,
    Hi,
    Lo,
    Lts,
    Ltu,
    MulS,
    MulU,
    Not,
    Or,
    SarVar,
    Select,
    Shl,
    ShlVar,
    Shr,
    ShrVar,
    SignExt,
    Sub,
    Xor,
    ZeroExt,
)
from taptrees.ots.values import Value
from taptrees.script import Script

M32 = 0xFFFFFFFF


def C(x: int) -> Expr:  # noqa: N802 - a constant word
    return Const(x & M32)


# --- the word's fields ------------------------------------------------------------


def field_zero(w: Expr, lo: int) -> Expr:
    """The 5-bit register field at bit ``lo`` is 0."""
    return Eq(And(w, C(31 << lo)), C(0))


def reg_of(w: Expr, lo: int) -> Expr:
    """Address of the register named by the 5-bit field at bit ``lo``."""
    return Or(C(REG_BASE), And(Shr(w, lo - 2), C(0x7C)))


def dest(w: Expr, lo: int) -> Expr:
    return Select(field_zero(w, lo), C(NO_WRITE_ADDRESS), reg_of(w, lo))


def dval(w: Expr, lo: int, v: Expr) -> Expr:
    return Select(field_zero(w, lo), C(0), v)


def simm(w: Expr) -> Expr:
    return SignExt(w, 16)


def rotr_var(x: Expr, s: Expr) -> Expr:
    """x rotated right by s mod 32 (a shift by 32 - s is a shift by -s mod 32)."""
    return Or(ShrVar(x, s), ShlVar(x, Sub(C(0), s)))


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

    @property
    def nxt(self) -> Expr:
        return Add(self.npc, C(4))

    def step(self, read1: Expr, read2: Expr, waddr: Expr, wval: Expr) -> Out:
        """An ordinary last micro-step: next triple (npc, npc + 4, 0), no witness."""
        return Out(read1, read2, waddr, wval, self.npc, self.nxt, C(0), C(0))

    def stay(self, read1: Expr, read2: Expr, waddr: Expr, wval: Expr, micro2: int,
             witness: Expr | None = None) -> Out:
        """A micro-step that is not the instruction's last: (pc, npc, micro2)."""
        return Out(read1, read2, waddr, wval, self.pc, self.npc, C(micro2), witness or C(0))

    def halt(self, read1: Expr, read2: Expr, status: int, code: Expr) -> Out:
        """The halting step (``micro.halt``): write K_EXIT, go to HALT_PC."""
        return Out(read1, read2, C(K_EXIT), Or(C(status << 8), And(code, C(0xFF))),
                   C(HALT_PC), C(HALT_PC), C(0), code)

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

    def byte_shift(self, a: Expr) -> Expr:
        """``micro.bshift``: bit position of the byte at ``a`` in its word."""
        lane = Shl(And(a, C(3)), 3)
        return Sub(C(24), lane) if self.big_endian else lane

    def half_shift(self, a: Expr) -> Expr:
        lane = Shl(And(a, C(2)), 3)
        return Sub(C(16), lane) if self.big_endian else lane

    def lr_shift(self, a: Expr, left: bool) -> Expr:
        """``micro.lr_shift``: the byte lanes an lwl/lwr/swl/swr moves, times 8."""
        lane = Shl(And(a, C(3)), 3)
        return lane if self.big_endian == left else Sub(C(24), lane)

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
        return Out(C(NO_READ), C(NO_READ), waddr, Add(c.pc, C(8)) if link else C(0), c.npc, target,
                   C(0), C(0))
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


def _mul_step(hi: bool, signed: bool, micro2: int | None) -> Semantics:
    def sem(c: Ctx) -> Out:
        p = MulS(c.v1, c.v2) if signed else MulU(c.v1, c.v2)
        value = Hi(p) if hi else Lo(p)
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        if micro2 is None:
            return c.step(r1, r2, C(HI if hi else LO), value)
        return c.stay(r1, r2, C(HI if hi else LO), value, micro2)
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
        shifted = ShrVar(c.v2, c.half_shift(a) if half else c.byte_shift(a))
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
        good = c.stay(r1, r2, C(mi.T0), rotr_var(c.v2, shift), 1)
        out = choose(c.writable(a), good, c.access_fault(r1, r2, a))
        return choose(aligned, out, c.halt(r1, r2, mi.ST_ADDRESS_ERROR, a)) if half else out
    return sem


def _sb_sh1(half: bool) -> Semantics:
    keep, low = (0xFFFF0000, 0xFFFF) if half else (0xFFFFFF00, 0xFF)
    return lambda c: c.stay(reg_of(c.w, RT), C(mi.T0), C(mi.T0),
                            Or(And(c.v2, C(keep)), And(c.v1, C(low))), 2)


def _sb_sh2(half: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        shift = c.half_shift(a) if half else c.byte_shift(a)
        return c.step(reg_of(c.w, RS), C(mi.T0), And(a, C(0xFFFFFFFC)), rotr_var(c.v2, Sub(C(0), shift)))
    return sem


def _mask_low(k: Expr) -> Expr:
    """(1 << k) - 1 for k < 32."""
    return Not(ShlVar(C(M32), k))


def _mask_high(k: Expr) -> Expr:
    """M ^ (M >> k) for k < 32."""
    return Not(ShrVar(C(M32), k))


def _lwlr0(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r1, r2 = reg_of(c.w, RS), Select(readable(a), And(a, C(0xFFFFFFFC)), C(NO_READ))
        k = c.lr_shift(a, left)
        part = ShlVar(c.v2, k) if left else ShrVar(c.v2, k)
        return choose(readable(a), c.stay(r1, r2, C(mi.T0), part, 1), c.fault(r1, r2, a, C(FAULT_MICRO)))
    return sem


def _lwlr1(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        k = c.lr_shift(c.ea(), left)
        return c.stay(reg_of(c.w, RS), reg_of(c.w, RT), C(mi.T1),
                      And(c.v2, _mask_low(k) if left else _mask_high(k)), 2)
    return sem


def _lwlr2(c: Ctx) -> Out:
    return c.step(C(mi.T0), C(mi.T1), dest(c.w, RT), dval(c.w, RT, Or(c.v1, c.v2)))


def _swlr0(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        k = c.lr_shift(a, left)
        part = ShrVar(c.v2, k) if left else ShlVar(c.v2, k)
        return choose(c.writable(a), c.stay(r1, r2, C(mi.T0), part, 1), c.access_fault(r1, r2, a))
    return sem


def _swlr1(left: bool) -> Semantics:
    def sem(c: Ctx) -> Out:
        a = c.ea()
        r2 = Select(c.writable(a), And(a, C(0xFFFFFFFC)), C(NO_READ))
        k = c.lr_shift(a, left)
        return c.stay(reg_of(c.w, RS), r2, C(mi.T1), And(c.v2, _mask_high(k) if left else _mask_low(k)), 2)
    return sem


def _swlr2(c: Ctx) -> Out:
    return c.stay(C(mi.T0), C(mi.T1), C(mi.T0), Or(c.v1, c.v2), 3)


def _swlr3(c: Ctx) -> Out:
    return c.step(reg_of(c.w, RS), C(mi.T0), And(c.ea(), C(0xFFFFFFFC)), c.v2)


def _divu(second: bool) -> Semantics:
    """divu: micro 0 writes LO = q with witness r, micro 1 HI = r with witness q.
    Script cannot divide: it checks the operator's q and r by ``v1 = q v2 + r``
    without overflow and ``r < v2`` (v2 = 0: q = v1, r = 0)."""
    def sem(c: Ctx) -> Out:
        q, r = (c.witness, c.wval) if second else (c.wval, c.witness)
        p = MulU(q, c.v2)
        total = Add(Lo(p), r)
        exact = And(And(Eq(Hi(p), C(0)), Not(Ltu(total, r))), Eq(total, c.v1))
        by_zero = And(Eq(q, c.v1), Eq(r, C(0)))
        ok = Select(Eq(c.v2, C(0)), by_zero, And(exact, Ltu(r, c.v2)))
        r1, r2 = reg_of(c.w, RS), reg_of(c.w, RT)
        if second:
            out = c.step(r1, r2, C(HI), c.wval)
            return Out(out.read1, out.read2, out.waddr, out.wval, out.pc2, out.npc2, out.micro2,
                       c.witness, ok)
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
        p = MulS(c.v1, c.v2) if signed else MulU(c.v1, c.v2)
        return c.stay(reg_of(c.w, RS), reg_of(c.w, RT), C(mi.T1 if hi else mi.T0), Hi(p) if hi else Lo(p),
                      2 if hi else 1)
    return sem


def _badpc(c: Ctx) -> Out:
    unaligned = Not(Eq(And(c.pc, C(3)), C(0)))
    return choose(unaligned, c.halt(C(NO_READ), C(NO_READ), mi.ST_ADDRESS_ERROR, c.pc),
                  c.halt(C(NO_READ), C(NO_READ), mi.ST_SIGNALLED, C(mi.SIGSEGV)))


def _madd_family() -> dict[tuple[str, int], Semantics]:
    out: dict[tuple[str, int], Semantics] = {}
    for name, signed, add in (("madd", True, True), ("maddu", False, True),
                              ("msub", True, False), ("msubu", False, False)):
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
    ("mul", 0): _rd_rs_rt(lambda c: Lo(MulU(c.v1, c.v2))),
    ("sllv", 0): _rd_rs_rt(lambda c: ShlVar(c.v2, c.v1)),
    ("srlv", 0): _rd_rs_rt(lambda c: ShrVar(c.v2, c.v1)),
    ("srav", 0): _rd_rs_rt(lambda c: SarVar(c.v2, c.v1)),
    ("rotrv", 0): _rd_rs_rt(lambda c: rotr_var(c.v2, c.v1)),
    ("sll", 0): _rd_rt(lambda c: ShlVar(c.v1, Shr(c.w, 6))),
    ("srl", 0): _rd_rt(lambda c: ShrVar(c.v1, Shr(c.w, 6))),
    ("sra", 0): _rd_rt(lambda c: SarVar(c.v1, Shr(c.w, 6))),
    ("rotr", 0): _rd_rt(lambda c: rotr_var(c.v1, Shr(c.w, 6))),
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
    ("sb", 0): _sb_sh0(half=False), ("sb", 1): _sb_sh1(half=False), ("sb", 2): _sb_sh2(half=False),
    ("sh", 0): _sb_sh0(half=True), ("sh", 1): _sb_sh1(half=True), ("sh", 2): _sb_sh2(half=True),
    ("lwl", 0): _lwlr0(left=True), ("lwr", 0): _lwlr0(left=False),
    ("lwl", 1): _lwlr1(left=True), ("lwr", 1): _lwlr1(left=False),
    ("lwl", 2): _lwlr2, ("lwr", 2): _lwlr2,
    ("swl", 0): _swlr0(left=True), ("swr", 0): _swlr0(left=False),
    ("swl", 1): _swlr1(left=True), ("swr", 1): _swlr1(left=False),
    ("swl", 2): _swlr2, ("swr", 2): _swlr2, ("swl", 3): _swlr3, ("swr", 3): _swlr3,
    ("divu", 0): _divu(second=False), ("divu", 1): _divu(second=True),
    ("clz", 0): _clz(ones=False), ("clo", 0): _clz(ones=True),
    ("invalid", 0): lambda c: c.halt(C(NO_READ), C(NO_READ), mi.ST_INVALID_INSTRUCTION, c.w),
    ("badpc", 0): _badpc,
    **_madd_family(),
}


# --- the opcode check ------------------------------------------------------------------


def _opcode_constraints(mnemonic: str) -> tuple[int, int, list[tuple[int, int, bool]]]:
    """(mask, value, extra) such that ``isa.decode(w).op == mnemonic`` iff
    ``w & mask == value`` and, for each ``(m, v, equal)`` of extra, ``(w & m == v) == equal``."""
    for table, op, select in ((isa.SPECIAL, 0, 0x3F), (isa.SPECIAL2, 28, 0x3F)):
        for code, name in table.items():
            if name == mnemonic:
                extra = []
                if mnemonic == "srl":
                    extra = [(0x03E00000, 1 << 21, False)]
                if mnemonic == "srlv":
                    extra = [(0x000007C0, 1 << 6, False)]
                return 0xFC000000 | select, (op << 26) | code, extra
    if mnemonic == "rotr":
        return 0xFC00003F | 0x03E00000, 2 | (1 << 21), []
    if mnemonic == "rotrv":
        return 0xFC00003F | 0x000007C0, 6 | (1 << 6), []
    for code, name in isa.REGIMM.items():
        if name == mnemonic:
            return 0xFC1F0000, (1 << 26) | (code << 16), []
    special3 = {"ext": (0x3F, 0), "ins": (0x3F, 4), "wsbh": (0x7FF, 32 | 2 << 6),
                "seb": (0x7FF, 32 | 16 << 6), "seh": (0x7FF, 32 | 24 << 6)}
    if mnemonic in special3:
        m, v = special3[mnemonic]
        return 0xFC000000 | m, (31 << 26) | v, []
    for code, name in isa.OPCODES.items():
        if name == mnemonic:
            mask = 0xFC000000 | (0x001F0000 if name in ("blez", "bgtz") else 0)
            return mask, code << 26, []
    raise KeyError(mnemonic)


def opcode_matches(mnemonic: str, word: int) -> bool:
    """Python form of the leaf's opcode check (tested against ``isa.decode``)."""
    if mnemonic == "invalid":
        return not any(opcode_matches(n, word) for n in isa.MNEMONICS)
    mask, value, extra = _opcode_constraints(mnemonic)
    return word & mask == value and all((word & m == v) == eq for m, v, eq in extra)


def opcode_check(mnemonic: str, w: Expr) -> Expr:
    mask, value, extra = _opcode_constraints(mnemonic)
    ok: Expr = Eq(And(w, C(mask)), C(value))
    for m, v, equal in extra:
        hit = Eq(And(w, C(m)), C(v))
        ok = And(ok, hit if equal else Not(hit))
    return ok


# --- the leaf -----------------------------------------------------------------------------

#: the read slots a kind uses (first, second), from the table's read functions
NO_READ1 = {mi.r_none}
NO_READ2 = {mi.r2_none}


@dataclass(frozen=True)
class ExecuteLeaf(CheckLeaf):
    """The operator's assert-correct leaf for one micro-step kind."""

    mnemonic: str
    micro: int
    big_endian: bool = True
    ro: tuple[tuple[int, int], ...] = ()
    code: tuple[tuple[int, int], ...] = ()  #: code ranges (the badpc leaf needs them)
    spender = OPERATOR
    purpose = "the operator's record of step i is what the micro-step computes"

    @property
    def kind(self) -> str:
        return f"Execute[{self.mnemonic}/{self.micro}]"

    @property
    def op(self) -> mi.MicroOp:
        return mi.MICRO_OPS[self.mnemonic, self.micro]

    @property
    def reads(self) -> tuple[bool, bool]:
        return self.op.read1 not in NO_READ1, self.op.read2 not in NO_READ2

    @property
    def has_witness(self) -> bool:
        return self.mnemonic in ("add", "sub", "addi", "break", "div", "divu", "lw", "ll", "lh",
                                 "lhu", "sw", "sc", "teq", "tne", "tge", "tgeu", "tlt", "tltu",
                                 "invalid", "badpc") or (self.mnemonic in ("sh",) and self.micro == 0)

    def values(self) -> tuple[Value, ...]:
        def v(name: str, kept: bool = True) -> Value:
            return Value(name, RECORD_FIELDS[name], kept=kept)

        r1, r2 = self.reads
        out = [v("pc"), v("npc"), v("micro"), v("word")]
        if r1:
            out += [v("read1_addr"), v("read1_value"), v("read1_writer", kept=False)]
        if r2:
            out += [v("read2_addr"), v("read2_value"), v("read2_writer", kept=False)]
        out += [v("write_addr"), v("write_value"), v("next_pc"), v("next_npc"), v("next_micro")]
        if self.has_witness:
            out.append(v("witness"))
        return tuple(out)

    def _kind_check(self, c: Ctx) -> Expr:
        """The word is of this kind: its opcode fields (``invalid``: of none of the
        valid instructions; ``badpc``: the pc is unaligned or outside the code, word 0)."""
        if self.mnemonic == "badpc":
            aligned = Eq(And(c.pc, C(3)), C(0))
            return And(Eq(c.w, C(0)), Not(And(aligned, c.in_ranges(c.pc, self.code))))
        if self.mnemonic == "invalid":
            valid: Expr | None = None
            for name in isa.MNEMONICS:
                hit = opcode_check(name, c.w)
                valid = hit if valid is None else Or(valid, hit)
            return Not(valid)
        return opcode_check(self.mnemonic, c.w)

    def _compile(self) -> Script:
        sem = SEMANTICS[self.mnemonic, self.micro]
        r1, r2 = self.reads

        def condition(x: dict[str, Expr]) -> Expr:
            ctx = Ctx(x["word"], x["pc"], x["npc"], x["read1_value"] if r1 else C(0),
                      x["read2_value"] if r2 else C(0), x.get("witness", C(0)), self.big_endian, self.ro,
                      self.code, x["write_value"])
            out = sem(ctx)
            checks = [self._kind_check(ctx), out.extra,
                      Eq(x["micro"], C(self.micro)),
                      Eq(x["write_addr"], out.waddr), Eq(x["write_value"], out.wval),
                      Eq(x["next_pc"], out.pc2), Eq(x["next_npc"], out.npc2),
                      Eq(x["next_micro"], out.micro2)]
            if r1:
                checks.append(Eq(x["read1_addr"], out.read1))
            if r2:
                checks.append(Eq(x["read2_addr"], out.read2))
            if self.has_witness:
                checks.append(Eq(x["witness"], out.witness))
            ok: Expr | None = None
            for e in checks:
                if e is not None:
                    ok = e if ok is None else And(ok, e)
            return ok
        return arith_body(self.layout, condition)

    def accepts(self, v: Mapping[str, int]) -> bool:
        """The table's semantics: the record is what ``MICRO_OPS[kind]`` computes."""
        layout = (int(self.big_endian), len(self.ro), *[x for r in self.ro for x in r],
                  len(self.code), *[x for r in self.code for x in r])
        if v["micro"] != self.micro:
            return False
        if self.mnemonic == "badpc":
            if v["word"] != 0 or (v["pc"] & 3 == 0 and mi.is_code(v["pc"], layout)):
                return False
        elif not opcode_matches(self.mnemonic, v["word"]):
            return False
        r1, r2 = self.reads
        w, pc, npc, m = v["word"], v["pc"], v["npc"], self.micro
        a1 = self.op.read1(w, pc, npc, m, layout)
        v1 = v["read1_value"] if r1 else 0
        a2 = self.op.read2(w, pc, npc, m, v1, layout)
        v2 = v["read2_value"] if r2 else 0
        if (r1 and v["read1_addr"] != a1) or (r2 and v["read2_addr"] != a2):
            return False
        if (not r1 and a1 != NO_READ) or (not r2 and a2 != NO_READ):  # pragma: no cover
            raise AssertionError("a read slot the leaf does not reveal is used")
        got = self.op.run(w, pc, npc, m, v1, v2, layout)
        want = (v["write_addr"], v["write_value"], v["next_pc"], v["next_npc"], v["next_micro"],
                v.get("witness", 0))
        return tuple(got) == want

"""THE micro-step semantics of the dispute machine: one table, :data:`MICRO_OPS`.

Every micro-step kind is keyed by ``(mnemonic, micro)``: the instruction's mnemonic
(:mod:`ocp.zkvm.isa`) and the micro-step number; micro-steps ``>= 128`` deliver a
SIGSEGV and are keyed ``("fault", micro)`` whatever the instruction word; a pc
outside the code is ``("badpc", 0)``.  Each :class:`MicroOp` holds three pure
functions of plain integers:

``read1(w, pc, npc, m, L) -> address``
    the first word read (``w`` the instruction word, ``L`` the layout array);
``read2(w, pc, npc, m, v1, L) -> address``
    the second, which may depend on the first value ``v1`` (a load's effective
    address is ``v1 + imm``);
``run(w, pc, npc, m, v1, v2, L) -> (waddr, wval, pc', npc', micro', witness)``
    the write (:data:`~ocp.zkvm.record.NO_WRITE_ADDRESS` for none), the next pc
    triple and the witness word (module :mod:`ocp.zkvm.record`).

``L`` is :meth:`Layout.as_array`: ``[big_endian, n, ro ranges (n pairs), m, code
ranges (m pairs)]``; the only program-dependent inputs (byte lanes, which writes
fault, which pcs are code).  An unused read slot reads :data:`~ocp.zkvm.record.NO_READ`
(``$0``).  Use::

    op = MICRO_OPS[kind_of(word, micro, pc, L)]
    a1 = op.read1(word, pc, npc, micro, L);      v1 = memory[a1]
    a2 = op.read2(word, pc, npc, micro, v1, L);  v2 = memory[a2]
    waddr, wval, pc2, npc2, micro2, witness = op.run(word, pc, npc, micro, v1, v2, L)

(:func:`execute` does exactly that over any word source).  The reference stepper
(:mod:`ocp.zkvm.stepper`) runs through this table; the fast engine compiles these same
functions with numba (:mod:`ocp.zkvm.fastgen`); the Script twins and tests take them
from here.  The code is written so that both work: module-level functions, integers
only, every value below 2**63.

Micro-programs (what each multi-step instruction does, T_k = scratch register k):

* ``mult/multu``: 0: LO = low(rs*rt); 1: HI = high.  ``div/divu``: 0: LO = q with
  witness r; 1: HI = r with witness q; both check ``rs = q*rt' + r`` (rt' = 1 when
  rt = 0 or for INT_MIN/-1: QEMU's pinned UNPREDICTABLE result, LO = rs, HI = 0).
* ``madd/maddu/msub/msubu``: T0 = low(p), T1 = high(p), T2 = carry/borrow of
  LO +- T0, T1 += T2, LO +-= T0, HI +-= T1.
* ``sb/sh``: T0 = old word rotated so the target lane is the low byte/half; merge
  rt's low byte/half into T0; store T0 rotated back.
* ``swl/swr``: T0 = rt's part, T1 = the old word's kept part, T0 |= T1, store T0.
* ``lwl/lwr``: T0 = the memory part, T1 = rt's kept part, rt = T0 | T1.
* ``sc``: 0: the store; 1: rt = 1 (single hart: ``sc`` always succeeds).
* ``syscall``: 0 reads $v0 and $a0 and dispatches (exit/exit_group halt here);
  each call's program leaves its result in T0 (-errno for errors) and ends with
  RET0 ($v0 = T0 or errno) and RET1 ($a3 = error flag).  See :data:`SYSCALLS`.
* faults: a guest access to the null page or at/above 0x80000000 (SEGV_MAPERR) or a
  write to a read-only segment (SEGV_ACCERR) writes the address to T8 and enters
  micro 128/129, which build a Linux o32 ``rt_sigframe`` for the SIGSEGV handler
  (on the sigaltstack if the handler asked for it), and jump to the handler with
  ``$ra`` at the sigreturn trampoline; without a handler the run halts (SIGNALLED, 11).
  ``rt_sigreturn`` restores the registers and pc from the frame.

Deterministic halts (no Linux signal): unaligned accesses (ADDRESS_ERROR), invalid
instructions, traps, ``break``, signed overflow, unknown syscalls, kill/tgkill, a
fetch outside the code.  A halt writes :data:`~ocp.zkvm.record.K_EXIT`
(``status << 8 | code & 0xff``, full code as witness) and moves to HALT_PC.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ocp.zkvm import isa
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
    SCRATCH_BASE,
    SIGRETURN_PC,
    Status,
)

# The same source is compiled by numba for the fast engine (ocp.zkvm.fastgen loads
# this file a second time under the name below); here it is plain Python.
_NUMBA = __name__.endswith("_numba_twin") and not os.environ.get("NUMBA_DISABLE_JIT")
if _NUMBA:  # pragma: no cover - exercised through the fast engine
    from numba import njit as _njit

    def pure(fn):  # noqa: ANN001, ANN201
        # helpers are inlined into the kind functions (the loop ran 2x faster, measured);
        # the kind functions are not (inlining all 255 into the dispatch took 6 minutes
        # to compile and gained nothing once the engine hashes)
        kind_fn = fn.__name__.startswith(("r_", "r2_", "x_"))
        return _njit(cache=True, nogil=True, inline="never" if kind_fn else "always")(fn)
else:

    def pure(fn):  # noqa: ANN001, ANN201
        """Mark a semantics function (numba-compiled in the fast engine's twin)."""
        return fn


M = 0xFFFFFFFF
S = 0x80000000
ST_EXITED, ST_INVALID_INSTRUCTION, ST_TRAP, ST_ADDRESS_ERROR = 1, 2, 3, 4
ST_OVERFLOW, ST_UNKNOWN_SYSCALL, ST_BREAK, ST_SIGNALLED = 5, 6, 7, 8
assert (
    ST_EXITED,
    ST_INVALID_INSTRUCTION,
    ST_TRAP,
    ST_ADDRESS_ERROR,
    ST_OVERFLOW,
    ST_UNKNOWN_SYSCALL,
    ST_BREAK,
    ST_SIGNALLED,
) == tuple(Status)[1:]

# scratch registers (addresses)
T0, T1, T2, T3, T4, T5, T6 = (SCRATCH_BASE + 4 * k for k in range(7))
T_FADDR = SCRATCH_BASE + 4 * 8  #: fault address
T_FCODE = SCRATCH_BASE + 4 * 9  #: si_code (SEGV_MAPERR / SEGV_ACCERR)
T_FRAME = SCRATCH_BASE + 4 * 10  #: signal frame base
T_USEALT = SCRATCH_BASE + 4 * 11
T_ONALT = SCRATCH_BASE + 4 * 12

# Linux/MIPS constants
SIGSEGV = 11
SEGV_MAPERR, SEGV_ACCERR = 1, 2
SA_ONSTACK = 0x08000000
SS_DISABLE = 2
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x800
HEAP_START = 0x2000_0000
HEAP_LIMIT = 0x7000_0000
CLOCK_SECONDS = 1257894000  #: 2009-11-10 23:00:00 UTC, every clock call
EPERM, ENOENT, EBADF, EAGAIN, ENOMEM, EFAULT, EINVAL, ENOSYS = 1, 2, 9, 11, 12, 14, 22, 89
ERR_MIN = 0xFFFFF001  #: T0 values at or above this are -errno

#: Linux o32 ``struct rt_sigframe`` offsets (arch/mips/kernel/signal.c; Go's
#: defs_linux_mipsx.go): 24 bytes of argument save area, siginfo, ucontext.
FRAME_SIZE = 784
FR_SIGNO, FR_CODE, FR_ERRNO, FR_ADDR = 24, 28, 32, 36  # siginfo (MIPS: code before errno)
FR_UCONTEXT = 152
FR_SC_PC = 184  # uc_mcontext (at 176) + 8: u64 sc_pc
FR_SC_REGS = 192  # 32 x u64
FR_SC_MDHI = 728
FR_SC_MDLO = 736


# ------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """The program-dependent part of the semantics: byte order, read-only and code ranges.

    Ranges are half-open ``(start, end)``.  ``ro`` lists every segment without PF_W
    (writes fault with SEGV_ACCERR), ``code`` every segment with PF_X (the only pcs
    that execute); both include the sigreturn trampoline.
    """

    big_endian: bool
    ro: tuple[tuple[int, int], ...]
    code: tuple[tuple[int, int], ...]

    def as_array(self) -> tuple[int, ...]:
        flat: list[int] = [int(self.big_endian), len(self.ro)]
        for a, b in self.ro:
            flat += [a, b]
        flat.append(len(self.code))
        for a, b in self.code:
            flat += [a, b]
        return tuple(flat)


# ------------------------------------------------------------------ helpers
@pure
def f_rs(w):
    return (w >> 21) & 31


@pure
def f_rt(w):
    return (w >> 16) & 31


@pure
def f_rd(w):
    return (w >> 11) & 31


@pure
def f_sa(w):
    return (w >> 6) & 31


@pure
def simm(w):
    """The sign-extended 16-bit immediate as a u32."""
    imm = w & 0xFFFF
    return (imm | 0xFFFF0000) if imm & 0x8000 else imm


@pure
def s32(x):
    return x - ((x & S) << 1)


@pure
def reg(r):
    return REG_BASE + 4 * r


@pure
def dest(r):
    """Write address for register ``r``: none for $0."""
    return NO_WRITE_ADDRESS if r == 0 else REG_BASE + 4 * r


@pure
def dval(r, v):
    return 0 if r == 0 else v & M


@pure
def readable(a):
    return NULL_GUARD_END <= a < RESERVED_BASE


@pure
def in_ro(a, L):
    n = L[1]
    for i in range(n):
        if L[2 + 2 * i] <= a < L[3 + 2 * i]:
            return True
    return False


@pure
def writable(a, L):
    return readable(a) and not in_ro(a, L)


@pure
def is_code(pc, L):
    base = 2 + 2 * L[1]
    n = L[base]
    for i in range(n):
        if L[base + 1 + 2 * i] <= pc < L[base + 2 + 2 * i]:
            return True
    return False


@pure
def bshift(a, L):
    """Bit position of the byte at address ``a`` within its word."""
    return 24 - 8 * (a & 3) if L[0] else 8 * (a & 3)


@pure
def hshift(a, L):
    return 16 - 8 * (a & 2) if L[0] else 8 * (a & 2)


@pure
def rotr(x, s):
    return ((x >> s) | (x << (32 - s))) & M if s else x


@pure
def rotl(x, s):
    return ((x << s) | (x >> (32 - s))) & M if s else x


@pure
def mulu(a, b):
    """(low, high) of the 64-bit product of two u32 (16-bit limbs: stays below 2**63)."""
    a0, a1, b0, b1 = a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16
    mid = a0 * b1 + a1 * b0
    low = a0 * b0 + ((mid & 0xFFFF) << 16)
    high = a1 * b1 + (mid >> 16) + (low >> 32)
    return low & M, high & M


@pure
def muls(a, b):
    """(low, high) of the signed 64-bit product of two u32 read as s32."""
    x = a if a < S else (M - a + 1) & M  # |a| as a u32 (INT_MIN gives 2**31)
    y = b if b < S else (M - b + 1) & M
    low, high = mulu(x, y)
    if ((a ^ b) & S) != 0 and (low != 0 or high != 0):  # negate mod 2**64
        low = (M - low + 1) & M
        high = (M - high + (1 if low == 0 else 0)) & M
    return low, high


@pure
def divu_qr(a, b):
    if b == 0:
        return a, 0
    return a // b, a % b


@pure
def div_qr(a, b):
    """Signed quotient (toward zero) and remainder as u32; b = 0 or INT_MIN/-1 -> (a, 0)."""
    sa, sb = s32(a), s32(b)
    if sb == 0 or (sb == -1 and sa == -S):
        return a, 0
    q = abs(sa) // abs(sb)
    if (sa < 0) != (sb < 0):
        q = -q
    r = sa - q * sb
    return q & M, r & M


@pure
def halt(status, code):
    """The halting step: write K_EXIT, move to HALT_PC; witness = the full code."""
    return K_EXIT, (status << 8) | (code & 0xFF), HALT_PC, HALT_PC, 0, code & M


@pure
def fault(pc, npc, a):
    """A guest access to ``a`` faults: remember it, enter the SIGSEGV program."""
    return T_FADDR, a & M, pc, npc, FAULT_MICRO if not readable(a) else FAULT_MICRO + 1, 0


@pure
def nxt(npc):
    return (npc + 4) & M


# ------------------------------------------------------------- read slots
@pure
def r_none(w, pc, npc, m, L):
    return NO_READ


@pure
def r2_none(w, pc, npc, m, v1, L):
    return NO_READ


@pure
def r_rs(w, pc, npc, m, L):
    return REG_BASE + 4 * ((w >> 21) & 31)


@pure
def r_rt(w, pc, npc, m, L):
    return REG_BASE + 4 * ((w >> 16) & 31)


@pure
def r2_rt(w, pc, npc, m, v1, L):
    return REG_BASE + 4 * ((w >> 16) & 31)


@pure
def r_hi(w, pc, npc, m, L):
    return HI


@pure
def r_lo(w, pc, npc, m, L):
    return LO


@pure
def r2_lo_(w, pc, npc, m, v1, L):
    return LO


@pure
def r2_hi_(w, pc, npc, m, v1, L):
    return HI


@pure
def r_t0(w, pc, npc, m, L):
    return T0


@pure
def r_t1(w, pc, npc, m, L):
    return T1


@pure
def r_t2(w, pc, npc, m, L):
    return T2


@pure
def r_t3(w, pc, npc, m, L):
    return T3


@pure
def r_t5(w, pc, npc, m, L):
    return T5


@pure
def r_frame(w, pc, npc, m, L):
    return T_FRAME


@pure
def r2_t0(w, pc, npc, m, v1, L):
    return T0


@pure
def r2_t1(w, pc, npc, m, v1, L):
    return T1


@pure
def r2_t2(w, pc, npc, m, v1, L):
    return T2


@pure
def r2_t4(w, pc, npc, m, v1, L):
    return T4


@pure
def r2_t6(w, pc, npc, m, v1, L):
    return T6


@pure
def r2_a0(w, pc, npc, m, v1, L):
    return REG_BASE + 4 * 4


@pure
def r2_a1(w, pc, npc, m, v1, L):
    return REG_BASE + 4 * 5


@pure
def r2_a2(w, pc, npc, m, v1, L):
    return REG_BASE + 4 * 6


@pure
def r2_heap(w, pc, npc, m, v1, L):
    return K_HEAP


@pure
def r2_input_off(w, pc, npc, m, v1, L):
    return K_INPUT_OFF


@pure
def r2_alt_size(w, pc, npc, m, v1, L):
    return K_ALT_SIZE


@pure
def r2_alt_sp(w, pc, npc, m, v1, L):
    return K_ALT_SP


@pure
def r2_sp(w, pc, npc, m, v1, L):
    return REG_BASE + 4 * 29


@pure
def r2_segv_flags(w, pc, npc, m, v1, L):
    return K_SEGV_FLAGS


@pure
def r2_segv_handler(w, pc, npc, m, v1, L):
    return K_SEGV_HANDLER


@pure
def r2_fcode(w, pc, npc, m, v1, L):
    return T_FCODE


@pure
def r2_faddr(w, pc, npc, m, v1, L):
    return T_FADDR


@pure
def r2_onalt(w, pc, npc, m, v1, L):
    return T_ONALT


# memory operands: the effective address rs + imm, read only when the access is allowed
@pure
def r2_load_word(w, pc, npc, m, v1, L):
    a = (v1 + simm(w)) & M
    return a if (a & 3) == 0 and readable(a) else NO_READ


@pure
def r2_load_half(w, pc, npc, m, v1, L):
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC if (a & 1) == 0 and readable(a) else NO_READ


@pure
def r2_load_byte(w, pc, npc, m, v1, L):
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC if readable(a) else NO_READ


@pure
def r2_store_byte(w, pc, npc, m, v1, L):
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC if writable(a, L) else NO_READ


@pure
def r2_store_half(w, pc, npc, m, v1, L):
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC if (a & 1) == 0 and writable(a, L) else NO_READ


# ------------------------------------------------------------------- ALU
@pure
def x_addu(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 + v2), npc, nxt(npc), 0, 0


@pure
def x_subu(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 - v2), npc, nxt(npc), 0, 0


@pure
def x_add(w, pc, npc, m, v1, v2, L):
    res = (v1 + v2) & M
    if (v1 ^ res) & (v2 ^ res) & S:
        return halt(ST_OVERFLOW, pc)
    r = f_rd(w)
    return dest(r), dval(r, res), npc, nxt(npc), 0, 0


@pure
def x_sub(w, pc, npc, m, v1, v2, L):
    res = (v1 - v2) & M
    if (v1 ^ v2) & (v1 ^ res) & S:
        return halt(ST_OVERFLOW, pc)
    r = f_rd(w)
    return dest(r), dval(r, res), npc, nxt(npc), 0, 0


@pure
def x_and(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 & v2), npc, nxt(npc), 0, 0


@pure
def x_or(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 | v2), npc, nxt(npc), 0, 0


@pure
def x_xor(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 ^ v2), npc, nxt(npc), 0, 0


@pure
def x_nor(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, (v1 | v2) ^ M), npc, nxt(npc), 0, 0


@pure
def x_slt(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, 1 if (v1 ^ S) < (v2 ^ S) else 0), npc, nxt(npc), 0, 0


@pure
def x_sltu(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, 1 if v1 < v2 else 0), npc, nxt(npc), 0, 0


@pure
def x_movz(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    if v2 != 0:
        return NO_WRITE_ADDRESS, 0, npc, nxt(npc), 0, 0
    return dest(r), dval(r, v1), npc, nxt(npc), 0, 0


@pure
def x_movn(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    if v2 == 0:
        return NO_WRITE_ADDRESS, 0, npc, nxt(npc), 0, 0
    return dest(r), dval(r, v1), npc, nxt(npc), 0, 0


@pure
def x_mul(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    low, _high = mulu(v1, v2)  # the low 32 bits do not depend on signedness
    return dest(r), dval(r, low), npc, nxt(npc), 0, 0


@pure
def x_clz(w, pc, npc, m, v1, v2, L):
    n = 0
    while n < 32 and not (v1 >> (31 - n)) & 1:
        n += 1
    r = f_rd(w)
    return dest(r), dval(r, n), npc, nxt(npc), 0, 0


@pure
def x_clo(w, pc, npc, m, v1, v2, L):
    n = 0
    while n < 32 and (v1 >> (31 - n)) & 1:
        n += 1
    r = f_rd(w)
    return dest(r), dval(r, n), npc, nxt(npc), 0, 0


# shifts: v1 = rt (immediate forms) or v1 = rs, v2 = rt (variable forms)
@pure
def x_sll(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, (v1 << f_sa(w)) & M), npc, nxt(npc), 0, 0


@pure
def x_srl(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1 >> f_sa(w)), npc, nxt(npc), 0, 0


@pure
def x_sra(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, (s32(v1) >> f_sa(w)) & M), npc, nxt(npc), 0, 0


@pure
def x_rotr(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, rotr(v1, f_sa(w))), npc, nxt(npc), 0, 0


@pure
def x_sllv(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, (v2 << (v1 & 31)) & M), npc, nxt(npc), 0, 0


@pure
def x_srlv(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v2 >> (v1 & 31)), npc, nxt(npc), 0, 0


@pure
def x_srav(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, (s32(v2) >> (v1 & 31)) & M), npc, nxt(npc), 0, 0


@pure
def x_rotrv(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, rotr(v2, v1 & 31)), npc, nxt(npc), 0, 0


# immediate ALU: v1 = rs, writes rt
@pure
def x_addiu(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, v1 + simm(w)), npc, nxt(npc), 0, 0


@pure
def x_addi(w, pc, npc, m, v1, v2, L):
    b = simm(w)
    res = (v1 + b) & M
    if (v1 ^ res) & (b ^ res) & S:
        return halt(ST_OVERFLOW, pc)
    r = f_rt(w)
    return dest(r), dval(r, res), npc, nxt(npc), 0, 0


@pure
def x_slti(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, 1 if (v1 ^ S) < (simm(w) ^ S) else 0), npc, nxt(npc), 0, 0


@pure
def x_sltiu(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, 1 if v1 < simm(w) else 0), npc, nxt(npc), 0, 0


@pure
def x_andi(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, v1 & (w & 0xFFFF)), npc, nxt(npc), 0, 0


@pure
def x_ori(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, v1 | (w & 0xFFFF)), npc, nxt(npc), 0, 0


@pure
def x_xori(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, v1 ^ (w & 0xFFFF)), npc, nxt(npc), 0, 0


@pure
def x_lui(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, (w & 0xFFFF) << 16), npc, nxt(npc), 0, 0


# MIPS32r2 bit fields
@pure
def x_ext(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, (v1 >> f_sa(w)) & ((1 << (f_rd(w) + 1)) - 1)), npc, nxt(npc), 0, 0


@pure
def x_ins(w, pc, npc, m, v1, v2, L):
    lsb, msb = f_sa(w), f_rd(w)
    imask = ((((1 << (msb - lsb + 1)) - 1) << lsb) & M) if msb >= lsb else 0
    r = f_rt(w)
    return dest(r), dval(r, (v2 & (M ^ imask)) | ((v1 << lsb) & imask)), npc, nxt(npc), 0, 0


@pure
def x_wsbh(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, ((v1 & 0x00FF00FF) << 8) | ((v1 >> 8) & 0x00FF00FF)), npc, nxt(npc), 0, 0


@pure
def x_seb(w, pc, npc, m, v1, v2, L):
    v = v1 & 0xFF
    r = f_rd(w)
    return dest(r), dval(r, v | 0xFFFFFF00 if v & 0x80 else v), npc, nxt(npc), 0, 0


@pure
def x_seh(w, pc, npc, m, v1, v2, L):
    v = v1 & 0xFFFF
    r = f_rd(w)
    return dest(r), dval(r, v | 0xFFFF0000 if v & 0x8000 else v), npc, nxt(npc), 0, 0


# ----------------------------------------------------------------- HI/LO
@pure
def x_mfhilo(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, v1), npc, nxt(npc), 0, 0


@pure
def x_mthi(w, pc, npc, m, v1, v2, L):
    return HI, v1, npc, nxt(npc), 0, 0


@pure
def x_mtlo(w, pc, npc, m, v1, v2, L):
    return LO, v1, npc, nxt(npc), 0, 0


@pure
def x_mult0(w, pc, npc, m, v1, v2, L):
    low, _high = muls(v1, v2)
    return LO, low, pc, npc, 1, 0


@pure
def x_mult1(w, pc, npc, m, v1, v2, L):
    _low, high = muls(v1, v2)
    return HI, high, npc, nxt(npc), 0, 0


@pure
def x_multu0(w, pc, npc, m, v1, v2, L):
    low, _high = mulu(v1, v2)
    return LO, low, pc, npc, 1, 0


@pure
def x_multu1(w, pc, npc, m, v1, v2, L):
    _low, high = mulu(v1, v2)
    return HI, high, npc, nxt(npc), 0, 0


@pure
def x_div0(w, pc, npc, m, v1, v2, L):
    q, r = div_qr(v1, v2)
    return LO, q, pc, npc, 1, r


@pure
def x_div1(w, pc, npc, m, v1, v2, L):
    q, r = div_qr(v1, v2)
    return HI, r, npc, nxt(npc), 0, q


@pure
def x_divu0(w, pc, npc, m, v1, v2, L):
    q, r = divu_qr(v1, v2)
    return LO, q, pc, npc, 1, r


@pure
def x_divu1(w, pc, npc, m, v1, v2, L):
    q, r = divu_qr(v1, v2)
    return HI, r, npc, nxt(npc), 0, q


# madd/maddu/msub/msubu: 0 T0 = low(p); 1 T1 = high(p); 2 T2 = carry/borrow;
# 3 T1 += T2; 4 LO +-= T0; 5 HI +-= T1
@pure
def x_madd0(w, pc, npc, m, v1, v2, L):
    low, _high = muls(v1, v2)
    return T0, low, pc, npc, 1, 0


@pure
def x_madd1(w, pc, npc, m, v1, v2, L):
    _low, high = muls(v1, v2)
    return T1, high, pc, npc, 2, 0


@pure
def x_maddu0(w, pc, npc, m, v1, v2, L):
    low, _high = mulu(v1, v2)
    return T0, low, pc, npc, 1, 0


@pure
def x_maddu1(w, pc, npc, m, v1, v2, L):
    _low, high = mulu(v1, v2)
    return T1, high, pc, npc, 2, 0


@pure
def x_acc_carry(w, pc, npc, m, v1, v2, L):  # v1 = LO, v2 = T0
    return T2, (v1 + v2) >> 32, pc, npc, 3, 0


@pure
def x_acc_borrow(w, pc, npc, m, v1, v2, L):
    return T2, 1 if v1 < v2 else 0, pc, npc, 3, 0


@pure
def x_acc_high(w, pc, npc, m, v1, v2, L):  # v1 = T1, v2 = T2
    return T1, (v1 + v2) & M, pc, npc, 4, 0


@pure
def x_acc_lo_add(w, pc, npc, m, v1, v2, L):  # v1 = LO, v2 = T0
    return LO, (v1 + v2) & M, pc, npc, 5, 0


@pure
def x_acc_lo_sub(w, pc, npc, m, v1, v2, L):
    return LO, (v1 - v2) & M, pc, npc, 5, 0


@pure
def x_acc_hi_add(w, pc, npc, m, v1, v2, L):  # v1 = HI, v2 = T1
    return HI, (v1 + v2) & M, npc, nxt(npc), 0, 0


@pure
def x_acc_hi_sub(w, pc, npc, m, v1, v2, L):
    return HI, (v1 - v2) & M, npc, nxt(npc), 0, 0


# -------------------------------------------------------------- branches
@pure
def btarget(w, pc):
    return (pc + 4 + (simm(w) << 2)) & M


@pure
def x_beq(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, btarget(w, pc) if v1 == v2 else nxt(npc), 0, 0


@pure
def x_bne(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, btarget(w, pc) if v1 != v2 else nxt(npc), 0, 0


@pure
def x_blez(w, pc, npc, m, v1, v2, L):
    t = v1 == 0 or (v1 & S) != 0
    return NO_WRITE_ADDRESS, 0, npc, btarget(w, pc) if t else nxt(npc), 0, 0


@pure
def x_bgtz(w, pc, npc, m, v1, v2, L):
    t = v1 != 0 and (v1 & S) == 0
    return NO_WRITE_ADDRESS, 0, npc, btarget(w, pc) if t else nxt(npc), 0, 0


@pure
def x_bltz(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, btarget(w, pc) if v1 & S else nxt(npc), 0, 0


@pure
def x_bgez(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, nxt(npc) if v1 & S else btarget(w, pc), 0, 0


@pure
def x_bltzal(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 31, (pc + 8) & M, npc, btarget(w, pc) if v1 & S else nxt(npc), 0, 0


@pure
def x_bgezal(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 31, (pc + 8) & M, npc, nxt(npc) if v1 & S else btarget(w, pc), 0, 0


@pure
def jtarget(w, pc):
    return ((pc + 4) & 0xF0000000) | ((w & 0x3FFFFFF) << 2)


@pure
def x_j(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, jtarget(w, pc), 0, 0


@pure
def x_jal(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 31, (pc + 8) & M, npc, jtarget(w, pc), 0, 0


@pure
def x_jr(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, v1, 0, 0


@pure
def x_jalr(w, pc, npc, m, v1, v2, L):
    r = f_rd(w)
    return dest(r), dval(r, pc + 8), npc, v1, 0, 0


@pure
def x_nop(w, pc, npc, m, v1, v2, L):
    return NO_WRITE_ADDRESS, 0, npc, nxt(npc), 0, 0


@pure
def x_trap(w, pc, npc, m, v1, v2, L):
    """teq/tne/tge/tgeu/tlt/tltu: v1 = rs, v2 = rt; the funct field picks the test."""
    fn = w & 63
    if fn == 52:
        t = v1 == v2
    elif fn == 54:
        t = v1 != v2
    elif fn == 48:
        t = (v1 ^ S) >= (v2 ^ S)
    elif fn == 49:
        t = v1 >= v2
    elif fn == 50:
        t = (v1 ^ S) < (v2 ^ S)
    else:
        t = v1 < v2
    if t:
        return halt(ST_TRAP, (w >> 6) & 0x3FF)
    return NO_WRITE_ADDRESS, 0, npc, nxt(npc), 0, 0


@pure
def x_break(w, pc, npc, m, v1, v2, L):
    return halt(ST_BREAK, w)


@pure
def x_invalid(w, pc, npc, m, v1, v2, L):
    return halt(ST_INVALID_INSTRUCTION, w)


@pure
def x_badpc(w, pc, npc, m, v1, v2, L):
    if pc & 3:
        return halt(ST_ADDRESS_ERROR, pc)
    return halt(ST_SIGNALLED, SIGSEGV)


# ------------------------------------------------------------------ loads
@pure
def x_lw(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if a & 3:
        return halt(ST_ADDRESS_ERROR, a)
    if not readable(a):
        return fault(pc, npc, a)
    r = f_rt(w)
    return dest(r), dval(r, v2), npc, nxt(npc), 0, 0


@pure
def x_lb(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if not readable(a):
        return fault(pc, npc, a)
    v = (v2 >> bshift(a, L)) & 0xFF
    r = f_rt(w)
    return dest(r), dval(r, v | 0xFFFFFF00 if v & 0x80 else v), npc, nxt(npc), 0, 0


@pure
def x_lbu(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if not readable(a):
        return fault(pc, npc, a)
    r = f_rt(w)
    return dest(r), dval(r, (v2 >> bshift(a, L)) & 0xFF), npc, nxt(npc), 0, 0


@pure
def x_lh(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if a & 1:
        return halt(ST_ADDRESS_ERROR, a)
    if not readable(a):
        return fault(pc, npc, a)
    v = (v2 >> hshift(a, L)) & 0xFFFF
    r = f_rt(w)
    return dest(r), dval(r, v | 0xFFFF0000 if v & 0x8000 else v), npc, nxt(npc), 0, 0


@pure
def x_lhu(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if a & 1:
        return halt(ST_ADDRESS_ERROR, a)
    if not readable(a):
        return fault(pc, npc, a)
    r = f_rt(w)
    return dest(r), dval(r, (v2 >> hshift(a, L)) & 0xFFFF), npc, nxt(npc), 0, 0


@pure
def lr_shift(a, left, L):
    """Byte lanes an lwl/lwr/swl/swr moves (times 8) for address ``a``."""
    flip = (L[0] != 0) == left
    return 8 * ((a & 3) if flip else 3 - (a & 3))


# lwl/lwr: 0 T0 = memory part; 1 T1 = rt's kept part; 2 rt = T0 | T1
@pure
def x_lwl0(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if not readable(a):
        return fault(pc, npc, a)
    return T0, (v2 << lr_shift(a, True, L)) & M, pc, npc, 1, 0


@pure
def x_lwr0(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if not readable(a):
        return fault(pc, npc, a)
    return T0, v2 >> lr_shift(a, False, L), pc, npc, 1, 0


@pure
def x_lwl1(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = rt
    k = lr_shift((v1 + simm(w)) & M, True, L)
    return T1, v2 & ((1 << k) - 1), pc, npc, 2, 0


@pure
def x_lwr1(w, pc, npc, m, v1, v2, L):
    k = lr_shift((v1 + simm(w)) & M, False, L)
    return T1, v2 & (M ^ (M >> k)), pc, npc, 2, 0


@pure
def x_lwlr2(w, pc, npc, m, v1, v2, L):  # v1 = T0, v2 = T1
    r = f_rt(w)
    return dest(r), dval(r, v1 | v2), npc, nxt(npc), 0, 0


# ----------------------------------------------------------------- stores
@pure
def x_sw(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = rt
    a = (v1 + simm(w)) & M
    if a & 3:
        return halt(ST_ADDRESS_ERROR, a)
    if not writable(a, L):
        return fault(pc, npc, a)
    return a, v2, npc, nxt(npc), 0, 0


@pure
def x_sc0(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if a & 3:
        return halt(ST_ADDRESS_ERROR, a)
    if not writable(a, L):
        return fault(pc, npc, a)
    return a, v2, pc, npc, 1, 0


@pure
def x_sc1(w, pc, npc, m, v1, v2, L):
    r = f_rt(w)
    return dest(r), dval(r, 1), npc, nxt(npc), 0, 0


# sb/sh: 0 T0 = rotr(old word, lane); 1 T0 = merge rt's low byte/half; 2 store rotl(T0)
@pure
def x_sb0(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = old word
    a = (v1 + simm(w)) & M
    if not writable(a, L):
        return fault(pc, npc, a)
    return T0, rotr(v2, bshift(a, L)), pc, npc, 1, 0


@pure
def x_sh0(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if a & 1:
        return halt(ST_ADDRESS_ERROR, a)
    if not writable(a, L):
        return fault(pc, npc, a)
    return T0, rotr(v2, hshift(a, L)), pc, npc, 1, 0


@pure
def x_sb1(w, pc, npc, m, v1, v2, L):  # v1 = rt, v2 = T0
    return T0, (v2 & 0xFFFFFF00) | (v1 & 0xFF), pc, npc, 2, 0


@pure
def x_sh1(w, pc, npc, m, v1, v2, L):
    return T0, (v2 & 0xFFFF0000) | (v1 & 0xFFFF), pc, npc, 2, 0


@pure
def x_sb2(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = T0
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC, rotl(v2, bshift(a, L)), npc, nxt(npc), 0, 0


@pure
def x_sh2(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    return a & 0xFFFFFFFC, rotl(v2, hshift(a, L)), npc, nxt(npc), 0, 0


# swl/swr: 0 T0 = rt's part; 1 T1 = old word's kept part; 2 T0 |= T1; 3 store T0
@pure
def x_swl0(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = rt
    a = (v1 + simm(w)) & M
    if not writable(a, L):
        return fault(pc, npc, a)
    return T0, v2 >> lr_shift(a, True, L), pc, npc, 1, 0


@pure
def x_swr0(w, pc, npc, m, v1, v2, L):
    a = (v1 + simm(w)) & M
    if not writable(a, L):
        return fault(pc, npc, a)
    return T0, (v2 << lr_shift(a, False, L)) & M, pc, npc, 1, 0


@pure
def x_swl1(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = old word
    k = lr_shift((v1 + simm(w)) & M, True, L)
    return T1, v2 & (M ^ (M >> k)), pc, npc, 2, 0


@pure
def x_swr1(w, pc, npc, m, v1, v2, L):
    k = lr_shift((v1 + simm(w)) & M, False, L)
    return T1, v2 & ((1 << k) - 1), pc, npc, 2, 0


@pure
def x_swlr2(w, pc, npc, m, v1, v2, L):  # v1 = T0, v2 = T1
    return T0, v1 | v2, pc, npc, 3, 0


@pure
def x_swlr3(w, pc, npc, m, v1, v2, L):  # v1 = rs, v2 = T0
    return ((v1 + simm(w)) & M) & 0xFFFFFFFC, v2, npc, nxt(npc), 0, 0


# ================================================================ syscalls
# micro numbers of the syscall micro-programs
SYS_RET0, SYS_RET1 = 1, 2
SYS_KILL_A1, SYS_KILL_A2 = 3, 4
SYS_READ = 5  # 5..19
RD_LOOP, RD_END, RD_FAULT = 11, 17, 18
SYS_WRITE = 20
SYS_BRK = 21
SYS_MMAP = 22  # 22..27
SYS_CLOCK = 28  # 28, 29
SYS_TOD = 30  # 30, 31
SYS_TIME = 32
SYS_AFFINITY = 33
SYS_SIGACTION = 34  # 34..36
SYS_ALTSTACK = 37  # 37..40
SYS_SIGRETURN = 41  # 41..75
SYSCALL_MICROS = 76

#: Syscalls answered without any effect but a result: number -> (name, result).
NOOP = {
    4006: ("close", 0),
    4055: ("fcntl", 0),
    4220: ("fcntl64", 0),
    4091: ("munmap", 0),
    4104: ("setitimer", 0),
    4125: ("mprotect", 0),
    4162: ("sched_yield", 0),
    4166: ("nanosleep", 0),
    4195: ("rt_sigprocmask", 0),
    4218: ("madvise", 0),
    4238: ("futex", 0),
    4020: ("getpid", 1),
    4222: ("gettid", 1),
    4005: ("open", -ENOENT),
    4288: ("openat", -ENOENT),
    4085: ("readlink", -ENOENT),
    4298: ("readlinkat", -ENOENT),
    4120: ("clone", -EAGAIN),
    4076: ("getrlimit", -ENOSYS),
    4338: ("prlimit64", -ENOSYS),
}
#: Syscalls with a micro-program: number -> (name, entry micro, initial T0).
PROGRAMS = {
    4003: ("read", SYS_READ, 0),
    4004: ("write", SYS_WRITE, 0),
    4045: ("brk", SYS_BRK, 0),
    4090: ("mmap", SYS_MMAP, 0),
    4263: ("clock_gettime", SYS_CLOCK, 0),
    4078: ("gettimeofday", SYS_TOD, 0),
    4013: ("time", SYS_TIME, CLOCK_SECONDS),
    4240: ("sched_getaffinity", SYS_AFFINITY, 4),
    4037: ("kill", SYS_KILL_A1, 0),
    4236: ("tkill", SYS_KILL_A1, 0),
    4266: ("tgkill", SYS_KILL_A2, 0),
    4194: ("rt_sigaction", SYS_SIGACTION, 0),
    4206: ("sigaltstack", SYS_ALTSTACK, 0),
    4193: ("rt_sigreturn", SYS_SIGRETURN, 0),
}
EXIT_SYSCALLS = {4001: "exit", 4246: "exit_group"}
#: Every syscall: number -> name (anything else halts with UNKNOWN_SYSCALL).
SYSCALLS = {**EXIT_SYSCALLS, **{n: v[0] for n, v in PROGRAMS.items()}, **{n: v[0] for n, v in NOOP.items()}}


#: The dispatch table as parallel tuples (numba reads global tuples as constants).
_DISPATCH = sorted(
    [(n, e, t & M) for n, (_nm, e, t) in PROGRAMS.items()] + [(n, SYS_RET0, r & M) for n, (_nm, r) in NOOP.items()]
)
DISPATCH_NUM = tuple(d[0] for d in _DISPATCH)
DISPATCH_ENTRY = tuple(d[1] for d in _DISPATCH)
DISPATCH_T0 = tuple(d[2] for d in _DISPATCH)


@pure
def x_sys0(w, pc, npc, m, v1, v2, L):  # v1 = $v0 (the number), v2 = $a0
    if v1 == 4001 or v1 == 4246:
        return halt(ST_EXITED, v2)
    for i in range(len(DISPATCH_NUM)):
        if DISPATCH_NUM[i] == v1:
            return T0, DISPATCH_T0[i], pc, npc, DISPATCH_ENTRY[i], 0
    return halt(ST_UNKNOWN_SYSCALL, v1)


@pure
def r_v0(w, pc, npc, m, L):
    return REG_BASE + 4 * 2


@pure
def r_a0(w, pc, npc, m, L):
    return REG_BASE + 4 * 4


@pure
def r_a1(w, pc, npc, m, L):
    return REG_BASE + 4 * 5


@pure
def r_a2(w, pc, npc, m, L):
    return REG_BASE + 4 * 6


@pure
def r_a3(w, pc, npc, m, L):
    return REG_BASE + 4 * 7


@pure
def r_sp(w, pc, npc, m, L):
    return REG_BASE + 4 * 29


@pure
def r_brk(w, pc, npc, m, L):
    return K_BRK


@pure
def r_input_len(w, pc, npc, m, L):
    return K_INPUT_LEN


@pure
def r_input_off(w, pc, npc, m, L):
    return K_INPUT_OFF


@pure
def r_segv_handler(w, pc, npc, m, L):
    return K_SEGV_HANDLER


@pure
def r_alt_sp(w, pc, npc, m, L):
    return K_ALT_SP


@pure
def r_usealt(w, pc, npc, m, L):
    return T_USEALT


@pure
def r_onalt(w, pc, npc, m, L):
    return T_ONALT


@pure
def ret(t0_addr_value, micro, pc, npc):
    return T0, t0_addr_value & M, pc, npc, micro, 0


@pure
def x_ret0(w, pc, npc, m, v1, v2, L):  # v1 = T0
    return REG_BASE + 4 * 2, ((M - v1 + 1) & M) if v1 >= ERR_MIN else v1, pc, npc, SYS_RET1, 0


@pure
def x_ret1(w, pc, npc, m, v1, v2, L):  # v1 = T0
    return REG_BASE + 4 * 7, 1 if v1 >= ERR_MIN else 0, npc, nxt(npc), 0, 0


@pure
def x_kill(w, pc, npc, m, v1, v2, L):  # v1 = the signal
    return halt(ST_SIGNALLED, v1)


# read(fd, buf, count): T1 count, T2 remaining then source offset, T0 n, T3 dst, T4 end
@pure
def x_read0(w, pc, npc, m, v1, v2, L):  # v1 = fd, v2 = count
    if v1 != 0:
        return ret(-EBADF, SYS_RET0, pc, npc)
    return T1, v2, pc, npc, SYS_READ + 1, 0


@pure
def x_read1(w, pc, npc, m, v1, v2, L):  # v1 = input length, v2 = input offset
    return T2, (v1 - v2) & M, pc, npc, SYS_READ + 2, 0


@pure
def x_read2(w, pc, npc, m, v1, v2, L):  # v1 = T1, v2 = T2
    return T0, v1 if v1 < v2 else v2, pc, npc, SYS_READ + 3, 0


@pure
def x_read3(w, pc, npc, m, v1, v2, L):  # v1 = buf, v2 = n
    return T4, (v1 + v2) & M, pc, npc, SYS_READ + 4, 0


@pure
def x_read4(w, pc, npc, m, v1, v2, L):  # v1 = buf
    return T3, v1, pc, npc, SYS_READ + 5, 0


@pure
def x_read5(w, pc, npc, m, v1, v2, L):  # v1 = input offset, v2 = n
    if v2 == 0:
        return NO_WRITE_ADDRESS, 0, pc, npc, SYS_RET0, 0
    return T2, v1, pc, npc, RD_LOOP, 0


@pure
def r2_input_word(w, pc, npc, m, v1, L):  # v1 = T2, the input offset
    return INPUT_BASE + (v1 & 0xFFFFFFFC)


@pure
def x_rdloop0(w, pc, npc, m, v1, v2, L):  # v1 = offset, v2 = input word
    return T5, (v2 >> bshift(v1, L)) & 0xFF, pc, npc, RD_LOOP + 1, 0


@pure
def r2_dst_word(w, pc, npc, m, v1, L):  # v1 = T3, the destination
    return v1 & 0xFFFFFFFC if writable(v1, L) else NO_READ


@pure
def x_rdloop1(w, pc, npc, m, v1, v2, L):  # v1 = dst, v2 = old word
    if not writable(v1, L):
        return NO_WRITE_ADDRESS, 0, pc, npc, RD_FAULT, 0
    return T6, rotr(v2, bshift(v1, L)), pc, npc, RD_LOOP + 2, 0


@pure
def x_rdloop2(w, pc, npc, m, v1, v2, L):  # v1 = T5 byte, v2 = T6
    return T6, (v2 & 0xFFFFFF00) | v1, pc, npc, RD_LOOP + 3, 0


@pure
def x_rdloop3(w, pc, npc, m, v1, v2, L):  # v1 = dst, v2 = T6
    return v1 & 0xFFFFFFFC, rotl(v2, bshift(v1, L)), pc, npc, RD_LOOP + 4, 0


@pure
def x_rdloop4(w, pc, npc, m, v1, v2, L):  # v1 = T2
    return T2, (v1 + 1) & M, pc, npc, RD_LOOP + 5, 0


@pure
def x_rdloop5(w, pc, npc, m, v1, v2, L):  # v1 = T3, v2 = T4 end
    d = (v1 + 1) & M
    return T3, d, pc, npc, RD_END if d == v2 else RD_LOOP, 0


@pure
def x_rdend(w, pc, npc, m, v1, v2, L):  # v1 = T2
    return K_INPUT_OFF, v1, pc, npc, SYS_RET0, 0


@pure
def x_rdfault0(w, pc, npc, m, v1, v2, L):
    return K_INPUT_OFF, v1, pc, npc, RD_FAULT + 1, 0


@pure
def x_rdfault1(w, pc, npc, m, v1, v2, L):  # v1 = T3, v2 = buf
    copied = (v1 - v2) & M
    return ret(copied if copied else -EFAULT, SYS_RET0, pc, npc)


@pure
def x_write(w, pc, npc, m, v1, v2, L):  # v1 = fd, v2 = count
    return ret(v2 if v1 == 1 or v1 == 2 else -EBADF, SYS_RET0, pc, npc)


@pure
def x_brk(w, pc, npc, m, v1, v2, L):  # v1 = K_BRK
    return ret(v1, SYS_RET0, pc, npc)


# mmap(addr, len, prot, flags, fd, off): T1 = length | fixed bit, T2 = base
@pure
def x_mmap0(w, pc, npc, m, v1, v2, L):  # v1 = flags, v2 = len
    if not v1 & MAP_ANONYMOUS:
        return ret(-EBADF, SYS_RET0, pc, npc)
    length = (v2 + 0xFFF) & 0xFFFFF000
    if length == 0:
        return ret(-EINVAL, SYS_RET0, pc, npc)
    return T1, length | (1 if v1 & MAP_FIXED else 0), pc, npc, SYS_MMAP + 1, 0


@pure
def x_mmap1(w, pc, npc, m, v1, v2, L):  # v1 = addr, v2 = heap
    hint = v1 != 0 and (v1 & 0xFFF) == 0 and v1 >= v2
    return T2, v1 if hint else v2, pc, npc, SYS_MMAP + 2, 0


@pure
def x_mmap2(w, pc, npc, m, v1, v2, L):  # v1 = T1, v2 = addr
    if v1 & 1:
        return T2, v2 & 0xFFFFF000, pc, npc, SYS_MMAP + 3, 0
    return NO_WRITE_ADDRESS, 0, pc, npc, SYS_MMAP + 3, 0


@pure
def x_mmap3(w, pc, npc, m, v1, v2, L):  # v1 = T1, v2 = T2 base
    end = v2 + (v1 & 0xFFFFF000)
    if end > HEAP_LIMIT:
        return ret(-ENOMEM, SYS_RET0, pc, npc)
    return T1, end, pc, npc, SYS_MMAP + 4, 0


@pure
def x_mmap4(w, pc, npc, m, v1, v2, L):  # v1 = T1 end, v2 = heap
    if v1 > v2:
        return K_HEAP, v1, pc, npc, SYS_MMAP + 5, 0
    return NO_WRITE_ADDRESS, 0, pc, npc, SYS_MMAP + 5, 0


@pure
def x_mmap5(w, pc, npc, m, v1, v2, L):  # v1 = T2
    return ret(v1, SYS_RET0, pc, npc)


@pure
def word_pair_ok(a, L):
    """Kernel writes of two words need an aligned, writable pointer."""
    return (a & 3) == 0 and writable(a, L) and writable((a + 4) & M, L)


@pure
def x_clock0(w, pc, npc, m, v1, v2, L):  # v1 = timespec pointer ($a1)
    if not word_pair_ok(v1, L):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return v1, CLOCK_SECONDS, pc, npc, SYS_CLOCK + 1, 0


@pure
def x_clock1(w, pc, npc, m, v1, v2, L):
    return (v1 + 4) & M, 0, pc, npc, SYS_RET0, 0


@pure
def x_tod0(w, pc, npc, m, v1, v2, L):  # v1 = timeval pointer ($a0)
    if v1 == 0:
        return NO_WRITE_ADDRESS, 0, pc, npc, SYS_RET0, 0
    if not word_pair_ok(v1, L):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return v1, CLOCK_SECONDS, pc, npc, SYS_TOD + 1, 0


@pure
def x_tod1(w, pc, npc, m, v1, v2, L):
    return (v1 + 4) & M, 0, pc, npc, SYS_RET0, 0


@pure
def x_time(w, pc, npc, m, v1, v2, L):  # v1 = $a0
    if v1 == 0:
        return NO_WRITE_ADDRESS, 0, pc, npc, SYS_RET0, 0
    if (v1 & 3) != 0 or not writable(v1, L):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return v1, CLOCK_SECONDS, pc, npc, SYS_RET0, 0


@pure
def x_affinity(w, pc, npc, m, v1, v2, L):  # v1 = mask pointer ($a2): one CPU
    if (v1 & 3) != 0 or not writable(v1, L):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return v1, 0x01000000 if L[0] else 1, pc, npc, SYS_RET0, 0


@pure
def word_read_ok(a, n):
    """``n`` consecutive words from an aligned, readable pointer."""
    return (a & 3) == 0 and readable(a) and readable((a + 4 * n - 4) & M)


# rt_sigaction(sig, act, oact): records SIGSEGV's handler; other signals are accepted
@pure
def x_sigaction0(w, pc, npc, m, v1, v2, L):  # v1 = sig, v2 = act
    if v1 != SIGSEGV or v2 == 0:
        return NO_WRITE_ADDRESS, 0, pc, npc, SYS_RET0, 0
    if not word_read_ok(v2, 2):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return T1, v2, pc, npc, SYS_SIGACTION + 1, 0


@pure
def r2_at_t1(w, pc, npc, m, v1, L):  # v1 = T1: the word it points at
    return v1 & M


@pure
def r2_at_t1_4(w, pc, npc, m, v1, L):
    return (v1 + 4) & M


@pure
def r2_at_t1_8(w, pc, npc, m, v1, L):
    return (v1 + 8) & M


@pure
def x_sigaction1(w, pc, npc, m, v1, v2, L):  # v2 = act->sa_flags
    return K_SEGV_FLAGS, v2, pc, npc, SYS_SIGACTION + 2, 0


@pure
def x_sigaction2(w, pc, npc, m, v1, v2, L):  # v2 = act->sa_handler
    return K_SEGV_HANDLER, v2, pc, npc, SYS_RET0, 0


# sigaltstack(ss, old): records ss_sp and ss_size (size 0 when SS_DISABLE)
@pure
def x_altstack0(w, pc, npc, m, v1, v2, L):  # v1 = ss
    if v1 == 0:
        return NO_WRITE_ADDRESS, 0, pc, npc, SYS_RET0, 0
    if not word_read_ok(v1, 3):
        return ret(-EFAULT, SYS_RET0, pc, npc)
    return T1, v1, pc, npc, SYS_ALTSTACK + 1, 0


@pure
def x_altstack1(w, pc, npc, m, v1, v2, L):  # v2 = ss_flags
    if v2 & SS_DISABLE:
        return K_ALT_SIZE, 0, pc, npc, SYS_RET0, 0
    return NO_WRITE_ADDRESS, 0, pc, npc, SYS_ALTSTACK + 2, 0


@pure
def x_altstack2(w, pc, npc, m, v1, v2, L):  # v2 = ss_sp
    return K_ALT_SP, v2, pc, npc, SYS_ALTSTACK + 3, 0


@pure
def x_altstack3(w, pc, npc, m, v1, v2, L):  # v2 = ss_size
    return K_ALT_SIZE, v2, pc, npc, SYS_RET0, 0


# rt_sigreturn: T_FRAME = $sp; restore $1..$31, HI, LO, then jump to sc_pc
@pure
def lo_half(L):
    """Byte offset of the low word of a u64 in guest order."""
    return 4 if L[0] else 0


@pure
def x_sigret0(w, pc, npc, m, v1, v2, L):  # v1 = $sp
    if not word_read_ok(v1, FRAME_SIZE // 4):
        return halt(ST_SIGNALLED, SIGSEGV)
    return T_FRAME, v1, pc, npc, SYS_SIGRETURN + 1, 0


# sigreturn micro SYS_SIGRETURN + k (k = 1..34) restores slot k: $1..$31, HI, LO, pc
@pure
def sigret_slot(k, L):
    if k <= 31:
        return FR_SC_REGS + 8 * k + lo_half(L)
    if k == 32:
        return FR_SC_MDHI + lo_half(L)
    if k == 33:
        return FR_SC_MDLO + lo_half(L)
    return FR_SC_PC + lo_half(L)


@pure
def r2_sigret(w, pc, npc, m, v1, L):  # v1 = T_FRAME
    return (v1 + sigret_slot(m - SYS_SIGRETURN, L)) & M


@pure
def x_sigret(w, pc, npc, m, v1, v2, L):  # v2 = the saved word
    k = m - SYS_SIGRETURN
    if k == 34:
        return NO_WRITE_ADDRESS, 0, v2, (v2 + 4) & M, 0, 0
    if k <= 31:
        dst = REG_BASE + 4 * k
    elif k == 32:
        dst = HI
    else:
        dst = LO
    return dst, v2, pc, npc, m + 1, 0


# =========================================================== SIGSEGV delivery
@pure
def x_f_maperr(w, pc, npc, m, v1, v2, L):
    return T_FCODE, SEGV_MAPERR, pc, npc, FAULT_MICRO + 2, 0


@pure
def x_f_accerr(w, pc, npc, m, v1, v2, L):
    return T_FCODE, SEGV_ACCERR, pc, npc, FAULT_MICRO + 2, 0


@pure
def x_f0(w, pc, npc, m, v1, v2, L):  # v1 = handler, v2 = sa_flags
    if v1 < 2:  # SIG_DFL, SIG_IGN: a synchronous SIGSEGV kills
        return halt(ST_SIGNALLED, SIGSEGV)
    return T_USEALT, 1 if v2 & SA_ONSTACK else 0, pc, npc, FAULT_MICRO + 3, 0


@pure
def x_f1(w, pc, npc, m, v1, v2, L):  # v1 = T_USEALT, v2 = ss_size
    return T_USEALT, 1 if v1 != 0 and v2 != 0 else 0, pc, npc, FAULT_MICRO + 4, 0


@pure
def x_f2(w, pc, npc, m, v1, v2, L):  # v1 = $sp, v2 = ss_sp
    return T_ONALT, (v1 - v2) & M, pc, npc, FAULT_MICRO + 5, 0


@pure
def x_f3(w, pc, npc, m, v1, v2, L):  # v1 = T_ONALT, v2 = ss_size
    return T_ONALT, 1 if v1 < v2 else 0, pc, npc, FAULT_MICRO + 6, 0


@pure
def x_f4(w, pc, npc, m, v1, v2, L):  # v1 = T_USEALT, v2 = T_ONALT
    return T_USEALT, 1 if v1 != 0 and v2 == 0 else 0, pc, npc, FAULT_MICRO + 7, 0


@pure
def x_f5(w, pc, npc, m, v1, v2, L):  # v1 = ss_sp, v2 = ss_size
    return T_FRAME, (v1 + v2) & M, pc, npc, FAULT_MICRO + 8, 0


@pure
def x_f6(w, pc, npc, m, v1, v2, L):  # v1 = T_USEALT, v2 = $sp
    if v1:
        return NO_WRITE_ADDRESS, 0, pc, npc, FAULT_MICRO + 9, 0
    return T_FRAME, v2, pc, npc, FAULT_MICRO + 9, 0


@pure
def x_f7(w, pc, npc, m, v1, v2, L):  # v1 = T_FRAME (stack top)
    return T_FRAME, (v1 - FRAME_SIZE) & 0xFFFFFFF8, pc, npc, FAULT_MICRO + 10, 0


#: Frame words written by micro FAULT_MICRO + 10 + k: (offset, source) where source
#: is 'signo', 'code', 'zero', 'addr', 'pc', a register number, 'hi' or 'lo'.
F_STORES = FAULT_MICRO + 10  # first frame store
N_FRAME_STORES = 5 + 32 + 2
F_ENTRY = F_STORES + N_FRAME_STORES  # handler entry: $a0, $a1, $a2, $ra, $t9, $sp+pc


@pure
def frame_store_offset(k, L):
    """Offset in the frame of store k (0..38)."""
    if k == 0:
        return FR_SIGNO
    if k == 1:
        return FR_CODE
    if k == 2:
        return FR_ERRNO
    if k == 3:
        return FR_ADDR
    if k == 4:
        return FR_SC_PC + lo_half(L)
    if k <= 36:
        return FR_SC_REGS + 8 * (k - 5) + lo_half(L)
    if k == 37:
        return FR_SC_MDHI + lo_half(L)
    return FR_SC_MDLO + lo_half(L)


@pure
def frame_store_source(k):
    """Address read (slot 2) by store k, or NO_READ for a constant."""
    if k == 1:
        return T_FCODE
    if k == 3:
        return T_FADDR
    if 5 <= k <= 36:
        return REG_BASE + 4 * (k - 5)
    if k == 37:
        return HI
    if k == 38:
        return LO
    return NO_READ


@pure
def r2_fstore(w, pc, npc, m, v1, L):
    return frame_store_source(m - F_STORES)


@pure
def x_fstore(w, pc, npc, m, v1, v2, L):
    """Store k = m - F_STORES of the frame: v1 = T_FRAME, v2 = the source word."""
    k = m - F_STORES
    a = (v1 + frame_store_offset(k, L)) & M
    if not writable(a, L):
        return halt(ST_SIGNALLED, SIGSEGV)
    if k == 0:
        val = SIGSEGV
    elif k == 2:
        val = 0
    elif k == 4:
        val = pc
    else:
        val = v2
    return a, val & M, pc, npc, F_STORES + k + 1, 0


@pure
def x_fe0(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 4, SIGSEGV, pc, npc, F_ENTRY + 1, 0


@pure
def x_fe1(w, pc, npc, m, v1, v2, L):  # v1 = T_FRAME
    return REG_BASE + 4 * 5, (v1 + FR_SIGNO) & M, pc, npc, F_ENTRY + 2, 0


@pure
def x_fe2(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 6, (v1 + FR_UCONTEXT) & M, pc, npc, F_ENTRY + 3, 0


@pure
def x_fe3(w, pc, npc, m, v1, v2, L):
    return REG_BASE + 4 * 31, SIGRETURN_PC, pc, npc, F_ENTRY + 4, 0


@pure
def x_fe4(w, pc, npc, m, v1, v2, L):  # v1 = handler
    return REG_BASE + 4 * 25, v1, pc, npc, F_ENTRY + 5, 0


@pure
def x_fe5(w, pc, npc, m, v1, v2, L):  # v1 = T_FRAME, v2 = handler
    return REG_BASE + 4 * 29, v1, v2, (v2 + 4) & M, 0, 0


FAULT_MICROS = F_ENTRY + 6 - FAULT_MICRO  # 128 .. F_ENTRY + 5


# ================================================================== table
Read1 = Callable[..., int]
Read2 = Callable[..., int]
Run = Callable[..., tuple[int, int, int, int, int, int]]


@dataclass(frozen=True)
class MicroOp:
    """One micro-step kind: its key, its read slots and its effect."""

    mnemonic: str
    micro: int
    read1: Read1
    read2: Read2
    run: Run
    doc: str
    kind: int = -1  #: dense index (the fast engine's dispatch number)

    @property
    def key(self) -> tuple[str, int]:
        return (self.mnemonic, self.micro)


_ENTRIES: list[tuple[str, int, Read1, Read2, Run, str]] = []


def _op(name: str, micro: int, r1: Read1, r2: Read2, run: Run, doc: str) -> None:
    _ENTRIES.append((name, micro, r1, r2, run, doc))


def _rd_rs_rt(name: str, run: Run, what: str) -> None:
    _op(name, 0, r_rs, r2_rt, run, f"rd = {what} (v1 = rs, v2 = rt)")


for _n, _f, _w in [
    ("addu", x_addu, "rs + rt"),
    ("subu", x_subu, "rs - rt"),
    ("add", x_add, "rs + rt, halt OVERFLOW on signed overflow"),
    ("sub", x_sub, "rs - rt, halt OVERFLOW on signed overflow"),
    ("and", x_and, "rs & rt"),
    ("or", x_or, "rs | rt"),
    ("xor", x_xor, "rs ^ rt"),
    ("nor", x_nor, "~(rs | rt)"),
    ("slt", x_slt, "rs < rt signed"),
    ("sltu", x_sltu, "rs < rt unsigned"),
    ("movz", x_movz, "rs if rt == 0 (else no write)"),
    ("movn", x_movn, "rs if rt != 0 (else no write)"),
    ("mul", x_mul, "low 32 bits of rs * rt"),
    ("sllv", x_sllv, "rt << (rs & 31)"),
    ("srlv", x_srlv, "rt >> (rs & 31)"),
    ("srav", x_srav, "rt >> (rs & 31) arithmetic"),
    ("rotrv", x_rotrv, "rt rotated right by rs & 31"),
]:
    _rd_rs_rt(_n, _f, _w)

for _n, _f, _w in [("clz", x_clz, "leading zeros of rs"), ("clo", x_clo, "leading ones of rs")]:
    _op(_n, 0, r_rs, r2_none, _f, f"rd = {_w} (v1 = rs)")

for _n, _f, _w in [
    ("sll", x_sll, "rt << sa"),
    ("srl", x_srl, "rt >> sa"),
    ("sra", x_sra, "rt >> sa arithmetic"),
    ("rotr", x_rotr, "rt rotated right by sa"),
    ("wsbh", x_wsbh, "bytes swapped within halves of rt"),
    ("seb", x_seb, "sign-extended low byte of rt"),
    ("seh", x_seh, "sign-extended low half of rt"),
]:
    _op(_n, 0, r_rt, r2_none, _f, f"rd = {_w} (v1 = rt)")

for _n, _f, _w in [
    ("addiu", x_addiu, "rs + imm"),
    ("addi", x_addi, "rs + imm, halt OVERFLOW on signed overflow"),
    ("slti", x_slti, "rs < imm signed"),
    ("sltiu", x_sltiu, "rs < imm (sign-extended) unsigned"),
    ("andi", x_andi, "rs & zero-extended imm"),
    ("ori", x_ori, "rs | zero-extended imm"),
    ("xori", x_xori, "rs ^ zero-extended imm"),
    ("ext", x_ext, "(rs >> pos) & mask(size) (pos = sa, size - 1 = rd field)"),
]:
    _op(_n, 0, r_rs, r2_none, _f, f"rt = {_w} (v1 = rs)")
_op("lui", 0, r_none, r2_none, x_lui, "rt = imm << 16")
_op("ins", 0, r_rs, r2_rt, x_ins, "rt = rt with bits lsb..msb from rs (v1 = rs, v2 = rt)")

_op("mfhi", 0, r_hi, r2_none, x_mfhilo, "rd = HI (v1 = HI)")
_op("mflo", 0, r_lo, r2_none, x_mfhilo, "rd = LO (v1 = LO)")
_op("mthi", 0, r_rs, r2_none, x_mthi, "HI = rs")
_op("mtlo", 0, r_rs, r2_none, x_mtlo, "LO = rs")
_op("mult", 0, r_rs, r2_rt, x_mult0, "LO = low(rs * rt) signed")
_op("mult", 1, r_rs, r2_rt, x_mult1, "HI = high(rs * rt) signed")
_op("multu", 0, r_rs, r2_rt, x_multu0, "LO = low(rs * rt)")
_op("multu", 1, r_rs, r2_rt, x_multu1, "HI = high(rs * rt)")
_op("div", 0, r_rs, r2_rt, x_div0, "LO = q, witness r: rs = q*rt + r signed (rt = 0 or INT_MIN/-1: q = rs, r = 0)")
_op("div", 1, r_rs, r2_rt, x_div1, "HI = r, witness q")
_op("divu", 0, r_rs, r2_rt, x_divu0, "LO = q, witness r: rs = q*rt + r, r < rt (rt = 0: q = rs, r = 0)")
_op("divu", 1, r_rs, r2_rt, x_divu1, "HI = r, witness q")
for _n, _signed, _add in [("madd", True, True), ("maddu", False, True), ("msub", True, False), ("msubu", False, False)]:
    _op(_n, 0, r_rs, r2_rt, x_madd0 if _signed else x_maddu0, "T0 = low(rs * rt)")
    _op(_n, 1, r_rs, r2_rt, x_madd1 if _signed else x_maddu1, "T1 = high(rs * rt)")
    _op(
        _n,
        2,
        r_lo,
        r2_t0,
        x_acc_carry if _add else x_acc_borrow,
        "T2 = carry of LO + T0" if _add else "T2 = borrow of LO - T0",
    )
    _op(_n, 3, r_t1, r2_t2, x_acc_high, "T1 = T1 + T2")
    _op(_n, 4, r_lo, r2_t0, x_acc_lo_add if _add else x_acc_lo_sub, "LO = LO +- T0")
    _op(_n, 5, r_hi, r2_t1, x_acc_hi_add if _add else x_acc_hi_sub, "HI = HI +- T1")

for _n, _f in [("beq", x_beq), ("bne", x_bne)]:
    _op(_n, 0, r_rs, r2_rt, _f, "branch (v1 = rs, v2 = rt); next = (npc, target or npc + 4, 0)")
for _n, _f in [("blez", x_blez), ("bgtz", x_bgtz), ("bltz", x_bltz), ("bgez", x_bgez)]:
    _op(_n, 0, r_rs, r2_none, _f, "branch on rs (v1 = rs)")
for _n, _f in [("bltzal", x_bltzal), ("bgezal", x_bgezal)]:
    _op(_n, 0, r_rs, r2_none, _f, "$ra = pc + 8 (always), branch on rs")
_op("j", 0, r_none, r2_none, x_j, "next = (npc, jump target, 0)")
_op("jal", 0, r_none, r2_none, x_jal, "$ra = pc + 8, next = (npc, jump target, 0)")
_op("jr", 0, r_rs, r2_none, x_jr, "next = (npc, rs, 0)")
_op("jalr", 0, r_rs, r2_none, x_jalr, "rd = pc + 8, next = (npc, rs, 0)")
_op("sync", 0, r_none, r2_none, x_nop, "no-op")
_op("pref", 0, r_none, r2_none, x_nop, "no-op")
for _n in ("teq", "tne", "tge", "tgeu", "tlt", "tltu"):
    _op(_n, 0, r_rs, r2_rt, x_trap, "halt TRAP when the condition on rs, rt holds")
_op("break", 0, r_none, r2_none, x_break, "halt BREAK")
_op("invalid", 0, r_none, r2_none, x_invalid, "halt INVALID_INSTRUCTION")
_op(
    "badpc",
    0,
    r_none,
    r2_none,
    x_badpc,
    "pc outside the code: halt (ADDRESS_ERROR if unaligned, else SIGNALLED 11); word 0",
)

_op("lw", 0, r_rs, r2_load_word, x_lw, "rt = mem[rs + imm] (v2); unaligned halts, bad address faults")
_op("ll", 0, r_rs, r2_load_word, x_lw, "as lw")
_op("lb", 0, r_rs, r2_load_byte, x_lb, "rt = sign-extended byte (v2 = its word)")
_op("lbu", 0, r_rs, r2_load_byte, x_lbu, "rt = byte (v2 = its word)")
_op("lh", 0, r_rs, r2_load_half, x_lh, "rt = sign-extended half (v2 = its word)")
_op("lhu", 0, r_rs, r2_load_half, x_lhu, "rt = half (v2 = its word)")
_op("lwl", 0, r_rs, r2_load_byte, x_lwl0, "T0 = memory part (v2 = the word)")
_op("lwr", 0, r_rs, r2_load_byte, x_lwr0, "T0 = memory part (v2 = the word)")
_op("lwl", 1, r_rs, r2_rt, x_lwl1, "T1 = rt's kept part")
_op("lwr", 1, r_rs, r2_rt, x_lwr1, "T1 = rt's kept part")
_op("lwl", 2, r_t0, r2_t1, x_lwlr2, "rt = T0 | T1")
_op("lwr", 2, r_t0, r2_t1, x_lwlr2, "rt = T0 | T1")
_op("sw", 0, r_rs, r2_rt, x_sw, "mem[rs + imm] = rt")
_op("sc", 0, r_rs, r2_rt, x_sc0, "mem[rs + imm] = rt")
_op("sc", 1, r_none, r2_none, x_sc1, "rt = 1")
_op("sb", 0, r_rs, r2_store_byte, x_sb0, "T0 = old word rotated: target byte lowest")
_op("sh", 0, r_rs, r2_store_half, x_sh0, "T0 = old word rotated: target half lowest")
_op("sb", 1, r_rt, r2_t0, x_sb1, "T0 = T0 with low byte of rt")
_op("sh", 1, r_rt, r2_t0, x_sh1, "T0 = T0 with low half of rt")
_op("sb", 2, r_rs, r2_t0, x_sb2, "mem[ea & ~3] = T0 rotated back")
_op("sh", 2, r_rs, r2_t0, x_sh2, "mem[ea & ~3] = T0 rotated back")
_op("swl", 0, r_rs, r2_rt, x_swl0, "T0 = rt's part")
_op("swr", 0, r_rs, r2_rt, x_swr0, "T0 = rt's part")
_op("swl", 1, r_rs, r2_store_byte, x_swl1, "T1 = old word's kept part")
_op("swr", 1, r_rs, r2_store_byte, x_swr1, "T1 = old word's kept part")
_op("swl", 2, r_t0, r2_t1, x_swlr2, "T0 = T0 | T1")
_op("swr", 2, r_t0, r2_t1, x_swlr2, "T0 = T0 | T1")
_op("swl", 3, r_rs, r2_t0, x_swlr3, "mem[ea & ~3] = T0")
_op("swr", 3, r_rs, r2_t0, x_swlr3, "mem[ea & ~3] = T0")

# syscall micro-programs
_op("syscall", 0, r_v0, r2_a0, x_sys0, "dispatch on $v0 (v2 = $a0): exit halts; else T0 = initial result")
_op("syscall", SYS_RET0, r_t0, r2_none, x_ret0, "$v0 = T0, or errno when T0 is -errno")
_op("syscall", SYS_RET1, r_t0, r2_none, x_ret1, "$a3 = 1 when T0 is -errno, else 0")
_op("syscall", SYS_KILL_A1, r_a1, r2_none, x_kill, "kill/tkill: halt SIGNALLED with $a1")
_op("syscall", SYS_KILL_A2, r_a2, r2_none, x_kill, "tgkill: halt SIGNALLED with $a2")
_op("syscall", SYS_READ, r_a0, r2_a2, x_read0, "read: fd 0 only (else EBADF); T1 = count")
_op("syscall", SYS_READ + 1, r_input_len, r2_input_off, x_read1, "T2 = input bytes left")
_op("syscall", SYS_READ + 2, r_t1, r2_t2, x_read2, "T0 = n = min(count, left)")
_op("syscall", SYS_READ + 3, r_a1, r2_t0, x_read3, "T4 = buf + n")
_op("syscall", SYS_READ + 4, r_a1, r2_none, x_read4, "T3 = buf")
_op("syscall", SYS_READ + 5, r_input_off, r2_t0, x_read5, "n = 0: return; else T2 = input offset")
_op("syscall", RD_LOOP, r_t2, r2_input_word, x_rdloop0, "T5 = input byte at T2")
_op("syscall", RD_LOOP + 1, r_t3, r2_dst_word, x_rdloop1, "T6 = word at T3 rotated (bad T3: EFAULT path)")
_op("syscall", RD_LOOP + 2, r_t5, r2_t6, x_rdloop2, "T6 = T6 with low byte T5")
_op("syscall", RD_LOOP + 3, r_t3, r2_t6, x_rdloop3, "mem[T3 & ~3] = T6 rotated back")
_op("syscall", RD_LOOP + 4, r_t2, r2_none, x_rdloop4, "T2 += 1")
_op("syscall", RD_LOOP + 5, r_t3, r2_t4, x_rdloop5, "T3 += 1; loop until T3 == T4")
_op("syscall", RD_END, r_t2, r2_none, x_rdend, "input offset = T2")
_op("syscall", RD_FAULT, r_t2, r2_none, x_rdfault0, "input offset = T2 (bytes copied are consumed)")
_op("syscall", RD_FAULT + 1, r_t3, r2_a1, x_rdfault1, "T0 = bytes copied, or -EFAULT if none")
_op(
    "syscall",
    SYS_WRITE,
    r_a0,
    r2_a2,
    x_write,
    "write: T0 = count for fd 1/2 (the bytes are output, not state), else EBADF",
)
_op("syscall", SYS_BRK, r_brk, r2_none, x_brk, "brk: T0 = the break (it never moves)")
_op("syscall", SYS_MMAP, r_a3, r2_a1, x_mmap0, "mmap: anonymous only; T1 = page-rounded length | MAP_FIXED bit")
_op("syscall", SYS_MMAP + 1, r_a0, r2_heap, x_mmap1, "T2 = hint if page-aligned and >= heap, else heap")
_op("syscall", SYS_MMAP + 2, r_t1, r2_a0, x_mmap2, "MAP_FIXED: T2 = addr & ~0xfff")
_op("syscall", SYS_MMAP + 3, r_t1, r2_t2, x_mmap3, "T1 = T2 + length; ENOMEM past HEAP_LIMIT")
_op("syscall", SYS_MMAP + 4, r_t1, r2_heap, x_mmap4, "heap = max(heap, T1)")
_op("syscall", SYS_MMAP + 5, r_t2, r2_none, x_mmap5, "T0 = T2")
_op("syscall", SYS_CLOCK, r_a1, r2_none, x_clock0, "clock_gettime: ts->tv_sec = CLOCK_SECONDS")
_op("syscall", SYS_CLOCK + 1, r_a1, r2_none, x_clock1, "ts->tv_nsec = 0")
_op("syscall", SYS_TOD, r_a0, r2_none, x_tod0, "gettimeofday: tv->tv_sec (tv != 0)")
_op("syscall", SYS_TOD + 1, r_a0, r2_none, x_tod1, "tv->tv_usec = 0")
_op("syscall", SYS_TIME, r_a0, r2_none, x_time, "time: *t = CLOCK_SECONDS (t != 0)")
_op("syscall", SYS_AFFINITY, r_a2, r2_none, x_affinity, "sched_getaffinity: mask = CPU 0")
_op("syscall", SYS_SIGACTION, r_a0, r2_a1, x_sigaction0, "rt_sigaction: SIGSEGV with act: T1 = act")
_op("syscall", SYS_SIGACTION + 1, r_t1, r2_at_t1, x_sigaction1, "SIGSEGV flags = act->sa_flags")
_op("syscall", SYS_SIGACTION + 2, r_t1, r2_at_t1_4, x_sigaction2, "SIGSEGV handler = act->sa_handler")
_op("syscall", SYS_ALTSTACK, r_a0, r2_none, x_altstack0, "sigaltstack: ss != 0: T1 = ss")
_op("syscall", SYS_ALTSTACK + 1, r_t1, r2_at_t1_8, x_altstack1, "SS_DISABLE: size = 0")
_op("syscall", SYS_ALTSTACK + 2, r_t1, r2_at_t1, x_altstack2, "alt sp = ss->ss_sp")
_op("syscall", SYS_ALTSTACK + 3, r_t1, r2_at_t1_4, x_altstack3, "alt size = ss->ss_size")
_op("syscall", SYS_SIGRETURN, r_sp, r2_none, x_sigret0, "rt_sigreturn: T_FRAME = $sp")

for _k in range(1, 35):
    _what = {32: "HI", 33: "LO", 34: "pc (next = (sc_pc, sc_pc + 4, 0))"}.get(_k, f"${_k}")
    _op("syscall", SYS_SIGRETURN + _k, r_frame, r2_sigret, x_sigret, f"restore {_what} from the frame")

_op("fault", FAULT_MICRO, r_none, r2_none, x_f_maperr, "T_FCODE = SEGV_MAPERR")
_op("fault", FAULT_MICRO + 1, r_none, r2_none, x_f_accerr, "T_FCODE = SEGV_ACCERR")
_op(
    "fault",
    FAULT_MICRO + 2,
    r_segv_handler,
    r2_segv_flags,
    x_f0,
    "no handler: halt SIGNALLED 11; T_USEALT = SA_ONSTACK",
)
_op("fault", FAULT_MICRO + 3, r_usealt, r2_alt_size, x_f1, "T_USEALT &= ss_size != 0")
_op("fault", FAULT_MICRO + 4, r_sp, r2_alt_sp, x_f2, "T_ONALT = $sp - ss_sp")
_op("fault", FAULT_MICRO + 5, r_onalt, r2_alt_size, x_f3, "T_ONALT = T_ONALT < ss_size")
_op("fault", FAULT_MICRO + 6, r_usealt, r2_onalt, x_f4, "T_USEALT = T_USEALT and not T_ONALT")
_op("fault", FAULT_MICRO + 7, r_alt_sp, r2_alt_size, x_f5, "T_FRAME = ss_sp + ss_size")
_op("fault", FAULT_MICRO + 8, r_usealt, r2_sp, x_f6, "not T_USEALT: T_FRAME = $sp")
_op("fault", FAULT_MICRO + 9, r_frame, r2_none, x_f7, "T_FRAME = (T_FRAME - FRAME_SIZE) & ~7")
for _k in range(N_FRAME_STORES):
    _op(
        "fault",
        F_STORES + _k,
        r_frame,
        r2_fstore,
        x_fstore,
        "frame store " + ["si_signo = 11", "si_code", "si_errno = 0", "si_addr", "sc_pc = pc"][_k]
        if _k < 5
        else f"frame store sc_regs[{_k - 5}]"
        if _k < 37
        else f"frame store sc_md{'hi' if _k == 37 else 'lo'}",
    )
_op("fault", F_ENTRY, r_none, r2_none, x_fe0, "$a0 = 11")
_op("fault", F_ENTRY + 1, r_frame, r2_none, x_fe1, "$a1 = &siginfo")
_op("fault", F_ENTRY + 2, r_frame, r2_none, x_fe2, "$a2 = &ucontext")
_op("fault", F_ENTRY + 3, r_none, r2_none, x_fe3, "$ra = the sigreturn trampoline")
_op("fault", F_ENTRY + 4, r_segv_handler, r2_none, x_fe4, "$t9 = handler")
_op("fault", F_ENTRY + 5, r_frame, r2_segv_handler, x_fe5, "$sp = T_FRAME; next = (handler, handler + 4, 0)")

#: THE table: (mnemonic, micro) -> MicroOp.
MICRO_OPS: dict[tuple[str, int], MicroOp] = {}
for _i, (_n, _m, _r1, _r2, _x, _d) in enumerate(_ENTRIES):
    if (_n, _m) in MICRO_OPS:  # pragma: no cover - table construction error
        raise AssertionError(f"duplicate micro-op {_n} {_m}")
    MICRO_OPS[_n, _m] = MicroOp(_n, _m, _r1, _r2, _x, _d, _i)
#: Kinds by dense index.
KINDS: tuple[MicroOp, ...] = tuple(MICRO_OPS.values())
#: Micro-steps per mnemonic (fault micro-steps are keyed "fault").
MICRO_COUNT: dict[str, int] = {}
for _n, _m in MICRO_OPS:
    MICRO_COUNT[_n] = max(MICRO_COUNT.get(_n, 0), _m + 1)

if set(isa.MNEMONICS) - set(MICRO_COUNT):  # pragma: no cover
    raise AssertionError(f"mnemonics without semantics: {set(isa.MNEMONICS) - set(MICRO_COUNT)}")


def kind_of(word: int, micro: int, pc: int, layout: tuple[int, ...]) -> tuple[str, int]:
    """The table key of the micro-step at ``(pc, micro)`` whose instruction word is ``word``."""
    if micro >= FAULT_MICRO:
        return ("fault", micro)
    if (pc & 3) or not is_code(pc, layout):
        return ("badpc", 0)
    return (isa.decode(word).op, micro)


def execute(
    op: MicroOp, word: int, pc: int, npc: int, micro: int, load: Callable[[int], int], layout: tuple[int, ...]
) -> tuple[int, int, int, int, tuple[int, int, int, int, int, int]]:
    """Run one micro-step over ``load(address) -> word``: ``(a1, v1, a2, v2, effect)``."""
    a1 = op.read1(word, pc, npc, micro, layout)
    v1 = load(a1)
    a2 = op.read2(word, pc, npc, micro, v1, layout)
    v2 = load(a2)
    return a1, v1, a2, v2, op.run(word, pc, npc, micro, v1, v2, layout)

"""The reference MIPS32 interpreter.

One *step* executes exactly one instruction, including a branch's delay slot,
which is its own step.  Control flow follows the manual's two-register model
(MIPS32 Vol. II-A, section 2.1, "delay slot"): the state holds ``pc`` (the
instruction to execute) and ``npc`` (the one after it).  A non-branch sets
``pc, npc = npc, npc + 4``; a taken branch at ``pc`` sets ``pc, npc = npc,
target``, so the delay slot at ``pc + 4`` runs next and the target after it.

Each pc is decoded once into a closure ``f(npc) -> new npc`` specialised on
its fields (register numbers, immediates, branch targets are constants); the
closures share the register list ``r`` (32 GPRs, then HI at 32 and LO at 33)
and the page table.  A step that cannot complete (exit, fault, invalid
instruction, unknown syscall) raises :class:`Halt` *before* changing any state;
the run loop then records the status and stops.  A halted machine does not
step any more.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING

from ocp.zkvm.isa import Instr, decode
from ocp.zkvm.memory import PAGE_SHIFT, PAGE_WORDS, Memory

if TYPE_CHECKING:
    from ocp.zkvm.syscalls import Kernel

M = 0xFFFFFFFF
S = 0x80000000
HI, LO = 32, 33
M64 = (1 << 64) - 1
WMASK = PAGE_WORDS - 1


class Status(IntEnum):
    """Why a machine stopped; 0 while it runs."""

    RUNNING = 0
    EXITED = 1  #: exit/exit_group; ``exit_code`` is the status & 0xff
    INVALID_INSTRUCTION = 2  #: ``exit_code`` is the instruction word
    TRAP = 3  #: teq/tne/... condition true; ``exit_code`` is the trap code field
    ADDRESS_ERROR = 4  #: unaligned load/store (AdEL/AdES); ``exit_code`` is the address
    OVERFLOW = 5  #: add/addi/sub signed overflow
    UNKNOWN_SYSCALL = 6  #: ``exit_code`` is the syscall number
    BREAK = 7  #: ``break`` instruction
    SIGNALLED = 8  #: kill/tgkill on itself; ``exit_code`` is the signal


class Halt(Exception):
    """Raised by an instruction that ends execution; no state was changed."""

    def __init__(self, status: Status, code: int = 0) -> None:
        super().__init__(status, code)
        self.status = status
        self.code = code & M


def s32(x: int) -> int:
    """Two's-complement value of a 32-bit word."""
    return x - ((x & S) << 1)


#: Mnemonics whose closure depends on the pc (branch targets, links, the pc in a halt);
#: every other closure depends only on the instruction word and is shared between pcs.
PC_DEPENDENT = frozenset({"beq", "bne", "bltz", "bgez", "blez", "bgtz", "bltzal", "bgezal",
                          "j", "jal", "jalr", "add", "addi", "sub"})


class DecodeCache(dict):
    """pc -> compiled closure; a miss decodes the word at pc (``__missing__``).

    Closures that do not depend on the pc are also cached by instruction word,
    so the many repeated words of a Go binary (prologues, ``nop``) compile once.
    """

    def __init__(self, machine: Machine) -> None:
        super().__init__()
        self.machine = machine
        self.by_word: dict[int, Callable[[int], int]] = {}

    def __missing__(self, pc: int) -> Callable[[int], int]:
        m = self.machine
        mem = m.mem
        if pc & 3:
            fn = _halt_fn(Status.ADDRESS_ERROR, pc)
        else:
            pn = pc >> PAGE_SHIFT
            if pn not in mem.code_pages:
                mem.freeze_code(pn)
            word = mem.pt[pn][(pc >> 2) & WMASK]
            fn = self.by_word.get(word)
            if fn is None:
                ins = decode(word)
                fn = compile_instr(ins, pc, m)
                if ins.op not in PC_DEPENDENT:
                    self.by_word[word] = fn
        self[pc] = fn
        return fn

    def invalidate_page(self, pn: int) -> None:
        for pc in [pc for pc in self if pc >> PAGE_SHIFT == pn]:
            del self[pc]


class Machine:
    """Registers, memory and kernel state of one guest; :meth:`run` steps it."""

    __slots__ = ("regs", "mem", "pc", "npc", "step", "status", "exit_code", "kernel",
                 "big_endian", "cache")

    def __init__(self, mem: Memory, kernel: Kernel, pc: int, npc: int | None = None) -> None:
        self.regs: list[int] = [0] * 34
        self.mem = mem
        self.big_endian = mem.big_endian
        self.kernel = kernel
        self.pc = pc
        self.npc = (pc + 4) & M if npc is None else npc
        self.step = 0
        self.status = Status.RUNNING
        self.exit_code = 0
        self.cache = DecodeCache(self)
        mem.on_code_write = self.cache.invalidate_page

    @property
    def halted(self) -> bool:
        return self.status != Status.RUNNING

    def run(self, max_steps: int) -> int:
        """Execute up to ``max_steps`` steps; return how many ran (fewer only on a halt)."""
        if self.status or max_steps <= 0:
            return 0
        cache = self.cache
        pc, npc = self.pc, self.npc
        done = max_steps
        i = 0
        try:
            for i in range(max_steps):  # noqa: B007 - i is read in the handlers
                pc, npc = npc, cache[pc](npc)
        except Halt as h:  # the halting step counts; it changed nothing
            done = i + 1
            self.status = h.status
            self.exit_code = h.code
        except BaseException:  # not a guest event (e.g. KeyboardInterrupt): keep counts right
            done = i
            raise
        finally:
            self.pc, self.npc = pc, npc
            self.step += done
        return done


def _halt_fn(status: Status, code: int) -> Callable[[int], int]:
    def f(npc: int) -> int:
        raise Halt(status, code)

    return f


_WRITES_RD = frozenset({"addu", "subu", "and", "or", "xor", "nor", "slt", "sltu", "sll", "srl",
                        "sra", "sllv", "srlv", "srav", "rotr", "rotrv", "movz", "movn", "mfhi",
                        "mflo", "mul", "clz", "clo", "wsbh", "seb", "seh"})
_WRITES_RT = frozenset({"addiu", "slti", "sltiu", "andi", "ori", "xori", "lui", "ext", "ins"})
_NOPS = frozenset({"sync", "pref"})


def compile_instr(ins: Instr, pc: int, m: Machine) -> Callable[[int], int]:  # noqa: C901
    """Build the closure executing ``ins`` at ``pc`` (MIPS32 Vol. II-A semantics)."""
    r = m.regs
    mem = m.mem
    pt = mem.pt
    thaw = mem.thaw
    kernel = m.kernel
    big = m.big_endian
    op, rs, rt, rd, sa, imm, uimm = ins.op, ins.rs, ins.rt, ins.rd, ins.sa, ins.imm, ins.uimm
    simm = imm & M
    link = (pc + 8) & M
    btarget = (pc + 4 + (imm << 2)) & M
    # Byte-lane shifts for sub-word accesses (byte offset within the word -> bit shift).
    bshift = (24, 16, 8, 0) if big else (0, 8, 16, 24)
    hshift = (16, 0, 0, 0) if big else (0, 0, 16, 0)

    def nop(npc: int) -> int:
        return npc + 4

    if op == "invalid":
        return _halt_fn(Status.INVALID_INSTRUCTION, ins.word)

    # ---- writes to $zero are discarded: ALU ops with rd/rt == 0 are nops ----
    if (rd == 0 and op in _WRITES_RD) or (rt == 0 and op in _WRITES_RT) or op in _NOPS:
        return nop

    # ---------------------------------------------------------------- ALU
    if op == "addu":
        def f(npc: int) -> int:
            r[rd] = (r[rs] + r[rt]) & M
            return npc + 4
    elif op == "addiu":
        if rs == 0:
            def f(npc: int) -> int:
                r[rt] = simm
                return npc + 4
        else:
            def f(npc: int) -> int:
                r[rt] = (r[rs] + simm) & M
                return npc + 4
    elif op == "subu":
        def f(npc: int) -> int:
            r[rd] = (r[rs] - r[rt]) & M
            return npc + 4
    # Signed-overflow checking forms: Integer Overflow exception -> halt, rd unchanged.
    elif op == "add":
        def f(npc: int) -> int:
            a, b = r[rs], r[rt]
            res = (a + b) & M
            if (a ^ res) & (b ^ res) & S:
                raise Halt(Status.OVERFLOW, pc)
            if rd:
                r[rd] = res
            return npc + 4
    elif op == "addi":
        def f(npc: int) -> int:
            a = r[rs]
            res = (a + simm) & M
            if (a ^ res) & (simm ^ res) & S:
                raise Halt(Status.OVERFLOW, pc)
            if rt:
                r[rt] = res
            return npc + 4
    elif op == "sub":
        def f(npc: int) -> int:
            a, b = r[rs], r[rt]
            res = (a - b) & M
            if (a ^ b) & (a ^ res) & S:
                raise Halt(Status.OVERFLOW, pc)
            if rd:
                r[rd] = res
            return npc + 4
    elif op == "and":
        def f(npc: int) -> int:
            r[rd] = r[rs] & r[rt]
            return npc + 4
    elif op == "or":
        if rt == 0:  # "move"
            def f(npc: int) -> int:
                r[rd] = r[rs]
                return npc + 4
        else:
            def f(npc: int) -> int:
                r[rd] = r[rs] | r[rt]
                return npc + 4
    elif op == "xor":
        def f(npc: int) -> int:
            r[rd] = r[rs] ^ r[rt]
            return npc + 4
    elif op == "nor":
        def f(npc: int) -> int:
            r[rd] = (r[rs] | r[rt]) ^ M
            return npc + 4
    elif op == "andi":
        def f(npc: int) -> int:
            r[rt] = r[rs] & uimm
            return npc + 4
    elif op == "ori":
        def f(npc: int) -> int:
            r[rt] = r[rs] | uimm
            return npc + 4
    elif op == "xori":
        def f(npc: int) -> int:
            r[rt] = r[rs] ^ uimm
            return npc + 4
    elif op == "lui":
        val = uimm << 16

        def f(npc: int) -> int:
            r[rt] = val
            return npc + 4
    elif op == "slt":
        def f(npc: int) -> int:
            r[rd] = 1 if (r[rs] ^ S) < (r[rt] ^ S) else 0
            return npc + 4
    elif op == "sltu":
        def f(npc: int) -> int:
            r[rd] = 1 if r[rs] < r[rt] else 0
            return npc + 4
    elif op == "slti":
        cmp = simm ^ S

        def f(npc: int) -> int:
            r[rt] = 1 if (r[rs] ^ S) < cmp else 0
            return npc + 4
    elif op == "sltiu":
        def f(npc: int) -> int:
            r[rt] = 1 if r[rs] < simm else 0
            return npc + 4
    # ------------------------------------------------------------- shifts
    elif op == "sll":
        if sa == 0 and rt == rd:
            return nop
        def f(npc: int) -> int:
            r[rd] = (r[rt] << sa) & M
            return npc + 4
    elif op == "srl":
        def f(npc: int) -> int:
            r[rd] = r[rt] >> sa
            return npc + 4
    elif op == "sra":
        def f(npc: int) -> int:
            v = r[rt]
            r[rd] = ((v - ((v & S) << 1)) >> sa) & M
            return npc + 4
    elif op == "rotr":
        def f(npc: int) -> int:
            v = r[rt]
            r[rd] = ((v >> sa) | (v << (32 - sa))) & M
            return npc + 4
    elif op == "sllv":
        def f(npc: int) -> int:
            r[rd] = (r[rt] << (r[rs] & 31)) & M
            return npc + 4
    elif op == "srlv":
        def f(npc: int) -> int:
            r[rd] = r[rt] >> (r[rs] & 31)
            return npc + 4
    elif op == "srav":
        def f(npc: int) -> int:
            v = r[rt]
            r[rd] = ((v - ((v & S) << 1)) >> (r[rs] & 31)) & M
            return npc + 4
    elif op == "rotrv":
        def f(npc: int) -> int:
            v, s = r[rt], r[rs] & 31
            r[rd] = ((v >> s) | (v << (32 - s))) & M
            return npc + 4
    # ------------------------------------------------- conditional moves
    elif op == "movz":
        def f(npc: int) -> int:
            if r[rt] == 0:
                r[rd] = r[rs]
            return npc + 4
    elif op == "movn":
        def f(npc: int) -> int:
            if r[rt] != 0:
                r[rd] = r[rs]
            return npc + 4
    # ----------------------------------------------------- HI/LO unit
    elif op == "mfhi":
        def f(npc: int) -> int:
            r[rd] = r[HI]
            return npc + 4
    elif op == "mflo":
        def f(npc: int) -> int:
            r[rd] = r[LO]
            return npc + 4
    elif op == "mthi":
        def f(npc: int) -> int:
            r[HI] = r[rs]
            return npc + 4
    elif op == "mtlo":
        def f(npc: int) -> int:
            r[LO] = r[rs]
            return npc + 4
    elif op == "mult":
        def f(npc: int) -> int:
            p = (s32(r[rs]) * s32(r[rt])) & M64
            r[HI] = p >> 32
            r[LO] = p & M
            return npc + 4
    elif op == "multu":
        def f(npc: int) -> int:
            p = r[rs] * r[rt]
            r[HI] = p >> 32
            r[LO] = p & M
            return npc + 4
    elif op in ("madd", "maddu", "msub", "msubu"):
        signed = op in ("madd", "msub")
        sign = 1 if op.startswith("madd") else -1

        def f(npc: int) -> int:
            a, b = r[rs], r[rt]
            p = s32(a) * s32(b) if signed else a * b
            acc = (((r[HI] << 32) | r[LO]) + sign * p) & M64
            r[HI] = acc >> 32
            r[LO] = acc & M
            return npc + 4
    elif op == "div":
        # Quotient truncates toward zero (Vol. II-A "DIV").  Division by zero and
        # INT_MIN / -1 leave HI/LO UNPREDICTABLE; we pin QEMU's choice (divisor := 1).
        def f(npc: int) -> int:
            a, b = s32(r[rs]), s32(r[rt])
            if b == 0 or (b == -1 and a == -S):
                b = 1
            q = abs(a) // abs(b)
            if (a < 0) != (b < 0):
                q = -q
            r[LO] = q & M
            r[HI] = (a - q * b) & M
            return npc + 4
    elif op == "divu":
        def f(npc: int) -> int:
            a, b = r[rs], r[rt] or 1
            r[LO] = a // b
            r[HI] = a % b
            return npc + 4
    elif op == "mul":
        def f(npc: int) -> int:
            r[rd] = (s32(r[rs]) * s32(r[rt])) & M
            return npc + 4
    elif op == "clz":
        def f(npc: int) -> int:
            r[rd] = 32 - r[rs].bit_length()
            return npc + 4
    elif op == "clo":
        def f(npc: int) -> int:
            r[rd] = 32 - (r[rs] ^ M).bit_length()
            return npc + 4
    # --------------------------------------------- MIPS32r2 bit fields
    elif op == "ext":
        fmask = (1 << (rd + 1)) - 1

        def f(npc: int) -> int:
            r[rt] = (r[rs] >> sa) & fmask
            return npc + 4
    elif op == "ins":
        imask = (((1 << (rd - sa + 1)) - 1) << sa) & M if rd >= sa else 0
        keep = M ^ imask

        def f(npc: int) -> int:
            r[rt] = (r[rt] & keep) | ((r[rs] << sa) & imask)
            return npc + 4
    elif op == "wsbh":
        def f(npc: int) -> int:
            v = r[rt]
            r[rd] = ((v & 0x00FF00FF) << 8) | ((v >> 8) & 0x00FF00FF)
            return npc + 4
    elif op == "seb":
        def f(npc: int) -> int:
            v = r[rt] & 0xFF
            r[rd] = v | 0xFFFFFF00 if v & 0x80 else v
            return npc + 4
    elif op == "seh":
        def f(npc: int) -> int:
            v = r[rt] & 0xFFFF
            r[rd] = v | 0xFFFF0000 if v & 0x8000 else v
            return npc + 4
    # ---------------------------------------------------------- branches
    elif op == "beq":
        if rs == rt:  # "b"
            def f(npc: int) -> int:
                return btarget
        else:
            def f(npc: int) -> int:
                return btarget if r[rs] == r[rt] else npc + 4
    elif op == "bne":
        def f(npc: int) -> int:
            return btarget if r[rs] != r[rt] else npc + 4
    elif op == "bltz":
        def f(npc: int) -> int:
            return btarget if r[rs] & S else npc + 4
    elif op == "bgez":
        def f(npc: int) -> int:
            return npc + 4 if r[rs] & S else btarget
    elif op == "blez":
        def f(npc: int) -> int:
            v = r[rs]
            return btarget if v == 0 or v & S else npc + 4
    elif op == "bgtz":
        def f(npc: int) -> int:
            v = r[rs]
            return btarget if v != 0 and not v & S else npc + 4
    elif op in ("bltzal", "bgezal"):
        want = 0 if op == "bgezal" else S

        def f(npc: int) -> int:
            v = r[rs]
            r[31] = link
            return btarget if v & S == want else npc + 4
    elif op in ("j", "jal"):
        jtarget = ((pc + 4) & 0xF0000000) | (ins.target << 2)
        if op == "j":
            def f(npc: int) -> int:
                return jtarget
        else:
            def f(npc: int) -> int:
                r[31] = link
                return jtarget
    elif op == "jr":
        def f(npc: int) -> int:
            return r[rs]
    elif op == "jalr":
        def f(npc: int) -> int:
            t = r[rs]
            if rd:
                r[rd] = link
            return t
    # ------------------------------------------------------------- loads
    elif op in ("lw", "ll"):
        if rt:
            def f(npc: int) -> int:
                a = (r[rs] + simm) & M
                if a & 3:
                    raise Halt(Status.ADDRESS_ERROR, a)
                r[rt] = pt[a >> 12][(a >> 2) & WMASK]
                return npc + 4
        else:  # still faults when unaligned
            def f(npc: int) -> int:
                a = (r[rs] + simm) & M
                if a & 3:
                    raise Halt(Status.ADDRESS_ERROR, a)
                return npc + 4
    elif op == "lbu":
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            v = (pt[a >> 12][(a >> 2) & WMASK] >> bshift[a & 3]) & 0xFF
            if rt:
                r[rt] = v
            return npc + 4
    elif op == "lb":
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            v = (pt[a >> 12][(a >> 2) & WMASK] >> bshift[a & 3]) & 0xFF
            if rt:
                r[rt] = v | 0xFFFFFF00 if v & 0x80 else v
            return npc + 4
    elif op in ("lh", "lhu"):
        signed = op == "lh"

        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            if a & 1:
                raise Halt(Status.ADDRESS_ERROR, a)
            v = (pt[a >> 12][(a >> 2) & WMASK] >> hshift[a & 3]) & 0xFFFF
            if rt:
                r[rt] = v | 0xFFFF0000 if signed and v & 0x8000 else v
            return npc + 4
    elif op in ("lwl", "lwr"):
        # Unaligned word halves (Vol. II-A "LWL"/"LWR"): k is how many byte lanes
        # the memory word moves; the byte-order difference is folded into k.
        left = op == "lwl"
        flip = big == left  # lwl on BE and lwr on LE use k = byte offset

        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            w = pt[a >> 12][(a >> 2) & WMASK]
            k = 8 * ((a & 3) if flip else 3 - (a & 3))
            if rt:
                if left:
                    r[rt] = ((w << k) & M) | (r[rt] & ((1 << k) - 1))
                else:
                    r[rt] = (w >> k) | (r[rt] & (M ^ (M >> k)))
            return npc + 4
    # ------------------------------------------------------------ stores
    elif op == "sw":
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            if a & 3:
                raise Halt(Status.ADDRESS_ERROR, a)
            try:
                pt[a >> 12][(a >> 2) & WMASK] = r[rt]
            except TypeError:
                thaw(a >> 12)[(a >> 2) & WMASK] = r[rt]
            return npc + 4
    elif op == "sc":
        # Single hart: the link can only be broken by an exception, which halts.
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            if a & 3:
                raise Halt(Status.ADDRESS_ERROR, a)
            try:
                pt[a >> 12][(a >> 2) & WMASK] = r[rt]
            except TypeError:
                thaw(a >> 12)[(a >> 2) & WMASK] = r[rt]
            if rt:
                r[rt] = 1
            return npc + 4
    elif op == "sb":
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            i = (a >> 2) & WMASK
            p = pt[a >> 12]
            if type(p) is tuple:
                p = thaw(a >> 12)
            sh = bshift[a & 3]
            p[i] = (p[i] & (M ^ (0xFF << sh))) | ((r[rt] & 0xFF) << sh)
            return npc + 4
    elif op == "sh":
        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            if a & 1:
                raise Halt(Status.ADDRESS_ERROR, a)
            i = (a >> 2) & WMASK
            p = pt[a >> 12]
            if type(p) is tuple:
                p = thaw(a >> 12)
            sh = hshift[a & 3]
            p[i] = (p[i] & (M ^ (0xFFFF << sh))) | ((r[rt] & 0xFFFF) << sh)
            return npc + 4
    elif op in ("swl", "swr"):
        # Unaligned word halves (Vol. II-A "SWL"/"SWR"), the mirror of LWL/LWR.
        left = op == "swl"
        flip = big == left

        def f(npc: int) -> int:
            a = (r[rs] + simm) & M
            i = (a >> 2) & WMASK
            p = pt[a >> 12]
            if type(p) is tuple:
                p = thaw(a >> 12)
            w = p[i]
            k = 8 * ((a & 3) if flip else 3 - (a & 3))
            if left:
                p[i] = (r[rt] >> k) | (w & (M ^ (M >> k)))
            else:
                p[i] = ((r[rt] << k) & M) | (w & ((1 << k) - 1))
            return npc + 4
    # ----------------------------------------------------- system/traps
    elif op == "syscall":
        handler = kernel.syscall

        def f(npc: int) -> int:
            handler(r, mem)
            return npc + 4
    elif op == "break":
        return _halt_fn(Status.BREAK, ins.word)
    elif op in ("teq", "tne", "tge", "tgeu", "tlt", "tltu"):
        code = (ins.word >> 6) & 0x3FF
        cond: Callable[[int, int], bool] = {
            "teq": lambda a, b: a == b,
            "tne": lambda a, b: a != b,
            "tge": lambda a, b: (a ^ S) >= (b ^ S),
            "tgeu": lambda a, b: a >= b,
            "tlt": lambda a, b: (a ^ S) < (b ^ S),
            "tltu": lambda a, b: a < b,
        }[op]

        def f(npc: int) -> int:
            if cond(r[rs], r[rt]):
                raise Halt(Status.TRAP, code)
            return npc + 4
    else:  # pragma: no cover - every mnemonic in isa.MNEMONICS is handled above
        raise AssertionError(f"unhandled mnemonic {op}")
    return f

"""The dispute record layout every party shares: machine model, step record, hash link.

This module and :mod:`ocp.zkvm.micro` (the micro-step semantics table) fix what the
dispute of a zkVM run is about (../shared/ARCHITECTURE.md section 5, issue 14); the
Bitcoin Script leaves (issue 15) and the graph reproduce them bit for bit.  Both are
plain Python without numba or unicorn.  The initial state (what an INIT read returns)
is :mod:`ocp.zkvm.initial`.

Machine model for disputes
==========================
One 32-bit word address space.  Guest programs see ``[0, 0x80000000)``; everything at
or above :data:`RESERVED_BASE` is machine state a guest cannot address:

================================  ===========================================
address                           what
================================  ===========================================
``0x00000000 .. 0x00000fff``      null guard page: any guest access faults
``0x80000000 + 4*r``, r < 32      general register ``$r`` (:func:`reg`)
``0x80000080`` / ``0x80000084``   HI / LO (:data:`HI`, :data:`LO`)
``0x80000100 + 4*k``, k < 16      scratch registers ``T0..T15`` (:func:`scratch`)
``0x80000200 + 4*k``              kernel words (:data:`K_BRK` ... :data:`K_EXIT`)
``0x90000000 + 4*k``              input tape word k (:data:`INPUT_BASE`)
``0x7fff f000`` (8 bytes)         the signal-return trampoline (read-only code)
================================  ===========================================

Guest data accesses fault (deterministically, see :mod:`ocp.zkvm.micro`) at the null
page, at or above ``0x80000000``, and for writes to read-only segments (every
``PT_LOAD`` segment without ``PF_W``, ``.text`` among them, and the trampoline).
Instructions are fetched only from executable segments.  ``$0`` is never written.

Micro-steps
-----------
Each instruction is one or more *micro-steps*; a micro-step reads at most two words
and writes at most one.  The pc state is a triple ``(pc, npc, micro)``: ``npc`` is
the instruction after ``pc`` (MIPS delay slots: a branch sets ``npc``), ``micro``
(0..255) numbers the micro-steps of the instruction at ``pc``.  An instruction's
last micro-step moves to ``(npc, npc + 4 or branch target, 0)``; the others stay at
``(pc, npc, micro + k)``.  Micro-steps ``>= 128`` (:data:`FAULT_MICRO`) deliver a
SIGSEGV and do not depend on the instruction word.

Steps are numbered from 1; step i turns state i-1 into state i.  A halting step
(exit, and every fault that ends the run) writes :data:`K_EXIT` and moves to
``(HALT_PC, HALT_PC, 0)``, which is absorbing: no step follows it.

Record of step i (:class:`StepRecord`)
--------------------------------------
``pc, npc, micro`` (before the step); ``word``, the instruction word at ``pc``
(0 when ``pc`` is outside the code); ``read1``, ``read2``: address, value and the
step that last wrote that address (:data:`INIT` = 0: never written, the value is the
initial state's); ``write``: address and value, or :data:`NO_WRITE`; ``next_pc,
next_npc, next_micro``; ``witness``: an extra u32 the micro-step's check needs
(the remainder for ``div``'s LO step, the quotient for its HI step, the full code of
a halt; 0 elsewhere).  An unused read slot reads ``$0`` (:data:`NO_READ`: value 0,
last writer INIT).

Hash chain
----------
``h_0 = H0``; ``h_i = BLAKE3(h_{i-1} || write address || write value || pc' || npc' ||
micro')[:20]``.  The preimage is exactly 37 bytes::

    offset  size  field
     0      20    h_{i-1}
    20       4    write address, u32 little-endian
    24       4    write value,   u32 little-endian
    28       4    next pc,       u32 little-endian
    32       4    next npc,      u32 little-endian
    36       1    next micro,    u8

so it is ONE BLAKE3 compression: chaining value IV, message block = the 37 bytes
followed by 27 zero bytes, counter 0, block length 37, flags CHUNK_START | CHUNK_END |
ROOT (1 | 2 | 8 = 11); ``h_i`` is the first 20 bytes of the output (output words 0..4,
little-endian).  Read as BLAKE3 message words (little-endian), ``m[0..4]`` are
``h_{i-1}``'s words, ``m[5..9]`` the five fields as plain u32 values, ``m[10..15] = 0``:
no byte swapping anywhere.  After the halting step N the chain is constant:
``h_i = h_N`` for i > N (the padding up to the search space M).  Why 160 bits
suffice: docs/zkvm-dispute.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

M32 = 0xFFFFFFFF

# ---------------------------------------------------------------- address map
NULL_GUARD_END = 0x0000_1000  #: guest accesses below this fault (nil pointers)
RESERVED_BASE = 0x8000_0000  #: guest accesses at or above this fault
REG_BASE = 0x8000_0000
HI = REG_BASE + 0x80
LO = REG_BASE + 0x84
SCRATCH_BASE = REG_BASE + 0x100
N_SCRATCH = 16
KERNEL_BASE = REG_BASE + 0x200
INPUT_BASE = 0x9000_0000
MAX_INPUT = 0x1000_0000  #: input tape bytes at most (256 MiB)


def reg(r: int) -> int:
    """Address of general register ``$r``."""
    return REG_BASE + 4 * r


def scratch(k: int) -> int:
    """Address of scratch register ``Tk`` (micro-programs only)."""
    return SCRATCH_BASE + 4 * k


#: Kernel words: state of the emulated Linux that micro-programs read and write.
K_BRK = KERNEL_BASE + 0x00  #: the program break (constant: brk never moves)
K_HEAP = KERNEL_BASE + 0x04  #: next free address of the mmap bump allocator
K_INPUT_LEN = KERNEL_BASE + 0x08  #: input tape length in bytes (constant)
K_INPUT_OFF = KERNEL_BASE + 0x0C  #: input bytes consumed by read(0, ...)
K_SEGV_HANDLER = KERNEL_BASE + 0x10  #: SIGSEGV sa_handler (0 = SIG_DFL)
K_SEGV_FLAGS = KERNEL_BASE + 0x14  #: SIGSEGV sa_flags
K_ALT_SP = KERNEL_BASE + 0x18  #: sigaltstack ss_sp
K_ALT_SIZE = KERNEL_BASE + 0x1C  #: sigaltstack ss_size (0 = disabled)
K_EXIT = KERNEL_BASE + 0x20  #: written once, by the halting step: status << 8 | code & 0xff
KERNEL_WORDS = {
    "brk": K_BRK,
    "heap": K_HEAP,
    "input_len": K_INPUT_LEN,
    "input_off": K_INPUT_OFF,
    "segv_handler": K_SEGV_HANDLER,
    "segv_flags": K_SEGV_FLAGS,
    "alt_sp": K_ALT_SP,
    "alt_size": K_ALT_SIZE,
    "exit": K_EXIT,
}

#: The signal-return trampoline (``li $v0, 4193; syscall``), Linux's VDSO sigreturn.
SIGRETURN_PC = 0x7FFF_F000
SIGRETURN_CODE = (0x24021061, 0x0000000C)

# --------------------------------------------------------- canonical values
INIT = 0  #: last-writer step of a word never written (its value is the initial state's)
NO_READ = REG_BASE  #: an unused read slot reads $0 (value 0, last writer INIT)
NO_WRITE_ADDRESS = 0xFFFF_FFFF  #: never a read address (unaligned, reserved)
HALT_PC = 0xFFFF_FFFF  #: absorbing pc after the halting step
FAULT_MICRO = 128  #: micro-steps at or above this deliver a SIGSEGV
MAX_MICRO = 255


class Status(IntEnum):
    """How a run ended (0 while it runs); the halting step writes ``status << 8 | code``."""

    RUNNING = 0
    EXITED = 1  #: exit/exit_group; code = status & 0xff
    INVALID_INSTRUCTION = 2  #: code = the instruction word
    TRAP = 3  #: teq/tne/... condition true; code = the code field
    ADDRESS_ERROR = 4  #: unaligned access or pc; code = the address
    OVERFLOW = 5  #: add/addi/sub signed overflow; code = the pc
    UNKNOWN_SYSCALL = 6  #: code = the number in $v0
    BREAK = 7  #: ``break``; code = the word
    SIGNALLED = 8  #: killed by a signal (kill/tgkill, or SIGSEGV without handler); code = signal


# ------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class Read:
    """One word read by a micro-step: ``last_writer`` is a step number or INIT (0)."""

    address: int
    value: int
    last_writer: int


@dataclass(frozen=True, slots=True)
class Write:
    """The word a micro-step writes, or :data:`NO_WRITE`."""

    address: int
    value: int

    @property
    def is_write(self) -> bool:
        return self.address != NO_WRITE_ADDRESS


NO_WRITE = Write(NO_WRITE_ADDRESS, 0)
NO_READ_RECORD = Read(NO_READ, 0, INIT)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """Everything step ``step`` does; see the module docstring."""

    step: int
    pc: int
    npc: int
    micro: int
    word: int
    read1: Read
    read2: Read
    write: Write
    next_pc: int
    next_npc: int
    next_micro: int
    witness: int = 0

    @property
    def halts(self) -> bool:
        return self.next_pc == HALT_PC

    def link_fields(self) -> tuple[int, int, int, int, int]:
        """The fields hashed into ``h_step`` after ``h_{step-1}``."""
        return (self.write.address, self.write.value, self.next_pc, self.next_npc, self.next_micro)

    def to_json(self) -> dict[str, object]:
        def rd(r: Read) -> dict[str, object]:
            return {"address": f"{r.address:#010x}", "value": f"{r.value:#010x}", "last_writer": r.last_writer}

        return {
            "step": self.step,
            "pc": f"{self.pc:#010x}",
            "npc": f"{self.npc:#010x}",
            "micro": self.micro,
            "word": f"{self.word:#010x}",
            "read1": rd(self.read1),
            "read2": rd(self.read2),
            "write": {"address": f"{self.write.address:#010x}", "value": f"{self.write.value:#010x}"},
            "next_pc": f"{self.next_pc:#010x}",
            "next_npc": f"{self.next_npc:#010x}",
            "next_micro": self.next_micro,
            "witness": f"{self.witness:#010x}",
        }


# ---------------------------------------------------------------- hash link
LINK_PREIMAGE_LEN = 37
HASH_LEN = 20


def link_preimage(prev: bytes, waddr: int, wval: int, pc: int, npc: int, micro: int) -> bytes:
    """The 37-byte BLAKE3 input of one link (module docstring)."""
    if len(prev) != HASH_LEN:
        raise ValueError(f"previous hash must be {HASH_LEN} bytes, got {len(prev)}")
    return (
        prev
        + waddr.to_bytes(4, "little")
        + wval.to_bytes(4, "little")
        + pc.to_bytes(4, "little")
        + npc.to_bytes(4, "little")
        + bytes([micro])
    )


def link(prev: bytes, waddr: int, wval: int, pc: int, npc: int, micro: int) -> bytes:
    """``h_i`` from ``h_{i-1}`` and step i's write and next pc triple."""
    from taptrees.hashcore.blake3 import blake3_hash

    return blake3_hash(link_preimage(prev, waddr, wval, pc, npc, micro))[:HASH_LEN]


def record_link(prev: bytes, rec: StepRecord) -> bytes:
    return link(prev, *rec.link_fields())


def _h0() -> bytes:
    from taptrees.hashcore.blake3 import blake3_hash

    return blake3_hash(b"ocp zkvm trace v1")[:HASH_LEN]


#: ``h_0``: the first 20 bytes of BLAKE3("ocp zkvm trace v1").
H0: bytes = _h0()

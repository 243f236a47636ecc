"""The reference micro-stepper: executes :data:`ocp.zkvm.micro.MICRO_OPS`, one record per step.

State = the initial state (:mod:`ocp.zkvm.initial`) plus the words written since,
and for every written word the step that last wrote it (reads of other words name
INIT).  :meth:`Stepper.step_record` executes one micro-step and returns its
:class:`~ocp.zkvm.record.StepRecord`; :meth:`Stepper.run` executes many without
building records.  Bytes written to fd 1 and 2 are captured in :attr:`Stepper.output`
(they are output, not state: a ``write`` micro-step changes only ``$v0``/``$a3``).
"""

from __future__ import annotations

from ocp.zkvm import isa
from ocp.zkvm.initial import InitialState
from ocp.zkvm.micro import (
    FAULT_MICRO,
    MICRO_COUNT,
    MICRO_OPS,
    SYS_WRITE,
    MicroOp,
    is_code,
    readable,
)
from ocp.zkvm.record import (
    HALT_PC,
    INIT,
    K_EXIT,
    NO_WRITE_ADDRESS,
    Read,
    Status,
    StepRecord,
    Write,
    reg,
)

M = 0xFFFFFFFF
#: Bytes of one write(2) captured at most (a guest asking for more gets them truncated).
MAX_CAPTURE = 1 << 24

_OPS: dict[str, tuple[MicroOp, ...]] = {
    name: tuple(MICRO_OPS[name, m] for m in range(count)) for name, count in MICRO_COUNT.items() if name != "fault"
}
_FAULT_OPS = {m: op for (name, m), op in MICRO_OPS.items() if name == "fault"}
_WRITE_OP = MICRO_OPS["syscall", SYS_WRITE]


class Stepper:
    """The reference machine; see the module docstring."""

    def __init__(self, init: InitialState) -> None:
        self.init = init
        self.L = init.layout_array
        self.mem: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.pc = init.entry
        self.npc = (init.entry + 4) & M
        self.micro = 0
        self.step = 0
        self.output: list[tuple[int, bytes]] = []
        self._decoded: dict[int, tuple[int, tuple[MicroOp, ...]]] = {}
        self._initial = init.value
        #: After a halt: the pc of the halting step and its full code (the witness).
        self.halt_pc = 0
        self.halt_code = 0

    # -- state -------------------------------------------------------------
    def load(self, addr: int) -> int:
        v = self.mem.get(addr)
        return self._initial(addr) if v is None else v

    def store(self, addr: int, value: int, step: int) -> None:
        self.mem[addr] = value
        self.last[addr] = step

    @property
    def halted(self) -> bool:
        return self.pc == HALT_PC

    @property
    def status(self) -> Status:
        """RUNNING, or how the run ended (from the exit word the halting step wrote)."""
        if not self.halted:
            return Status.RUNNING
        return Status(self.load(K_EXIT) >> 8)

    @property
    def exit_code(self) -> int:
        """The exit status (low byte) after exit/exit_group; for other halts the low byte
        of their code (:attr:`halt_code` has all of it)."""
        return self.load(K_EXIT) & 0xFF

    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 1)

    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 2)

    def read_bytes(self, addr: int, n: int) -> bytes:
        """Guest bytes ``[addr, addr + n)`` as the program sees them."""
        order = "big" if self.init.big_endian else "little"
        out = bytearray()
        a = addr & ~3
        while a < addr + n:
            out += self.load(a & M).to_bytes(4, order)
            a += 4
        skip = addr & 3
        return bytes(out[skip : skip + n])

    # -- stepping -----------------------------------------------------------
    def _fetch(self, pc: int) -> tuple[int, tuple[MicroOp, ...]]:
        got = self._decoded.get(pc)
        if got is None:
            if pc & 3 or not is_code(pc, self.L):
                got = (0, _OPS["badpc"])
            else:
                word = self._initial(pc)  # code is read-only: its words are state 0's
                got = (word, _OPS[isa.decode(word).op])
            self._decoded[pc] = got
        return got

    def _op(self) -> tuple[int, MicroOp]:
        word, ops = self._fetch(self.pc)
        m = self.micro
        if m >= FAULT_MICRO:
            return word, _FAULT_OPS[m]
        return word, ops[m]

    def step_record(self) -> StepRecord:
        """Execute one micro-step and return its record."""
        if self.halted:
            raise RuntimeError("the machine has halted")
        word, op = self._op()
        pc, npc, L = self.pc, self.npc, self.L
        m = self.micro
        a1 = op.read1(word, pc, npc, m, L)
        v1 = self.load(a1)
        a2 = op.read2(word, pc, npc, m, v1, L)
        v2 = self.load(a2)
        wa, wv, pc2, npc2, m2, wit = op.run(word, pc, npc, m, v1, v2, L)
        self.step += 1
        step = self.step
        rec = StepRecord(
            step,
            pc,
            npc,
            m,
            word,
            Read(a1, v1, self.last.get(a1, INIT)),
            Read(a2, v2, self.last.get(a2, INIT)),
            Write(wa, wv),
            pc2,
            npc2,
            m2,
            wit,
        )
        if op is _WRITE_OP:
            self._capture(v1, v2)
        if wa != NO_WRITE_ADDRESS:
            self.store(wa, wv, step)
        if pc2 == HALT_PC:
            self.halt_pc, self.halt_code = pc, wit
        self.pc, self.npc, self.micro = pc2, npc2, m2
        return rec

    def run(self, n: int) -> int:
        """Execute up to ``n`` micro-steps (fewer only at a halt); return how many ran."""
        load, store, L = self.load, self.store, self.L
        fetch = self._fetch
        pc, npc, m = self.pc, self.npc, self.micro
        step0 = step = self.step
        end = step + n
        try:
            while step < end and pc != HALT_PC:
                word, ops = fetch(pc)
                op = _FAULT_OPS[m] if m >= FAULT_MICRO else ops[m]
                v1 = load(op.read1(word, pc, npc, m, L))
                v2 = load(op.read2(word, pc, npc, m, v1, L))
                wa, wv, pc2, npc2, m2, wit = op.run(word, pc, npc, m, v1, v2, L)
                step += 1
                if op is _WRITE_OP:
                    self._capture(v1, v2)
                if wa != NO_WRITE_ADDRESS:
                    store(wa, wv, step)
                if pc2 == HALT_PC:
                    self.halt_pc, self.halt_code = pc, wit
                pc, npc, m = pc2, npc2, m2
        finally:
            self.pc, self.npc, self.micro, self.step = pc, npc, m, step
        return step - step0

    def _capture(self, fd: int, count: int) -> None:
        if fd not in (1, 2) or count == 0:
            return
        addr = self.load(reg(5))
        n = min(count, MAX_CAPTURE)
        if readable(addr) and readable((addr + n - 1) & M) and addr + n <= 0x8000_0000:
            self.output.append((fd, self.read_bytes(addr, n)))

"""Execution traces: run to completion, then any step's state and memory proofs.

A :class:`Trace` runs a program from boot, taking a :class:`Checkpoint`
every ``spacing`` steps (the full machine: registers, kernel state and a
copy-on-write snapshot of memory, plus the :class:`State` with its memory
root).  :meth:`Trace.state_at` restores the nearest checkpoint at or before
the step and re-executes the rest with the reference stepper, so every
state is reproducible from the checkpoint chain alone.  Between checkpoints
the run may use the unicorn engine; checkpoint states are identical either
way.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field

from ocp.errors import UserError
from ocp.zkvm.boot import boot
from ocp.zkvm.cpu import Machine, Status
from ocp.zkvm.elf import ElfImage
from ocp.zkvm.isa import decode
from ocp.zkvm.memory import Memory
from ocp.zkvm.merkle import MemoryProof, MemoryTree
from ocp.zkvm.state import State, capture
from ocp.zkvm.syscalls import Kernel

DEFAULT_SPACING = 100_000
DEFAULT_MAX_STEPS = 1_000_000_000


@dataclass(frozen=True)
class Checkpoint:
    """Everything needed to resume a machine at ``state.step``."""

    state: State
    regs: tuple[int, ...]  # 34: GPRs, HI, LO
    pages: dict[int, tuple[int, ...]]
    brk: int
    output: tuple[tuple[int, bytes], ...]

    def restore(self, program: ElfImage, input_tape: bytes) -> Machine:
        s = self.state
        mem = Memory.from_snapshot(self.pages, program.big_endian)
        kernel = Kernel(input=input_tape, brk=self.brk, heap=s.heap, input_off=s.input_off,
                        out_hash=s.out_hash, output=list(self.output))
        m = Machine(mem, kernel, s.pc, s.npc)
        m.regs[:] = self.regs
        m.step, m.status, m.exit_code = s.step, s.status, s.exit_code
        return m


def checkpoint(m: Machine, tree: MemoryTree) -> Checkpoint:
    pages = m.mem.snapshot()
    return Checkpoint(capture(m, tree.root(m.mem)), tuple(m.regs), pages, m.kernel.brk,
                      tuple(m.kernel.output))


@dataclass
class Trace:
    """A program run with checkpoints; see the module docstring."""

    program: ElfImage
    input: bytes = b""
    spacing: int = DEFAULT_SPACING
    engine: str = "python"
    max_steps: int = DEFAULT_MAX_STEPS
    checkpoints: list[Checkpoint] = field(default_factory=list)
    seconds: float = 0.0
    checkpoint_seconds: float = 0.0
    #: With the unicorn engine: steps run by unicorn / by Python, and abandoned runs.
    engine_stats: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.spacing <= 0:
            raise UserError("checkpoint spacing must be positive")
        if self.engine not in ("python", "unicorn"):
            raise UserError(f"unknown engine {self.engine!r} (python or unicorn)")
        self._tree = MemoryTree()
        self.machine: Machine | None = None

    def run(self) -> State:
        """Run from boot to a halt (or ``max_steps``); return the final state."""
        m = boot(self.program, self.input)
        self.machine = m
        advance = m.run
        if self.engine == "unicorn":
            from ocp.zkvm.engine_unicorn import UnicornEngine

            fast = UnicornEngine(m)
            advance = fast.advance
            self.engine_stats = fast.stats
        self.checkpoints = [checkpoint(m, self._tree)]
        t0 = time.perf_counter()
        cp_time = 0.0
        while not m.halted and m.step < self.max_steps:
            advance(min(self.spacing, self.max_steps - m.step))
            t1 = time.perf_counter()
            self.checkpoints.append(checkpoint(m, self._tree))
            cp_time += time.perf_counter() - t1
        self.seconds = time.perf_counter() - t0
        self.checkpoint_seconds = cp_time
        return self.final

    @property
    def final(self) -> State:
        if not self.checkpoints:
            raise RuntimeError("trace not run yet")
        return self.checkpoints[-1].state

    @property
    def steps(self) -> int:
        return self.final.step

    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.checkpoints[-1].output if fd == 1)

    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.checkpoints[-1].output if fd == 2)

    def machine_at(self, step: int) -> Machine:
        """A fresh machine at ``step`` (clamped to the final step)."""
        if not 0 <= step:
            raise UserError(f"step must be >= 0, got {step}")
        step = min(step, self.steps)
        idx = bisect.bisect_right([c.state.step for c in self.checkpoints], step) - 1
        m = self.checkpoints[idx].restore(self.program, self.input)
        m.run(step - m.step)
        return m

    def state_at(self, step: int) -> State:
        m = self.machine_at(step)
        return capture(m, self._tree.root(m.mem))

    def witness(self, step: int) -> StepWitness:
        """States ``step`` and ``step + 1`` with the proofs one step needs."""
        m = self.machine_at(step)
        fetch = self._tree.prove(m.mem, m.pc)
        addr = effective_address(m)
        access = self._tree.prove(m.mem, addr) if addr is not None else None
        pre = capture(m, self._tree.root(m.mem))
        m.run(1)
        after = self._tree.prove(m.mem, addr) if addr is not None else None
        return StepWitness(pre, capture(m, self._tree.root(m.mem)), fetch, access, after)

    def proof_at(self, step: int, addr: int) -> tuple[State, MemoryProof]:
        """State at ``step`` and a proof of the memory word at ``addr`` against its root."""
        m = self.machine_at(step)
        proof = self._tree.prove(m.mem, addr)
        return capture(m, self._tree.root(m.mem)), proof


@dataclass(frozen=True)
class StepWitness:
    """What a one-step dispute needs: both states and the memory they read or write.

    ``fetch`` proves the instruction word at ``pre.pc``; for a load or store,
    ``access`` proves the word at the effective address before the step and
    ``access_after`` after it (a store changes it; the post-state root must
    match).  All proofs are against the matching state's ``mem_root``.
    """

    pre: State
    post: State
    fetch: MemoryProof
    access: MemoryProof | None
    access_after: MemoryProof | None

    def verify(self) -> bool:
        ok = self.fetch.verify(self.pre.mem_root) and self.fetch.addr == self.pre.pc
        if self.access is not None:
            ok = ok and self.access.verify(self.pre.mem_root)
        if self.access_after is not None:
            ok = ok and self.access_after.verify(self.post.mem_root)
        return ok and self.post.step == self.pre.step + (self.pre.status == Status.RUNNING)


def effective_address(m: Machine) -> int | None:
    """The data address the instruction at ``m.pc`` would access, if it is a load/store."""
    ins = decode(m.mem.load_word(m.pc))
    if ins.op in LOADS_STORES:
        return (m.regs[ins.rs] + ins.imm) & 0xFFFFFFFF
    return None


LOADS_STORES = frozenset({"lb", "lbu", "lh", "lhu", "lw", "lwl", "lwr", "ll",
                          "sb", "sh", "sw", "swl", "swr", "sc"})


def run_program(program: ElfImage, input_tape: bytes = b"", **kw: object) -> Trace:
    """Convenience: build and run a :class:`Trace`."""
    t = Trace(program, input_tape, **kw)  # type: ignore[arg-type]
    t.run()
    return t


__all__ = ["Checkpoint", "StepWitness", "Trace", "effective_address", "run_program"]

"""A run of the fast engine with checkpoints: any step's hash or record, on demand.

:meth:`ExecutionTrace.run` executes from state 0 to the halt (or ``max_steps``), hashing
the chain, and keeps a :class:`Checkpoint` every ``spacing`` steps (a power of two, so
the first search rounds land on checkpoints): ``h_step`` and the pages written since
the previous checkpoint (:class:`~ocp.zkvm.fast.Delta`), never the trace itself; and
the hash at every multiple of ``sample_every`` steps (20 bytes each: the search rounds
whose points are such multiples are answered without replay).  :meth:`hashes_at` and
:meth:`records` restore the checkpoint at or before the first step asked for and replay
from there; steps past the halting step N have hash ``h_N`` (the padding).  Memory: the
deltas (pages dirtied per interval), the samples, and one live machine.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ocp.errors import UserError
from ocp.zkvm.elf import ElfImage
from ocp.zkvm.fast import Delta, FastEngine, words_hash
from ocp.zkvm.initial import InitialState, build_initial_state
from ocp.zkvm.record import H0, HALT_PC, Status, StepRecord

DEFAULT_SPACING = 1 << 20
DEFAULT_SAMPLE_EVERY = 1 << 12
DEFAULT_MAX_STEPS = 1 << 32


@dataclass(frozen=True)
class Checkpoint:
    step: int
    hash: bytes
    delta: Delta


@dataclass
class ExecutionTrace:
    """A program run; see the module docstring."""

    init: InitialState
    spacing: int = DEFAULT_SPACING
    max_steps: int = DEFAULT_MAX_STEPS
    sample_every: int = DEFAULT_SAMPLE_EVERY
    checkpoints: list[Checkpoint] = field(default_factory=list)
    samples: dict[int, bytes] = field(default_factory=dict)
    seconds: float = 0.0
    _live: FastEngine | None = None
    _final: FastEngine | None = None

    @classmethod
    def of(cls, program: ElfImage, input_tape: bytes = b"", **kw: int) -> ExecutionTrace:
        return cls(build_initial_state(program, input_tape), **kw)

    def __post_init__(self) -> None:
        if self.spacing <= 0 or self.spacing & (self.spacing - 1):
            raise UserError(f"checkpoint spacing must be a power of two, got {self.spacing}")
        if self.max_steps <= 0:
            raise UserError("max steps must be positive")
        if self.sample_every <= 0 or self.sample_every & (self.sample_every - 1):
            raise UserError(f"hash sampling must be a power of two, got {self.sample_every}")

    # -- the run ------------------------------------------------------------
    def run(self) -> ExecutionTrace:
        eng = FastEngine(self.init)
        self.checkpoints = [Checkpoint(0, H0, eng.take_delta())]
        t0 = time.perf_counter()
        self.samples = {}
        every = self.sample_every
        while not eng.halted and eng.step < self.max_steps:
            target = min((eng.step // self.spacing + 1) * self.spacing, self.max_steps)
            want = np.arange((eng.step // every + 1) * every, target + 1, every, dtype=np.int64)
            sout, _ = eng.run(target, samples=want)
            for k in range(int(np.searchsorted(want, eng.step, side="right"))):
                self.samples[int(want[k])] = words_hash(sout[k])
            self.checkpoints.append(Checkpoint(eng.step, eng.hash, eng.take_delta()))
        self.seconds = time.perf_counter() - t0
        self._final = eng
        self._live = None
        return self

    def _need_run(self) -> FastEngine:
        if self._final is None:
            raise RuntimeError("trace not run yet")
        return self._final

    @property
    def steps(self) -> int:
        """N: the halting step (or the step the run stopped at, when it did not halt)."""
        return self._need_run().step

    @property
    def halted(self) -> bool:
        return self._need_run().halted

    @property
    def final_hash(self) -> bytes:
        return self._need_run().hash

    @property
    def status(self) -> Status:
        return self._need_run().status

    @property
    def exit_code(self) -> int:
        return self._need_run().exit_code

    def stdout(self) -> bytes:
        return self._need_run().stdout()

    def stderr(self) -> bytes:
        return self._need_run().stderr()

    @property
    def checkpoint_bytes(self) -> int:
        """Bytes held by the checkpoints' pages and the hash samples."""
        return sum(c.delta.nbytes for c in self.checkpoints) + 20 * len(self.samples)

    # -- replay ---------------------------------------------------------------
    def engine_at(self, step: int) -> FastEngine:
        """A machine at ``step`` (clamped to N), restored from checkpoints and replayed.

        Consecutive calls moving forward reuse the machine of the previous call.
        """
        final = self._need_run()
        step = max(0, min(step, final.step))
        live = self._live
        idx = bisect.bisect_right([c.step for c in self.checkpoints], step) - 1
        if live is None or not (self.checkpoints[idx].step <= live.step <= step):
            live = FastEngine.from_deltas(self.init, [c.delta for c in self.checkpoints[: idx + 1]])
        live.run(step)
        self._live = live
        return live

    def fork_at(self, step: int) -> FastEngine:
        """An independent machine at ``step`` (changing it leaves the trace alone)."""
        self._need_run()
        idx = bisect.bisect_right([c.step for c in self.checkpoints], step) - 1
        eng = FastEngine.from_deltas(self.init, [c.delta for c in self.checkpoints[: idx + 1]])
        eng.run(step)
        return eng

    def hash_at(self, step: int) -> bytes:
        return self.hashes_at([step])[0]

    def hashes_at(self, steps: Sequence[int]) -> list[bytes]:
        """``h_s`` for each step (any order; 0 gives h_0, beyond N gives h_N)."""
        final = self._need_run()
        n = final.step
        out: dict[int, bytes] = {0: H0}
        by_cp = {**self.samples, **{c.step: c.hash for c in self.checkpoints}}
        todo = sorted({s for s in steps if 0 < s <= n and s not in by_cp})
        out.update({s: by_cp[s] for s in steps if s in by_cp})
        i = 0
        while i < len(todo):
            eng = self.engine_at(todo[i] - 1)
            # every wanted step until the next checkpoint in one replay
            nxt = bisect.bisect_right([c.step for c in self.checkpoints], todo[i] - 1)
            limit = self.checkpoints[nxt].step if nxt < len(self.checkpoints) else n
            j = bisect.bisect_right(todo, limit)
            batch = np.array(todo[i:j], dtype=np.int64)
            sout, _ = eng.run(int(batch[-1]), samples=batch)
            out.update({int(s): words_hash(sout[k]) for k, s in enumerate(batch)})
            i = j
        return [out[s] if s <= n else final.hash for s in steps]

    def records(self, first: int, count: int = 1) -> list[StepRecord]:
        """Records of steps ``first .. first + count - 1`` (1 <= first, stops at N)."""
        if first < 1:
            raise UserError(f"steps are numbered from 1, got {first}")
        eng = self.engine_at(first - 1)
        if eng.step != first - 1:
            return []
        return eng.records(count)

    def record(self, step: int) -> StepRecord:
        recs = self.records(step, 1)
        if not recs:
            raise UserError(f"step {step} is past the halting step {self.steps}")
        return recs[0]

    def state_summary(self, step: int) -> dict[str, object]:
        """pc triple, registers and hash of state ``step`` (for ``ocp zkvm state``)."""
        from ocp.zkvm.record import HI, LO, reg

        eng = self.engine_at(step)
        return {
            "step": eng.step,
            "pc": f"{eng.pc:#010x}",
            "npc": f"{eng.npc:#010x}",
            "micro": eng.micro,
            "halted": eng.pc == HALT_PC,
            "hash": eng.hash.hex(),
            "regs": [eng.load(reg(r)) for r in range(32)],
            "hi": eng.load(HI),
            "lo": eng.load(LO),
        }

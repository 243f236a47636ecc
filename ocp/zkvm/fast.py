"""The fast engine: the micro-step table compiled with numba, hashing the chain as it runs.

Memory is paged: ``pt[page] -> slot`` (-1: never touched, reads as state 0's zero),
``pool[slot]`` holds 1024 words and ``lastw[slot]`` the step that last wrote each
(0 = INIT); ``dirty[slot]`` marks pages written since the last :meth:`take_delta`.
State 0 (:mod:`ocp.zkvm.initial`) is loaded into the pool; the pool grows by doubling
when full.  :meth:`FastEngine.run` runs to a step (hash samples and record rows on the
way), stopping early at a halt; bytes written to fd 1/2 are captured like the reference
stepper's.  The numba code is ``_fastengine.py``, generated from ``micro.py``
(:mod:`ocp.zkvm.fastgen`); records equal :class:`~ocp.zkvm.stepper.Stepper`'s (tests).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ocp.zkvm import isa
from ocp.zkvm.initial import InitialState
from ocp.zkvm.record import (
    H0,
    HALT_PC,
    K_EXIT,
    Read,
    Status,
    StepRecord,
    Write,
)

M = 0xFFFFFFFF
R_LIMIT, R_HALT, R_PAGES, R_OUTPUT, R_BADKIND = 0, 1, 2, 3, 4
MAX_CAPTURE = 1 << 24


@functools.cache
def _engine():  # noqa: ANN202
    """The generated engine module, checked once per process against today's sources."""
    from ocp.zkvm import _fastengine, fastgen

    fastgen.check_current()
    return _fastengine


def hash_words(h: bytes) -> list[int]:
    return [int.from_bytes(h[4 * i : 4 * i + 4], "little") for i in range(5)]


def words_hash(words: object) -> bytes:
    return b"".join(int(w).to_bytes(4, "little") for w in words)  # type: ignore[union-attr]


@dataclass(frozen=True)
class Delta:
    """Pages written between two checkpoints, and the machine scalars at the later one."""

    step: int
    scalars: tuple[int, ...]  # the engine's st[] row
    pages: dict[int, tuple[np.ndarray, np.ndarray]]  # page -> (words, last writers)
    output: tuple[tuple[int, bytes], ...]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes + b.nbytes for a, b in self.pages.values())


class FastEngine:
    """One machine in numpy arrays; see the module docstring."""

    def __init__(self, init: InitialState, *, capacity: int = 0) -> None:
        self.init = init
        self.fe = _engine()
        pages = init.pages
        cap = max(capacity, 64, 2 * len(pages))
        self.pt = np.full(1 << 20, -1, dtype=np.int32)
        self.pool = np.zeros((cap, 1024), dtype=np.uint32)
        self.lastw = np.zeros((cap, 1024), dtype=np.int64)
        self.dirty = np.zeros(cap, dtype=np.uint8)
        dt = ">u4" if init.big_endian else "<u4"
        for i, (pn, data) in enumerate(sorted(pages.items())):
            self.pt[pn] = i
            self.pool[i] = np.frombuffer(data, dtype=dt)
        self.L = np.array(init.layout_array, dtype=np.int64)
        self._code_tables()
        self.st = np.zeros(16, dtype=np.int64)
        self.st[0], self.st[1] = init.entry, (init.entry + 4) & M
        self.st[4] = len(pages)
        self.st[10:15] = hash_words(H0)
        self.output: list[tuple[int, bytes]] = []
        self._empty_samples = np.zeros(0, dtype=np.int64)
        self._empty_out = np.zeros((0, 5), dtype=np.int64)
        self._empty_rec = np.zeros((0, 17), dtype=np.int64)

    def _code_tables(self) -> None:
        """Mnemonic index of every code word (decoded once per initial state)."""
        cached = self.init.__dict__.get("_fast_code_tables")
        if cached is None:
            names = self.fe.MNEMONICS
            index = {n: i for i, n in enumerate(names)}
            lo, hi, off, mns = [], [], [], []
            memo: dict[int, int] = {}
            total = 0
            for a, b in self.init.layout.code:
                lo.append(a)
                hi.append(b)
                off.append(total)
                for pc in range(a, b, 4):
                    word = self.init.value(pc)
                    mn = memo.get(word)
                    if mn is None:
                        mn = memo[word] = index[isa.decode(word).op]
                    mns.append(mn)
                total += (b - a + 3) // 4
            cached = (
                np.array(lo, dtype=np.int64),
                np.array(hi, dtype=np.int64),
                np.array(off, dtype=np.int64),
                np.array(mns or [0], dtype=np.int64),
            )
            self.init.__dict__["_fast_code_tables"] = cached
        self.code_lo, self.code_hi, self.code_off, self.code_mn = cached

    # -- scalars ----------------------------------------------------------
    @property
    def step(self) -> int:
        return int(self.st[3])

    @property
    def pc(self) -> int:
        return int(self.st[0])

    @property
    def npc(self) -> int:
        return int(self.st[1])

    @property
    def micro(self) -> int:
        return int(self.st[2])

    @property
    def halted(self) -> bool:
        return self.pc == HALT_PC

    @property
    def hash(self) -> bytes:
        """``h_step``."""
        return words_hash(self.st[10:15])

    @property
    def pages_used(self) -> int:
        return int(self.st[4])

    @property
    def status(self) -> Status:
        return Status(self.load(K_EXIT) >> 8) if self.halted else Status.RUNNING

    @property
    def exit_code(self) -> int:
        return self.load(K_EXIT) & 0xFF

    def load(self, addr: int) -> int:
        s = int(self.pt[addr >> 12])
        return int(self.pool[s, (addr >> 2) & 1023]) if s >= 0 else 0

    def last_writer(self, addr: int) -> int:
        s = int(self.pt[addr >> 12])
        return int(self.lastw[s, (addr >> 2) & 1023]) if s >= 0 else 0

    def read_bytes(self, addr: int, n: int) -> bytes:
        dt = ">u4" if self.init.big_endian else "<u4"
        out = bytearray()
        a = addr & ~3
        while a < addr + n:
            out += np.array([self.load(a & M)], dtype=dt).tobytes()
            a += 4
        return bytes(out[addr & 3 : (addr & 3) + n])

    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 1)

    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 2)

    # -- running ------------------------------------------------------------
    def _grow(self) -> None:
        cap = self.pool.shape[0]
        self.pool = np.concatenate([self.pool, np.zeros((cap, 1024), dtype=np.uint32)])
        self.lastw = np.concatenate([self.lastw, np.zeros((cap, 1024), dtype=np.int64)])
        self.dirty = np.concatenate([self.dirty, np.zeros(cap, dtype=np.uint8)])

    def run(
        self,
        stop_at: int,
        *,
        hashing: bool = True,
        samples: np.ndarray | None = None,
        records_from: int = 0,
        n_records: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run until step ``stop_at`` (or a halt).

        Returns ``(sample hashes, record rows)``: the hash after each step in ``samples``
        (sorted, each in ``(self.step, stop_at]``) as rows of 5 words, and the rows of
        steps ``records_from .. records_from + n_records - 1`` (17 ints each, see
        :meth:`record_row`).  ``hashing=False`` skips the chain (the hash is then wrong).
        """
        samp = self._empty_samples if samples is None else np.asarray(samples, dtype=np.int64)
        sout = np.zeros((len(samp), 5), dtype=np.int64) if len(samp) else self._empty_out
        recs = np.zeros((n_records, 17), dtype=np.int64) if n_records else self._empty_rec
        self.st[5] = 0
        while True:
            reason = self.fe.engine(
                self.pt,
                self.pool,
                self.lastw,
                self.dirty,
                self.L,
                self.code_lo,
                self.code_hi,
                self.code_off,
                self.code_mn,
                self.st,
                stop_at,
                hashing,
                samp,
                sout,
                records_from,
                recs,
            )
            if reason == R_PAGES:
                self._grow()
            elif reason == R_OUTPUT:
                self._capture(int(self.st[7]), int(self.st[8]))
            elif reason == R_BADKIND:
                raise RuntimeError(f"no micro-op for pc {self.pc:#x} micro {self.micro}")
            else:
                break
        return sout, recs

    def _capture(self, fd: int, count: int) -> None:
        from ocp.zkvm.micro import readable
        from ocp.zkvm.record import reg

        addr = self.load(reg(5))
        n = min(count, MAX_CAPTURE)
        if readable(addr) and addr + n <= 0x8000_0000:
            self.output.append((fd, self.read_bytes(addr, n)))

    @staticmethod
    def record_row(row: np.ndarray) -> StepRecord:
        r = [int(x) for x in row]
        return StepRecord(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            Read(r[5], r[6], r[7]),
            Read(r[8], r[9], r[10]),
            Write(r[11], r[12]),
            r[13],
            r[14],
            r[15],
            r[16],
        )

    def records(self, count: int) -> list[StepRecord]:
        """Execute the next ``count`` steps (fewer at a halt) and return their records."""
        first = self.step + 1
        _s, rows = self.run(self.step + count, records_from=first, n_records=count)
        return [self.record_row(rows[i]) for i in range(self.step - first + 1)]

    # -- checkpoints ------------------------------------------------------
    def take_delta(self) -> Delta:
        """The pages written since the previous call (copied) and the scalars now."""
        slots = np.flatnonzero(self.dirty[: self.pages_used])
        inverse = np.full(self.pool.shape[0], -1, dtype=np.int64)
        mapped = np.flatnonzero(self.pt >= 0)
        inverse[self.pt[mapped]] = mapped
        pages = {int(inverse[s]): (self.pool[s].copy(), self.lastw[s].copy()) for s in slots}
        self.dirty[:] = 0
        return Delta(self.step, tuple(int(x) for x in self.st), pages, tuple(self.output))

    @classmethod
    def from_deltas(cls, init: InitialState, deltas: list[Delta]) -> FastEngine:
        """The machine at ``deltas[-1].step``: state 0 with every delta applied in order."""
        eng = cls(init)
        latest: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for d in deltas:
            latest.update(d.pages)
        need = eng.pages_used + sum(1 for pn in latest if eng.pt[pn] < 0)
        while eng.pool.shape[0] <= need:
            eng._grow()
        used = eng.pages_used
        for pn, (words, last) in latest.items():
            s = int(eng.pt[pn])
            if s < 0:
                s = used
                used += 1
                eng.pt[pn] = s
            eng.pool[s] = words
            eng.lastw[s] = last
        if deltas:
            eng.st[:] = deltas[-1].scalars
            eng.output = list(deltas[-1].output)
        eng.st[4] = used
        eng.dirty[:] = 0
        return eng

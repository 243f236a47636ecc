"""Playing a dispute off-chain: both searches, both parties' strategies, fault injection.

Parties
-------
* :class:`HonestOperator` reveals hashes and records of its true run (padding after N).
* :class:`FaultyOperator` lies once, at a chosen step f (:data:`FAULT_KINDS`), and
  then defends its trace as well as it can: the record it reveals for step f is the
  one that passes every check but the one its lie breaks.  After f its chain continues
  over the true records from its corrupted ``h_f`` (so the first divergence is f).
* :class:`HonestChallenger` disputes a claim that is not its own run's
  ``(N, h_N, exit 0)``; it steers the first search to ``min(N, first mismatching hash)``
  and, at the end, spends the first challenge that applies (order of :func:`judge`);
  a disputed read with a non-INIT writer starts the read-value search, steered to
  ``max(operator's named writer, its own)`` with round 1 shared.
* :class:`FaultyChallenger`: ``past-n`` steers into the padding after N, ``out-of-range``
  signs a choice the move leaf refuses, ``random`` picks any choices and tries every
  challenge.

:func:`play` runs a game and returns a :class:`Outcome` with every round.

Which challenge catches which fault (:data:`EXPECTED`): write -> Execute (the
operator cannot spend its Execute leaf); pc -> ProgramCounter (EntryPoint at step 1);
read -> ReadValue after the read search (Input / Initialized / Uninitialized when the
value's writer is INIT); stale-read -> ReadValue; future-read -> FutureRead; hash ->
TraceHash (TraceHashZero at step 1); opcode -> Opcode; halt-early -> Halt;
halt-late -> TraceHash (no record links h_N to itself); input -> Input.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ocp.errors import UserError
from ocp.zkvm import challenges as ch
from ocp.zkvm.claim import Claim, program_digest
from ocp.zkvm.fast import FastEngine, hash_words
from ocp.zkvm.micro import MICRO_OPS, kind_of
from ocp.zkvm.record import (
    H0,
    INIT,
    INPUT_BASE,
    K_INPUT_LEN,
    MAX_INPUT,
    NO_READ,
    Read,
    StepRecord,
    Write,
    record_link,
)
from ocp.zkvm.search import NArySearch
from ocp.zkvm.trace import ExecutionTrace

FAULT_KINDS = ("write", "pc", "read", "stale-read", "future-read", "hash", "opcode", "halt-early", "halt-late", "input")
EXPECTED = {
    "write": "Execute",
    "pc": "ProgramCounter",
    "read": "ReadValue",
    "stale-read": "ReadValue",
    "future-read": "FutureRead",
    "hash": "TraceHash",
    "opcode": "Opcode",
    "halt-early": "Halt",
    "halt-late": "TraceHash",
    "input": "Input",
}
CHALLENGER_STRATEGIES = ("honest", "past-n", "out-of-range", "random")
#: A fault scans the records in windows of this many steps for a step it applies to,
#: and tries at most FAULT_TRIES of them.
FAULT_WINDOW = 1 << 16
FAULT_TRIES = 256


def make_claim(trace: ExecutionTrace, search: NArySearch) -> Claim:
    return Claim(program_digest(trace.init), trace.init.input, trace.steps, trace.final_hash, search)


def reexecute(
    eng: FastEngine, pc: int, npc: int, micro: int, word: int, override: dict[int, tuple[int, int]] | None = None
) -> StepRecord:
    """Step ``eng.step + 1`` from ``eng``'s memory with the given pc triple and word;
    ``override`` replaces read slot 1/2 by (value, last writer)."""
    layout = tuple(int(x) for x in eng.L)
    op = MICRO_OPS[kind_of(word, micro, pc, layout)]
    override = override or {}
    a1 = op.read1(word, pc, npc, micro, layout)
    v1, l1 = override.get(1, (eng.load(a1), eng.last_writer(a1)))
    a2 = op.read2(word, pc, npc, micro, v1, layout)
    v2, l2 = override.get(2, (eng.load(a2), eng.last_writer(a2)))
    wa, wv, pc2, npc2, m2, wit = op.run(word, pc, npc, micro, v1, v2, layout)
    return StepRecord(
        eng.step + 1, pc, npc, micro, word, Read(a1, v1, l1), Read(a2, v2, l2), Write(wa, wv), pc2, npc2, m2, wit
    )


# ================================================================== operators
class HonestOperator:
    """Reveals its true run."""

    def __init__(self, trace: ExecutionTrace, search: NArySearch) -> None:
        self.trace = trace
        self.search = search
        self.claim = make_claim(trace, search)

    def hashes(self, steps: Sequence[int]) -> list[bytes]:
        return self.trace.hashes_at(steps)

    def record(self, step: int) -> StepRecord | None:
        if not 1 <= step <= self.claim.steps:
            return None
        return self.trace.record(step)

    def resign(self, step: int) -> tuple[bytes, bytes]:
        h = self.hashes([step - 1, step])
        return h[0], h[1]


@dataclass(frozen=True)
class Fault:
    kind: str
    step: int  #: the step asked for
    at: int  #: the step the lie is at (the nearest one the kind applies to)
    record: StepRecord | None  #: the record the operator reveals for ``at``
    bad_hash: bytes | None  #: its h_at


class FaultyOperator(HonestOperator):
    """Lies once (:data:`FAULT_KINDS`), at the nearest step to ``step`` where the lie changes
    its hash chain; ``fault`` says where and what."""

    def __init__(self, trace: ExecutionTrace, search: NArySearch, kind: str, step: int) -> None:
        super().__init__(trace, search)
        if kind not in FAULT_KINDS:
            raise UserError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        n = trace.steps
        self.kind = kind
        self._fork: FastEngine | None = None
        self._bad: dict[int, bytes] = {}
        if kind == "halt-early":
            at = min(max(step, 1), n - 1)
            if at < 1:
                raise UserError("halt-early needs a run of at least 2 steps")
            self.fault = Fault(kind, step, at, None, None)
            self.claim = replace(self.claim, steps=at, final_hash=trace.hash_at(at))
            return
        if kind == "halt-late":
            at = min(max(step, n + 1), search.max_steps)
            if at <= n:
                raise UserError("halt-late needs room after N in the search space (N < M)")
            self.fault = Fault(kind, step, at, trace.record(n), None)
            self.claim = replace(self.claim, steps=at)
            return
        self.fault = self._find(kind, step)
        self.claim = replace(self.claim, final_hash=self._chain_hashes([n])[0])

    # -- where and how to lie -------------------------------------------------
    def _find(self, kind: str, step: int) -> Fault:
        """The nearest step at or after ``step`` (else before it) where the lie applies."""
        n = self.trace.steps
        step = min(max(step, 1), n)
        windows = [(lo, min(lo + FAULT_WINDOW - 1, n), False) for lo in range(step, n + 1, FAULT_WINDOW)]
        windows += [(max(1, hi - FAULT_WINDOW + 1), hi, True) for hi in range(step - 1, 0, -FAULT_WINDOW)]
        tries = 0
        for lo, hi, backward in windows:
            eng = self.trace.fork_at(lo - 1)
            _s, rows = eng.run(hi, records_from=lo, n_records=hi - lo + 1)
            cand = lo + np.flatnonzero(_applicable(kind, rows))
            for f in cand[::-1] if backward else cand:
                lie = self._lie(kind, FastEngine.record_row(rows[f - lo]))
                if lie is not None:
                    return Fault(kind, step, int(f), lie[0], lie[1])
                tries += 1
                if tries >= FAULT_TRIES:
                    break
            if tries >= FAULT_TRIES:
                break
        raise UserError(f"fault {kind!r}: no step near {step} where it changes the trace")

    def _lie(self, kind: str, honest: StepRecord) -> tuple[StepRecord, bytes] | None:
        f = honest.step
        prev = self.trace.hash_at(f - 1)
        good = record_link(prev, honest)

        def ok(rec: StepRecord) -> tuple[StepRecord, bytes] | None:
            bad = record_link(prev, rec)
            return (rec, bad) if bad != good else None

        if kind == "write":
            w = honest.write
            return ok(replace(honest, write=Write(w.address, w.value ^ 1)))
        if kind == "hash":
            return honest, good[:-1] + bytes([good[-1] ^ 1])
        eng = self.trace.engine_at(f - 1)
        if kind == "pc":
            if honest.micro == 0:
                pc, npc = honest.npc, (honest.npc + 4) & 0xFFFFFFFF
            else:
                pc, npc = honest.pc, honest.npc
            return self._valid(ok, eng, pc, npc, 0, None)
        if kind == "opcode":
            if honest.micro >= 128:
                return None
            name = kind_of(honest.word, honest.micro, honest.pc, eng.L)[0]
            for bit in (16, 11, 21):
                word = honest.word ^ (1 << bit)
                if kind_of(word, honest.micro, honest.pc, eng.L)[0] == name:
                    got = self._valid(ok, eng, honest.pc, honest.npc, honest.micro, word)
                    if got is not None:
                        return got
            return None
        for slot, read in ((1, honest.read1), (2, honest.read2)):
            if read.address == NO_READ:
                continue
            if kind == "read" or kind == "input":
                if kind == "input" and not (read.last_writer == INIT and _is_input(read.address)):
                    continue
                cands = [(read.value ^ d, read.last_writer) for d in (1, 0x80000000, 0xFF)]
            elif kind == "future-read":
                cands = [(read.value ^ d, f + 1) for d in (1, 0x80000000, 0xFF)]
            elif kind == "stale-read":
                if read.last_writer == INIT:
                    continue
                older = self.trace.fork_at(read.last_writer - 1)
                v, lw = older.load(read.address), older.last_writer(read.address)
                eng = self.trace.engine_at(f - 1)
                cands = [(v, lw)] if v != read.value else []
            else:  # pragma: no cover
                raise AssertionError(kind)
            for value, writer in cands:
                got = self._valid(ok, eng, honest.pc, honest.npc, honest.micro, honest.word, {slot: (value, writer)})
                if got is not None:
                    return got
        return None

    @staticmethod
    def _valid(ok, eng, pc, npc, micro, word, override=None):  # noqa: ANN001, ANN205
        try:
            if word is None:
                from ocp.zkvm.micro import is_code

                if pc & 3 or not is_code(pc, eng.L):
                    return None
                word = eng.load(pc)
            rec = reexecute(eng, pc, npc, micro, word, override)
        except KeyError:  # no such micro-step kind
            return None
        return ok(rec)

    # -- what it reveals ------------------------------------------------------
    def _chain_hashes(self, steps: Sequence[int]) -> list[bytes]:
        """Its chain after the lie: true records linked from the corrupted h_at."""
        f = self.fault
        want = sorted({s for s in steps if s > f.at})
        out = {f.at: f.bad_hash}
        if want:
            if self._fork is None or self._fork.step > want[0] - 1:
                self._fork = self.trace.fork_at(f.at)
                self._fork.st[10:15] = hash_words(f.bad_hash)  # type: ignore[arg-type]
            todo = [s for s in want if s > self._fork.step]
            if todo:
                sout, _ = self._fork.run(todo[-1], samples=np.array(todo, dtype=np.int64))
                for k, s in enumerate(todo):
                    self._bad[s] = b"".join(int(x).to_bytes(4, "little") for x in sout[k])
            out.update({s: self._bad[s] for s in want})
        return [out[s] for s in steps]  # type: ignore[misc]

    def hashes(self, steps: Sequence[int]) -> list[bytes]:
        n_true = self.trace.steps
        if self.kind == "halt-early":
            at = self.claim.steps
            return self.trace.hashes_at([min(s, at) for s in steps])
        if self.kind == "halt-late":
            return self.trace.hashes_at(steps)
        at = self.fault.at
        clamped = [min(s, n_true) for s in steps]
        late = self._chain_hashes([s for s in clamped if s >= at])
        it = iter(late)
        early = self.trace.hashes_at([s for s in clamped if s < at])
        it_early = iter(early)
        return [next(it) if s >= at else next(it_early) for s in clamped]

    def record(self, step: int) -> StepRecord | None:
        if self.kind == "halt-late":
            if self.trace.steps < step <= self.claim.steps:
                return replace(self.fault.record, step=step)  # its best try: the exit again
            return super().record(step)
        if self.kind != "halt-early" and step == self.fault.at:
            return self.fault.record
        return super().record(step)


def expected_challenge(op: FaultyOperator) -> str:
    """The leaf that catches ``op``'s lie, from :data:`EXPECTED` and the judge's order
    (a lie at the claimed halting step that breaks the exit is caught by Halt first; a read
    lie whose writer is INIT by the INIT challenge of the word's source)."""
    f, kind = op.fault, op.kind
    if kind in ("halt-early", "halt-late", "write"):
        return EXPECTED[kind]
    if kind == "hash":
        return "TraceHashZero" if f.at == 1 else "TraceHash"
    rec = f.record
    assert rec is not None
    if f.at == op.claim.steps and ch.halt(f.at, rec, op.claim.steps, op.search.max_steps):
        return "Halt"
    if kind == "pc":
        return "EntryPoint" if f.at == 1 else "ProgramCounter"
    if kind in ("read", "input"):
        honest = op.trace.record(f.at)
        read = rec.read1 if rec.read1 != honest.read1 else rec.read2
        if read.last_writer == INIT:
            return ch.init_read(read, op.trace.init) or "ReadValue"
        return "ReadValue"
    return EXPECTED[kind]


def _applicable(kind: str, rows: np.ndarray) -> np.ndarray:
    """Record rows (FastEngine.record_row layout) where ``kind`` may apply."""
    a1, l1, a2, l2, micro = rows[:, 5], rows[:, 7], rows[:, 8], rows[:, 10], rows[:, 3]
    used1, used2 = a1 != NO_READ, a2 != NO_READ
    if kind == "input":

        def inp(a: np.ndarray) -> np.ndarray:
            return ((a >= INPUT_BASE) & (a < INPUT_BASE + MAX_INPUT)) | (a == K_INPUT_LEN)

        return (inp(a1) & (l1 == INIT)) | (inp(a2) & (l2 == INIT))
    if kind == "stale-read":
        return (used1 & (l1 != INIT)) | (used2 & (l2 != INIT))
    if kind in ("read", "future-read"):
        return used1 | used2
    if kind == "opcode":
        return micro < 128
    return np.ones(len(rows), dtype=bool)


def _is_input(addr: int) -> bool:
    return INPUT_BASE <= addr < INPUT_BASE + MAX_INPUT or addr == K_INPUT_LEN


# ================================================================ challengers
class HonestChallenger:
    """Checks a claim against its own run and plays to win (module docstring)."""

    strategy = "honest"

    def __init__(self, trace: ExecutionTrace, search: NArySearch) -> None:
        self.trace = trace
        self.search = search

    def disputes(self, claim: Claim) -> bool:
        t = self.trace
        honest = t.halted and t.status.name == "EXITED" and t.exit_code == 0
        return not (
            honest and claim.steps == t.steps and claim.final_hash == t.final_hash and claim.input == t.init.input
        )

    def start(self, claim: Claim) -> None:
        self.target = min(claim.steps, self.search.max_steps)

    def choose(self, choices: list[int], revealed: dict[int, bytes]) -> int:
        steps = sorted(revealed)
        mine = self.trace.hashes_at(steps)
        for s, h in zip(steps, mine, strict=True):
            if revealed[s] != h:
                self.target = min(self.target, s)
                break
        return self.search.choice_for(choices, self.target)

    def read_choose(self, choices: list[int], revealed: dict[int, bytes], target: int) -> int:
        return self.search.choice_for(choices, target)

    def forced_read(self, rec: StepRecord) -> Read | None:
        """A read to dispute although it is right (only a faulty challenger does)."""
        return None


class FaultyChallenger(HonestChallenger):
    """A challenger that does not play by the rules (``past-n``, ``out-of-range``, ``random``)."""

    def __init__(self, trace: ExecutionTrace, search: NArySearch, strategy: str, seed: int = 0) -> None:
        super().__init__(trace, search)
        if strategy not in CHALLENGER_STRATEGIES[1:]:
            raise UserError(f"unknown challenger strategy {strategy!r}")
        self.strategy = strategy
        self.rng = random.Random(seed)

    def disputes(self, claim: Claim) -> bool:
        return True

    def start(self, claim: Claim) -> None:
        self.claimed = claim.steps
        self.target = min(claim.steps + 1 + self.rng.randrange(4), self.search.max_steps)

    def choose(self, choices: list[int], revealed: dict[int, bytes]) -> int:
        b = self.search.branching[len(choices)]
        if self.strategy == "out-of-range":
            return b
        if self.strategy == "random":
            return self.rng.randrange(b)
        return self.search.choice_for(choices, self.target)  # past-n

    def read_choose(self, choices: list[int], revealed: dict[int, bytes], target: int) -> int:
        return self.rng.randrange(self.search.branching[len(choices)])

    def forced_read(self, rec: StepRecord) -> Read | None:
        if self.strategy != "random":
            return None
        return next((r for r in (rec.read1, rec.read2) if r.last_writer != INIT), None)


# ===================================================================== game
@dataclass(frozen=True)
class RoundLog:
    search: str  #: "first" or "read"
    round: int
    interval: tuple[int, int]
    revealed: dict[int, bytes]
    choice: int | None


@dataclass
class Outcome:
    winner: str  #: "operator" or "challenger"
    kind: str  #: the leaf that decided it, or "NoDispute" / "ChoiceOutOfRange"
    step: int | None  #: the disputed step (first search)
    record: StepRecord | None = None
    read_step: int | None = None  #: the step the read search ended on
    read_record: StepRecord | None = None
    rounds: list[RoundLog] = field(default_factory=list)
    detail: str = ""


def _search(
    operator: HonestOperator,
    choose,
    search: NArySearch,
    label: str,  # noqa: ANN001
    rounds: list[RoundLog],
    shared: dict[int, bytes] | None = None,
) -> tuple[list[int] | None, dict[int, bytes]]:
    """One search; returns the choices (None when a choice was refused) and every hash seen."""
    choices: list[int] = []
    seen: dict[int, bytes] = {}
    for r in range(search.rounds):
        pts = search.reveals(choices)
        if r == 0 and shared is not None:
            revealed = {s: shared[s] for s in pts}  # round 1 is shared with the first search
        else:
            revealed = dict(zip(pts, operator.hashes(list(pts)), strict=True))
        seen.update(revealed)
        c = choose(choices, revealed)
        rounds.append(RoundLog(label, r + 1, search.interval(choices), revealed, c))
        if not 0 <= c < search.branching[r]:
            return None, seen
        choices.append(c)
    return choices, seen


def judge(
    step: int, rec: StepRecord, h_prev: bytes, h_cur: bytes, claim: Claim, challenger: HonestChallenger
) -> tuple[str, Read | None]:
    """The first challenge that succeeds on step ``step`` (or "" for none), and the read
    that still needs the read-value search, if that is where it ends."""
    init = challenger.trace.init
    if step == 1 and ch.trace_hash_zero(rec, h_cur):
        return "TraceHashZero", None
    if step > 1 and ch.trace_hash(h_prev, rec, h_cur):
        return "TraceHash", None
    if ch.halt(step, rec, claim.steps, claim.search.max_steps):
        return "Halt", None
    if ch.addresses_sections(rec, init):
        return "AddressesSections", None
    if step == 1 and ch.entry_point(step, rec, init.entry):
        return "EntryPoint", None
    if step > 1:
        mine = challenger.trace.record(step - 1)
        h2 = challenger.trace.hash_at(step - 2)
        if ch.program_counter(rec, mine.link_fields(), h2, h_prev):
            return "ProgramCounter", None
    if ch.opcode(rec, init):
        return "Opcode", None
    for read in (rec.read1, rec.read2):
        if ch.future_read(step, read):
            return "FutureRead", None
    honest = challenger.trace.record(step) if step <= challenger.trace.steps else None
    for read, mine_read in (
        (rec.read1, honest.read1 if honest else None),
        (rec.read2, honest.read2 if honest else None),
    ):
        kind = ch.init_read(read, init)
        if kind is not None and (mine_read is None or mine_read.last_writer == INIT):
            return kind, None
        if (
            mine_read is not None
            and read.address == mine_read.address
            and (read.value != mine_read.value or read.last_writer != mine_read.last_writer)
        ):
            return "", read
    return "", None


def play(operator: HonestOperator, challenger: HonestChallenger) -> Outcome:
    """One game, first search to the final leaves (module docstring)."""
    claim = operator.claim
    search = claim.search
    if not challenger.disputes(claim):
        return Outcome("operator", "NoDispute", None, detail="the challenger agrees with the claim")
    if not claim.within_bounds:
        return Outcome("challenger", "Halt", None, detail=f"N = {claim.steps} > M")
    challenger.start(claim)
    rounds: list[RoundLog] = []
    choices, seen = _search(operator, challenger.choose, search, "first", rounds)
    if choices is None:
        return Outcome(
            "operator",
            "ChoiceOutOfRange",
            None,
            rounds=rounds,
            detail="the challenger's choice fails its move leaf's range check",
        )
    i = search.disputed_step(choices)
    endpoints = {0: H0, search.max_steps: claim.final_hash}
    h_prev = seen.get(i - 1, endpoints.get(i - 1))
    h_cur = seen.get(i, endpoints.get(i))
    if ch.step_beyond_n(i, claim.steps):
        return Outcome(
            "operator",
            "StepBeyondN",
            i,
            rounds=rounds,
            detail=f"step {i} is past the claimed halting step {claim.steps}",
        )
    rec = operator.record(i)
    if rec is None or not ch.execute_ok(rec, challenger.trace.init.layout_array):
        return Outcome(
            "challenger",
            "Execute",
            i,
            rec,
            rounds=rounds,
            detail="the operator has no record of this step its Execute leaf accepts",
        )
    r_prev, r_cur = operator.resign(i)
    for step, signed, resigned in ((i - 1, h_prev, r_prev), (i, h_cur, r_cur)):
        if ch.equivocation_resign(signed, resigned):
            return Outcome(
                "challenger", "EquivocationResign", i, rec, rounds=rounds, detail=f"h_{step} re-signed differently"
            )
    kind, read = judge(i, rec, h_prev, h_cur, claim, challenger)
    if kind:
        return Outcome("challenger", kind, i, rec, rounds=rounds)
    if read is None:
        read = challenger.forced_read(rec)
    if read is None:
        return Outcome("operator", "None", i, rec, rounds=rounds, detail="no challenge succeeds: the record is right")
    # the read-value search, steered to the last writer
    mine = challenger.trace.record(i)
    mine_read = mine.read1 if mine.read1.address == read.address else mine.read2
    j = max(read.last_writer, mine_read.last_writer if mine_read.address == read.address else 0)
    first_round = {s: seen[s] for s in search.reveals([])}
    rchoices, rseen = _search(
        operator, lambda c, rv: challenger.read_choose(c, rv, j), search, "read", rounds, shared=first_round
    )
    if rchoices is None:
        return Outcome("operator", "ChoiceOutOfRange", i, rec, rounds=rounds)
    if ch.correct_hash(seen, rseen):
        return Outcome("challenger", "CorrectHash", i, rec, rounds=rounds)
    jj = search.disputed_step(rchoices)
    wrec = operator.record(jj)
    hj_prev = rseen.get(jj - 1, endpoints.get(jj - 1))
    hj = rseen.get(jj, endpoints.get(jj))
    if (
        wrec is None
        or not ch.execute_ok(wrec, challenger.trace.init.layout_array)
        or (jj == 1 and ch.trace_hash_zero(wrec, hj))
        or (jj > 1 and ch.trace_hash(hj_prev, wrec, hj))
    ):
        return Outcome(
            "challenger",
            "Execute",
            i,
            rec,
            jj,
            wrec,
            rounds,
            detail="the operator cannot show the write at the read search's step",
        )
    if ch.read_value(i, read, jj, wrec):
        return Outcome("challenger", "ReadValue", i, rec, jj, wrec, rounds)
    return Outcome("operator", "None", i, rec, jj, wrec, rounds, detail="the read search found nothing wrong")


__all__ = [
    "CHALLENGER_STRATEGIES",
    "EXPECTED",
    "FAULT_KINDS",
    "FaultyChallenger",
    "expected_challenge",
    "FaultyOperator",
    "HonestChallenger",
    "HonestOperator",
    "Outcome",
    "play",
]

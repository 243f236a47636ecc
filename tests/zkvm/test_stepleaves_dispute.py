"""The Script half against the trace half on disputes played off-chain.

For every fault kind of ``ocp.zkvm.dispute`` (the selfcheck guest, a middle step,
little-endian at n = 8; big-endian at n = 32 for some kinds), the values the game's
transactions carry are read out of the played dispute (``ocp.stepleaves.game``) and
every final leaf's twin is evaluated on them: for each leaf kind, the twin's verdict
equals the trace engineer's predicate (``ocp.zkvm.challenges``) on the same data,
the leaf the judge names is among those that spend, and the operator's Execute
leaf spends exactly when ``execute_ok`` holds.  The leaf that catches each fault, and
a sample of those that must not, are then spent through libbitcoinkernel with real
one-time signatures; so are an honest game's records, which no challenger leaf may
spend.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache

import pytest

from ocp.stepleaves.challenges import (
    CorrectHash,
    EntryPoint,
    EquivocationResign,
    FutureRead,
    Halt,
    HaltBeyondMax,
    ProgramCounter,
    ReadValue,
    StepBeyondN,
    TraceHash,
    TraceHashZero,
)
from ocp.stepleaves.code import OpcodeChunk
from ocp.stepleaves.execute import ExecuteLeaf, RecordRest
from ocp.stepleaves.game import (
    game_values,
    hash_int,
    input_words,
    program_leaves,
    record_values,
    search_challenges,
    spendable,
)
from ocp.stepleaves.init import AddressesSections, InitializedChunk, Input, Uninitialized
from ocp.zkvm import challenges as ch
from ocp.zkvm import dispute as d
from ocp.zkvm.elf import load_elf
from ocp.zkvm.micro import kind_of
from ocp.zkvm.search import NArySearch
from ocp.zkvm.trace import ExecutionTrace
from taptrees.ots.winternitz import WinternitzKey
from taptrees.verify import execute_leaf

DATA = b"the expected output is part of the input\n" * 3
TAPE = hashlib.sha256(DATA).hexdigest().encode() + b"\n" + DATA
INPUT_WORDS = (len(TAPE) + 3) // 4 + 2
SECRET = b"ocp tests: game one-time secret"

#: leaf class -> the judge's name of its challenge
NAMES = {
    TraceHash: "TraceHash",
    TraceHashZero: "TraceHashZero",
    ProgramCounter: "ProgramCounter",
    EntryPoint: "EntryPoint",
    Halt: "Halt",
    HaltBeyondMax: "Halt",
    StepBeyondN: "StepBeyondN",
    FutureRead: "FutureRead",
    ReadValue: "ReadValue",
    CorrectHash: "CorrectHash",
    EquivocationResign: "EquivocationResign",
    OpcodeChunk: "Opcode",
    Input: "Input",
    InitializedChunk: "Initialized",
    Uninitialized: "Uninitialized",
    AddressesSections: "AddressesSections",
}


@pytest.fixture(scope="module")
def games(go_guest):
    out = {}
    for arch in ("mipsle", "mips"):
        trace = ExecutionTrace.of(load_elf(go_guest("selfcheck", arch)), TAPE, spacing=1 << 16).run()
        assert trace.exit_code == 0
        out[arch] = trace
    return out


_PROGRAM: dict[int, list] = {}


def leaves_for(trace: ExecutionTrace, search: NArySearch):
    """The game's challenger leaves (the program's part built once per guest)."""
    if id(trace.init) not in _PROGRAM:
        _PROGRAM[id(trace.init)] = program_leaves(trace.init, INPUT_WORDS)
    return search_challenges(trace.init, search) + _PROGRAM[id(trace.init)]


def predicates(out, op, challenger, values) -> set[str]:
    """The trace half's verdicts, by challenge name, on the game's data."""
    trace = challenger.trace
    init, claim, i, rec = trace.init, op.claim, out.step, out.record
    found: set[str] = set()
    h_prev, h = op.resign(i)
    if ch.trace_hash(h_prev, rec, h):
        found.add("TraceHash")
    if i == 1 and ch.trace_hash_zero(rec, h):
        found.add("TraceHashZero")
    if ch.halt(i, rec, claim.steps, claim.search.max_steps):
        found.add("Halt")
    if ch.entry_point(i, rec, init.entry):
        found.add("EntryPoint")
    if i > 1 and ch.program_counter(rec, trace.record(i - 1).link_fields(), trace.hash_at(i - 2), h_prev):
        found.add("ProgramCounter")
    if ch.opcode(rec, init):
        found.add("Opcode")
    if ch.addresses_sections(rec, init):
        found.add("AddressesSections")
    if ch.step_beyond_n(i, claim.steps):
        found.add("StepBeyondN")
    for read in (rec.read1, rec.read2):
        if ch.future_read(i, read):
            found.add("FutureRead")
        kind = ch.init_read(read, init)
        if kind:
            found.add(kind)
        if out.read_record is not None and ch.read_value(i, read, out.read_step, out.read_record):
            found.add("ReadValue")
    rounds = {}
    for log in out.rounds:
        if log.search == "first":
            rounds.update(log.revealed)
    for t, resigned in ((i - 1, h_prev), (i, h)):
        if ch.equivocation_resign(rounds.get(t), resigned):
            found.add("EquivocationResign")
    if out.read_record is not None:
        second = {s: x for log in out.rounds if log.search == "read" for s, x in log.revealed.items()}
        if ch.correct_hash(rounds, second):
            found.add("CorrectHash")
    return found


def execute_spends(rec, layout) -> bool:
    """Does the Execute leaf of the record's kind accept it (the operator's move)?"""
    mnemonic, micro = kind_of(rec.word, rec.micro, rec.pc, layout)
    big, n_ro = layout[0], layout[1]
    ro = tuple((layout[2 + 2 * k], layout[3 + 2 * k]) for k in range(n_ro))
    base = 2 + 2 * n_ro
    code = tuple((layout[base + 1 + 2 * k], layout[base + 2 + 2 * k]) for k in range(layout[base]))
    leaf = ExecuteLeaf(mnemonic, micro if mnemonic != "badpc" else 0, bool(big), ro, code)
    return leaf.accepts(record_values(rec))


@cache
def _key(name: str, params) -> WinternitzKey:
    return WinternitzKey.derive(SECRET, f"game/{name}", params)


def spend(leaf, values) -> bool:
    """The leaf through libbitcoinkernel with real one-time signatures of ``values``."""
    layout = leaf.layout
    keys = {v.name: _key(v.name, v.params) for v in layout.signed}
    pub = {n: k.public_key() for n, k in keys.items()}
    witness = leaf.sign(keys, values)
    return execute_leaf(leaf.script(pub), witness).ok


def check_fault(trace, n, kind, at, kernel_sample: int, rng: random.Random):
    search = NArySearch.covering(trace.steps + 1, n)
    op = d.FaultyOperator(trace, search, kind, at)
    challenger = d.HonestChallenger(trace, search)
    out = d.play(op, challenger)
    assert out.winner == "challenger", (kind, out)
    values = game_values(out, op, challenger, INPUT_WORDS)
    assert values["step"] == out.step
    leaves = leaves_for(trace, search)
    spent = spendable(leaves, values)
    mine = {NAMES[type(x)] for x in spent}
    theirs = predicates(out, op, challenger, values)
    assert mine == theirs, (kind, out.kind, mine, theirs)
    assert execute_spends(out.record, trace.init.layout_array) == ch.execute_ok(out.record, trace.init.layout_array), (
        kind
    )
    if out.kind == "Execute":
        assert not execute_spends(out.record, trace.init.layout_array)
        return out
    assert out.kind in mine, (kind, out.kind, mine)
    catching = [x for x in spent if NAMES[type(x)] == out.kind]
    assert spend(catching[0], values), (kind, catching[0].kind)
    refused = [x for x in leaves if all(n in values for n in x.layout.names) and x not in spent]
    for leaf in rng.sample(refused, min(kernel_sample, len(refused))):
        assert not spend(leaf, values), (kind, leaf.kind)
    return out


def test_every_fault_is_the_same_fault_for_both_halves(games):
    """Little-endian, n = 8: every fault kind at a middle step; a kernel sample of two
    refusing leaves per game besides the catching one."""
    trace = games["mipsle"]
    rng = random.Random(8)
    seen = set()
    for kind in d.FAULT_KINDS:
        seen.add(check_fault(trace, 8, kind, trace.steps // 2, 2, rng).kind)
    assert {"Execute", "TraceHash", "ProgramCounter", "Opcode", "FutureRead", "ReadValue", "Input", "Halt"} <= seen, (
        seen
    )


def test_faults_at_the_ends_big_endian(games):
    """Big-endian, n = 32: the first step (EntryPoint, TraceHashZero) and the last."""
    trace = games["mips"]
    rng = random.Random(32)
    assert check_fault(trace, 32, "pc", 1, 1, rng).kind == "EntryPoint"
    assert check_fault(trace, 32, "hash", 1, 1, rng).kind == "TraceHashZero"
    assert check_fault(trace, 32, "halt-early", trace.steps, 1, rng).kind == "Halt"
    assert check_fault(trace, 32, "stale-read", trace.steps // 3, 0, rng).kind == "ReadValue"


@pytest.mark.parametrize("arch", ["mipsle", "mips"])
def test_no_challenger_leaf_spends_on_honest_steps(games, arch):
    """Honest records (both read slots, writers, re-signed hashes, the challenger's own
    previous step) at sampled steps: no challenger leaf's twin accepts, and a sample of
    them through the kernel refuses too."""
    trace = games[arch]
    search = NArySearch.covering(trace.steps + 1, 8)
    op = d.HonestOperator(trace, search)
    leaves = leaves_for(trace, search)
    rng = random.Random(arch)
    for i in (1, 2, rng.randrange(3, trace.steps), trace.steps):
        rec = trace.record(i)
        choices = search.choices_for(i)
        v = {
            "claim_n": trace.steps,
            "claim_h": hash_int(trace.final_hash),
            "step": i,
            "input_len": len(TAPE),
            **record_values(rec),
        }
        v.update({f"input{k}": w for k, w in enumerate(input_words(TAPE, trace.init.big_endian, INPUT_WORDS))})
        h_prev, h = op.resign(i)
        v.update(h_prev=hash_int(h_prev), h=hash_int(h))
        for r in range(search.rounds):
            for slot, t in enumerate(search.reveals(choices[:r]), start=1):
                v[f"hash{r}_{slot}"] = hash_int(trace.hash_at(min(t, trace.steps)))
            v[f"choice{r}"] = choices[r]
        if i > 1:
            prev = trace.record(i - 1)
            v["c_h_prev"] = hash_int(trace.hash_at(i - 2))
            v.update(
                {
                    "c_" + f: x
                    for f, x in zip(
                        ("write_addr", "write_value", "next_pc", "next_npc", "next_micro"),
                        prev.link_fields(),
                        strict=True,
                    )
                }
            )
        for slot in (1, 2):
            j = v[f"read{slot}_writer"]
            if j:
                w = trace.record(j)
                v.update(
                    {
                        "w_step": j,
                        **record_values(w, "w_"),
                        "w_h_prev": hash_int(trace.hash_at(j - 1)),
                        "w_h": hash_int(trace.hash_at(j)),
                        "cw_h_prev": hash_int(trace.hash_at(j - 1)),
                    }
                )
        spent = spendable(leaves, v)
        assert not spent, (i, [x.kind for x in spent])
        assert execute_spends(rec, trace.init.layout_array)
        usable = [x for x in leaves if all(n in v for n in x.layout.names)]
        for leaf in rng.sample(usable, 2):
            assert not spend(leaf, v), (i, leaf.kind)
    rest = RecordRest()
    assert spend(rest, {**v, "read1_writer": 5, "read2_writer": 0})

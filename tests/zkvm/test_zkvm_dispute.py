"""Disputes played off-chain on the selfcheck example guest.

For every fault kind, at the first, a middle and the last step, the first search ends
on the step of the lie (the nearest step where the kind changes the chain: a stale read
needs an earlier writer, an input lie an input read) and the challenge that catches it
is the one the table names.  An honest operator never loses, whatever the challenger
does; a challenger steering past N or signing a choice out of range loses.  The full
matrix runs for little-endian at n = 8 (and, marked slow, big-endian at n = 32).
"""

from __future__ import annotations

import hashlib

import pytest

from ocp.zkvm import challenges as ch
from ocp.zkvm import dispute as d
from ocp.zkvm.elf import load_elf
from ocp.zkvm.record import H0, K_EXIT, Read, Write, record_link
from ocp.zkvm.search import NArySearch
from ocp.zkvm.trace import ExecutionTrace

DATA = b"the expected output is part of the input\n" * 3
TAPE = hashlib.sha256(DATA).hexdigest().encode() + b"\n" + DATA


@pytest.fixture(scope="module")
def runs(go_guest):
    out = {}
    for arch in ("mipsle", "mips"):
        trace = ExecutionTrace.of(load_elf(go_guest("selfcheck", arch)), TAPE, spacing=1 << 16).run()
        assert trace.exit_code == 0 and trace.stdout().startswith(b"ok:")
        out[arch] = trace
    return out


def play_fault(trace, n, kind, at):
    search = NArySearch.covering(trace.steps + 1, n)
    op = d.FaultyOperator(trace, search, kind, at)
    out = d.play(op, d.HonestChallenger(trace, search))
    return op, out


def check_matrix(trace, n):
    seen = set()
    for kind in d.FAULT_KINDS:
        for at in (1, trace.steps // 2, trace.steps):
            op, out = play_fault(trace, n, kind, at)
            assert out.winner == "challenger", (kind, at, out)
            assert out.step == op.fault.at, (kind, at, out.step, op.fault.at)
            assert out.kind == d.expected_challenge(op), (kind, at, out.kind)
            seen.add(out.kind)
    # every kind of the table that a lie of these kinds can reach was reached
    assert {
        "Execute",
        "TraceHash",
        "TraceHashZero",
        "EntryPoint",
        "ProgramCounter",
        "Opcode",
        "FutureRead",
        "ReadValue",
        "Input",
        "Halt",
    } <= seen, seen


def test_every_fault_is_caught_little_endian(runs):
    check_matrix(runs["mipsle"], 8)


@pytest.mark.slow
def test_every_fault_is_caught_big_endian(runs):
    check_matrix(runs["mips"], 32)


def test_read_search_shares_round_one_and_reaches_the_writer(runs):
    trace = runs["mipsle"]
    op, out = play_fault(trace, 8, "stale-read", trace.steps // 2)
    assert out.kind == "ReadValue" and out.read_step is not None
    first = [r for r in out.rounds if r.search == "first"]
    read = [r for r in out.rounds if r.search == "read"]
    assert first[0].revealed == read[0].revealed and read[0].interval == first[0].interval
    honest = trace.record(out.step)
    lied = out.record
    slot = lied.read1 if lied.read1 != honest.read1 else lied.read2
    mine = honest.read1 if slot.address == honest.read1.address else honest.read2
    assert out.read_step == mine.last_writer > slot.last_writer  # the later, true writer
    assert out.read_record.write.address == slot.address


def test_honest_operator_never_loses(runs):
    trace = runs["mipsle"]
    search = NArySearch.covering(trace.steps + 1, 8)
    op = d.HonestOperator(trace, search)
    assert d.play(op, d.HonestChallenger(trace, search)).kind == "NoDispute"

    class Stubborn(d.HonestChallenger):  # disputes a true claim anyway, aiming at N
        def disputes(self, claim):
            return True

    out = d.play(op, Stubborn(trace, search))
    assert (out.winner, out.kind, out.step) == ("operator", "None", trace.steps)
    for seed in range(12):  # sampled: random choices in both searches, forced read searches
        out = d.play(op, d.FaultyChallenger(trace, search, "random", seed))
        assert out.winner == "operator", (seed, out.kind, out.step)
    out = d.play(op, d.FaultyChallenger(trace, search, "out-of-range"))
    assert (out.winner, out.kind) == ("operator", "ChoiceOutOfRange")


def test_challenger_steering_past_n_loses(runs):
    trace = runs["mipsle"]
    search = NArySearch.covering(trace.steps + 1, 8)
    out = d.play(d.HonestOperator(trace, search), d.FaultyChallenger(trace, search, "past-n"))
    assert (out.winner, out.kind) == ("operator", "StepBeyondN") and out.step > trace.steps
    # ... and so does one that steers a faulty operator's game into the padding
    op = d.FaultyOperator(trace, search, "write", trace.steps // 2)
    out = d.play(op, d.FaultyChallenger(trace, search, "past-n"))
    assert (out.winner, out.kind) == ("operator", "StepBeyondN")


def test_predicates_refuse_honest_data(runs):
    trace = runs["mipsle"]
    init = trace.init
    n = trace.steps
    for i in (1, 2, n // 3, n // 2, n - 1, n):
        rec = trace.record(i)
        h_prev, h = trace.hash_at(i - 1), trace.hash_at(i)
        assert ch.execute_ok(rec, init.layout_array)
        assert not ch.trace_hash(h_prev, rec, h) and (i > 1 or not ch.trace_hash_zero(rec, h))
        assert not ch.halt(i, rec, n, 1 << 30) and not ch.opcode(rec, init)
        assert not ch.addresses_sections(rec, init) and not ch.entry_point(i, rec, init.entry)
        if i > 1:
            prev = trace.record(i - 1)
            assert not ch.program_counter(rec, prev.link_fields(), trace.hash_at(i - 2), h_prev)
        for read in (rec.read1, rec.read2):
            assert not ch.future_read(i, read) and ch.init_read(read, init) is None
            if read.last_writer:
                assert not ch.read_value(i, read, read.last_writer, trace.record(read.last_writer))
        assert not ch.equivocation_resign(h, h)
    assert rec.write == Write(K_EXIT, 0x100) and record_link(trace.hash_at(n - 1), rec) == h


def test_predicates_accept_their_faults(runs):
    trace = runs["mipsle"]
    init = trace.init
    rec = trace.record(100)
    assert ch.equivocation_resign(trace.hash_at(100), trace.hash_at(99))
    assert ch.correct_hash({5: b"a" * 20}, {5: b"b" * 20}) and not ch.correct_hash({5: b"a"}, {6: b"b"})
    assert ch.addresses_sections(d.replace(rec, pc=rec.pc + 2), init)
    assert ch.halt(1, rec, 1, 1 << 30) and ch.halt(5, rec, 1 << 31, 1 << 30)
    heap = Read(0x2000_0000, 7, 0)  # fresh mmap memory: zero at state 0
    assert ch.init_read(heap, init) == "Uninitialized"
    assert ch.init_read(Read(0x9000_0000, 1, 0), init) == "Input"
    assert ch.trace_hash_zero(rec, H0)

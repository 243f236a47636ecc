"""Go guests: output identical to Debian's qemu-user; the fast engine equals the reference."""

from __future__ import annotations

import hashlib
import struct

import pytest

from ocp.zkvm.elf import load_elf
from ocp.zkvm.fast import FastEngine
from ocp.zkvm.initial import build_initial_state
from ocp.zkvm.record import H0, Status, record_link
from ocp.zkvm.stepper import Stepper
from ocp.zkvm.trace import ExecutionTrace
from taptrees.hashcore.blake3 import blake3_chain

ARCHES = ("mips", "mipsle")

INPUT = b"alpha 12 beta\n-5 gamma 100\n\n7 delta\n" + bytes(range(256)) * 3
DIGEST = hashlib.sha256(b"hello zkvm\n").hexdigest().encode()

# (guest, input, exit code)
CASES = [
    ("hello", INPUT, 0),
    ("sha256", INPUT, 0),
    ("loop64", INPUT, 0),
    ("collections", INPUT, 0),
    ("readinput", INPUT, 0),
    ("goroutines", INPUT, 2),  # a Go panic exits 2
    ("nilderef", b"", 0),  # nil dereferences recovered by recover()
    ("nilderef", b"crash", 2),  # ... and one that is not: Go's panic message, exit 2
    ("selfcheck", DIGEST + b"\nhello zkvm\n", 0),
    ("selfcheck", b"00" * 32 + b"\nhello\n", 1),
    ("divzero", b"", 2),  # Go's own divisor check: runtime.panicdivide, recovered, then not
]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize(("name", "tape", "code"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_guest_matches_qemu(go_guest, qemu, name, tape, code, arch):
    binary = go_guest(name, arch)
    program = load_elf(binary)
    assert program.big_endian == (arch == "mips")
    trace = ExecutionTrace.of(program, tape, spacing=1 << 18).run()
    ref = qemu(arch, binary, tape)
    assert trace.halted and trace.status == Status.EXITED
    assert trace.exit_code == code
    assert (trace.stdout(), trace.stderr(), trace.exit_code) == (ref.stdout, ref.stderr, ref.returncode)
    assert trace.stdout() or trace.stderr(), "every guest prints something"


def test_nil_dereference_prints_go_panic(go_guest):
    trace = ExecutionTrace.of(load_elf(go_guest("nilderef", "mipsle")), b"crash").run()
    err = trace.stderr().decode()
    assert "invalid memory address or nil pointer dereference" in err
    assert "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x" in err
    assert trace.stdout().startswith(
        b"0 0 recovered: runtime error: invalid memory address or nil pointer dereference\n"
    )


def test_sha256_guest_hashes_the_tape(go_guest):
    trace = ExecutionTrace.of(load_elf(go_guest("sha256", "mipsle")), INPUT).run()
    assert trace.stdout().split() == [str(len(INPUT)).encode(), b"bytes", hashlib.sha256(INPUT).hexdigest().encode()]


@pytest.mark.parametrize("arch", ARCHES)
def test_fast_engine_records_equal_the_reference(go_guest, arch):
    """Micro-step for micro-step on a sample: 60,000 steps of nilderef from boot, through
    the first SIGSEGV delivery and rt_sigreturn (see the slow test for 1 M steps)."""
    init = build_initial_state(load_elf(go_guest("nilderef", arch)), b"")
    ref, fast = Stepper(init), FastEngine(init)
    # start where the first fault is delivered: fast-forward both to just before it
    fast_probe = FastEngine(init)
    start = 0
    while not fast_probe.halted:
        rec = fast_probe.records(4096)
        hit = [r for r in rec if r.next_micro >= 128]
        if hit:
            start = max(0, hit[0].step - 30_000)
            break
    ref.run(start)
    fast.run(start, hashing=False)
    assert (ref.pc, ref.npc, ref.micro) == (fast.pc, fast.npc, fast.micro)
    h = fast.hash  # (not h_start: hashing was off) the chain below starts here
    recs = fast.records(60_000)
    assert any(r.micro >= 128 for r in recs) and any(r.next_pc == 0x7FFF_F000 for r in recs)
    for r in recs:
        assert ref.step_record() == r
        h = record_link(h, r)
    assert fast.hash == h


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHES)
def test_fast_engine_equals_reference_for_a_million_steps(go_guest, arch):
    """The issue's check: 1 M micro-steps of a Go guest, both byte orders, record for
    record; and the engine's h_1000000 equals the chain of those records hashed by the
    hash core's chain form (a separate kernel)."""
    init = build_initial_state(load_elf(go_guest("loop64", arch)), b"")
    ref, fast = Stepper(init), FastEngine(init)
    h = H0
    while fast.step < 1_000_000:
        recs = fast.records(50_000)
        rows = b"".join(struct.pack("<IIIIB", *r.link_fields()) for r in recs)
        for r in recs:
            assert ref.step_record() == r
        h = blake3_chain(h, [rows[i : i + 17] for i in range(0, len(rows), 17)], keep="last")
    assert fast.step == ref.step == 1_000_000
    assert fast.hash == h


@pytest.mark.parametrize("arch", ARCHES)
def test_trace_hashes_and_records_are_consistent(go_guest, arch):
    init = build_initial_state(load_elf(go_guest("hello", arch)), b"")
    a = ExecutionTrace(init, spacing=1 << 16).run()
    b = ExecutionTrace(init, spacing=1 << 12, max_steps=1 << 40).run()
    assert (a.steps, a.final_hash) == (b.steps, b.final_hash)
    n = a.steps
    steps = [0, 1, 2, 4095, 4096, 4097, 65536, 65537, n - 1, n, n + 1, n + 1000]
    assert a.hashes_at(steps) == b.hashes_at(steps[::-1])[::-1]
    hs = a.hashes_at(steps)
    assert hs[0] == H0 and hs[-1] == hs[-2] == hs[-3] == a.final_hash  # padding after N
    for s in (1, 4097, 65537, n):
        rec = a.record(s)
        assert rec.step == s and record_link(a.hash_at(s - 1), rec) == a.hash_at(s)
    assert a.record(n).next_pc == 0xFFFF_FFFF

"""Traces: states, checkpoints, Merkle proofs, the state encoding."""

from __future__ import annotations

import hashlib

import pytest

from ocp.zkvm.boot import boot
from ocp.zkvm.elf import load_elf
from ocp.zkvm.engine_unicorn import UnicornEngine
from ocp.zkvm.memory import Memory
from ocp.zkvm.merkle import DEPTH, ZERO_HASHES, MemoryProof, MemoryTree, memory_root
from ocp.zkvm.state import ENCODED_SIZE, State, capture
from ocp.zkvm.syscalls import HEAP_START
from ocp.zkvm.trace import Trace


@pytest.fixture(scope="module")
def hello_trace(go_guest) -> Trace:
    t = Trace(load_elf(go_guest("hello", "mips")), b"", spacing=40_000)
    t.run()
    return t


def test_state_from_checkpoint_equals_straight_run(hello_trace):
    program = hello_trace.program
    for k in (0, 1, 39_999, 40_000, 123_457, 250_001, hello_trace.steps):
        straight = boot(program)
        straight.run(k)
        expect = capture(straight, memory_root(straight.mem))
        assert hello_trace.state_at(k) == expect, k
    assert hello_trace.final == hello_trace.state_at(hello_trace.steps)


def test_unicorn_advance_from_inside_a_delay_slot(hello_trace):
    """Start the fast engine at states where npc != pc + 4 and land on exact steps."""
    program = hello_trace.program
    ref = boot(program)
    starts = []
    while len(starts) < 3:
        ref.run(1)
        if ref.npc != (ref.pc + 4) & 0xFFFFFFFF and ref.step > 1000 * (len(starts) + 1):
            starts.append(ref.step)
    for s in starts:
        m = hello_trace.machine_at(s)
        assert m.npc != m.pc + 4
        UnicornEngine(m).advance(5_003)
        assert capture(m, memory_root(m.mem)) == hello_trace.state_at(s + 5_003)


def test_memory_proofs_verify(hello_trace):
    step = 200_000
    sp = hello_trace.state_at(step).regs[29]
    for addr in (hello_trace.program.entry, sp, sp - 4, HEAP_START, HEAP_START + 0x1234,
                 0x0, 0xFFFFFFFC, 0x7000_0000):
        state, proof = hello_trace.proof_at(step, addr)
        assert len(proof.siblings) == DEPTH
        assert proof.verify(state.mem_root), hex(addr)
        machine = hello_trace.machine_at(step)
        assert proof.word(True) == machine.mem.load_word(addr & ~3)
        forged = MemoryProof(proof.addr, bytes([proof.leaf[0] ^ 1]) + proof.leaf[1:],
                             proof.siblings)
        assert not forged.verify(state.mem_root)
        moved = MemoryProof(proof.addr ^ 32, proof.leaf, proof.siblings)
        assert not moved.verify(state.mem_root) or proof.siblings[0] == proof.leaf


def test_merkle_root_definition():
    """Root of an empty memory, and of one word, computed from the definition."""
    mem = Memory(big_endian=True)
    assert memory_root(mem) == ZERO_HASHES[DEPTH]
    mem.store_word(0x1000_0024, 0xDEADBEEF)
    leaf = bytes(4) + (0xDEADBEEF).to_bytes(4, "big") + bytes(24)
    node, index = leaf, 0x1000_0020 >> 5
    for height in range(DEPTH):
        sib = ZERO_HASHES[height]
        node = hashlib.sha256(sib + node if index & 1 else node + sib).digest()
        index >>= 1
    assert memory_root(mem) == node
    tree = MemoryTree()
    assert tree.root(mem) == node
    mem.store_word(0x1000_0024, 0)  # back to all-zero
    assert tree.root(mem) == ZERO_HASHES[DEPTH]


def test_state_encoding_roundtrip(hello_trace):
    state = hello_trace.state_at(77_777)
    blob = state.encode()
    assert len(blob) == ENCODED_SIZE == 230
    assert State.decode(blob) == state
    assert state.hash == hashlib.sha256(blob).digest()
    assert hello_trace.state_at(77_778).hash != state.hash
    with pytest.raises(ValueError):
        State.decode(b"\x02" + blob[1:])


def test_spacing_does_not_change_states(go_guest):
    program = load_elf(go_guest("hello", "mipsle"))
    a = Trace(program, b"", spacing=33_333, engine="unicorn")
    b = Trace(program, b"", spacing=1_000_000, engine="python")
    a.run()
    b.run()
    assert a.final == b.final
    assert a.state_at(150_000) == b.state_at(150_000)
    assert a.stdout() == b.stdout() == b"hello, world\n"


def test_max_steps_stops_a_running_guest(go_guest):
    t = Trace(load_elf(go_guest("loop64", "mips")), b"", spacing=50_000, max_steps=120_000)
    final = t.run()
    assert final.step == 120_000 and final.status.name == "RUNNING"


def test_step_witness(hello_trace):
    """Witnesses for a store, a load and a plain step; the store changes the proven word."""
    from ocp.zkvm.isa import decode

    seen = set()
    m = hello_trace.machine_at(100_000)
    while len(seen) < 3:
        op = decode(m.mem.load_word(m.pc)).op
        kind = "store" if op == "sw" else "load" if op == "lw" else "other"
        if kind not in seen:
            seen.add(kind)
            w = hello_trace.witness(m.step)
            assert w.verify()
            assert w.pre == hello_trace.state_at(m.step)
            assert w.post == hello_trace.state_at(m.step + 1)
            assert (w.access is None) == (kind == "other")
            if kind == "store":
                stored = w.pre.regs[decode(m.mem.load_word(m.pc)).rt]
                assert w.access_after.word(True) == stored
                assert w.access.leaf != w.access_after.leaf or w.access.word(True) == stored
            if kind == "load":
                assert w.access.leaf == w.access_after.leaf
                assert w.pre.mem_root == w.post.mem_root
        m.run(1)

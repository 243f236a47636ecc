"""The shared dispute record layout: hash link, canonical values, semantics table shape."""

from __future__ import annotations

import random

import blake3
import pytest

from ocp.zkvm import isa, micro
from ocp.zkvm.micro import MICRO_OPS, Layout
from ocp.zkvm.record import (
    FAULT_MICRO,
    H0,
    HALT_PC,
    K_EXIT,
    NO_READ,
    NO_WRITE,
    NO_WRITE_ADDRESS,
    REG_BASE,
    RESERVED_BASE,
    Read,
    StepRecord,
    Write,
    link,
    link_preimage,
    record_link,
    reg,
)


def test_h0_and_link_match_the_blake3_package():
    assert H0 == blake3.blake3(b"ocp zkvm trace v1").digest()[:20]
    rng = random.Random(7)
    h = H0
    for _ in range(50):
        f = [rng.getrandbits(32) for _ in range(4)] + [rng.getrandbits(8)]
        pre = link_preimage(h, *f)
        assert len(pre) == 37
        # fields are little-endian u32 after the 20-byte previous hash, micro' one byte
        assert pre[20:24] == f[0].to_bytes(4, "little") and pre[36] == f[4]
        nxt = link(h, *f)
        assert nxt == blake3.blake3(pre).digest()[:20]
        h = nxt


def test_record_link_uses_write_and_next_triple_only():
    r = StepRecord(
        5,
        0x10000,
        0x10004,
        0,
        0x24020001,
        Read(reg(0), 0, 0),
        Read(NO_READ, 0, 0),
        Write(reg(2), 1),
        0x10004,
        0x10008,
        0,
    )
    assert record_link(H0, r) == link(H0, reg(2), 1, 0x10004, 0x10008, 0)
    other = StepRecord(6, 1, 2, 3, 4, Read(9, 9, 9), Read(9, 9, 9), Write(reg(2), 1), 0x10004, 0x10008, 0, witness=77)
    assert record_link(H0, other) == record_link(H0, r)


def test_canonical_values():
    assert NO_WRITE.address == NO_WRITE_ADDRESS and not NO_WRITE.is_write
    assert NO_WRITE_ADDRESS & 3  # never a (word-aligned) read address
    assert NO_READ == reg(0) == REG_BASE >= RESERVED_BASE
    assert HALT_PC & 3  # never an executable pc


def test_table_covers_every_mnemonic_with_dense_micro_numbers():
    for name in isa.MNEMONICS:
        count = micro.MICRO_COUNT[name]
        assert [(name, m) in MICRO_OPS for m in range(count)] == [True] * count
    faults = sorted(m for n, m in MICRO_OPS if n == "fault")
    assert faults == list(range(FAULT_MICRO, FAULT_MICRO + micro.FAULT_MICROS))
    assert max(faults) <= 255
    assert [op.kind for op in micro.KINDS] == list(range(len(micro.KINDS)))


LAYOUT = Layout(True, ((0x10000, 0x20000),), ((0x10000, 0x18000),)).as_array()
LAYOUT_LE = Layout(False, ((0x10000, 0x20000),), ((0x10000, 0x18000),)).as_array()


def run1(name, m, word, v1, v2, layout=LAYOUT, pc=0x10000):
    return MICRO_OPS[name, m].run(word, pc, pc + 4, m, v1, v2, layout)


def enc_r(funct, rs, rt, rd, sa=0, op=0):
    return (op << 26) | (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | funct


def enc_i(op, rs, rt, imm):
    return (op << 26) | (rs << 21) | (rt << 16) | (imm & 0xFFFF)


def test_division_witnesses_check_by_multiplication():
    rng = random.Random(3)
    cases = [(7, 0), (0x80000000, 0xFFFFFFFF), (5, 3), (0xFFFFFFF9, 2), (1, 0xFFFFFFFF)]
    cases += [(rng.getrandbits(32), rng.getrandbits(32) >> rng.randrange(32)) for _ in range(200)]
    for name, funct in (("div", 26), ("divu", 27)):
        for a, b in cases:
            w = enc_r(funct, 4, 5, 0)
            lo = run1(name, 0, w, a, b)
            hi = run1(name, 1, w, a, b)
            q, r = lo[1], hi[1]
            assert lo[5] == r and hi[5] == q and lo[0] == micro.LO and hi[0] == micro.HI
            bb = b if b else 1
            if name == "div":
                sa, sb, sq, sr = (micro.s32(x) for x in (a, bb, q, r))
                if sb == -1 and sa == -(1 << 31):
                    sb = 1
                assert sa == sq * sb + sr and abs(sr) < abs(sb) and (sr == 0 or (sr < 0) == (sa < 0))
            else:
                assert a == q * bb + r and r < bb


def test_store_byte_program_merges_the_right_lane_in_both_byte_orders():
    old = 0x11223344
    for layout, big in ((LAYOUT, True), (LAYOUT_LE, False)):
        for lane in range(4):
            ea = 0x30000 + lane
            w = enc_i(40, 4, 5, 0)  # sb $5, 0($4)
            t0 = run1("sb", 0, w, ea, old, layout)[1]
            t0 = run1("sb", 1, w, 0xAB, t0, layout)[1]
            wa, wv = run1("sb", 2, w, ea, t0, layout)[:2]
            shift = (24 - 8 * lane) if big else 8 * lane
            assert wa == 0x30000 and wv == (old & ~(0xFF << shift) & 0xFFFFFFFF) | (0xAB << shift)


def test_guest_faults_and_read_only_writes():
    lw = enc_i(35, 4, 5, 8)
    assert run1("lw", 0, lw, 0, 0)[:2] == (micro.T_FADDR, 8)  # nil + 8: SIGSEGV program
    assert run1("lw", 0, lw, 0, 0)[4] == FAULT_MICRO
    assert MICRO_OPS["lw", 0].read2(lw, 0, 4, 0, 0, LAYOUT) == NO_READ
    assert run1("lw", 0, lw, 0x7FFFFFF8, 0)[4] == FAULT_MICRO  # 0x80000000: reserved
    assert run1("lw", 0, lw, 0x10001, 0)[:3] == (K_EXIT, (4 << 8) | 9, HALT_PC)  # unaligned
    sw = enc_i(43, 4, 5, 0)
    assert run1("sw", 0, sw, 0x10000, 1)[4] == FAULT_MICRO + 1  # .text is read-only: ACCERR
    assert run1("sw", 0, sw, 0x30000, 1)[:2] == (0x30000, 1)


@pytest.mark.parametrize("op,funct", [("mult", 24), ("multu", 25)])
def test_products(op, funct):
    rng = random.Random(funct)
    for _ in range(300):
        a, b = rng.getrandbits(32), rng.getrandbits(32)
        w = enc_r(funct, 4, 5, 0)
        lo, hi = run1(op, 0, w, a, b)[1], run1(op, 1, w, a, b)[1]
        if op == "mult":
            want = (micro.s32(a) * micro.s32(b)) & ((1 << 64) - 1)
        else:
            want = a * b
        assert (hi << 32) | lo == want


def test_generated_engine_is_current():
    """``_fastengine.py`` is what ``python -m ocp.zkvm.fastgen`` writes from today's table."""
    from ocp.zkvm import _fastengine, fastgen

    assert _fastengine.SOURCE_DIGEST == fastgen.source_digest()
    assert fastgen.OUTPUT.read_text() == fastgen.generate()


def test_execute_helper_follows_the_stepper(go_guest):
    """``micro.execute`` (the documented use of the table) gives the stepper's records."""
    from ocp.zkvm.elf import load_elf
    from ocp.zkvm.initial import build_initial_state
    from ocp.zkvm.stepper import Stepper

    init = build_initial_state(load_elf(go_guest("hello", "mipsle")))
    s = Stepper(init)
    L = init.layout_array
    for _ in range(3000):
        word = init.value(s.pc) if micro.is_code(s.pc, L) else 0
        op = MICRO_OPS[micro.kind_of(word, s.micro, s.pc, L)]
        a1, v1, a2, v2, effect = micro.execute(op, word, s.pc, s.npc, s.micro, s.load, L)
        rec = s.step_record()
        assert (a1, v1, a2, v2) == (rec.read1.address, rec.read1.value, rec.read2.address, rec.read2.value)
        assert effect == (rec.write.address, rec.write.value, rec.next_pc, rec.next_npc, rec.next_micro, rec.witness)

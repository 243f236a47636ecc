"""Execute leaves against the micro-step table, through libbitcoinkernel.

For every kind with a Script form, random states (a word of the kind with random
fields, random pc/npc, read values drawn from the edge values and addresses every
micro-step distinguishes: the null page, read-only and writable memory, the
reserved region, unaligned lanes, syscall numbers and flags) are run through the
keyless body with the inputs' limbs as witness: the honest record (computed by
``MICRO_OPS``) must be accepted, and every single-field corruption, a read
address naming another register, and the word of another kind must get the
twin's verdict (a changed output, address, word or micro is refused).  A field
the kind fixes is verified by the leaf's prefix against its constant; here its
check is the constant compared in Python, and one full spend per group runs the
real prefix with one-time signatures.

Sampled (the suite must stay fast): STATES records per kind (half per byte
order) with a fixed seed, and EXTRA more for the kinds of one rotating group
(the day of the year picks it); ``OCP_EXHAUSTIVE=1`` runs EXHAUSTIVE_STATES per
kind (minutes; not for CI).
"""

from __future__ import annotations

import datetime
import os
import random
from functools import cache

import pytest

from ocp.stepleaves.execute import EXECUTE_FIELDS, SEMANTICS, ExecuteLeaf, opcode_matches
from ocp.zkvm import isa
from ocp.zkvm import micro as mi
from taptrees.errors import InputError
from taptrees.opcodes import OP_TOALTSTACK
from taptrees.ots.winternitz import WinternitzKey
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

STATES = 2
EXTRA = 8
GROUPS = 8
EXHAUSTIVE_STATES = 200
RO = ((0x00400000, 0x00480000), (0x7FFFF000, 0x7FFFF008))
CODE = ((0x00400000, 0x00460000), (0x7FFFF000, 0x7FFFF008))
KINDS = sorted(SEMANTICS)
EDGES = (
    0,
    1,
    2,
    3,
    4,
    11,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    0xFFFFFFFE,
    0x1000,
    0xFFF,
    0x800,
    0x810,
    0x08000000,
    mi.ERR_MIN,
    mi.ERR_MIN - 1,
    mi.HEAP_LIMIT,
    0x6FFFF000,
)
#: addresses a micro-step treats differently: null page, read-only, writable, the
#: page before the reserved region, the reserved region, the trampoline
REGIONS = (0x00000010, 0x00400010, 0x10000000, 0x7FFFEFFC, 0x7FFFFFFC, 0x80000040, 0x7FFFF004, 0x20000000, 0x00000FFC)
MEMORY = ("lw", "ll", "lb", "lbu", "lh", "lhu", "sw", "sc", "sb", "sh", "lwl", "lwr", "swl", "swr")


def random_word(mnemonic: str, rng: random.Random) -> int:
    """A word ``isa.decode`` reads as ``mnemonic`` (random fields)."""
    from ocp.stepleaves.execute import _opcode_constraints

    if mnemonic == "badpc":
        return 0
    if mnemonic == "fault":
        return rng.getrandbits(32)
    mask, value = (0, 0) if mnemonic == "invalid" else _opcode_constraints(mnemonic)[:2]
    for _ in range(1000):
        w = (rng.getrandbits(32) & ~mask) | value
        if rng.random() < 0.2:  # small shift amounts / register 0 now and then
            w &= ~(rng.choice([31 << 6, 31 << 11, 31 << 16, 31 << 21]) & ~mask)
        if isa.decode(w).op == mnemonic:
            return w
    raise AssertionError(mnemonic)


def operand(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.25:
        return rng.choice(EDGES)
    if r < 0.5:
        return (rng.choice(REGIONS) + rng.choice([0, 0, 1, 2, 3, 4, 8, -4])) & 0xFFFFFFFF
    if r < 0.6:
        return rng.choice(mi.DISPATCH_NUM + (4001, 4246))
    return rng.getrandbits(32)


def random_state(leaf: ExecuteLeaf, rng: random.Random) -> dict[str, int]:
    """An honest record of the leaf's kind, computed by the table."""
    w = random_word(leaf.mnemonic, rng)
    pc = rng.getrandbits(30) << 2
    npc = (pc + 4) & 0xFFFFFFFF if rng.random() < 0.8 else rng.getrandbits(30) << 2
    v1, v2 = operand(rng), operand(rng)
    if leaf.mnemonic == "badpc":
        pc = rng.choice([pc | rng.randrange(1, 4), 0x00460000 + (pc & 0xFFFC), 0x00400000 + 1 + (pc & 0xFFFC)])
    if leaf.mnemonic in MEMORY:
        target = rng.choice(REGIONS) + rng.choice([0, 0, 1, 2, 3]) + 4 * rng.randrange(16)
        v1 = (target - mi.simm(w)) & 0xFFFFFFFF
    if (leaf.mnemonic, leaf.micro) == ("syscall", mi.RD_LOOP):  # the input offset (< MAX_INPUT)
        v1 &= 0x0FFFFFFF
    layout = leaf.layout_array
    op = leaf.op
    r1, r2 = leaf.reads
    v1 = v1 if r1 else 0
    a1 = op.read1(w, pc, npc, leaf.micro, layout)
    a2 = op.read2(w, pc, npc, leaf.micro, v1, layout)
    v2 = v2 if r2 else 0
    if a2 == mi.NO_READ:
        v2 = 0  # $0
    if a1 == mi.NO_READ:
        assert v1 == 0 or r1
    wa, wv, pc2, npc2, m2, wit = op.run(w, pc, npc, leaf.micro, v1, v2, layout)
    values = {
        "pc": pc,
        "npc": npc,
        "micro": leaf.micro,
        "word": w,
        "read1_addr": a1,
        "read1_value": v1,
        "read2_addr": a2,
        "read2_value": v2,
        "write_addr": wa,
        "write_value": wv,
        "next_pc": pc2,
        "next_npc": npc2,
        "next_micro": m2,
    }
    if leaf.has_witness:
        values["witness"] = wit
    return values


@cache
def body_script(leaf: ExecuteLeaf) -> Script:
    return Script([[OP_TOALTSTACK] * leaf.layout.total_limbs, leaf.body()])


def verdict(leaf: ExecuteLeaf, values: dict[str, int]) -> bool:
    """The leaf's verdict: constants as the prefix checks them, the body through the kernel."""
    if any(values[n] != c for n, c in leaf.constants.items()):
        return False
    try:  # the operator's hints for this record (a product's carries): out of range -> refused
        limbs = leaf.layout.kept_limbs({**values, **leaf.hints(values)})
    except InputError:
        return False
    return execute_leaf(body_script(leaf), [encode_num(x) for x in limbs]).ok


OUTPUTS = (
    "micro",
    "write_addr",
    "write_value",
    "next_pc",
    "next_npc",
    "next_micro",
    "read1_addr",
    "read2_addr",
    "witness",
)


def check_kind(mnemonic: str, micro: int, states: int, seed: int) -> None:
    rng = random.Random(f"{mnemonic}/{micro}/{seed}")
    for k in range(states):
        big = k % 2 == 0
        leaf = ExecuteLeaf(mnemonic, micro, big_endian=big, ro=RO, code=CODE)
        honest = random_state(leaf, rng)
        assert leaf.accepts(honest), (leaf.kind, honest)
        assert verdict(leaf, honest), (leaf.kind, honest)
        for name in (*EXECUTE_FIELDS, *(("witness",) if leaf.has_witness else ())):
            bad = dict(honest)
            bad[name] ^= 1 << rng.randrange(8 if name.endswith("micro") else 32)
            expect = leaf.accepts(bad)
            assert verdict(leaf, bad) == expect, (leaf.kind, name, honest, bad)
            if name in OUTPUTS and name in leaf.layout.names:
                assert not expect, (leaf.kind, name)
        for slot in (1, 2):
            bad = dict(honest)
            bad[f"read{slot}_addr"] = 0x80000000 + 4 * rng.randrange(32)
            assert verdict(leaf, bad) == leaf.accepts(bad)
        if micro < mi.FAULT_MICRO:
            other = rng.choice([k for k in KINDS if k[0] not in (mnemonic, "badpc", "fault")])[0]
            bad = dict(honest, word=random_word(other, rng))
            assert not leaf.accepts(bad) and not verdict(leaf, bad)


def _group(kind: tuple[str, int]) -> int:
    return KINDS.index(kind) % GROUPS


ROTATING = datetime.date.today().timetuple().tm_yday % GROUPS


@pytest.mark.parametrize("kind", KINDS, ids=[f"{m}/{k}" for m, k in KINDS])
def test_execute_leaf_against_table(kind: tuple[str, int]) -> None:
    """STATES records of every kind; EXTRA more for the kinds of today's group."""
    if os.environ.get("OCP_EXHAUSTIVE") == "1":
        check_kind(*kind, EXHAUSTIVE_STATES, 2)
        return
    check_kind(*kind, STATES + (EXTRA if _group(kind) == ROTATING else 0), 0)


def test_opcode_check_is_decode() -> None:
    rng = random.Random(5)
    names = sorted({m for m, _ in KINDS} - {"badpc", "fault"})
    for _ in range(3_000):
        w = rng.getrandbits(32)
        op = isa.decode(w).op
        for name in names:
            assert opcode_matches(name, w) == (op == name), (hex(w), name, op)


@pytest.mark.parametrize("kind", [("addu", 0), ("lw", 0), ("sw", 0), ("mult", 1), ("syscall", 1), ("fault", 140)])
def test_full_spend_with_signatures(kind: tuple[str, int]) -> None:
    """The real leaf (prefix and body) with one-time signatures: the honest record
    spends, a changed output (a kept one, a constant one) does not."""
    leaf = ExecuteLeaf(*kind, ro=RO, code=CODE)
    rng = random.Random(str(kind))
    values = random_state(leaf, rng)
    keys = {
        v.name: WinternitzKey.derive(b"ocp tests: execute leaves secret", v.name, v.params) for v in leaf.layout.signed
    }
    pub = {n: k.public_key() for n, k in keys.items()}
    witness = leaf.sign(keys, {**values, **leaf.hints(values)})
    assert leaf.parse_witness(witness, pub) == {n: {**values, **leaf.hints(values)}[n] for n in leaf.layout.names}
    assert execute_leaf(leaf.script(pub), witness).ok
    for name in ("next_npc", "next_micro"):
        bad = dict(values)
        bad[name] ^= 4
        witness = leaf.sign(keys, {**bad, **leaf.hints(bad)})
        assert not execute_leaf(leaf.script(pub), witness).ok, name

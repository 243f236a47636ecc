"""Execute leaves against the micro-step table, through libbitcoinkernel.

For every kind with a Script form, random states (a word of the kind with random
fields, random pc/npc and read values, effective addresses steered into every
region a load or store distinguishes) are run through the keyless body with the
inputs' limbs as witness: the honest record (computed by ``MICRO_OPS``) must be
accepted, and every single-field corruption, a read address naming another
register, and the word of another kind must get the twin's verdict (a changed
output, address, word or micro is refused).  Sampled: STATES per kind here, more
under ``-m slow``; one full spend per kind with real one-time signatures.
"""

from __future__ import annotations

import random
from functools import cache

import pytest

from ocp.stepleaves.execute import SEMANTICS, ExecuteLeaf, opcode_matches
from ocp.zkvm import isa
from ocp.zkvm import micro as mi
from taptrees.opcodes import OP_TOALTSTACK
from taptrees.ots.winternitz import WinternitzKey
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

STATES = 24
RO = ((0x00400000, 0x00480000), (0x7FFFF000, 0x7FFFF008))
CODE = ((0x00400000, 0x00460000), (0x7FFFF000, 0x7FFFF008))
KINDS = sorted(SEMANTICS)
EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x1000, 0xFFF)


def random_word(mnemonic: str, rng: random.Random) -> int:
    """A word ``isa.decode`` reads as ``mnemonic`` (random fields)."""
    from ocp.stepleaves.execute import _opcode_constraints

    if mnemonic == "badpc":
        return 0
    mask, value = (0, 0) if mnemonic == "invalid" else _opcode_constraints(mnemonic)[:2]
    for _ in range(1000):
        w = (rng.getrandbits(32) & ~mask) | value
        if rng.random() < 0.2:  # small shift amounts / register 0 now and then
            w &= ~(rng.choice([31 << 6, 31 << 11, 31 << 16, 31 << 21]) & ~mask)
        if isa.decode(w).op == mnemonic:
            return w
    raise AssertionError(mnemonic)


def random_state(leaf: ExecuteLeaf, rng: random.Random) -> dict[str, int]:
    """An honest record of the leaf's kind, computed by the table."""
    w = random_word(leaf.mnemonic, rng)
    pc = rng.getrandbits(30) << 2
    npc = (pc + 4) & 0xFFFFFFFF if rng.random() < 0.8 else rng.getrandbits(30) << 2
    v1 = rng.choice(EDGES) if rng.random() < 0.3 else rng.getrandbits(32)
    v2 = rng.choice(EDGES) if rng.random() < 0.3 else rng.getrandbits(32)
    if leaf.mnemonic == "badpc":
        pc = rng.choice([pc | rng.randrange(1, 4), 0x00460000 + (pc & 0xFFFC), 0x00400000 + 1 + (pc & 0xFFFC)])
    if leaf.mnemonic in ("lw", "ll", "lb", "lbu", "lh", "lhu", "sw", "sc", "sb", "sh", "lwl", "lwr",
                         "swl", "swr"):
        target = rng.choice([0x10000000, 0x00400010, 0x00000010, 0x80000040, 0x7FFFF004, 0x2000_0000])
        target += rng.choice([0, 0, 1, 2, 3]) + 4 * rng.randrange(16)
        v1 = (target - mi.simm(w)) & 0xFFFFFFFF
    layout = (1 if leaf.big_endian else 0, len(leaf.ro), *[x for r in leaf.ro for x in r],
              len(leaf.code), *[x for r in leaf.code for x in r])
    op = leaf.op
    a1 = op.read1(w, pc, npc, leaf.micro, layout)
    a2 = op.read2(w, pc, npc, leaf.micro, v1, layout)
    r1, r2 = leaf.reads
    v1 = v1 if r1 else 0
    v2 = v2 if r2 else 0
    wa, wv, pc2, npc2, m2, wit = op.run(w, pc, npc, leaf.micro, v1, v2, layout)
    values = {"pc": pc, "npc": npc, "micro": leaf.micro, "word": w, "write_addr": wa,
              "write_value": wv, "next_pc": pc2, "next_npc": npc2, "next_micro": m2}
    if r1:
        values.update(read1_addr=a1, read1_value=v1, read1_writer=rng.getrandbits(20))
    if r2:
        values.update(read2_addr=a2, read2_value=v2, read2_writer=rng.getrandbits(20))
    if leaf.has_witness:
        values["witness"] = wit
    else:
        assert wit == 0, (leaf.kind, wit)
    return values


@cache
def body_script(leaf: ExecuteLeaf) -> Script:
    return Script([[OP_TOALTSTACK] * leaf.layout.total_limbs, leaf.body()])


def body_verdict(leaf: ExecuteLeaf, values: dict[str, int]) -> bool:
    limbs = [x for v in leaf.layout.kept for x in v.limb_stack(values[v.name])]
    return execute_leaf(body_script(leaf), [encode_num(x) for x in limbs]).ok


OUTPUTS = ("micro", "write_addr", "write_value", "next_pc", "next_npc", "next_micro",
           "read1_addr", "read2_addr", "witness")


def check_kind(mnemonic: str, micro: int, states: int, seed: int) -> None:
    rng = random.Random(f"{mnemonic}/{micro}/{seed}")
    for big in (True, False):
        leaf = ExecuteLeaf(mnemonic, micro, big_endian=big, ro=RO, code=CODE)
        for _ in range(states // 2):
            honest = random_state(leaf, rng)
            assert leaf.accepts(honest)
            assert body_verdict(leaf, honest), (leaf.kind, honest)
            for v in leaf.layout.kept:
                bad = dict(honest)
                bad[v.name] ^= 1 << rng.randrange(v.bits)
                expect = leaf.accepts(bad)
                assert body_verdict(leaf, bad) == expect, (leaf.kind, v.name, honest, bad)
                if v.name in OUTPUTS:
                    assert not expect, (leaf.kind, v.name)
            for slot in (1, 2):
                if f"read{slot}_addr" in honest:
                    bad = dict(honest)
                    bad[f"read{slot}_addr"] = 0x80000000 + 4 * rng.randrange(32)
                    assert body_verdict(leaf, bad) == leaf.accepts(bad)
            other = rng.choice([k for k in KINDS if k[0] not in (mnemonic, "badpc")])[0]
            bad = dict(honest, word=random_word(other, rng))
            assert not leaf.accepts(bad) and not body_verdict(leaf, bad)


@pytest.mark.parametrize("kind", KINDS, ids=[f"{m}/{k}" for m, k in KINDS])
def test_execute_leaf_against_table(kind: tuple[str, int]) -> None:
    check_kind(*kind, STATES, 0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS, ids=[f"{m}/{k}" for m, k in KINDS])
def test_execute_leaf_against_table_many(kind: tuple[str, int]) -> None:
    check_kind(*kind, 80, 1)


def test_opcode_check_is_decode() -> None:
    rng = random.Random(5)
    names = sorted({m for m, _ in KINDS} - {"badpc"})
    for _ in range(6_000):
        w = rng.getrandbits(32)
        op = isa.decode(w).op
        for name in names:
            assert opcode_matches(name, w) == (op == name), (hex(w), name, op)


@pytest.mark.parametrize("kind", [("addu", 0), ("lw", 0), ("sw", 0), ("beq", 0), ("jal", 0)])
def test_full_spend_with_signatures(kind: tuple[str, int]) -> None:
    leaf = ExecuteLeaf(*kind, ro=RO, code=CODE)
    rng = random.Random(str(kind))
    values = random_state(leaf, rng)
    keys = {v.name: WinternitzKey.derive(b"ocp tests: execute leaves secret", v.name, v.params)
            for v in leaf.layout.signed}
    pub = {n: k.public_key() for n, k in keys.items()}
    witness = leaf.witness({n: k.sign(values[n]) for n, k in keys.items()})
    assert leaf.parse_witness(witness, pub) == values
    assert execute_leaf(leaf.script(pub), witness).ok
    values["next_npc"] ^= 4
    witness = leaf.witness({n: k.sign(values[n]) for n, k in keys.items()})
    assert not execute_leaf(leaf.script(pub), witness).ok

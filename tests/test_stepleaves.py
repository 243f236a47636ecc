"""The final-challenge and search leaves of a zkVM dispute, through Bitcoin Core's
interpreter (libbitcoinkernel): each leaf refuses honest data and accepts exactly
the fault it is for, and the kernel's verdict equals the Python twin's on every
case.  Cases are sampled (each hashing leaf is a 60-70 KB script): honest data,
the fault, and near misses (the fault at the wrong step, a link that does not
hold)."""

from __future__ import annotations

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
from ocp.stepleaves.schema import LINK, LINK_FIELDS
from ocp.stepleaves.search import Choice, Reveal, Translate, reveal_chunks
from taptrees.arith.peak import static_peak
from taptrees.errors import InputError
from taptrees.ots.winternitz import WinternitzKey
from taptrees.verify import execute_leaf

RNG = random.Random(77)
SECRET = b"ocp tests: stepleaves one-time secret"


@cache
def _key(name: str, params) -> WinternitzKey:
    return WinternitzKey.derive(SECRET, f"test/{name}", params)


def run(leaf, values: dict[str, int]) -> bool:
    """Sign, build, spend through the kernel; the verdict must equal the twin's."""
    layout = leaf.layout
    keys = {v.name: _key(v.name, v.params) for v in layout.signed}
    pub = {n: k.public_key() for n, k in keys.items()}
    witness = leaf.sign(keys, values)
    assert leaf.parse_witness(witness, pub) == {n: values[n] for n in layout.names}
    verdict = execute_leaf(leaf.script(pub), witness).ok
    assert verdict == leaf.accepts(values), (leaf.kind, values)
    return verdict


def u32() -> int:
    return RNG.randrange(2**32)


def h160() -> int:
    return RNG.randrange(2**160)


def link_values(prefix: str = "") -> dict[str, int]:
    v = {prefix + f: u32() for f in LINK_FIELDS}
    v[prefix + "next_micro"] = RNG.randrange(256)
    return v


def fields(v: dict[str, int], prefix: str = "") -> list[int]:
    return [v[prefix + f] for f in LINK_FIELDS]


def test_trace_hash() -> None:
    leaf = TraceHash()
    v = {"h_prev": h160(), **link_values()}
    v["h"] = LINK.digest(v["h_prev"], fields(v))
    assert not run(leaf, v)
    assert run(leaf, {**v, "h": v["h"] ^ 1})
    assert run(leaf, {**v, "write_value": v["write_value"] ^ 0x100})


def test_trace_hash_zero() -> None:
    h0 = h160()
    leaf = TraceHashZero(h0)
    v = {"step": 1, **link_values()}
    v["h"] = LINK.digest(h0, fields(v))
    assert not run(leaf, v)
    assert run(leaf, {**v, "h": h160()})
    assert not run(leaf, {**v, "h": h160(), "step": 2})


def test_program_counter() -> None:
    leaf = ProgramCounter()
    c = {"c_h_prev": h160(), **link_values("c_")}
    h_prev = LINK.digest(c["c_h_prev"], fields(c, "c_"))
    honest = {**c, "h_prev": h_prev, "pc": c["c_next_pc"], "npc": c["c_next_npc"], "micro": c["c_next_micro"]}
    assert not run(leaf, honest)
    assert run(leaf, {**honest, "npc": honest["npc"] ^ 4})
    assert run(leaf, {**honest, "micro": (honest["micro"] + 1) % 256})
    assert not run(leaf, {**honest, "pc": 0, "h_prev": h_prev ^ 1})  # fields that do not link


def test_entry_point() -> None:
    leaf = EntryPoint(0x00401000, 0x00401004)
    v = {"step": 1, "pc": 0x00401000, "npc": 0x00401004, "micro": 0}
    assert not run(leaf, v)
    assert run(leaf, {**v, "npc": 0x00401008})
    assert not run(leaf, {**v, "npc": 0x00401008, "step": 7})


def test_halt_and_limits() -> None:
    leaf = Halt(0x80000220, 0x100, 0xFFFFFFFF)
    h = h160()
    v = {
        "claim_n": 500,
        "claim_h": h,
        "step": 500,
        "write_addr": 0x80000220,
        "write_value": 0x100,
        "next_pc": 0xFFFFFFFF,
        "next_npc": 0xFFFFFFFF,
        "next_micro": 0,
        "h": h,
    }
    assert not run(leaf, v)
    assert run(leaf, {**v, "write_value": 0x101})  # exit(1)
    assert run(leaf, {**v, "next_pc": 0x400000, "write_addr": 0x80000008})  # not a halt
    assert run(leaf, {**v, "h": h ^ 2})
    assert not run(leaf, {**v, "write_value": 0x101, "step": 499})
    assert run(HaltBeyondMax(1 << 24), {"claim_n": (1 << 24) + 1})
    assert not run(HaltBeyondMax(1 << 24), {"claim_n": 1 << 24})
    assert run(StepBeyondN(), {"claim_n": 99, "step": 100})
    assert not run(StepBeyondN(), {"claim_n": 100, "step": 100})


@pytest.mark.parametrize("slot", [1, 2])
def test_future_read(slot: int) -> None:
    leaf = FutureRead(slot)
    w = f"read{slot}_writer"
    assert not run(leaf, {"step": 1000, w: 999})
    assert not run(leaf, {"step": 1000, w: 0})
    assert run(leaf, {"step": 1000, w: 1000})
    assert run(leaf, {"step": 1000, w: 0x12345678})


@pytest.mark.parametrize("slot", [1, 2])
def test_read_value(slot: int) -> None:
    leaf = ReadValue(slot)
    r = f"read{slot}_"
    j = {"w_step": 700, "w_h_prev": h160(), **link_values("w_")}
    j["w_h"] = LINK.digest(j["w_h_prev"], fields(j, "w_"))
    honest = {**j, "step": 1000, r + "addr": j["w_write_addr"], r + "value": j["w_write_value"], r + "writer": 700}
    assert not run(leaf, honest)
    assert run(leaf, {**honest, r + "value": honest[r + "value"] ^ 1})  # j wrote another value
    assert run(leaf, {**honest, r + "writer": 650})  # a later write to the address exists
    assert run(leaf, {**honest, r + "writer": 0})  # "never written" is false
    assert not run(leaf, {**honest, r + "writer": 650, r + "addr": 4})  # j wrote elsewhere
    assert not run(leaf, {**honest, r + "value": 5, "w_h": 1})  # j's link does not hold
    assert not run(leaf, {**honest, r + "writer": 650, "step": 700})  # j not before i


def test_correct_hash() -> None:
    leaf = CorrectHash()
    j = {"cw_h_prev": h160(), **link_values("w_")}
    j["w_h"] = LINK.digest(j["cw_h_prev"], fields(j, "w_"))
    assert not run(leaf, {**j, "w_h_prev": j["cw_h_prev"]})
    assert run(leaf, {**j, "w_h_prev": j["cw_h_prev"] ^ 8})
    assert not run(leaf, {**j, "w_h_prev": 3, "w_h": 5})


def test_equivocation_resign() -> None:
    # a round of 32 sub-intervals of 2**10 steps (an interval of 2**15): slot 5 is 5 * 2**10 in
    leaf = EquivocationResign("hash1_5", 15, 5 << 10)
    at = (3 << 15) + (5 << 10)
    h, other = h160(), h160()
    base = {"hash1_5": h, "h_prev": other, "h": h, "step": at}
    assert not run(leaf, base)  # h_i is the slot's hash and was re-signed as revealed
    assert run(leaf, {**base, "h": h ^ 1})
    assert not run(leaf, {**base, "h": h ^ 1, "step": at + (1 << 10)})  # another slot
    assert run(leaf, {**base, "h": h ^ 1, "step": at + (1 << 15)})  # the slot of a later interval
    assert run(leaf, {**base, "h_prev": h ^ 4, "step": at + 1})  # h_{i-1} is the slot's hash
    assert not run(leaf, {**base, "h_prev": h, "step": at + 1})


def test_search_leaves_follow_the_nary_search() -> None:
    """Built from NArySearch: Translate gives disputed_step for any choices, and an
    EquivocationResign leaf applies to h_t exactly when NArySearch.position says round r
    revealed h_t in slot s (twins for every step of a small search; the kernel for some)."""
    from ocp.stepleaves.search import equivocation_leaves, search_leaves, translate_leaf
    from ocp.zkvm.search import NArySearch

    search = NArySearch(1 << 10, 8)  # rounds of 8, 8, 8 and a last of 2
    tr = translate_leaf(search)
    leaves = equivocation_leaves(search)
    assert len(leaves) == search.hashes_revealed()
    moves = search_leaves(search)
    assert [type(x).__name__ for x in moves].count("Choice") == search.rounds
    for i in range(1, search.max_steps + 1):
        choices = search.choices_for(i)
        values = {f"choice{r}": c for r, c in enumerate(choices)}
        assert tr.accepts({**values, "step": i}) and not tr.accepts({**values, "step": i + 1})
        for t, which in ((i - 1, "h_prev"), (i, "h")):
            pos = search.position(choices, t)
            hit = {x.round_key for x in leaves if x.accepts({x.round_key: 1, "h_prev": 1, "h": 1, which: 2, "step": i})}
            assert hit == ({f"hash{pos[0] - 1}_{pos[1]}"} if pos else set()), (i, which, pos, hit)
    for i in (1, 2, 513, 1023, 1024):
        choices = search.choices_for(i)
        values = {f"choice{r}": c for r, c in enumerate(choices)}
        assert run(tr, {**values, "step": i}) and not run(tr, {**values, "step": i - 1})
        pos = search.position(choices, i)
        if pos:
            leaf = next(x for x in leaves if x.round_key == f"hash{pos[0] - 1}_{pos[1]}")
            assert run(leaf, {leaf.round_key: 7, "h_prev": 7, "h": 8, "step": i})
    read = search_leaves(search, "w_", shared_first=True)
    assert not any(isinstance(x, Reveal) and x.round == 0 for x in read)
    assert {x.round_key for x in equivocation_leaves(search, "w_", True)} >= {"hash0_1", "w_hash1_1"}


def test_search_round_leaves() -> None:
    assert run(Choice(2, 32), {"choice2": 31})
    assert not run(Choice(2, 32), {"choice2": 32})
    assert not run(Choice(0, 5), {"choice0": 9})
    leaves = reveal_chunks(3, 31, 32)
    assert [len(x.slots) for x in leaves] == [10, 10, 10, 1]
    assert [x.prev_count for x in leaves] == [32, 0, 0, 0]
    first = leaves[0]
    values = {"choice2": 17, **{f"hash3_{s}": h160() for s in first.slots}}
    assert run(first, values)
    assert not run(first, {**values, "choice2": 40})
    script = first.script({v.name: _key(v.name, v.params).public_key() for v in first.layout.signed})
    assert static_peak(script, first.layout.witness_items).peak < 1000
    assert run(Reveal(0, (1, 2, 3)), {f"hash0_{s}": h160() for s in (1, 2, 3)})
    tr = Translate((32, 32, 32), (10, 5, 0), 1)
    assert run(tr, {"choice0": 3, "choice1": 31, "choice2": 7, "step": 1 + (3 << 10) + (31 << 5) + 7})
    assert not run(tr, {"choice0": 3, "choice1": 31, "choice2": 7, "step": (3 << 10) + (31 << 5) + 7})


def test_witness_parser_names_bad_data() -> None:
    leaf = StepBeyondN()
    keys = {v.name: _key(v.name, v.params) for v in leaf.layout.signed}
    pub = {n: k.public_key() for n, k in keys.items()}
    good = leaf.witness({n: k.sign(5) for n, k in keys.items()})
    with pytest.raises(InputError, match="items"):
        leaf.parse_witness(good[:-1], pub)
    bad = list(good)
    bad[0] = bytes(20)
    with pytest.raises(InputError, match="claim_n"):
        leaf.parse_witness(bad, pub)
    with pytest.raises(InputError, match="no signature"):
        leaf.witness({"claim_n": good[:20]})


def test_opcode_chunks() -> None:
    """Chunks are runs inside 1 KB blocks; a chunk spends exactly on a wrong word at one
    of its aligned addresses (first, last, middle words; addresses before it, past it,
    in the next block, unaligned or elsewhere refused)."""
    from ocp.stepleaves.code import OpcodeChunk, opcode_chunks

    code = [(0x00400F00 + 4 * k, u32()) for k in range(60)]  # the end of one 1 KB block
    chunks = opcode_chunks(code)
    assert [(c.base, c.first, len(c.words)) for c in chunks] == [(0x00400C00, 192, 60)]
    code += [(0x00401000 + 4 * k, u32()) for k in range(3, 300)]
    chunks = opcode_chunks(code)
    assert [(c.base, c.first, len(c.words)) for c in chunks] == [
        (0x00400C00, 192, 60),
        (0x00401000, 3, 253),
        (0x00401400, 0, 44),
    ]
    words = dict(code)
    leaf = chunks[1]
    for pc in (0x0040100C, 0x004013FC, 0x00401208, 0x004010F0):
        assert not run(leaf, {"pc": pc, "word": words[pc]})
        assert run(leaf, {"pc": pc, "word": words[pc] ^ (1 << RNG.randrange(32))})
    for pc in (0x00401008, 0x00401400, 0x0040100E, 0x00501010, 0x00400FF0):
        assert not run(leaf, {"pc": pc, "word": 7})
    tail = chunks[0]
    assert run(tail, {"pc": 0x00400FEC, "word": words[0x00400FEC] ^ 1})
    assert not run(tail, {"pc": 0x00400EFC, "word": 1})
    assert run(OpcodeChunk(0x7FFFF000, 0, (0x24021061, 0x0000000C)), {"pc": 0x7FFFF004, "word": 0})


def read_slots(
    addr1: int, value1: int, writer1: int, addr2: int = 0x80000000, value2: int = 0, writer2: int = 0
) -> dict[str, int]:
    return {
        "read1_addr": addr1,
        "read1_value": value1,
        "read1_writer": writer1,
        "read2_addr": addr2,
        "read2_value": value2,
        "read2_writer": writer2,
    }


def test_input_leaf() -> None:
    """Input word k: either slot, an INIT read of INPUT_BASE + 4k that differs from the
    claim's word; the length word the same against input_len."""
    from ocp.stepleaves.init import Input
    from ocp.zkvm.record import INPUT_BASE, K_INPUT_LEN

    leaf = Input(3)
    a, claim = INPUT_BASE + 12, 0x61626364
    assert not run(leaf, {**read_slots(a, claim, 0), "input3": claim})
    assert run(leaf, {**read_slots(a, claim ^ 1, 0), "input3": claim})
    assert run(leaf, {**read_slots(0x80000008, 5, 3, a, claim ^ 0x100, 0), "input3": claim})
    assert not run(leaf, {**read_slots(a, claim ^ 1, 77), "input3": claim})  # not an INIT read
    assert not run(leaf, {**read_slots(a + 4, claim ^ 1, 0), "input3": claim})  # another word
    length = Input(None)
    assert run(length, {**read_slots(K_INPUT_LEN, 9, 0), "input_len": 8})
    assert not run(length, {**read_slots(K_INPUT_LEN, 8, 0), "input_len": 8})


def test_initialized_and_uninitialized_leaves() -> None:
    from ocp.stepleaves.init import InitializedChunk, Uninitialized

    words = tuple(u32() for _ in range(200))
    leaf = InitializedChunk(0x00450C00, 40, words)
    for k in (0, 77, 199):
        a = 0x00450C00 + 4 * (40 + k)
        assert not run(leaf, read_slots(a, words[k], 0))
        assert run(leaf, read_slots(a, words[k] ^ (1 << RNG.randrange(32)), 0))
        assert run(leaf, read_slots(0x80000010, 1, 9, a, words[k] ^ 1, 0))
        assert not run(leaf, read_slots(a, words[k] ^ 1, 12))  # written since: the read leaves' case
    for a in (0x00450C00 + 4 * 39, 0x00450C00 + 4 * 240, 0x00451000, 0x00450C00 + 4 * 41 + 2):
        assert not run(leaf, read_slots(a, 0xDEADBEEF, 0))
    gaps = ((0, 0x10000), (0x7FFF0000, 0x7FFFF000), (0x90000100, 1 << 32))
    zero = Uninitialized(gaps)
    for a in (0x1000, 0xFFFC, 0x7FFF0000, 0x90000100, 0xFFFFFFFC):
        assert not run(zero, read_slots(a, 0, 0))
        assert run(zero, read_slots(a, 1 << RNG.randrange(32), 0))
    assert not run(zero, read_slots(0x10000, 5, 0))  # a defined word
    assert not run(zero, read_slots(0x1000, 5, 4))  # written since


def test_addresses_sections_leaf() -> None:
    from ocp.stepleaves.init import AddressesSections
    from ocp.zkvm.record import HALT_PC

    leaf = AddressesSections(((0x10000, 0xBAFD0), (0x7FFFF000, 0x7FFFF008)))
    step = {
        "pc": 0x10010,
        "npc": 0x10014,
        "micro": 0,
        "word": 0x24020001,
        "next_pc": 0x10014,
        "next_npc": 0x10018,
        "next_micro": 0,
        "write_addr": 0x80000008,
        "write_value": 1,
    }
    assert not run(leaf, step)
    assert not run(leaf, {**step, "pc": 0x7FFFF004})
    assert run(leaf, {**step, "pc": 0x10012})  # unaligned
    assert run(leaf, {**step, "pc": 0xBAFD0})  # past the code
    assert run(leaf, {**step, "pc": 0x7FFFF008, "micro": 3})
    halt = {**step, "pc": 0xBAFD0, "micro": 0, "word": 0, "next_pc": HALT_PC}
    assert not run(leaf, halt)  # the bad-pc halt itself
    assert run(leaf, {**halt, "word": 0x0000000D})  # a break claimed at a bad pc
    assert run(leaf, {**halt, "next_pc": 0xBAFD4})  # a nop claimed at a bad pc


@pytest.mark.parametrize("count", [2, 8, 16, 32, 256])
def test_choice_range_check_at_every_width(count):
    """A choice among ``count`` parts: the last one accepted, ``count`` itself refused
    where it fits the width (n = 16 and 256 fill their 4 or 8 bits: every value is a
    part), through the kernel."""
    from ocp.stepleaves.search import choice_bits

    leaf = Choice(0, count)
    assert run(leaf, {"choice0": count - 1})
    if count < 1 << choice_bits(count):
        assert not run(leaf, {"choice0": count})
    chunk = Reveal(1, (1,), count)
    assert run(chunk, {"choice0": count - 1, "hash1_1": 5})

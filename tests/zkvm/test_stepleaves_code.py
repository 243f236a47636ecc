"""Opcode chunk leaves over a real Go guest's code (state 0's code ranges: the
executable segments with the Go patches, and the signal trampoline): every word
is covered by exactly one chunk, and sampled chunks (first, middle, last) accept a
wrong word and refuse the right one through libbitcoinkernel, both byte orders."""

from __future__ import annotations

import random

import pytest

from ocp.stepleaves.code import CHUNK_WORDS, code_words, opcode_chunks
from ocp.zkvm.elf import load_elf
from ocp.zkvm.initial import build_initial_state
from taptrees.ots.winternitz import WinternitzKey
from taptrees.verify import execute_leaf

SECRET = b"ocp tests: opcode chunk one-time secret"


@pytest.mark.parametrize("arch", ["mips", "mipsle"])
def test_opcode_chunks_cover_a_go_guest(go_guest, arch: str) -> None:
    init = build_initial_state(load_elf(go_guest("hello", arch)))
    code = code_words(init)
    chunks = opcode_chunks(code)
    assert len(code) > 50_000 and len(chunks) >= len(code) // CHUNK_WORDS
    covered = {c.base + 4 * (c.first + k): w for c in chunks for k, w in enumerate(c.words)}
    assert covered == dict(code)
    rng = random.Random(arch)
    keys = {n: WinternitzKey.derive(SECRET, n, p) for n, p in ((v.name, v.params) for v in chunks[0].layout.values)}
    pub = {n: k.public_key() for n, k in keys.items()}
    for leaf in (chunks[0], chunks[len(chunks) // 2], chunks[-1]):
        k = rng.randrange(len(leaf.words))
        pc, word = leaf.base + 4 * (leaf.first + k), leaf.words[k]
        for value, expect in ((word, False), (word ^ 0x04000000, True)):
            values = {"pc": pc, "word": value}
            assert leaf.accepts(values) is expect
            witness = leaf.sign(keys, values)
            assert execute_leaf(leaf.script(pub), witness).ok is expect


@pytest.mark.parametrize("guest", ["hello", "selfcheck"])
@pytest.mark.parametrize("arch", ["mips", "mipsle"])
def test_coverage_of_go_guests(go_guest, guest: str, arch: str) -> None:
    """Every micro-step kind the Go guests can run has an execute leaf; with one kind
    taken away the check fails naming it."""
    from ocp.errors import UserError
    from ocp.stepleaves.coverage import check_coverage, kinds_of_words, required_kinds
    from ocp.stepleaves.execute import SEMANTICS

    init = build_initial_state(load_elf(go_guest(guest, arch)))
    required = required_kinds(init)
    assert {("addu", 0), ("badpc", 0), ("fault", 128), ("syscall", 0), ("divu", 1)} <= required
    check_coverage(init, guest)
    for gone in (("syscall", 47), ("fault", 177), ("lw", 0)):
        assert gone in required
        with pytest.raises(UserError, match=rf"no execute leaf: .*{gone[0]}"):
            check_coverage(init, guest, set(SEMANTICS) - {gone})
    small = kinds_of_words([0x00851021, 0x24420001, 0x10400003])  # addu, addiu, beq
    assert small <= set(SEMANTICS) and ("fault", 128) not in small

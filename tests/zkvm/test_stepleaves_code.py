"""Opcode chunk leaves over a real Go guest's code: every executable word is
covered by exactly one chunk, and sampled chunks (first, middle, last) accept a
wrong word and refuse the right one through libbitcoinkernel, both byte orders."""

from __future__ import annotations

import random

import pytest

from ocp.stepleaves.code import CHUNK_WORDS, code_words, opcode_chunks
from ocp.zkvm.elf import load_elf
from taptrees.ots.winternitz import WinternitzKey
from taptrees.verify import execute_leaf

SECRET = b"ocp tests: opcode chunk one-time secret"


@pytest.mark.parametrize("arch", ["mips", "mipsle"])
def test_opcode_chunks_cover_a_go_guest(go_guest, arch: str) -> None:
    program = load_elf(go_guest("hello", arch))
    code = code_words(program)
    chunks = opcode_chunks(code)
    assert len(code) > 50_000 and len(chunks) >= len(code) // CHUNK_WORDS
    covered = {c.base + 4 * (c.first + k): w for c in chunks for k, w in enumerate(c.words)}
    assert covered == dict(code)
    rng = random.Random(arch)
    keys = {n: WinternitzKey.derive(SECRET, n, p) for n, p in
            ((v.name, v.params) for v in chunks[0].layout.values)}
    pub = {n: k.public_key() for n, k in keys.items()}
    for leaf in (chunks[0], chunks[len(chunks) // 2], chunks[-1]):
        k = rng.randrange(len(leaf.words))
        pc, word = leaf.base + 4 * (leaf.first + k), leaf.words[k]
        for value, expect in ((word, False), (word ^ 0x04000000, True)):
            values = {"pc": pc, "word": value}
            assert leaf.accepts(values) is expect
            witness = leaf.witness({n: keys[n].sign(values[n]) for n in keys})
            assert execute_leaf(leaf.script(pub), witness).ok is expect

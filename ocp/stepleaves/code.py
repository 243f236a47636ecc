"""Opcode: the instruction word the operator revealed is not the program's.

The program's code is a constant of the leaves, cut into chunks: runs of words
inside one 1 KB aligned block (:mod:`ocp.stepleaves.tables`; BitVMX chunks its
ROM the same way).  A chunk leaf spends when the operator's signed ``pc`` is an
aligned address of the chunk and its signed ``word`` differs from the table's.
A pc outside every chunk (unaligned, or not code) is AddressesSections' case
(:mod:`ocp.stepleaves.init`), where the record's word must be 0.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import Body, CheckLeaf
from ocp.stepleaves.schema import signed
from ocp.stepleaves.tables import BLOCK_WORDS, HALF, check_chunk, differs, halves, lookup_word, runs
from taptrees.ots.values import Value

CHUNK_WORDS = BLOCK_WORDS


@dataclass(frozen=True)
class OpcodeChunk(CheckLeaf):
    """Words ``words`` at ``base + 4 * (first + k)`` (``base`` 1 KB aligned)."""

    base: int
    first: int
    words: tuple[int, ...]
    purpose = "the revealed instruction word is not the program's at that pc"

    def __post_init__(self) -> None:
        check_chunk(self.base, self.first, len(self.words))

    def values(self) -> tuple[Value, ...]:
        return (signed("pc"), signed("word"))

    def build(self, b: Body) -> int:
        d = b.dag
        d.table("half", HALF)
        d.table("code", halves(self.words, self.first))
        inside, low, high = lookup_word(d, "code", b["pc"], self.base, self.first, len(self.words))
        return d.band(inside, differs(d, b["word"], low, high))

    def accepts(self, v: Mapping[str, int]) -> bool:
        k, r = divmod(v["pc"] - self.base - 4 * self.first, 4)
        if r or not 0 <= k < len(self.words):
            return False
        return v["word"] != self.words[k]


def opcode_chunks(code: Iterable[tuple[int, int]]) -> list[OpcodeChunk]:
    """Chunk leaves covering every (address, word) of the code (addresses aligned)."""
    return [OpcodeChunk(base, first, words) for base, first, words in runs(dict(code))]


def code_words(init) -> list[tuple[int, int]]:
    """(address, word) of every word the dispute machine may execute: the code
    ranges of the initial state (``ocp.zkvm.initial.InitialState``: the executable
    segments with the Go patches applied, and the signal trampoline), as state 0
    holds them, in the program's byte order."""
    order = ">" if init.big_endian else "<"
    out: list[tuple[int, int]] = []
    for lo, hi in init.layout.code:
        a = lo - lo % 4
        while a + 4 <= hi:
            end = min(hi - (hi - a) % 4, ((a >> 12) + 1) << 12)  # this page's part
            n = (end - a) // 4
            page = init.pages.get(a >> 12, bytes(4096))
            words = struct.unpack(f"{order}{n}I", page[a & 0xFFF : (a & 0xFFF) + 4 * n])
            out += zip(range(a, end, 4), words, strict=True)
            a = end
    return out

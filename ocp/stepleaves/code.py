"""Opcode: the instruction word the operator revealed is not the program's.

The program's code is a constant of the leaves, cut into chunks of at most 64
words that lie in one 256-byte aligned block (BitVMX chunks its ROM the same
way).  A chunk leaf holds its words' bytes as a table (four entries a word) and
spends when the operator's signed ``pc`` is an aligned address of the chunk and
its signed ``word`` differs from the table's: with the pc's limbs ``l0..l7``,
the pc is in the block when ``l2..l7`` are the block's, aligned when
``l0 mod 4 == 0``, and byte k of the word sits at ``l0 + 16 l1 + k`` in the
table, so a word costs four one-byte pushes and no arithmetic on the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import Body, CheckLeaf
from ocp.stepleaves.schema import signed
from taptrees.errors import InputError
from taptrees.ots.values import Value

CHUNK_BYTES = 256
CHUNK_WORDS = CHUNK_BYTES // 4


@dataclass(frozen=True)
class OpcodeChunk(CheckLeaf):
    """Words ``words`` at ``base + 4 * (first + k)`` (``base`` 256-byte aligned)."""

    base: int
    first: int
    words: tuple[int, ...]
    purpose = "the revealed instruction word is not the program's at that pc"

    def __post_init__(self) -> None:
        if self.base % CHUNK_BYTES or not 0 <= self.first or not self.words or (
            self.first + len(self.words) > CHUNK_WORDS
        ):
            raise InputError(f"code chunk at {self.base:#x}+{self.first} with {len(self.words)} words "
                             f"does not fit one {CHUNK_BYTES}-byte block")

    def values(self) -> tuple[Value, ...]:
        return (signed("pc"), signed("word"))

    def build(self, b: Body) -> int:
        d = b.dag
        d.table("code", tuple((w >> (8 * k)) & 0xFF for w in self.words for k in range(4)))
        pc, word = b["pc"], b["word"]
        block = b.const(self.base, 8)
        inside = d.eq(d.op("lowbits", (pc[0],), 1, 2)[0], d.const(0))
        for j in range(2, 8):
            inside = d.band(inside, d.eq(pc[j], block[j]))
        at = d.plus(pc[0], d.scale(pc[1], 4))  # 4 * (index of the word in the block)
        lo, hi = 4 * self.first, 4 * (self.first + len(self.words))
        if self.first:
            inside = d.band(inside, d.bnot(d.op("lt", (at, d.const(lo)), 1)[0]))
        if hi < CHUNK_BYTES:
            inside = d.band(inside, d.op("lt", (at, d.const(hi)), 1)[0])
        differs = d.const(0)
        for k in range(4):
            byte = d.plus(word[2 * k], d.scale(word[2 * k + 1], 4))
            differs = d.bor(differs, d.bnot(d.eq(byte, d.pick(at, "code", k - lo))))
        return d.band(inside, differs)

    def accepts(self, v: Mapping[str, int]) -> bool:
        pc = v["pc"]
        k, r = divmod(pc - self.base - 4 * self.first, 4)
        if r or not 0 <= k < len(self.words):
            return False
        return v["word"] != self.words[k]


def opcode_chunks(code: Iterable[tuple[int, int]]) -> list[OpcodeChunk]:
    """Chunk leaves covering every (address, word) of the code (addresses aligned)."""
    blocks: dict[int, dict[int, int]] = {}
    for addr, word in code:
        if addr % 4:
            raise InputError(f"code address {addr:#x} is not aligned")
        blocks.setdefault(addr - addr % CHUNK_BYTES, {})[(addr % CHUNK_BYTES) // 4] = word
    out = []
    for base in sorted(blocks):
        idx = sorted(blocks[base])
        run: list[int] = []
        for i in idx:  # contiguous runs within the block
            if run and i != run[-1] + 1:
                out.append(OpcodeChunk(base, run[0], tuple(blocks[base][j] for j in run)))
                run = []
            run.append(i)
        out.append(OpcodeChunk(base, run[0], tuple(blocks[base][j] for j in run)))
    return out


def code_words(init) -> list[tuple[int, int]]:
    """(address, word) of every word the dispute machine may execute: the code
    ranges of the initial state (``ocp.zkvm.initial.InitialState``: the executable
    segments with the Go patches applied, and the signal trampoline), as state 0
    holds them, in the program's byte order."""
    return [(a, init.value(a)) for lo, hi in init.layout.code for a in range(lo, hi - 3, 4)]

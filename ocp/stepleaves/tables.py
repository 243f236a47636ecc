"""A program's words as a Script lookup table: the body of the chunk leaves.

Opcode (the revealed instruction word is not the program's) and Initialized (an
INIT read returned another value than the program image's) both compare a
revealed word with the word a build-time table holds at a revealed address.  A
chunk covers a run of words inside one 1 KB aligned block; its table holds each
word as two 16-bit script numbers (low half first), entry ``2k`` and ``2k + 1``
for the k-th word of the block.  With the address limbs ``l0..l7`` (least
significant first) the block is ``l3..l7`` and the top two bits of ``l2``, the
word's entry is

    2k = half[l0] + 8 l1 + 128 (l2 mod 4)        (half[x] = x >> 1, a 16-entry table)

so an address costs a few additions and no division, and a word costs two pushes
(one to four bytes each).  The table spans the whole block (zeros outside the
chunk) so that any address, in the chunk or not, indexes inside it.  Tables are pushed at the bottom of the stack and read by
absolute position (:mod:`taptrees.blake3.emit`); a chunk of 256 words is 528
stack items, well inside the 1,000-item limit with the leaf's inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

from taptrees.blake3.dag import LimbDag, Limbs
from taptrees.errors import InputError

BLOCK_BYTES = 1024
BLOCK_WORDS = BLOCK_BYTES // 4
HALF = tuple(x >> 1 for x in range(16))


def halves(words: Iterable[int], first: int = 0) -> tuple[int, ...]:
    """Table entries of a chunk: low 16 bits, then high 16 bits, word after word, for
    the whole block (zeros for the words before ``first`` and after the chunk), so
    that every address indexes inside the table whether or not it is in the chunk."""
    out: list[int] = [0, 0] * first
    for w in words:
        out += [w & 0xFFFF, w >> 16]
    return tuple(out + [0] * (2 * BLOCK_WORDS - len(out)))


def check_chunk(base: int, first: int, count: int) -> None:
    if base % BLOCK_BYTES or first < 0 or count < 1 or first + count > BLOCK_WORDS:
        raise InputError(f"chunk at {base:#x}+{first} with {count} words does not fit one {BLOCK_BYTES}-byte block")


def number16(d: LimbDag, limbs: Limbs) -> int:
    """Four limbs (least significant first) as one script number (Horner's rule)."""
    acc = limbs[3]
    for x in (limbs[2], limbs[1], limbs[0]):
        acc = d.plus(d.scale(acc, 4), x)
    return acc


def lookup_word(d: LimbDag, table: str, addr: Limbs, base: int, first: int, count: int) -> tuple[int, int, int]:
    """``(inside, low, high)``: inside = 1 iff ``addr`` is an aligned address of words
    ``first .. first + count - 1`` of the block at ``base``; low/high the two table
    entries of the word there (meaningful only when inside)."""
    check_chunk(base, first, count)
    block = tuple(d.const((base >> (4 * i)) & 15) for i in range(8))
    inside = d.eq(d.op("lowbits", (addr[0],), 1, 2)[0], d.const(0))
    for j in range(3, 8):
        inside = d.band(inside, d.eq(addr[j], block[j]))
    top = (base >> 8) & 12  # the block's bits of limb 2
    l2 = addr[2]
    if top:
        inside = d.band(inside, d.bnot(d.op("lt", (l2, d.const(top)), 1)[0]))
    if top + 4 < 16:
        inside = d.band(inside, d.op("lt", (l2, d.const(top + 4)), 1)[0])
    low2 = d.op("lowbits", (l2,), 1, 2)[0]
    at = d.plus(d.plus(d.pick(addr[0], "half"), d.scale(addr[1], 3)), d.scale(low2, 7))
    if first:
        inside = d.band(inside, d.bnot(d.op("lt", (at, d.const(2 * first)), 1)[0]))
    if first + count < BLOCK_WORDS:
        inside = d.band(inside, d.op("lt", (at, d.const(2 * (first + count))), 1)[0])
    low = d.pick(at, table, 0)
    high = d.pick(at, table, 1)
    return inside, low, high


def differs(d: LimbDag, value: Limbs, low: int, high: int) -> int:
    """1 iff the word ``value`` is not the one whose halves are ``low``, ``high``."""
    same = d.band(d.eq(number16(d, value[:4]), low), d.eq(number16(d, value[4:]), high))
    return d.bnot(same)


def runs(words: dict[int, int]) -> list[tuple[int, int, tuple[int, ...]]]:
    """``(base, first, words)`` for every run of consecutive aligned addresses of
    ``words`` (address -> word) inside one block."""
    blocks: dict[int, dict[int, int]] = {}
    for addr, word in words.items():
        if addr % 4:
            raise InputError(f"address {addr:#x} is not aligned")
        blocks.setdefault(addr - addr % BLOCK_BYTES, {})[(addr % BLOCK_BYTES) // 4] = word
    out = []
    for base in sorted(blocks):
        idx = sorted(blocks[base])
        run: list[int] = []
        for i in idx:
            if run and i != run[-1] + 1:
                out.append((base, run[0], tuple(blocks[base][j] for j in run)))
                run = []
            run.append(i)
        out.append((base, run[0], tuple(blocks[base][j] for j in run)))
    return out

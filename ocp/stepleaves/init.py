"""INIT reads and code addresses: the challenger's leaves against state 0.

A read whose last writer is INIT (0) claims the word still holds its value in
state 0 (:mod:`ocp.zkvm.initial`).  Each word of state 0 comes from one source,
and each source has its leaf (BitVMX-CPU's ``input_challenge``,
``rom_challenge``/``initialized_challenge``, ``uninitialized_challenge``):

* :class:`Input` -- the input tape word k (``INPUT_BASE + 4k``) or the tape's
  length (``K_INPUT_LEN``), against the operator's claim (``input{k}``,
  ``input_len``, signed in the Kickoff);
* :class:`InitializedChunk` -- a word the program image, the boot stack, the
  registers or the kernel words define (a build-time table, chunked like the
  code: :mod:`ocp.stepleaves.tables`);
* :class:`Uninitialized` -- a word in a gap between the defined ranges, which
  state 0 holds as zero.

Each takes both read slots of the Execute transaction (address and value from
the Execute leaf, the last writer from :class:`~ocp.stepleaves.execute.RecordRest`)
and spends when either slot is an INIT read of its words with another value.

:class:`AddressesSections` is the pc check the Execute leaves leave out: the
record's pc is unaligned or outside the code, and the record is not the bad-pc
halt (word 0, micro 0, next pc HALT_PC; the ``badpc`` Execute leaf checks the
rest of that record).  Read and write addresses need no section check here: the
Execute leaf checks them against the micro-step table, which already sends a
guest access outside its sections to the SIGSEGV micro-steps.

:func:`init_leaves` builds every leaf a program needs from its initial state.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import Body, CheckLeaf
from ocp.stepleaves.schema import WORD_BITS, fields
from ocp.stepleaves.tables import BLOCK_WORDS, HALF, check_chunk, differs, halves, lookup_word, runs
from ocp.zkvm.record import HALT_PC, INIT, INPUT_BASE, K_INPUT_LEN
from taptrees.ots.values import Value

SLOTS = (1, 2)
#: gaps per Uninitialized leaf
GAPS_PER_LEAF = 24


def read_values() -> tuple[Value, ...]:
    """Both read slots of step i: address, value, last writer."""
    return fields(tuple(f"read{s}_{f}" for s in SLOTS for f in ("addr", "value", "writer")))


def _init_read(b: Body, s: int) -> int:
    """Slot s is a read whose last writer is INIT."""
    return b.equals(f"read{s}_writer", INIT)


@dataclass(frozen=True)
class Input(CheckLeaf):
    """An INIT read of input word ``word`` (``INPUT_BASE + 4 word``; ``None``: the
    tape length at ``K_INPUT_LEN``) returned another value than the claim's."""

    word: int | None
    purpose = "an INIT read of the input differs from the claimed input"

    @property
    def key(self) -> str:
        return "input_len" if self.word is None else f"input{self.word}"

    @property
    def address(self) -> int:
        return K_INPUT_LEN if self.word is None else INPUT_BASE + 4 * self.word

    def values(self) -> tuple[Value, ...]:
        return (*read_values(), Value(self.key, WORD_BITS))

    def build(self, b: Body) -> int:
        d = b.dag
        hit = d.const(0)
        for s in SLOTS:
            here = d.band(_init_read(b, s), b.equals(f"read{s}_addr", self.address))
            hit = d.bor(hit, d.band(here, d.bnot(d.eq_words(b[f"read{s}_value"], b[self.key]))))
        return hit

    def accepts(self, v: Mapping[str, int]) -> bool:
        return any(
            v[f"read{s}_writer"] == INIT and v[f"read{s}_addr"] == self.address and v[f"read{s}_value"] != v[self.key]
            for s in SLOTS
        )


@dataclass(frozen=True)
class InitializedChunk(CheckLeaf):
    """An INIT read of one of ``words`` (at ``base + 4 (first + k)``, one 1 KB block)
    returned another value than state 0's."""

    base: int
    first: int
    words: tuple[int, ...]
    purpose = "an INIT read of the program image differs from state 0"

    def __post_init__(self) -> None:
        check_chunk(self.base, self.first, len(self.words))

    def values(self) -> tuple[Value, ...]:
        return read_values()

    def build(self, b: Body) -> int:
        d = b.dag
        d.table("half", HALF)
        d.table("image", halves(self.words, self.first))
        hit = d.const(0)
        for s in SLOTS:
            inside, low, high = lookup_word(d, "image", b[f"read{s}_addr"], self.base, self.first, len(self.words))
            wrong = d.band(d.band(inside, _init_read(b, s)), differs(d, b[f"read{s}_value"], low, high))
            hit = d.bor(hit, wrong)
        return hit

    def accepts(self, v: Mapping[str, int]) -> bool:
        for s in SLOTS:
            k, r = divmod(v[f"read{s}_addr"] - self.base - 4 * self.first, 4)
            if (
                not r
                and 0 <= k < len(self.words)
                and v[f"read{s}_writer"] == INIT
                and v[f"read{s}_value"] != self.words[k]
            ):
                return True
        return False


@dataclass(frozen=True)
class Uninitialized(CheckLeaf):
    """An INIT read of a word in one of ``gaps`` (half-open address ranges that state 0
    holds as zero) returned another value than 0."""

    gaps: tuple[tuple[int, int], ...]
    purpose = "an INIT read of memory state 0 holds as zero is not zero"

    def values(self) -> tuple[Value, ...]:
        return read_values()

    def build(self, b: Body) -> int:
        d = b.dag
        hit = d.const(0)
        for s in SLOTS:
            addr = b[f"read{s}_addr"]
            inside = d.const(0)
            for lo, hi in self.gaps:
                above = d.bnot(d.ltu_words(addr, b.const(lo, 8))) if lo else d.const(1)
                below = d.ltu_words(addr, b.const(hi, 8)) if hi <= 0xFFFFFFFF else d.const(1)
                inside = d.bor(inside, d.band(above, below))
            nonzero = d.bnot(b.equals(f"read{s}_value", 0))
            hit = d.bor(hit, d.band(d.band(inside, _init_read(b, s)), nonzero))
        return hit

    def accepts(self, v: Mapping[str, int]) -> bool:
        return any(
            v[f"read{s}_writer"] == INIT
            and v[f"read{s}_value"] != 0
            and any(lo <= v[f"read{s}_addr"] < hi for lo, hi in self.gaps)
            for s in SLOTS
        )


@dataclass(frozen=True)
class AddressesSections(CheckLeaf):
    """Step i's pc is unaligned or outside ``code`` (half-open ranges) and the record
    is not the bad-pc halt (word 0, micro 0, next pc HALT_PC)."""

    code: tuple[tuple[int, int], ...]
    purpose = "step i runs at a pc that is not code and is not the bad-pc halt"

    def values(self) -> tuple[Value, ...]:
        return fields(("pc", "micro", "word", "next_pc"))

    def build(self, b: Body) -> int:
        d = b.dag
        pc = b["pc"]
        aligned = d.eq(d.op("lowbits", (pc[0],), 1, 2)[0], d.const(0))
        code = d.const(0)
        for lo, hi in self.code:
            inside = d.band(d.bnot(d.ltu_words(pc, b.const(lo, 8))), d.ltu_words(pc, b.const(hi, 8)))
            code = d.bor(code, inside)
        halt = d.band(d.band(b.equals("word", 0), b.equals("micro", 0)), b.equals("next_pc", HALT_PC))
        return d.band(d.bnot(d.band(aligned, code)), d.bnot(halt))

    def accepts(self, v: Mapping[str, int]) -> bool:
        pc = v["pc"]
        good = pc % 4 == 0 and any(lo <= pc < hi for lo, hi in self.code)
        halt = (v["word"], v["micro"], v["next_pc"]) == (0, 0, HALT_PC)
        return not good and not halt


# --- a program's leaves ---------------------------------------------------------------


def defined_words(init) -> dict[int, int]:
    """Address -> value of every word state 0's image defines: the words
    ``InitialState.source`` classifies as ``image`` (every word of an image page --
    segments, patches, trampoline, boot stack, registers and kernel words -- and
    every word of a segment, its bss included), the input length excluded."""
    fmt = ">1024I" if init.big_endian else "<1024I"
    out: dict[int, int] = {}
    for pn in sorted(init.image_pages):
        base = pn << 12
        out.update(zip(range(base, base + 4096, 4), struct.unpack(fmt, init.pages[pn]), strict=True))
    for lo, hi, _flags in init.segments:
        for a in range(lo - lo % 4, hi, 4):
            out.setdefault(a, 0)  # bss beyond the image pages: zero
    out.pop(K_INPUT_LEN, None)
    return dict(sorted(out.items()))


def zero_gaps(defined: Mapping[int, int], input_words: int) -> tuple[tuple[int, int], ...]:
    """The half-open ranges of the 2**32 address space outside the defined words, the
    input words ``0 .. input_words - 1`` and the input length word."""
    taken = sorted(set(defined) | {K_INPUT_LEN} | {INPUT_BASE + 4 * k for k in range(input_words)})
    gaps: list[tuple[int, int]] = []
    at = 0
    for a in taken:
        if a > at:
            gaps.append((at, a))
        at = a + 4
    if at < 1 << 32:
        gaps.append((at, 1 << 32))
    return tuple(gaps)


def init_leaves(init, input_words: int) -> list[CheckLeaf]:
    """Every INIT-read leaf and the code-address leaf of the program of ``init``
    (``ocp.zkvm.initial.InitialState``), for claims of at most ``input_words`` input
    words (the Kickoff signs ``input0 ..`` and ``input_len``)."""
    defined = defined_words(init)
    leaves: list[CheckLeaf] = [Input(None), *(Input(k) for k in range(input_words))]
    leaves += [InitializedChunk(base, first, words) for base, first, words in runs(defined)]
    gaps = zero_gaps(defined, input_words)
    leaves += [Uninitialized(gaps[i : i + GAPS_PER_LEAF]) for i in range(0, len(gaps), GAPS_PER_LEAF)]
    leaves.append(AddressesSections(init.layout.code))
    return leaves


__all__ = [
    "AddressesSections",
    "BLOCK_WORDS",
    "Input",
    "InitializedChunk",
    "Uninitialized",
    "defined_words",
    "init_leaves",
    "zero_gaps",
]

"""BLAKE3 compression in Bitcoin Script on 4-bit limbs.

A word is eight limbs (as :mod:`taptrees.arith` and the 4-bit Winternitz
verifier lay them: most significant deepest).  The compression is lowered to a
:class:`~taptrees.blake3.dag.LimbDag` with the known words (IV, counter, block
length, flags, and any constant message words) folded in, then scheduled by
:func:`taptrees.blake3.emit.compile_dag`.  Rotations by 16, 12 and 8 are limb
relabellings and cost nothing; a rotation by 7 splits each limb of the XOR into
its top bit and its low three bits (``split7``) and adds neighbouring halves.

:class:`Blake3Spec` says which message words are inputs and which are constants,
how many output words are wanted (a truncated digest needs fewer: the dispute
hash uses five, 20 bytes), and what happens to them: left on the stack, compared
with committed limbs (``mode="differs"`` leaves one bit, 1 iff some limb
differs) or checked equal (``mode="verify"``: the script fails otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from taptrees.blake3 import reference as ref
from taptrees.blake3.dag import LimbDag, Limbs
from taptrees.blake3.emit import Compiled, compile_dag
from taptrees.errors import InputError
from taptrees.script import Script

MODES = ("digest", "differs", "verify")


def xor_rotr(dag: LimbDag, a: Limbs, b: Limbs, k: int) -> Limbs:
    """``(a ^ b) >>> k`` for k in 16, 12, 8 (limb relabelling) or 7."""
    if k % 4 == 0:
        z = dag.xor_words(a, b)
        q = k // 4
        return tuple(z[(j + q) % 8] for j in range(8))
    if k != 7:
        raise InputError(f"rotation by {k} is not used by BLAKE3")
    # w_j = (z_{j+1} >> 3) + 2 (z_{j+2} & 7): split each XOR limb as soon as it is made,
    # and add two halves as soon as both exist, so that every operand is near the top
    halves: list[tuple[int, int]] = []
    w: dict[int, int] = {}
    for i in range(8):
        halves.append(dag.split7(dag.xor(a[i], b[i])))
        if i >= 2:
            w[i - 2] = dag.plus(halves[i - 1][0], halves[i][1])
    w[6] = dag.plus(halves[7][0], halves[0][1])
    w[7] = dag.plus(halves[0][0], halves[1][1])
    return tuple(w[j] for j in range(8))


def g_limbs(dag: LimbDag, v: list[Limbs], a: int, b: int, c: int, d: int, mx: Limbs, my: Limbs) -> None:
    v[a] = dag.add_words(v[a], v[b], mx)
    v[d] = xor_rotr(dag, v[d], v[a], 16)
    v[c] = dag.add_words(v[c], v[d])
    v[b] = xor_rotr(dag, v[b], v[c], 12)
    v[a] = dag.add_words(v[a], v[b], my)
    v[d] = xor_rotr(dag, v[d], v[a], 8)
    v[c] = dag.add_words(v[c], v[d])
    v[b] = xor_rotr(dag, v[b], v[c], 7)


def compress_limbs(
    dag: LimbDag, cv: Sequence[Limbs], m: Sequence[Limbs], counter: int, block_len: int, flags: int
) -> list[Limbs]:
    """The sixteen output words of a compression (see :func:`reference.compress`)."""
    v = [
        *cv,
        *(dag.word_const(w) for w in ref.IV[:4]),
        dag.word_const(counter & ref.MASK),
        dag.word_const(counter >> 32),
        dag.word_const(block_len),
        dag.word_const(flags),
    ]
    for r in range(ref.ROUNDS):
        s = ref.round_schedule(r)
        for i, (a, b, c, d) in enumerate(ref.G_WORDS):
            g_limbs(dag, v, a, b, c, d, m[s[2 * i]], m[s[2 * i + 1]])
    return [dag.xor_words(v[i], v[i + 8]) for i in range(8)] + [dag.xor_words(v[i + 8], cv[i]) for i in range(8)]


@dataclass(frozen=True)
class Blake3Spec:
    """One BLAKE3 compression as a Script gadget.

    ``message``: sixteen entries, ``None`` for a word that is an input, else the
    constant word.  ``fields``: how the input words group into values, as limb
    counts in message order (eight per input word by default).  A field of ``k``
    limbs covers ``ceil(k / 8)`` input words: the little-endian integer of those
    words, whose limbs above ``k`` are zero, laid as ``k`` limbs, most significant
    deepest, as a ``4 k``-bit Winternitz verifier with 4-bit digits leaves it.  A
    20-byte hash committed as ``int.from_bytes(h, "little")`` is a field of 40
    limbs, a byte (the dispute hash's next micro) a field of 2 limbs; nothing is
    reordered.  ``cv``: the chaining value (constants; the IV
    by default).  ``out_words``: how many output words (1..8) are produced.
    Inputs: the fields in order (first deepest), then in modes ``differs`` and
    ``verify`` the committed digest as one field of ``out_words`` words.  Mode
    ``digest`` leaves the digest in that same layout.
    """

    message: tuple[int | None, ...]
    block_len: int
    flags: int = ref.SINGLE_BLOCK_FLAGS
    counter: int = 0
    cv: tuple[int, ...] = ref.IV
    out_words: int = 8
    mode: str = "digest"
    inputs_on_alt: bool = False
    fields: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", tuple(self.message))
        n_in = sum(w is None for w in self.message)
        fields = (8,) * n_in if self.fields is None else tuple(self.fields)
        if (
            any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in fields)
            or sum(-(-f // 8) for f in fields) != n_in
        ):
            raise InputError(f"fields {fields} (limbs) do not cover the {n_in} input words")
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "cv", tuple(self.cv))
        if len(self.message) != 16:
            raise InputError(f"a block has 16 message words, got {len(self.message)}")
        if not 1 <= self.out_words <= 8:
            raise InputError(f"out_words must be 1..8, got {self.out_words}")
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; choose one of {MODES}")
        ref.compress(self.cv, [w or 0 for w in self.message], self.counter, self.block_len, self.flags)

    @classmethod
    def for_message(cls, length: int, inputs: Sequence[int] | None = None, **kw) -> Blake3Spec:
        """BLAKE3 of a message of ``length`` <= 64 bytes whose words ``inputs`` (all
        words the message touches by default) are inputs and the rest zero padding."""
        if not 0 <= length <= ref.BLOCK_LEN:
            raise InputError(f"message length must be 0..{ref.BLOCK_LEN}, got {length}")
        touched = range((length + 3) // 4)
        chosen = set(touched if inputs is None else inputs)
        message = tuple(None if i in chosen else 0 for i in range(16))
        return cls(message, length, **kw)

    @property
    def input_words(self) -> tuple[int, ...]:
        return tuple(i for i, w in enumerate(self.message) if w is None)

    def _field_values(self, words: Sequence[int]) -> list[tuple[int, int]]:
        """(value, limb count) of each input field for input words in order."""
        out, at = [], 0
        for k in self.fields:
            n = -(-k // 8)
            value = sum(w << (32 * j) for j, w in enumerate(words[at : at + n]))
            if value >> (4 * k):
                raise InputError(f"input value {value:#x} does not fit in {k} limbs")
            out.append((value, k))
            at += n
        return out

    @property
    def n_inputs(self) -> int:
        n = sum(self.fields)
        return n + (8 * self.out_words if self.mode != "digest" else 0)

    @cached_property
    def _built(self) -> tuple[LimbDag, list[int]]:
        dag = LimbDag()

        def field(k: int) -> list[Limbs]:  # limbs arrive most significant first
            limbs = [dag.input() for _ in range(k)][::-1]
            limbs += [dag.const(0)] * (-k % 8)
            return [tuple(limbs[8 * j : 8 * j + 8]) for j in range(len(limbs) // 8)]

        given = [word for k in self.fields for word in field(k)]
        m: list[Limbs] = []
        for w in self.message:
            m.append(given.pop(0) if w is None else dag.word_const(w))
        committed = field(8 * self.out_words) if self.mode != "digest" else []
        cv = [dag.word_const(w) for w in self.cv]
        out = compress_limbs(dag, cv, m, self.counter, self.block_len, self.flags)[: self.out_words]
        if self.mode == "digest":
            outputs = [limb for word in reversed(out) for limb in reversed(word)]
        elif self.mode == "differs":
            same = dag.const(1)
            for word, claim in zip(out, committed, strict=True):
                for x, y in zip(word, claim, strict=True):
                    same = dag.band(same, dag.eq(x, y))
            outputs = [dag.bnot(same)]
        else:
            for word, claim in zip(out, committed, strict=True):
                for x, y in zip(word, claim, strict=True):
                    dag.eqverify(x, y)
            outputs = []
        return dag, outputs

    @cached_property
    def compiled(self) -> Compiled:
        dag, outputs = self._built
        return compile_dag(dag, outputs, inputs_on_alt=self.inputs_on_alt)

    def script(self) -> Script:
        return self.compiled.script

    # --- Python twin ------------------------------------------------------------------

    def digest_words(self, words: Sequence[int]) -> tuple[int, ...]:
        """Output words for the input message words (in ``input_words`` order)."""
        if len(words) != len(self.input_words):
            raise InputError(f"{len(self.input_words)} message words needed, got {len(words)}")
        block = list(w or 0 for w in self.message)
        for i, w in zip(self.input_words, words, strict=True):
            block[i] = w
        return ref.compress(self.cv, block, self.counter, self.block_len, self.flags)[: self.out_words]

    def input_stack(self, words: Sequence[int], committed: Sequence[int] = ()) -> list[int]:
        """Limbs the script expects (bottom first) for these message words (and, in
        modes differs/verify, the committed output words)."""
        if len(words) != len(self.input_words):
            raise InputError(f"{len(self.input_words)} message words needed, got {len(words)}")
        fields = self._field_values(list(words))
        if self.mode != "digest":
            if len(committed) != self.out_words:
                raise InputError(f"{self.out_words} committed words needed, got {len(committed)}")
            fields.append((sum(w << (32 * j) for j, w in enumerate(committed)), 8 * self.out_words))
        return [(v >> (4 * i)) & 15 for v, k in fields for i in reversed(range(k))]

    def output_stack(self, words: Sequence[int], committed: Sequence[int] = ()) -> list[int]:
        """What the script leaves (bottom first): in mode digest the limbs of the
        little-endian integer of the output words, most significant first."""
        out = self.digest_words(words)
        if self.mode == "digest":
            value = sum(w << (32 * j) for j, w in enumerate(out))
            return [(value >> (4 * i)) & 15 for i in reversed(range(8 * self.out_words))]
        if self.mode == "differs":
            return [int(tuple(committed) != out)]
        return []

"""One link of a hash chain: ``h_i = BLAKE3(h_{i-1} || f_1 || ... || f_k)[:n]``.

The fields are unsigned integers of whole bytes, serialised little-endian; the
whole preimage fits one block (at most 64 bytes), so a link is one compression
(chaining value IV, counter 0, flags CHUNK_START | CHUNK_END | ROOT).  In limb
form everything lines up without reordering: the little-endian bytes of the
preimage, read as 4-bit limbs low nibble first, are the concatenation of each
field's limbs least significant first, and the digest's limbs (as the
little-endian integer of its bytes) are the output words' limbs in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taptrees.blake3 import reference as ref
from taptrees.blake3.dag import LimbDag, Limbs
from taptrees.blake3.gadget import compress_limbs
from taptrees.errors import InputError


@dataclass(frozen=True)
class HashLink:
    """Widths (bits) of the previous hash and of each field, and of the digest."""

    hash_bits: int
    field_bits: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_bits", tuple(self.field_bits))
        for b in (self.hash_bits, *self.field_bits):
            if not isinstance(b, int) or b <= 0 or b % 8:
                raise InputError(f"hash link widths must be whole bytes, got {b!r}")
        if self.hash_bits > 8 * ref.OUT_LEN:
            raise InputError(f"a digest has at most {ref.OUT_LEN} bytes")
        if self.preimage_len > ref.BLOCK_LEN:
            raise InputError(f"a link preimage of {self.preimage_len} bytes needs more than one block")

    @property
    def hash_bytes(self) -> int:
        return self.hash_bits // 8

    @property
    def preimage_len(self) -> int:
        return (self.hash_bits + sum(self.field_bits)) // 8

    @property
    def out_words(self) -> int:
        return -(-self.hash_bytes // 4)

    # --- Python twin --------------------------------------------------------------

    def preimage(self, prev: int, fields: Sequence[int]) -> bytes:
        if len(fields) != len(self.field_bits):
            raise InputError(f"a link has {len(self.field_bits)} fields, got {len(fields)}")
        out = bytearray()
        for value, bits in zip((prev, *fields), (self.hash_bits, *self.field_bits), strict=True):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
                raise InputError(f"link field {value!r} does not fit in {bits} bits")
            out += value.to_bytes(bits // 8, "little")
        return bytes(out)

    def digest(self, prev: int, fields: Sequence[int]) -> int:
        """``h_i`` as the little-endian integer of its bytes."""
        return int.from_bytes(ref.hash_block(self.preimage(prev, fields), self.hash_bytes), "little")

    # --- limb form ----------------------------------------------------------------

    def lower(self, dag: LimbDag, prev: Limbs, fields: Sequence[Limbs]) -> Limbs:
        """Limbs (least significant first) of ``h_i`` from the limbs of ``h_{i-1}`` and
        of the fields (each least significant first)."""
        stream: list[int] = []
        for limbs, bits in zip((prev, *fields), (self.hash_bits, *self.field_bits), strict=True):
            if len(limbs) != bits // 4:
                raise InputError(f"a {bits}-bit field needs {bits // 4} limbs, got {len(limbs)}")
            stream += list(limbs)
        stream += [dag.const(0)] * (128 - len(stream))
        m = [tuple(stream[8 * k : 8 * k + 8]) for k in range(16)]
        cv = [dag.word_const(w) for w in ref.IV]
        out = compress_limbs(dag, cv, m, 0, self.preimage_len, ref.SINGLE_BLOCK_FLAGS)
        limbs = [x for word in out[: self.out_words] for x in word]
        return tuple(limbs[: self.hash_bits // 4])

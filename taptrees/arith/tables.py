"""Lookup tables pushed once per script and read by index with ``OP_PICK``.

Tapscript has no bitwise opcodes and no multiplication, but ``OP_PICK`` with a
computed depth reads a table: push ``T[N-1] .. T[0]`` (so ``T[0]`` is nearest the
top), and ``x <d> OP_ADD OP_PICK`` yields ``T[x]`` when ``d`` items lie between the
index and ``T[0]``.  A script pushes each table it needs once, below all working
values, and every operation that needs it reads it from there.

- ``odd_bits``: ``f(x) = (x & 0b1010) >> 1`` (BitVM's u8 xor helper narrowed to 4
  bits).  With it a limb splits into its bits in positions 0 and 2 (``x - 2 f(x)``)
  and those in 1 and 3 (``f(x)``); adding two such halves keeps every bit pair
  apart, so ``f`` of the sum is the AND of the halves and the rest is the XOR.
- ``shr1``/``shr2``/``shr3``: ``x >> s`` for a limb, to split limbs for shifts.
- ``quarter_squares``: ``floor(n^2 / 4)`` for ``n = 0..30``, so that
  ``a * b = qs[a + b] - qs[|a - b|]`` multiplies two limbs.
"""

from __future__ import annotations

from dataclasses import dataclass

from taptrees.arith.limbs import LIMB_BASE


@dataclass(frozen=True)
class Table:
    """A named table of script numbers; ``entries[i]`` is read at index ``i``."""

    name: str
    entries: tuple[int, ...]

    def push_items(self) -> list[int]:
        """Script items pushing the table so that ``entries[0]`` ends nearest the top."""
        return list(reversed(self.entries))


ODD_BITS = Table("odd_bits", tuple((x & 0b1010) >> 1 for x in range(LIMB_BASE)))
SHR = {s: Table(f"shr{s}", tuple(x >> s for x in range(LIMB_BASE))) for s in (1, 2, 3)}
QUARTER_SQUARES = Table("quarter_squares", tuple(n * n // 4 for n in range(2 * LIMB_BASE - 1)))

TABLES: dict[str, Table] = {t.name: t for t in (ODD_BITS, *SHR.values(), QUARTER_SQUARES)}

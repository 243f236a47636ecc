"""BLAKE3's compression function in plain Python: the twin of the Script gadget.

Follows the BLAKE3 specification (O'Connor, Aumasson, Neves, Wilcox-O'Hearn,
"BLAKE3: one function, fast everywhere", section 2.2) and its reference
implementation: a state of sixteen u32 words ``v`` (chaining value, four IV
words, the 64-bit counter, the block length and the flags), seven rounds of the
quarter-round ``G`` over columns then diagonals, the message words permuted
between rounds, and the output ``v[i] ^ v[i + 8]`` (plus, for the extended
output, ``v[i + 8] ^ cv[i]``).

:func:`hash_block` is BLAKE3 of a message of at most 64 bytes: one compression
of the zero-padded block with the IV as chaining value, counter 0 and the flags
CHUNK_START | CHUNK_END | ROOT.  Tests check it against the PyPI ``blake3``
package.
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.errors import InputError

MASK = 0xFFFFFFFF
BLOCK_LEN = 64
OUT_LEN = 32

#: The IV: the first 32 bits of the fractional parts of the square roots of the
#: first eight primes (SHA-256's initial hash value).
IV: tuple[int, ...] = (
    0x6A09E667,
    0xBB67AE85,
    0x3C6EF372,
    0xA54FF53A,
    0x510E527F,
    0x9B05688C,
    0x1F83D9AB,
    0x5BE0CD19,
)
#: Message word permutation applied after every round (spec table 2).
MSG_PERMUTATION: tuple[int, ...] = (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)

CHUNK_START = 1 << 0
CHUNK_END = 1 << 1
PARENT = 1 << 2
ROOT = 1 << 3
#: Flags of the only block of a one-chunk, one-block message.
SINGLE_BLOCK_FLAGS = CHUNK_START | CHUNK_END | ROOT

#: The state words each G of a round works on: columns, then diagonals.
G_WORDS: tuple[tuple[int, int, int, int], ...] = (
    (0, 4, 8, 12),
    (1, 5, 9, 13),
    (2, 6, 10, 14),
    (3, 7, 11, 15),
    (0, 5, 10, 15),
    (1, 6, 11, 12),
    (2, 7, 8, 13),
    (3, 4, 9, 14),
)
ROUNDS = 7


def rotr(x: int, k: int) -> int:
    return ((x >> k) | (x << (32 - k))) & MASK


def g(v: list[int], a: int, b: int, c: int, d: int, mx: int, my: int) -> None:
    """The quarter-round on state words a, b, c, d with message words mx, my."""
    v[a] = (v[a] + v[b] + mx) & MASK
    v[d] = rotr(v[d] ^ v[a], 16)
    v[c] = (v[c] + v[d]) & MASK
    v[b] = rotr(v[b] ^ v[c], 12)
    v[a] = (v[a] + v[b] + my) & MASK
    v[d] = rotr(v[d] ^ v[a], 8)
    v[c] = (v[c] + v[d]) & MASK
    v[b] = rotr(v[b] ^ v[c], 7)


def round_schedule(r: int) -> tuple[int, ...]:
    """Message word indices used in round ``r`` (0-based), in G argument order."""
    order = tuple(range(16))
    for _ in range(r):
        order = tuple(order[MSG_PERMUTATION[i]] for i in range(16))
    return order


def _check_words(words: Sequence[int], count: int, what: str) -> tuple[int, ...]:
    words = tuple(words)
    if len(words) != count:
        raise InputError(f"{what} needs {count} words, got {len(words)}")
    for w in words:
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= MASK:
            raise InputError(f"{what} word {w!r} is not a u32")
    return words


def compress(cv: Sequence[int], block: Sequence[int], counter: int, block_len: int, flags: int) -> tuple[int, ...]:
    """The sixteen output words of one compression (spec section 2.2)."""
    cv = _check_words(cv, 8, "chaining value")
    m = list(_check_words(block, 16, "message block"))
    if not 0 <= counter < 1 << 64:
        raise InputError(f"counter {counter} is not a u64")
    if not 0 <= block_len <= BLOCK_LEN:
        raise InputError(f"block length {block_len} is not in 0..{BLOCK_LEN}")
    if not 0 <= flags <= MASK:
        raise InputError(f"flags {flags} is not a u32")
    v = [*cv, *IV[:4], counter & MASK, counter >> 32, block_len, flags]
    for r in range(ROUNDS):
        s = round_schedule(r)
        for i, (a, b, c, d) in enumerate(G_WORDS):
            g(v, a, b, c, d, m[s[2 * i]], m[s[2 * i + 1]])
    return tuple(v[i] ^ v[i + 8] for i in range(8)) + tuple(v[i + 8] ^ cv[i] for i in range(8))


def block_words(data: bytes) -> tuple[int, ...]:
    """A message of at most 64 bytes, zero-padded, as sixteen little-endian words."""
    if len(data) > BLOCK_LEN:
        raise InputError(f"a block holds at most {BLOCK_LEN} bytes, got {len(data)}")
    padded = bytes(data) + bytes(BLOCK_LEN - len(data))
    return tuple(int.from_bytes(padded[4 * i : 4 * i + 4], "little") for i in range(16))


def words_bytes(words: Sequence[int]) -> bytes:
    """Little-endian serialisation of u32 words."""
    return b"".join(w.to_bytes(4, "little") for w in words)


def hash_block(data: bytes, out_len: int = OUT_LEN) -> bytes:
    """BLAKE3 of a message of at most 64 bytes, truncated to ``out_len`` (<= 32) bytes."""
    if not 0 < out_len <= OUT_LEN:
        raise InputError(f"output length must be 1..{OUT_LEN}, got {out_len}")
    out = compress(IV, block_words(data), 0, len(data), SINGLE_BLOCK_FLAGS)
    return words_bytes(out[:8])[:out_len]

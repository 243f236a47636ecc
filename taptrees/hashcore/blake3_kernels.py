"""numba kernels for BLAKE3's single-block forms (batch and chain).

The compression (:func:`compress_scalars`) works on 16 scalar int64 locals holding u32
values (every kept sum masked with ``& 0xFFFFFFFF``), so LLVM keeps the state in
registers; it is unrolled with the message schedule of each round written out
(:data:`SCHEDULE`, the permutation of spec 2.2 applied r times, generated the lines).
Both are ``inline='always'`` so callers (the chain here, the zkVM's fast engine) get
them fused into their loops, with constant message words folded.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from taptrees.hashcore.blake3 import CHUNK_END, CHUNK_START, IV, MSG_PERMUTATION, ROOT


def _schedule() -> np.ndarray:
    rows = [list(range(16))]
    for _ in range(6):
        rows.append([rows[-1][i] for i in MSG_PERMUTATION])
    return np.array(rows, dtype=np.int64)


SCHEDULE = _schedule()
_IV = np.array(IV, dtype=np.int64)
M = 0xFFFFFFFF
ONE_BLOCK_FLAGS = CHUNK_START | CHUNK_END | ROOT


@njit(inline="always", cache=True)
def _g(a, b, c, d, mx, my):  # pragma: no cover - compiled
    a = (a + b + mx) & M
    d ^= a
    d = ((d >> 16) | (d << 16)) & M
    c = (c + d) & M
    b ^= c
    b = ((b >> 12) | (b << 20)) & M
    a = (a + b + my) & M
    d ^= a
    d = ((d >> 8) | (d << 24)) & M
    c = (c + d) & M
    b ^= c
    b = ((b >> 7) | (b << 25)) & M
    return a, b, c, d


@njit(inline="always", cache=True)
def compress_words(m, counter, block_len, flags):  # pragma: no cover - compiled
    """Compress the 16 message words ``m`` (int64 array) from the IV; return output words
    0..7 (the chaining value, which is also the 32-byte digest of a one-block input)."""
    return compress_scalars(
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5],
        m[6],
        m[7],
        m[8],
        m[9],
        m[10],
        m[11],
        m[12],
        m[13],
        m[14],
        m[15],
        counter,
        block_len,
        flags,
    )


@njit(inline="always", cache=True)
def compress_scalars(
    m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, counter, block_len, flags
):  # pragma: no cover - compiled
    """:func:`compress_words` on 16 scalar message words, unrolled (the schedule is
    constant, so no message word is loaded from memory)."""
    s0, s1, s2, s3 = 0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A
    s4, s5, s6, s7 = 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19
    s8, s9, s10, s11 = 0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A
    s12, s13, s14, s15 = counter & M, (counter >> 32) & M, block_len, flags
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m0, m1)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m2, m3)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m4, m5)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m6, m7)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m8, m9)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m10, m11)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m12, m13)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m14, m15)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m2, m6)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m3, m10)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m7, m0)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m4, m13)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m1, m11)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m12, m5)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m9, m14)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m15, m8)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m3, m4)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m10, m12)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m13, m2)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m7, m14)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m6, m5)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m9, m0)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m11, m15)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m8, m1)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m10, m7)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m12, m9)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m14, m3)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m13, m15)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m4, m0)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m11, m2)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m5, m8)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m1, m6)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m12, m13)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m9, m11)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m15, m10)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m14, m8)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m7, m2)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m5, m3)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m0, m1)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m6, m4)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m9, m14)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m11, m5)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m8, m12)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m15, m1)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m13, m3)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m0, m10)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m2, m6)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m4, m7)
    s0, s4, s8, s12 = _g(s0, s4, s8, s12, m11, m15)
    s1, s5, s9, s13 = _g(s1, s5, s9, s13, m5, m0)
    s2, s6, s10, s14 = _g(s2, s6, s10, s14, m1, m9)
    s3, s7, s11, s15 = _g(s3, s7, s11, s15, m8, m6)
    s0, s5, s10, s15 = _g(s0, s5, s10, s15, m14, m10)
    s1, s6, s11, s12 = _g(s1, s6, s11, s12, m2, m12)
    s2, s7, s8, s13 = _g(s2, s7, s8, s13, m3, m4)
    s3, s4, s9, s14 = _g(s3, s4, s9, s14, m7, m13)
    return (s0 ^ s8, s1 ^ s9, s2 ^ s10, s3 ^ s11, s4 ^ s12, s5 ^ s13, s6 ^ s14, s7 ^ s15)


@njit(inline="always", cache=True)
def _load_block(row, m):  # pragma: no cover - compiled
    """Little-endian words of ``row`` (<= 64 bytes) into ``m``, zero-padded."""
    for i in range(16):
        m[i] = 0
    for j in range(row.shape[0]):
        m[j >> 2] |= np.int64(row[j]) << (8 * (j & 3))


@njit(inline="always", cache=True)
def _store(out, words, width):  # pragma: no cover - compiled
    for j in range(width):
        out[j] = (words[j >> 2] >> (8 * (j & 3))) & 0xFF


@njit(cache=True, nogil=True)
def _many(rows, out):  # pragma: no cover - compiled
    m = np.zeros(16, dtype=np.int64)
    w = np.zeros(8, dtype=np.int64)
    n = rows.shape[1]
    for i in range(rows.shape[0]):
        _load_block(rows[i], m)
        h = compress_words(m, 0, n, ONE_BLOCK_FLAGS)
        for j in range(8):
            w[j] = h[j]
        _store(out[i], w, 32)


@njit(cache=True, nogil=True)
def _chain(start, rows, out, keep_all):  # pragma: no cover - compiled
    width = start.shape[0]
    block = np.zeros(64, dtype=np.uint8)
    m = np.zeros(16, dtype=np.int64)
    w = np.zeros(8, dtype=np.int64)
    hbuf = start.copy()
    n = rows.shape[1]
    blen = width + n
    for i in range(rows.shape[0]):
        for j in range(width):
            block[j] = hbuf[j]
        for j in range(n):
            block[width + j] = rows[i, j]
        _load_block(block[:blen], m)
        h = compress_words(m, 0, blen, ONE_BLOCK_FLAGS)
        for j in range(8):
            w[j] = h[j]
        _store(hbuf, w, width)
        if keep_all or i == rows.shape[0] - 1:
            for j in range(width):
                out[i if keep_all else 0, j] = hbuf[j]


def many(rows: np.ndarray) -> np.ndarray:
    """32-byte digests of each row (each row one message of ``rows.shape[1]`` <= 64 bytes)."""
    out = np.zeros((rows.shape[0], 32), dtype=np.uint8)
    _many(rows, out)
    return out


def chain(start: bytes, rows: np.ndarray, keep_all: bool) -> np.ndarray:
    """The links of the chain (every one, or only the last as a 1-row array)."""
    st = np.frombuffer(start, np.uint8).copy()
    out = np.zeros((rows.shape[0] if keep_all else 1, len(start)), dtype=np.uint8)
    if rows.shape[0]:
        _chain(st, rows, out, keep_all)
    return out if keep_all or rows.shape[0] else out[:0]

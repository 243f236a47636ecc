"""BLAKE3: a pure-Python reference of the whole function, and batch and chain forms.

Reference: the BLAKE3 specification (O'Connor, Aumasson, Neves, Wilcox-O'Hearn, 2020),
sections 2.1-2.6: the compression function (7 rounds of the ChaCha-like G on a 4x4
state of u32, message permuted between rounds), chunks of 1024 bytes in 64-byte
blocks (CHUNK_START on the first, CHUNK_END on the last), a binary tree of PARENT
nodes, ROOT on the last compression; output words are stored little-endian.

* :func:`blake3_hash` -- any input, any output length (extendable output): the
  reference every other form is tested against (and it against the PyPI ``blake3``).
* :func:`blake3_many` -- many short messages (each at most 64 bytes: one compression).
* :func:`blake3_chain` -- ``h_i = BLAKE3(h_{i-1} || s_i)[:w]`` over rows ``s_i`` of equal
  length, ``w + len(s_i) <= 64`` (one compression per link), returning every link or
  the last; the zkVM's per-step trace hash chain is this with w = 20.

Both forms take ``backend=`` like the rest of the core (``hashlib`` here means this
module's pure-Python compression; ``numba``: :mod:`taptrees.hashcore.blake3_kernels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from taptrees.errors import InputError
from taptrees.hashcore import backend as backends

IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
MSG_PERMUTATION = (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)
CHUNK_START, CHUNK_END, PARENT, ROOT = 1, 2, 4, 8
BLOCK_LEN = 64
CHUNK_LEN = 1024
M32 = 0xFFFFFFFF


def _g(s: list[int], a: int, b: int, c: int, d: int, mx: int, my: int) -> None:
    s[a] = (s[a] + s[b] + mx) & M32
    x = s[d] ^ s[a]
    s[d] = ((x >> 16) | (x << 16)) & M32
    s[c] = (s[c] + s[d]) & M32
    x = s[b] ^ s[c]
    s[b] = ((x >> 12) | (x << 20)) & M32
    s[a] = (s[a] + s[b] + my) & M32
    x = s[d] ^ s[a]
    s[d] = ((x >> 8) | (x << 24)) & M32
    s[c] = (s[c] + s[d]) & M32
    x = s[b] ^ s[c]
    s[b] = ((x >> 7) | (x << 25)) & M32


def compress(cv: Sequence[int], block: Sequence[int], counter: int, block_len: int, flags: int) -> list[int]:
    """The compression function (spec 2.2): 16 output words."""
    s = [*cv, *IV[:4], counter & M32, (counter >> 32) & M32, block_len, flags]
    m = list(block)
    for r in range(7):
        _g(s, 0, 4, 8, 12, m[0], m[1])
        _g(s, 1, 5, 9, 13, m[2], m[3])
        _g(s, 2, 6, 10, 14, m[4], m[5])
        _g(s, 3, 7, 11, 15, m[6], m[7])
        _g(s, 0, 5, 10, 15, m[8], m[9])
        _g(s, 1, 6, 11, 12, m[10], m[11])
        _g(s, 2, 7, 8, 13, m[12], m[13])
        _g(s, 3, 4, 9, 14, m[14], m[15])
        if r < 6:
            m = [m[i] for i in MSG_PERMUTATION]
    return [s[i] ^ s[i + 8] for i in range(8)] + [s[i + 8] ^ cv[i] for i in range(8)]


def _words(block: bytes) -> list[int]:
    block = block + bytes(BLOCK_LEN - len(block))
    return [int.from_bytes(block[4 * i : 4 * i + 4], "little") for i in range(16)]


def _output_bytes(
    cv: Sequence[int], block: Sequence[int], counter: int, block_len: int, flags: int, length: int
) -> bytes:
    """Extendable output (spec 2.6): the root compression with counters 0, 1, ..."""
    out = bytearray()
    t = 0
    while len(out) < length:
        words = compress(cv, block, t, block_len, flags | ROOT)
        out += b"".join(w.to_bytes(4, "little") for w in words)
        t += 1
    return bytes(out[:length])


def _chunk(data: bytes, index: int) -> tuple[list[int], list[int], int, int]:
    """Compress a chunk up to its last block: (cv, last block words, length, flags)."""
    cv = list(IV)
    blocks = [data[i : i + BLOCK_LEN] for i in range(0, len(data), BLOCK_LEN)] or [b""]
    for k, blk in enumerate(blocks[:-1]):
        cv = compress(cv, _words(blk), index, BLOCK_LEN, CHUNK_START if k == 0 else 0)[:8]
    flags = (CHUNK_START if len(blocks) == 1 else 0) | CHUNK_END
    return cv, _words(blocks[-1]), len(blocks[-1]), flags


def blake3_hash(data: bytes, length: int = 32) -> bytes:
    """BLAKE3 of ``data`` (hash mode, no key), ``length`` output bytes."""
    data = bytes(data)
    chunks = [data[i : i + CHUNK_LEN] for i in range(0, len(data), CHUNK_LEN)] or [b""]
    if len(chunks) == 1:
        cv, block, blen, flags = _chunk(chunks[0], 0)
        return _output_bytes(cv, block, 0, blen, flags, length)
    stack: list[list[int]] = []
    for index, chunk in enumerate(chunks[:-1]):
        cv, block, blen, flags = _chunk(chunk, index)
        cv = compress(cv, block, index, blen, flags)[:8]
        total = index + 1  # merge completed subtrees: one merge per trailing zero bit
        while total & 1 == 0:
            cv = compress(IV, stack.pop() + cv, 0, BLOCK_LEN, PARENT)[:8]
            total >>= 1
        stack.append(cv)
    cv, block, blen, flags = _chunk(chunks[-1], len(chunks) - 1)
    cv = compress(cv, block, len(chunks) - 1, blen, flags)[:8]
    while len(stack) > 1:
        cv = compress(IV, stack.pop() + cv, 0, BLOCK_LEN, PARENT)[:8]
    return _output_bytes(IV, stack.pop() + cv, 0, BLOCK_LEN, PARENT, length)


def single_block_digest(msg: bytes, length: int = 32) -> bytes:
    """BLAKE3 of a message of at most 64 bytes: one compression (spec 2.5, one block)."""
    if len(msg) > BLOCK_LEN or length > 32:
        raise InputError("single_block_digest: at most 64 message bytes and 32 output bytes")
    words = compress(IV, _words(msg), 0, len(msg), CHUNK_START | CHUNK_END | ROOT)
    return b"".join(w.to_bytes(4, "little") for w in words[:8])[:length]


# ------------------------------------------------------------- batch and chain
def _rows(msgs: Sequence[bytes] | np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    if isinstance(msgs, np.ndarray):
        if msgs.dtype != np.uint8 or msgs.ndim != 2:
            raise InputError(f"{name}: expected a 2-D uint8 array, got {msgs.dtype} {msgs.shape}")
        return np.ascontiguousarray(msgs), True
    if isinstance(msgs, (bytes, bytearray, memoryview, str)):
        raise InputError(f"{name}: expected a sequence of byte strings, got one {type(msgs).__name__}")
    items = []
    for i, m in enumerate(msgs):
        if not isinstance(m, (bytes, bytearray, memoryview)):
            raise InputError(f"{name}[{i}]: expected bytes, got {type(m).__name__}")
        items.append(bytes(m))
    if len({len(m) for m in items}) > 1:
        raise InputError(f"{name}: every message must have the same length")
    width = len(items[0]) if items else 0
    return np.frombuffer(b"".join(items), np.uint8).reshape(len(items), width), False


def blake3_many(
    msgs: Sequence[bytes] | np.ndarray, *, length: int = 32, backend: str | None = None
) -> list[bytes] | np.ndarray:
    """BLAKE3 of each message (all of one length, at most 64 bytes), ``length`` <= 32 bytes
    of output each; a list for a list, an ``(n, length)`` array for an array."""
    rows, as_array = _rows(msgs, "msgs")
    if rows.shape[1] > BLOCK_LEN:
        raise InputError(f"msgs: at most {BLOCK_LEN} bytes each, got {rows.shape[1]}")
    if not 1 <= length <= 32:
        raise InputError(f"length: expected 1..32, got {length}")
    out = None
    if backends.choose(backend, rows.shape[0]) == "numba":
        from taptrees.hashcore import blake3_kernels

        out = blake3_kernels.many(rows)[:, :length]
    if out is None:
        flat = b"".join(single_block_digest(r.tobytes(), length) for r in rows)
        out = np.frombuffer(flat, np.uint8).reshape(rows.shape[0], length)
    if as_array:
        return np.ascontiguousarray(out)
    return [bytes(r) for r in out]


def blake3_chain(
    start: bytes, suffixes: Sequence[bytes] | np.ndarray, *, keep: str = "all", backend: str | None = None
) -> list[bytes] | bytes:
    """The chain ``h_0 = start``, ``h_i = BLAKE3(h_{i-1} || suffixes[i-1])[:len(start)]``.

    ``keep="all"`` returns ``[h_1, ..., h_n]``; ``keep="last"`` returns ``h_n`` (``start``
    for no suffixes).  Every suffix has the same length and ``len(start) + len(suffix)``
    is at most 64 bytes (one compression per link).
    """
    if not isinstance(start, (bytes, bytearray)) or not 1 <= len(start) <= 32:
        raise InputError("start: expected 1..32 bytes")
    if keep not in ("all", "last"):
        raise InputError(f"keep: expected 'all' or 'last', got {keep!r}")
    rows, _ = _rows(suffixes, "suffixes")
    width = len(start)
    if width + rows.shape[1] > BLOCK_LEN:
        raise InputError(f"a link is {width} + {rows.shape[1]} bytes; at most {BLOCK_LEN}")
    n = rows.shape[0]
    if backends.choose(backend, n) == "numba":
        from taptrees.hashcore import blake3_kernels

        hashes = blake3_kernels.chain(bytes(start), rows, keep == "all")
        if keep == "last":
            return bytes(hashes[-1]) if n else bytes(start)
        return [bytes(h) for h in hashes]
    h = bytes(start)
    out = []
    for r in rows:
        h = single_block_digest(h + r.tobytes(), width)
        out.append(h)
    return out if keep == "all" else h

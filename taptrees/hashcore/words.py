"""Bytes <-> uint32 word arrays, message padding and input checks (the edges of the core).

Word arrays are ``(words, lanes)``: C-contiguous uint32, one column per lane, so the lane
index is innermost and vectorizes. SHA-256 reads message bytes as big-endian words
(FIPS 180-4, 3.1 and 5.2.1); RIPEMD-160 as little-endian words (the RIPEMD-160 paper, like
MD4). Padding (FIPS 180-4, 5.1.1) is done here, so kernels see whole 64-byte blocks.
"""

from __future__ import annotations

import numpy as np

from taptrees.errors import InputError

#: Longest message that pads into one 64-byte block: 55 bytes + 0x80 + 8-byte length.
MAX_ONE_BLOCK = 55


def check_words(words: object, rows: int, name: str) -> np.ndarray:
    """Return ``words`` as a C-contiguous ``(rows, lanes)`` uint32 array, or raise InputError."""
    if not isinstance(words, np.ndarray):
        raise InputError(f"{name}: expected a numpy uint32 array, got {type(words).__name__}")
    if words.dtype != np.uint32:
        raise InputError(f"{name}: expected dtype uint32, got {words.dtype}")
    if words.ndim != 2 or words.shape[0] != rows:
        raise InputError(f"{name}: expected shape ({rows}, lanes), got {words.shape}")
    return np.ascontiguousarray(words)


def check_rows(data: object, width: int | None, name: str) -> np.ndarray:
    """Return ``data`` as a C-contiguous ``(lanes, width)`` uint8 array, or raise InputError."""
    if not isinstance(data, np.ndarray):
        raise InputError(f"{name}: expected a numpy uint8 array, got {type(data).__name__}")
    if data.dtype != np.uint8:
        raise InputError(f"{name}: expected dtype uint8, got {data.dtype}")
    if data.ndim != 2 or (width is not None and data.shape[1] != width):
        want = "(lanes, bytes)" if width is None else f"(lanes, {width})"
        raise InputError(f"{name}: expected shape {want}, got {data.shape}")
    return np.ascontiguousarray(data)


def check_counts(counts: object, lanes: int) -> np.ndarray:
    """Per-lane step counts as int64: an int (same for all lanes) or one non-negative int each."""
    if isinstance(counts, (bool, np.bool_)):
        raise InputError("counts: expected integers, got a bool")
    if isinstance(counts, (int, np.integer)):
        arr = np.full(lanes, int(counts), dtype=np.int64)
    else:
        arr = np.asarray(counts)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.integer) or arr.ndim != 1:
            raise InputError(f"counts: expected a 1-D integer sequence, got {arr.dtype} {arr.shape}")
        if arr.shape[0] != lanes:
            raise InputError(f"counts: expected {lanes} counts (one per lane), got {arr.shape[0]}")
        if arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 2**63:
            raise InputError("counts: too large")
        arr = arr.astype(np.int64)
    if arr.size and int(arr.min()) < 0:
        raise InputError(f"counts: must be non-negative, got {int(arr.min())}")
    return arr


def _pad(msgs: np.ndarray, big_endian: bool) -> np.ndarray:
    lanes, length = msgs.shape
    if length > MAX_ONE_BLOCK:
        raise InputError(f"message length {length} exceeds {MAX_ONE_BLOCK} bytes (one block)")
    buf = np.zeros((lanes, 64), dtype=np.uint8)
    buf[:, :length] = msgs
    buf[:, length] = 0x80
    order = ">" if big_endian else "<"
    buf[:, 56:] = np.frombuffer(np.array(8 * length, dtype=order + "u8").tobytes(), np.uint8)
    return np.ascontiguousarray(buf.view(order + "u4").astype(np.uint32).T)


def sha256_pad(msgs: np.ndarray) -> np.ndarray:
    """Pad ``(lanes, L)`` messages (L <= 55) into ``(16, lanes)`` big-endian SHA-256 blocks."""
    return _pad(msgs, big_endian=True)


def ripemd160_pad(msgs: np.ndarray) -> np.ndarray:
    """Pad ``(lanes, L)`` messages (L <= 55) into ``(16, lanes)`` little-endian blocks."""
    return _pad(msgs, big_endian=False)


def be_words(data: np.ndarray) -> np.ndarray:
    """``(lanes, 4W)`` bytes -> ``(W, lanes)`` big-endian word values."""
    lanes = data.shape[0]
    return np.ascontiguousarray(
        np.ascontiguousarray(data).view(">u4").reshape(lanes, data.shape[1] // 4).astype(np.uint32).T
    )


def le_words(data: np.ndarray) -> np.ndarray:
    """``(lanes, 4W)`` bytes -> ``(W, lanes)`` little-endian word values."""
    lanes = data.shape[0]
    return np.ascontiguousarray(
        np.ascontiguousarray(data).view("<u4").reshape(lanes, data.shape[1] // 4).astype(np.uint32).T
    )


def be_bytes(words: np.ndarray) -> np.ndarray:
    """``(W, lanes)`` word values -> ``(lanes, 4W)`` bytes, each word big-endian."""
    lanes = words.shape[1]
    width = 4 * words.shape[0]
    return np.ascontiguousarray(words.T.astype(">u4")).view(np.uint8).reshape(lanes, width)


def le_bytes(words: np.ndarray) -> np.ndarray:
    """``(W, lanes)`` word values -> ``(lanes, 4W)`` bytes, each word little-endian."""
    lanes = words.shape[1]
    width = 4 * words.shape[0]
    return np.ascontiguousarray(words.T.astype("<u4")).view(np.uint8).reshape(lanes, width)

"""Byte-oriented API: what other modules call. Inputs are bytes, outputs digests.

Every function takes ``backend=`` (``"hashlib"``, ``"numba"``, ``"auto"``; default: the env
var ``OCP_HASH_BACKEND``, else ``"auto"``) and ``threads=`` (numba only; default: all CPUs
this process may use). Batches come either as a sequence of ``bytes`` (the result is then a
``list[bytes]``) or as a 2-D ``uint8`` array, one message per row (the result is then an
array, one digest per row). All results are bit-exact with :mod:`hashlib`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from taptrees.errors import InputError
from taptrees.hashcore import backend as backends
from taptrees.hashcore import reference, vector
from taptrees.hashcore.words import (
    MAX_ONE_BLOCK,
    be_bytes,
    be_words,
    check_counts,
    check_rows,
    le_bytes,
    le_words,
    ripemd160_pad,
    sha256_pad,
)

Batch = Sequence[bytes] | np.ndarray


def _split(rows: np.ndarray) -> list[bytes]:
    flat, width = rows.tobytes(), rows.shape[1]
    if width == 0:
        return [b""] * rows.shape[0]
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _as_list(msgs: Batch, name: str) -> list[bytes]:
    if isinstance(msgs, np.ndarray):
        return _split(check_rows(msgs, None, name))
    if isinstance(msgs, (bytes, bytearray, memoryview, str)):
        raise InputError(f"{name}: expected a sequence of byte strings, got one {type(msgs).__name__}")
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, (bytes, bytearray, memoryview)):
            raise InputError(f"{name}[{i}]: expected bytes, got {type(m).__name__}")
        out.append(bytes(m))
    return out


def _groups(msgs: list[bytes]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(lane indices, (k, L) uint8 rows)`` per distinct message length L."""
    lengths = np.fromiter(map(len, msgs), dtype=np.int64, count=len(msgs))
    out = []
    for length in np.unique(lengths):
        idx = np.flatnonzero(lengths == length)
        data = b"".join(msgs[i] for i in idx) if len(idx) < len(msgs) else b"".join(msgs)
        out.append((idx, np.frombuffer(data, dtype=np.uint8).reshape(len(idx), int(length))))
    return out


def _many(
    msgs: Batch,
    width: int,
    one_block: Callable[[np.ndarray, int | None], np.ndarray],
    node64: Callable[[np.ndarray, int | None], np.ndarray] | None,
    slow: Callable[[Sequence[bytes]], list[bytes]],
    backend: str | None,
    threads: int | None,
) -> list[bytes] | np.ndarray:
    as_array = isinstance(msgs, np.ndarray)
    items = _as_list(msgs, "msgs")
    if backends.choose(backend, len(items)) == "hashlib":
        digests = slow(items)
        if as_array:
            return np.frombuffer(b"".join(digests), np.uint8).reshape(len(items), width).copy()
        return digests
    out = np.empty((len(items), width), dtype=np.uint8)
    try:
        for idx, rows in _groups(items):
            if rows.shape[1] <= MAX_ONE_BLOCK:
                out[idx] = one_block(rows, threads)
            elif rows.shape[1] == 64 and node64 is not None:
                out[idx] = node64(rows, threads)
            else:  # multi-block messages are not vectorized
                out[idx] = np.frombuffer(b"".join(slow(_split(rows))), np.uint8).reshape(-1, width)
    except Exception as exc:
        if not backends.is_kernel_failure(exc):
            raise
        backends.notice(f"kernel failed: {type(exc).__name__}")
        return _many(msgs, width, one_block, node64, slow, "hashlib", threads)
    return out if as_array else _split(out)


def _sha256_rows(rows: np.ndarray, threads: int | None) -> np.ndarray:
    return be_bytes(vector.sha256_block_words(sha256_pad(rows), threads=threads))


def _sha256_nodes(rows: np.ndarray, threads: int | None) -> np.ndarray:
    return be_bytes(vector.sha256_node_words(be_words(rows), threads=threads))


def _ripemd160_rows(rows: np.ndarray, threads: int | None) -> np.ndarray:
    return le_bytes(vector.ripemd160_block_words(ripemd160_pad(rows), threads=threads))


def _hash160_rows(rows: np.ndarray, threads: int | None) -> np.ndarray:
    return _ripemd160_rows(_sha256_rows(rows, threads), threads)


def _hash160_nodes(rows: np.ndarray, threads: int | None) -> np.ndarray:
    return _ripemd160_rows(_sha256_nodes(rows, threads), threads)


def sha256_many(msgs: Batch, *, backend: str | None = None, threads: int | None = None) -> list[bytes] | np.ndarray:
    """SHA-256 of each message. Vectorized for lengths <= 55 (one block) and 64 (a Merkle
    node); other lengths are correct but hashed one by one."""
    return _many(msgs, 32, _sha256_rows, _sha256_nodes, reference.sha256_list, backend, threads)


def ripemd160_many(msgs: Batch, *, backend: str | None = None, threads: int | None = None) -> list[bytes] | np.ndarray:
    """RIPEMD-160 of each message. Vectorized for lengths <= 55."""
    return _many(msgs, 20, _ripemd160_rows, None, reference.ripemd160_list, backend, threads)


def hash160_many(msgs: Batch, *, backend: str | None = None, threads: int | None = None) -> list[bytes] | np.ndarray:
    """hash160 = RIPEMD160(SHA256(m)) of each message. Vectorized for lengths <= 55 and 64."""
    return _many(msgs, 20, _hash160_rows, _hash160_nodes, reference.hash160_list, backend, threads)


def _chains(
    starts: Batch,
    counts: object,
    width: int,
    words_of: Callable[[np.ndarray], np.ndarray],
    bytes_of: Callable[[np.ndarray], np.ndarray],
    kernel: Callable[..., np.ndarray],
    slow: Callable[[Sequence[bytes], Sequence[int]], list[bytes]],
    backend: str | None,
    threads: int | None,
) -> list[bytes] | np.ndarray:
    as_array = isinstance(starts, np.ndarray)
    if as_array:
        rows = check_rows(starts, width, "starts")
    else:
        items = _as_list(starts, "starts")
        for i, s in enumerate(items):
            if len(s) != width:
                raise InputError(f"starts[{i}]: expected {width} bytes, got {len(s)}")
        rows = np.frombuffer(b"".join(items), np.uint8).reshape(len(items), width)
    cnt = check_counts(counts, rows.shape[0])
    if backends.choose(backend, int(cnt.sum())) == "numba":
        try:
            out = bytes_of(kernel(words_of(rows), cnt, threads=threads))
            return out if as_array else _split(out)
        except Exception as exc:
            if not backends.is_kernel_failure(exc):
                raise
            backends.notice(f"kernel failed: {type(exc).__name__}")
    ends = slow(_split(rows), cnt.tolist())
    if as_array:
        return np.frombuffer(b"".join(ends), np.uint8).reshape(len(ends), width).copy()
    return ends


def sha256_chains(
    starts: Batch, counts: object, *, backend: str | None = None, threads: int | None = None
) -> list[bytes] | np.ndarray:
    """Per lane, SHA-256 applied ``counts[i]`` times to the 32-byte ``starts[i]``.

    ``counts`` is an int (every lane) or one non-negative int per lane; 0 returns the start.
    """
    return _chains(
        starts,
        counts,
        32,
        be_words,
        be_bytes,
        vector.sha256_chain_words,
        reference.sha256_chains,
        backend,
        threads,
    )


def hash160_chains(
    starts: Batch, counts: object, *, backend: str | None = None, threads: int | None = None
) -> list[bytes] | np.ndarray:
    """Per lane, hash160 applied ``counts[i]`` times to the 20-byte ``starts[i]``.

    This is a Winternitz chain: with secret ``s`` and digit width d, the public end is
    ``hash160_chains([s], 2**d - 1)``. ``counts`` as for :func:`sha256_chains`.
    """
    return _chains(
        starts,
        counts,
        20,
        le_words,
        le_bytes,
        vector.hash160_chain_words,
        reference.hash160_chains,
        backend,
        threads,
    )


def _check_level(level: bytes) -> None:
    if not isinstance(level, (bytes, bytearray, memoryview)):
        raise InputError(f"merkle level: expected bytes, got {type(level).__name__}")
    if len(level) % 64:
        raise InputError(f"merkle level must hold an even number of 32-byte nodes, got {len(level)} bytes")


def _parents(level: bytes, backend: str | None, threads: int | None) -> bytes:
    if backends.choose(backend, len(level) // 64) == "hashlib":
        return reference.merkle_parents(bytes(level))
    rows = np.frombuffer(bytes(level), np.uint8).reshape(-1, 64)
    try:
        return _sha256_nodes(rows, threads).tobytes()
    except Exception as exc:
        if not backends.is_kernel_failure(exc):
            raise
        backends.notice(f"kernel failed: {type(exc).__name__}")
        return reference.merkle_parents(bytes(level))


def merkle_parents(level: bytes, *, backend: str | None = None, threads: int | None = None) -> bytes:
    """Hash consecutive 64-byte pairs of 32-byte nodes: SHA-256(left || right) each.

    ``level`` holds an even number of 32-byte nodes; returns half as many.
    """
    _check_level(level)
    return _parents(level, backend, threads)


def merkle_levels(leaves: bytes | Batch, *, backend: str | None = None, threads: int | None = None) -> list[bytes]:
    """All levels of the binary SHA-256 Merkle tree over 32-byte leaves, leaves first, root
    last; each level is its nodes concatenated. The number of leaves must be a power of 2.
    """
    if isinstance(leaves, (bytes, bytearray, memoryview)):
        level = bytes(leaves)
    elif isinstance(leaves, np.ndarray):
        level = check_rows(leaves, 32, "leaves").tobytes()
    else:
        items = _as_list(leaves, "leaves")
        for i, s in enumerate(items):
            if len(s) != 32:
                raise InputError(f"leaves[{i}]: expected 32 bytes, got {len(s)}")
        level = b"".join(items)
    count = len(level) // 32
    if len(level) % 32 or count == 0 or count & (count - 1):
        raise InputError(f"leaves: expected a power-of-two number of 32-byte leaves, got {len(level)} bytes")
    levels = [level]
    while len(level) > 32:
        level = _parents(level, backend, threads)
        levels.append(level)
    return levels


def merkle_root(leaves: bytes | Batch, *, backend: str | None = None, threads: int | None = None) -> bytes:
    """Root of the binary SHA-256 Merkle tree over a power-of-two number of 32-byte leaves
    (a single leaf is its own root)."""
    return merkle_levels(leaves, backend=backend, threads=threads)[-1]

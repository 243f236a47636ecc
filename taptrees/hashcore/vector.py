"""The numba backend over word arrays: padding of lanes, thread split, chains' lane order.

Every function takes and returns ``(words, lanes)`` uint32 arrays (see :mod:`.words`) and
runs the kernels of the set :func:`backend.sha256_kernel_set` names: SHA-256 on SHA-NI
(:mod:`.shani`) where the CPU has it, else the generated lane-vectorized kernels of
``_kernels.py`` (RIPEMD-160 always). Lanes are padded to a multiple of 8 (one AVX2 vector). Work is split over ``threads`` OS threads (the kernels release the GIL):
contiguous lane ranges for single blocks, interleaved blocks of lanes for chains, whose
lanes are first sorted by step count so that each block's active lanes form a prefix.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from taptrees.errors import InputError
from taptrees.hashcore import backend
from taptrees.hashcore.words import check_counts, check_words

#: Lanes per block in the chain kernels (32 bytes x 256 lanes stays in L1).
CHAIN_LANES = 256
#: Fewer hashes than this per thread are not worth a thread.
MIN_HASHES_PER_THREAD = 4096


def default_threads() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _thread_count(threads: int | None, hashes: int) -> int:
    if threads is None:
        threads = default_threads()
    if not isinstance(threads, int) or threads < 1:
        raise InputError(f"threads: expected a positive int, got {threads!r}")
    return max(1, min(threads, hashes // MIN_HASHES_PER_THREAD))


def _run(kernel: Callable[..., None], jobs: list[tuple]) -> None:
    """Run ``kernel(*args)`` for every job, the first in this thread, the rest in a pool."""
    if len(jobs) == 1:
        kernel(*jobs[0])
        return
    with ThreadPoolExecutor(max_workers=len(jobs) - 1) as pool:
        futures = [pool.submit(kernel, *args) for args in jobs[1:]]
        kernel(*jobs[0])
        for fut in futures:
            fut.result()


def _lanes8(n: int) -> int:
    return (n + 7) // 8 * 8


def _padded(words: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((words.shape[0], width), dtype=np.uint32)
    out[:, : words.shape[1]] = words
    return out


#: Kernels that exist in both sets (``_kernels.py`` and :mod:`.shani`), by name.
SHA256_KERNELS = frozenset({"sha256_block", "sha256_node64", "sha256_chain32", "hash160_chain20"})


def _kernel(name: str) -> Callable[..., None]:
    """Kernel ``name`` of the set :func:`backend.sha256_kernel_set` names now."""
    mod = backend.kernels()
    if mod is None:
        raise RuntimeError("numba backend unavailable")
    if name in SHA256_KERNELS and backend.sha256_kernel_set() == "sha-ni":
        mod = backend.sha_ni_kernels()
    return getattr(mod, name)


def _blocks(kernel: Callable[..., None], arrays: tuple[np.ndarray, ...], threads: int | None) -> None:
    """Run a single-block kernel ``kernel(*arrays, lo, hi)`` over all (padded) lanes."""
    n = arrays[0].shape[1]
    if n == 0:
        return
    parts = _thread_count(threads, n)
    step = _lanes8(-(-n // parts))
    _run(kernel, [(*arrays, lo, min(lo + step, n)) for lo in range(0, n, step)])


def _one_block(kernel_name: str, blocks: np.ndarray, rows: int, threads: int | None) -> np.ndarray:
    blocks = check_words(blocks, 16, "blocks")
    n = blocks.shape[1]
    buf = _padded(blocks, _lanes8(n))
    _blocks(_kernel(kernel_name), (buf,), threads)
    return buf[:rows, :n].copy()


def sha256_block_words(blocks: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """SHA-256 digests ``(8, lanes)`` of padded one-block messages ``(16, lanes)``.

    Words are big-endian values; :func:`taptrees.hashcore.words.sha256_pad` makes blocks.
    """
    return _one_block("sha256_block", blocks, 8, threads)


def sha256_node_words(blocks: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """SHA-256 digests ``(8, lanes)`` of 64-byte messages given as ``(16, lanes)`` words."""
    return _one_block("sha256_node64", blocks, 8, threads)


def ripemd160_block_words(blocks: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """RIPEMD-160 digests ``(5, lanes)`` of padded one-block messages ``(16, lanes)``.

    Words are little-endian values; :func:`taptrees.hashcore.words.ripemd160_pad` pads.
    """
    return _one_block("ripemd160_block", blocks, 5, threads)


def merkle_parent_words(level: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Parents ``(8, lanes/2)`` of a Merkle level ``(8, lanes)``: SHA-256(left || right)."""
    level = check_words(level, 8, "level")
    if level.shape[1] % 2:
        raise InputError(f"level: expected an even number of nodes, got {level.shape[1]}")
    blocks = np.concatenate([level[:, 0::2], level[:, 1::2]], axis=0)
    return sha256_node_words(blocks, threads=threads)


def _chains(kernel_name: str, state: np.ndarray, rows: int, counts: object, threads: int | None) -> np.ndarray:
    state = check_words(state, rows, "state")
    n = state.shape[1]
    cnt = check_counts(counts, n)
    if n == 0 or not cnt.any():
        return state.copy()
    # Permuting lanes costs more than a SHA-NI pass; skip it when counts are in order already.
    order = None if bool(np.all(cnt[:-1] >= cnt[1:])) else np.argsort(-cnt, kind="stable")
    m = _lanes8(n)
    st = np.zeros((rows, m), dtype=np.uint32)
    st[:, :n] = state if order is None else state[:, order]
    c = np.zeros(m, dtype=np.int64)
    c[:n] = cnt if order is None else cnt[order]
    parts = _thread_count(threads, int(cnt.sum()))
    lanes = max(8, min(CHAIN_LANES, _lanes8(-(-m // (4 * parts)))))
    parts = min(parts, -(-m // lanes))
    kernel = _kernel(kernel_name)
    _run(kernel, [(st, c, lanes, t, parts) for t in range(parts)])
    if order is None:
        return st[:, :n].copy()
    out = np.empty_like(state)
    out[:, order] = st[:, :n]
    return out


def sha256_chain_words(state: np.ndarray, counts: object, *, threads: int | None = None) -> np.ndarray:
    """Per lane, SHA-256 applied ``counts[i]`` times to the 32-byte value ``state[:, i]``.

    ``state`` is ``(8, lanes)`` big-endian words; ``counts`` an int or one int per lane.
    """
    return _chains("sha256_chain32", state, 8, counts, threads)


def hash160_chain_words(state: np.ndarray, counts: object, *, threads: int | None = None) -> np.ndarray:
    """Per lane, hash160 applied ``counts[i]`` times to the 20-byte value ``state[:, i]``.

    ``state`` is ``(5, lanes)`` little-endian words (RIPEMD-160's own word order).
    """
    return _chains("hash160_chain20", state, 5, counts, threads)

"""Throughput of the hash core: hashlib loop vs the numba backend on 1 and 2 threads.

Run: ``.venv/bin/python bench/hashcore.py``. Prints M hashes/s and ratios; a ratio far
below the targets means the kernels lost their vectorization (the tests do not time).
Targets per core vs the hashlib loop: SHA-256 chains >= 15x, hash160 chains >= 20x;
a second thread >= 1.7x more. Measures every SHA-256 kernel set this CPU can run
(``vector``; ``sha-ni`` where it has the SHA extensions) and says which one is in use.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable

import numpy as np

from taptrees.hashcore import backend, reference, vector, winternitz
from taptrees.hashcore.words import be_words, le_words


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Fastest of ``repeat`` wall-clock timings of ``fn()``, seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def hashlib_sha256_chain(x: bytes, k: int) -> bytes:
    sha = hashlib.sha256
    for _ in range(k):
        x = sha(x).digest()
    return x


def hashlib_hash160_chain(x: bytes, k: int) -> bytes:
    sha, rmd = hashlib.sha256, reference.ripemd160_function()
    for _ in range(k):
        x = rmd(sha(x).digest())
    return x


def line(name: str, mhs: float, ref: float | None = None) -> None:
    extra = f"  {mhs / ref:6.1f}x hashlib" if ref else ""
    print(f"  {name:42s} {mhs:8.2f} M/s{extra}")


def verdict(label: str, value: float, target: float) -> None:
    print(f"  {label:44s} {value:6.2f}  (target >= {target}: {'ok' if value >= target else 'MISSED'})")


def measure(kernel_set: str, rng: np.random.Generator) -> dict[tuple[str, int], float]:
    """M hashes/s of each word-level kernel on 1 and 2 threads, with ``kernel_set`` for SHA-256."""
    os.environ[backend.SHANI_ENV_VAR] = "1" if kernel_set == "sha-ni" else "0"
    assert backend.sha256_kernel_set() == kernel_set
    t0 = time.perf_counter()
    vector.sha256_chain_words(be_words(rng.integers(0, 256, (8, 32), np.uint8)), 1)
    vector.hash160_chain_words(le_words(rng.integers(0, 256, (8, 20), np.uint8)), 1)
    print(f"{kernel_set}: first calls (compile, or load from the numba cache): {time.perf_counter() - t0:.1f} s")
    lanes, k = LANES, STEPS
    s32 = be_words(rng.integers(0, 256, (lanes, 32), np.uint8))
    s20 = le_words(rng.integers(0, 256, (lanes, 20), np.uint8))
    blocks = rng.integers(0, 2**32, (16, lanes), dtype=np.uint32)
    rates = {}
    for t in (1, 2):
        rates["sha", t] = lanes * k / best_of(lambda t=t: vector.sha256_chain_words(s32, k, threads=t)) / 1e6
        rates["h160", t] = lanes * k / best_of(lambda t=t: vector.hash160_chain_words(s20, k, threads=t)) / 1e6
        rates["one", t] = lanes / best_of(lambda t=t: vector.sha256_block_words(blocks, threads=t)) / 1e6
        rates["node", t] = lanes / best_of(lambda t=t: vector.sha256_node_words(blocks, threads=t)) / 1e6
        rates["rmd", t] = lanes / best_of(lambda t=t: vector.ripemd160_block_words(blocks, threads=t)) / 1e6
    mixed = rng.integers(0, 16, lanes)
    rates["h160 mixed", 2] = int(mixed.sum()) / best_of(lambda: vector.hash160_chain_words(s20, mixed, threads=2)) / 1e6
    return rates


LANES, STEPS = 1 << 16, 16


def main() -> None:
    if backend.kernels() is None:
        sys.exit("numba backend unavailable")
    rng = np.random.default_rng(1)
    cores = vector.default_threads()
    default_set = backend.sha256_kernel_set()
    sets = ["vector", "sha-ni"] if backend.cpu_has_sha_ni() else ["vector"]
    print(f"hash core bench: {cores} CPU(s) available, numba threads 1 and {min(2, cores)}")
    print(
        f"SHA-256 kernel set in use: {default_set} (CPU SHA extensions:"
        f" {'yes' if backend.cpu_has_sha_ni() else 'no'}; {backend.SHANI_ENV_VAR}=0 forces vector)"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes skew 2-thread numbers)")

    # hashlib reference: one chain of many steps (no per-lane Python overhead counted).
    steps = 200_000
    ref_sha = steps / best_of(lambda: hashlib_sha256_chain(b"\x01" * 32, steps)) / 1e6
    ref_h160 = steps / best_of(lambda: hashlib_hash160_chain(b"\x01" * 20, steps)) / 1e6
    results = {name: measure(name, rng) for name in sets}
    os.environ[backend.SHANI_ENV_VAR] = "1" if default_set == "sha-ni" else "0"

    print(
        f"\nchains ({LANES:,} lanes x {STEPS} steps); hashlib loop: SHA-256 {ref_sha:.2f} M/s,"
        f" hash160 {ref_h160:.2f} M/s"
    )
    for name, rates in results.items():
        line(f"{name} 1 thread SHA-256 chain", rates["sha", 1], ref_sha)
        line(f"{name} 2 threads SHA-256 chain", rates["sha", 2], ref_sha)
        line(f"{name} 1 thread hash160 chain", rates["h160", 1], ref_h160)
        line(f"{name} 2 threads hash160 chain", rates["h160", 2], ref_h160)
        line(f"{name} 2 threads hash160, counts 0..15", rates["h160 mixed", 2], ref_h160)
    print(f"\nsingle hashes ({LANES:,} lanes, word arrays)")
    for name, rates in results.items():
        for key, what in (
            ("one", "SHA-256 one block"),
            ("node", "SHA-256 64-byte node"),
            ("rmd", "RIPEMD-160 one block"),
        ):
            line(f"{name} 1 thread {what}", rates[key, 1])
            line(f"{name} 2 threads {what}", rates[key, 2])

    for name, rates in results.items():
        print(f"\nratios, {name} kernels{' (in use)' if name == default_set else ''}")
        verdict("SHA-256 chains, 1 thread / hashlib loop", rates["sha", 1] / ref_sha, 15)
        verdict("hash160 chains, 1 thread / hashlib loop", rates["h160", 1] / ref_h160, 20)
        verdict("SHA-256 chains, 2 threads / 1 thread", rates["sha", 2] / rates["sha", 1], 1.7)
        verdict("hash160 chains, 2 threads / 1 thread", rates["h160", 2] / rates["h160", 1], 1.7)

    print(f"\nWinternitz public keys (hash160 chains, 4-bit digits, 15 steps each; {default_set})")
    for values, chains, label in (
        (10_000, 11, "10,000 u32 values (8+3 digits)"),
        (1_000, 68, "1,000 256-bit values (64+4 digits)"),
    ):
        secrets = np.frombuffer(os.urandom(values * chains * 20), np.uint8).reshape(-1, 20)
        t_numba = best_of(lambda s=secrets: winternitz.public_ends(s, 4, backend="numba"))
        sample = [bytes(r) for r in secrets[:2000]]
        t_ref = best_of(lambda s=sample: reference.hash160_chains(s, [15] * len(s)), 1)
        t_ref *= len(secrets) / len(sample)
        print(
            f"  {label:36s} {len(secrets):7d} chains  numba {t_numba * 1e3:7.1f} ms"
            f"   hashlib loop {t_ref:6.2f} s (extrapolated)"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

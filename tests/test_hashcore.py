"""Hash core: every backend bit-exact against hashlib (and the pure RIPEMD-160 against it)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from taptrees.errors import InputError
from taptrees.hashcore import backend as backends
from taptrees.hashcore import (
    gen,
    hash160_chains,
    hash160_many,
    merkle_levels,
    merkle_parents,
    merkle_root,
    reference,
    ripemd160_many,
    sha256_chains,
    sha256_many,
    vector,
    winternitz,
)
from taptrees.hashcore import ripemd160 as pure
from taptrees.hashcore.constants import SHA256_IV, SHA256_K
from taptrees.hashcore.words import be_bytes, be_words, le_bytes, le_words, sha256_pad

EDGE_LENGTHS = [0, 1, 20, 32, 55, 56, 64, 100]
NO_SHA_NI = "this CPU (or numba's target) has no SHA extensions: sha-ni kernels not testable"
BACKENDS = [
    "hashlib",
    "numba/vector",
    pytest.param("numba/sha-ni", marks=pytest.mark.skipif(not backends.cpu_has_sha_ni(), reason=NO_SHA_NI)),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A backend name to pass on; ``numba/<set>`` selects the SHA-256 kernel set first."""
    name, _, kernel_set = request.param.partition("/")
    if kernel_set:
        monkeypatch.setenv(backends.SHANI_ENV_VAR, "1" if kernel_set == "sha-ni" else "0")
        assert backends.sha256_kernel_set() == kernel_set
    return name


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def rmd(b: bytes) -> bytes:
    return reference.ripemd160(b)


def h160(b: bytes) -> bytes:
    return rmd(sha(b))


def rand(n: int, length: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(length) for _ in range(n)]


def iterate(f, x: bytes, k: int) -> bytes:
    for _ in range(k):
        x = f(x)
    return x


# --- generated code and constants -------------------------------------------------


def test_generated_kernels_match_generator() -> None:
    assert gen.KERNELS_PATH.read_text() == gen.render(), "run python -m taptrees.hashcore.gen"


def _iroot(n: int, k: int) -> int:
    x = int(round(n ** (1.0 / k)))
    while x**k > n:
        x -= 1
    while (x + 1) ** k <= n:
        x += 1
    return x


def test_sha256_constants_are_prime_roots() -> None:
    primes = [p for p in range(2, 312) if all(p % d for d in range(2, int(p**0.5) + 1))][:64]
    assert SHA256_K == tuple(_iroot(p << 96, 3) & 0xFFFFFFFF for p in primes)
    assert SHA256_IV == tuple(_iroot(p << 64, 2) & 0xFFFFFFFF for p in primes[:8])


# --- pure RIPEMD-160 ------------------------------------------------------------------


def test_pure_ripemd160_paper_vectors() -> None:
    assert pure.ripemd160(b"").hex() == "9c1185a5c5e9fc54612808977ee8f548b2258d31"
    assert pure.ripemd160(b"abc").hex() == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    assert pure.ripemd160(b"message digest").hex() == "5d0689ef49d2fae572b881b123a85ffa21595f36"


@pytest.mark.parametrize("length", [0, 1, 20, 32, 55, 56, 63, 64, 65, 119, 120, 200])
def test_pure_ripemd160_matches_hashlib(length: int) -> None:
    try:
        hashlib.new("ripemd160")
    except ValueError:
        pytest.skip("hashlib has no ripemd160 here")
    for m in rand(5, length, length):
        assert pure.ripemd160(m) == hashlib.new("ripemd160", m).digest()


def test_reference_uses_pure_ripemd160_without_hashlib(monkeypatch: pytest.MonkeyPatch) -> None:
    real_new = hashlib.new

    def no_ripemd(name: str, *args: object) -> object:
        if name == "ripemd160":
            raise ValueError("unsupported hash type ripemd160")
        return real_new(name, *args)

    monkeypatch.setattr(hashlib, "new", no_ripemd)
    reference.ripemd160_function.cache_clear()
    try:
        assert reference.ripemd160_function() is pure.ripemd160
        assert reference.hash160(b"abc") == pure.ripemd160(sha(b"abc"))
    finally:
        monkeypatch.undo()
        reference.ripemd160_function.cache_clear()
    assert reference.ripemd160_function() is not pure.ripemd160


# --- single hashes ----------------------------------------------------------------------


@pytest.mark.parametrize("length", EDGE_LENGTHS)
def test_many_at_edge_lengths(backend: str, length: int) -> None:
    msgs = rand(37, length, 100 + length)  # 37: not a multiple of 8 lanes
    assert sha256_many(msgs, backend=backend) == [sha(m) for m in msgs]
    assert ripemd160_many(msgs, backend=backend) == [rmd(m) for m in msgs]
    assert hash160_many(msgs, backend=backend) == [h160(m) for m in msgs]
    arr = np.frombuffer(b"".join(msgs), np.uint8).reshape(37, length)
    got = sha256_many(arr, backend=backend)
    assert isinstance(got, np.ndarray) and got.shape == (37, 32)
    assert [bytes(r) for r in got] == [sha(m) for m in msgs]


def test_many_mixed_lengths_and_empty(backend: str) -> None:
    rng = np.random.default_rng(7)
    msgs = [rng.bytes(int(n)) for n in rng.integers(0, 70, 200)]
    assert sha256_many(msgs, backend=backend) == [sha(m) for m in msgs]
    assert hash160_many(msgs, backend=backend) == [h160(m) for m in msgs]
    assert sha256_many([], backend=backend) == []


def test_word_level_functions() -> None:
    msgs = rand(50, 55, 3)
    rows = np.frombuffer(b"".join(msgs), np.uint8).reshape(50, 55)
    digests = vector.sha256_block_words(sha256_pad(rows), threads=2)
    assert digests.shape == (8, 50) and digests.dtype == np.uint32
    assert [bytes(r) for r in be_bytes(digests)] == [sha(m) for m in msgs]
    nodes = np.frombuffer(b"".join(rand(16, 32, 4)), np.uint8).reshape(16, 32)
    level = be_words(nodes)
    parents = vector.merkle_parent_words(level)
    assert be_bytes(parents).tobytes() == merkle_parents(nodes.tobytes(), backend="hashlib")
    assert np.array_equal(le_words(le_bytes(level)), level)


# --- chains ----------------------------------------------------------------------------


def test_chains_mixed_counts_including_zero(backend: str) -> None:
    rng = np.random.default_rng(11)
    counts = [int(c) for c in rng.integers(0, 21, 101)]
    counts[:3] = [0, 0, 20]
    s20, s32 = rand(101, 20, 12), rand(101, 32, 13)
    assert hash160_chains(s20, counts, backend=backend) == [
        iterate(h160, s, k) for s, k in zip(s20, counts, strict=True)
    ]
    assert sha256_chains(s32, counts, backend=backend) == [iterate(sha, s, k) for s, k in zip(s32, counts, strict=True)]
    assert hash160_chains(s20, 0, backend=backend) == s20
    descending = sorted(counts, reverse=True)  # lanes already in the kernels' order
    assert sha256_chains(s32, descending, backend=backend) == [
        iterate(sha, s, k) for s, k in zip(s32, descending, strict=True)
    ]


def test_chains_array_in_array_out(backend: str) -> None:
    starts = np.frombuffer(b"".join(rand(9, 20, 14)), np.uint8).reshape(9, 20)
    out = hash160_chains(starts, np.arange(9, dtype=np.uint8), backend=backend)
    assert isinstance(out, np.ndarray) and out.shape == (9, 20) and out.dtype == np.uint8
    assert [bytes(r) for r in out] == [iterate(h160, bytes(s), k) for k, s in enumerate(starts)]


def test_chains_split_over_threads_match_one_thread(backend: str) -> None:
    rng = np.random.default_rng(15)
    starts = np.frombuffer(rng.bytes(3001 * 32), np.uint8).reshape(3001, 32)
    counts = rng.integers(0, 16, 3001)
    sample = rng.choice(3001, 40, replace=False)
    for chains, width, f in ((hash160_chains, 20, h160), (sha256_chains, 32, sha)):
        two = chains(starts[:, :width], counts, backend=backend, threads=2)
        one = chains(starts[:, :width], counts, backend=backend, threads=1)
        assert np.array_equal(one, two)
        for i in sample:
            assert bytes(two[i]) == iterate(f, bytes(starts[i, :width]), int(counts[i]))


# --- Merkle ----------------------------------------------------------------------------


def naive_root(leaves: list[bytes]) -> bytes:
    while len(leaves) > 1:
        leaves = [sha(leaves[i] + leaves[i + 1]) for i in range(0, len(leaves), 2)]
    return leaves[0]


@pytest.mark.parametrize("count", [1, 2, 8, 1024])
def test_merkle_root_matches_naive_tree(backend: str, count: int) -> None:
    leaves = rand(count, 32, count)
    assert merkle_root(leaves, backend=backend) == naive_root(leaves)
    assert merkle_root(b"".join(leaves), backend=backend) == naive_root(leaves)
    levels = merkle_levels(leaves, backend=backend)
    assert len(levels) == count.bit_length() and levels[0] == b"".join(leaves)


def test_merkle_parents_keeps_its_contract(backend: str) -> None:
    level = b"".join(rand(100, 32, 5))
    assert merkle_parents(level, backend=backend) == b"".join(sha(level[i : i + 64]) for i in range(0, len(level), 64))
    assert merkle_parents(b"", backend=backend) == b""
    with pytest.raises(ValueError, match="even number of 32-byte nodes"):
        merkle_parents(level[:32], backend=backend)


# --- Winternitz helpers ----------------------------------------------------------------


def test_winternitz_helpers_walk_chains() -> None:
    secrets = rand(30, 20, 21)
    digits = [i % 16 for i in range(30)]
    public = winternitz.public_ends(secrets, 4, backend="numba")
    assert public == [iterate(h160, s, 15) for s in secrets]
    revealed = winternitz.advance(secrets, digits, backend="numba")
    assert winternitz.complete(revealed, digits, 4, backend="numba") == public
    with pytest.raises(InputError, match="exceeds the chain length 15"):
        winternitz.complete(revealed, [16] * 30, 4)
    with pytest.raises(InputError, match="digit_bits"):
        winternitz.public_ends(secrets, 9)


# --- backend selection -----------------------------------------------------------------


def test_backend_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(backends.ENV_VAR, "hashlib")
    assert backends.choose(None, 10**6) == "hashlib"
    monkeypatch.setenv(backends.ENV_VAR, "numba")
    assert backends.choose(None, 1) == "numba"
    assert backends.choose("hashlib", 10**6) == "hashlib"
    monkeypatch.setenv(backends.ENV_VAR, "auto")
    assert backends.choose(None, backends.AUTO_MIN_HASHES - 1) == "hashlib"
    assert backends.choose(None, backends.AUTO_MIN_HASHES) == "numba"
    monkeypatch.setenv(backends.ENV_VAR, "gpu")
    with pytest.raises(InputError, match="OCP_HASH_BACKEND: unknown hash backend 'gpu'"):
        sha256_many([b""])
    with pytest.raises(InputError, match="backend: unknown hash backend 'fast'"):
        sha256_many([b""], backend="fast")


def test_sha256_kernel_set_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(backends.SHANI_ENV_VAR, "0")
    assert backends.sha256_kernel_set() == "vector"
    monkeypatch.setenv(backends.SHANI_ENV_VAR, "auto")
    assert backends.sha256_kernel_set() == ("sha-ni" if backends.cpu_has_sha_ni() else "vector")
    monkeypatch.setenv(backends.SHANI_ENV_VAR, "fast")
    with pytest.raises(InputError, match="OCP_HASH_SHANI: expected one of"):
        sha256_chains([b"x" * 32] * 300, 1, backend="numba")


def test_numba_missing_falls_back_with_one_notice() -> None:
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import hashlib\n"
        "from taptrees.hashcore import sha256_many, hash160_chains\n"
        "m = [bytes([i]) * 20 for i in range(100)]\n"
        "assert sha256_many(m, backend='numba') == [hashlib.sha256(x).digest() for x in m]\n"
        "assert len(hash160_chains(m, 3, backend='numba')) == 100\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, backends.ENV_VAR: "numba"},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "numba backend unavailable" in lines[0] and "hashlib" in lines[0]


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hash160_chains([b"x" * 19], 1), r"starts\[0\]: expected 20 bytes, got 19"),
        (lambda: sha256_chains([b"x" * 20], 1), r"starts\[0\]: expected 32 bytes, got 20"),
        (lambda: hash160_chains([b"x" * 20], [-1]), "counts: must be non-negative"),
        (lambda: hash160_chains([b"x" * 20], [1.5]), "counts: expected a 1-D integer"),
        (lambda: hash160_chains([b"x" * 20], [1, 2]), "counts: expected 1 counts"),
        (lambda: hash160_chains(np.zeros((2, 20), np.int32), 1), "starts: expected dtype uint8"),
        (lambda: hash160_chains(np.zeros((2, 21), np.uint8), 1), r"expected shape \(lanes, 20\)"),
        (lambda: sha256_many(b"abc"), "msgs: expected a sequence of byte strings"),
        (lambda: sha256_many([b"a", "b"]), r"msgs\[1\]: expected bytes, got str"),
        (lambda: merkle_root(rand(3, 32, 1)), "power-of-two number of 32-byte leaves"),
        (lambda: merkle_root([b"x" * 31]), r"leaves\[0\]: expected 32 bytes"),
        (lambda: vector.sha256_block_words(np.zeros((16, 8), np.int64)), "expected dtype uint32"),
        (lambda: vector.sha256_block_words(np.zeros((15, 8), np.uint32)), r"shape \(16, lanes\)"),
        (lambda: vector.hash160_chain_words(np.zeros((5, 8), np.uint32), 1, threads=0), "threads"),
    ],
)
def test_bad_input_raises_input_error(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()

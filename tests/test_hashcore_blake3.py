"""BLAKE3 in the hash core: bit-exact with the PyPI ``blake3`` package (the reference)."""

from __future__ import annotations

import random

import blake3
import numpy as np
import pytest

from taptrees.errors import InputError
from taptrees.hashcore.blake3 import (
    blake3_chain,
    blake3_hash,
    blake3_many,
    compress,
    single_block_digest,
)

BACKENDS = ("hashlib", "numba")


@pytest.mark.parametrize("length", [0, 1, 37, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 5121, 8193])
def test_reference_hash_matches_the_package(length):
    data = random.Random(length).randbytes(length)
    for out in (1, 20, 32, 33, 64, 131):  # extendable output past one block too
        assert blake3_hash(data, out) == blake3.blake3(data).digest(out)


def test_single_block_digest():
    for n in range(65):
        m = bytes(range(n))
        assert single_block_digest(m) == blake3.blake3(m).digest()
        assert single_block_digest(m, 20) == blake3.blake3(m).digest(20)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("width", [0, 1, 31, 32, 37, 55, 56, 63, 64])
def test_many(backend, width):
    rng = random.Random(width)
    msgs = [rng.randbytes(width) for _ in range(300)]  # above the auto threshold
    want = [blake3.blake3(m).digest() for m in msgs]
    assert blake3_many(msgs, backend=backend) == want
    arr = np.frombuffer(b"".join(msgs), np.uint8).reshape(300, width) if width else np.zeros((300, 0), np.uint8)
    got = blake3_many(arr, length=20, backend=backend)
    assert isinstance(got, np.ndarray) and [bytes(r) for r in got] == [w[:20] for w in want]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("width", "suffix"), [(20, 17), (32, 32), (1, 0), (20, 44)])
def test_chain(backend, width, suffix):
    rng = random.Random(width * 100 + suffix)
    start = rng.randbytes(width)
    rows = [rng.randbytes(suffix) for _ in range(500)]
    h, want = start, []
    for r in rows:
        h = blake3.blake3(h + r).digest()[:width]
        want.append(h)
    assert blake3_chain(start, rows, backend=backend) == want
    arr = np.frombuffer(b"".join(rows), np.uint8).reshape(500, suffix) if suffix else np.zeros((500, 0), np.uint8)
    assert blake3_chain(start, arr, keep="last", backend=backend) == want[-1]
    assert blake3_chain(start, [], keep="last", backend=backend) == start


def test_compress_kernel_equals_reference():
    from taptrees.hashcore.blake3_kernels import compress_words

    rng = random.Random(5)
    for _ in range(50):
        m = [rng.getrandbits(32) for _ in range(16)]
        t, blen, flags = rng.getrandbits(40), rng.randrange(65), rng.randrange(16)
        got = compress_words(np.array(m, dtype=np.int64), t, blen, flags)
        from taptrees.hashcore.blake3 import IV

        assert list(got) == compress(IV, m, t, blen, flags)[:8]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: blake3_many([b"a" * 65]), "at most 64"),
        (lambda: blake3_many([b"a", b"bb"]), "same length"),
        (lambda: blake3_many(b"abc"), "sequence"),
        (lambda: blake3_many([b"a"], length=33), "length"),
        (lambda: blake3_chain(b"x" * 20, [b"y" * 45]), "at most 64"),
        (lambda: blake3_chain(b"", [b"y"]), "start"),
        (lambda: blake3_chain(b"x" * 20, [b"y"], keep="some"), "keep"),
        (lambda: blake3_many([b"a"], backend="gpu"), "backend"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()

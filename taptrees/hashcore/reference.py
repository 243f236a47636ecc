"""The hashlib backend: the reference every other backend must match bit for bit.

One Python call per hash, so it is also the fastest choice for a handful of hashes.
RIPEMD-160 comes from :mod:`hashlib` when OpenSSL provides it, else from the project's
pure-Python :mod:`taptrees.hashcore.ripemd160`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence

from taptrees.hashcore import ripemd160 as pure_ripemd160


@functools.cache
def ripemd160_function() -> Callable[[bytes], bytes]:
    """RIPEMD-160 over bytes: hashlib's when available (copying a prototype, which is twice
    as fast as ``hashlib.new`` by name), else the pure-Python one."""
    try:
        proto = hashlib.new("ripemd160")
    except ValueError:
        return pure_ripemd160.ripemd160

    def digest(data: bytes) -> bytes:
        h = proto.copy()
        h.update(data)
        return h.digest()

    return digest


def sha256(data: bytes) -> bytes:
    """SHA-256 (FIPS 180-4)."""
    return hashlib.sha256(data).digest()


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160."""
    return ripemd160_function()(data)


def hash160(data: bytes) -> bytes:
    """RIPEMD160(SHA256(data)), Bitcoin's OP_HASH160."""
    return ripemd160_function()(hashlib.sha256(data).digest())


def sha256_list(msgs: Sequence[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(m).digest() for m in msgs]


def ripemd160_list(msgs: Sequence[bytes]) -> list[bytes]:
    rmd = ripemd160_function()
    return [rmd(m) for m in msgs]


def hash160_list(msgs: Sequence[bytes]) -> list[bytes]:
    rmd, sha = ripemd160_function(), hashlib.sha256
    return [rmd(sha(m).digest()) for m in msgs]


def sha256_chains(starts: Sequence[bytes], counts: Sequence[int]) -> list[bytes]:
    """``[SHA256^k(x) for x, k in zip(starts, counts)]``."""
    sha = hashlib.sha256
    out = []
    for x, k in zip(starts, counts, strict=True):
        for _ in range(k):
            x = sha(x).digest()
        out.append(bytes(x))
    return out


def hash160_chains(starts: Sequence[bytes], counts: Sequence[int]) -> list[bytes]:
    """``[hash160^k(x) for x, k in zip(starts, counts)]``."""
    rmd, sha = ripemd160_function(), hashlib.sha256
    out = []
    for x, k in zip(starts, counts, strict=True):
        for _ in range(k):
            x = rmd(sha(x).digest())
        out.append(bytes(x))
    return out


def merkle_parents(level: bytes) -> bytes:
    """SHA-256 of each consecutive 64-byte pair of 32-byte nodes (length already checked)."""
    sha = hashlib.sha256
    return b"".join(sha(level[i : i + 64]).digest() for i in range(0, len(level), 64))

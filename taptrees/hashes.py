"""Single-message hash helpers: SHA-256, RIPEMD-160, hash160 and BIP340 tagged hashes."""

from __future__ import annotations

import hashlib
from functools import lru_cache


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160; OpenSSL 3 builds without the legacy provider lack it in hashlib."""
    try:
        return hashlib.new("ripemd160", data).digest()
    except ValueError:  # pragma: no cover - depends on the OpenSSL build
        from taptrees.hashcore.ripemd160 import ripemd160 as pure

        return pure(data)


def hash160(data: bytes) -> bytes:
    """RIPEMD160(SHA256(data)), the hash of Script's OP_HASH160."""
    return ripemd160(sha256(data))


def hash256(data: bytes) -> bytes:
    """SHA256(SHA256(data)): txids, block hashes, merkle nodes of blocks."""
    return sha256(sha256(data))


@lru_cache(maxsize=64)
def _tag_prefix(tag: str) -> bytes:
    digest = sha256(tag.encode())
    return digest + digest


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data)."""
    return sha256(_tag_prefix(tag) + data)

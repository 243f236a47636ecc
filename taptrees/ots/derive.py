"""Deterministic one-time secrets: every chain start from one secret and a path.

A chain start is ``tagged_hash("ocp/ots", len(secret) || secret || path)[:20]``
(BIP340 tagged hash; ``len`` is one byte).  The path names the key and, inside it,
the chain, e.g. ``ocp/v1/<graph>/value/3/wots4x32/7``, so one secret regenerates
every key of a graph while keys of different paths (or different parameters under
the same path) share no chain.  Starts are 20 bytes, the size of every hash160
chain value, so a signature item is always 20 bytes.
"""

from __future__ import annotations

from taptrees.errors import InputError
from taptrees.hashes import tagged_hash

TAG = "ocp/ots"
CHAIN_VALUE_SIZE = 20
MIN_SECRET_SIZE = 16
MAX_SECRET_SIZE = 255


def check_secret(secret: bytes) -> bytes:
    """Return ``secret`` if it is 16..255 bytes, else raise (the secret itself is never shown)."""
    if not isinstance(secret, bytes | bytearray):
        raise InputError(f"one-time secret must be bytes, got {type(secret).__name__}")
    if not MIN_SECRET_SIZE <= len(secret) <= MAX_SECRET_SIZE:
        raise InputError(f"one-time secret must be {MIN_SECRET_SIZE}..{MAX_SECRET_SIZE} bytes, got {len(secret)}")
    return bytes(secret)


def check_path(path: str) -> str:
    """Return ``path`` if it is non-empty printable ASCII without spaces, else raise."""
    if not isinstance(path, str) or not path:
        raise InputError("derivation path must be a non-empty string")
    if not all(33 <= ord(c) <= 126 for c in path):
        raise InputError(f"derivation path {path!r} must be printable ASCII without spaces")
    return path


def chain_start(secret: bytes, path: str) -> bytes:
    """The 20-byte secret at the start of the chain named ``path``."""
    secret = check_secret(secret)
    data = bytes([len(secret)]) + secret + check_path(path).encode("ascii")
    return tagged_hash(TAG, data)[:CHAIN_VALUE_SIZE]

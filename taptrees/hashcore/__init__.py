"""Batch hashing core: SHA-256, RIPEMD-160, hash160, chains and Merkle trees, in bulk.

All functions are bit-exact with :mod:`hashlib`. Two backends sit behind one setting
(argument ``backend=`` or env var ``OCP_HASH_BACKEND``: ``hashlib``, ``numba``, ``auto``):

* ``hashlib``: the reference (RIPEMD-160 falls back to the pure-Python
  :mod:`taptrees.hashcore.ripemd160` when OpenSSL lacks it);
* ``numba``: generated straight-line kernels vectorized over lanes (``_kernels.py``,
  made by :mod:`taptrees.hashcore.gen`), split over threads; SHA-256 on the CPU's SHA
  extensions instead (:mod:`taptrees.hashcore.shani`) where it has them, see
  :func:`taptrees.hashcore.backend.sha256_kernel_set` (``OCP_HASH_SHANI=0`` turns it off);
* ``auto`` (default): numba for batches of at least ``backend.AUTO_MIN_HASHES`` hashes.

Byte-level API (this module): :func:`sha256_many`, :func:`ripemd160_many`,
:func:`hash160_many`, :func:`sha256_chains`, :func:`hash160_chains`,
:func:`merkle_parents`, :func:`merkle_levels`, :func:`merkle_root`. Word-level API over
``(words, lanes)`` uint32 arrays: :mod:`taptrees.hashcore.vector`. Winternitz chain
helpers: :mod:`taptrees.hashcore.winternitz`. See docs/hashcore.md.
"""

from __future__ import annotations

from taptrees.hashcore.api import (
    hash160_chains,
    hash160_many,
    merkle_levels,
    merkle_parents,
    merkle_root,
    ripemd160_many,
    sha256_chains,
    sha256_many,
)
from taptrees.hashcore.backend import BACKENDS, ENV_VAR

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "hash160_chains",
    "hash160_many",
    "merkle_levels",
    "merkle_parents",
    "merkle_root",
    "ripemd160_many",
    "sha256_chains",
    "sha256_many",
]

"""Backend selection: one setting, an argument ``backend=`` or the env var ``OCP_HASH_BACKEND``.

* ``hashlib``: the reference, one hashlib call per hash;
* ``numba``: the vectorized kernels of ``_kernels.py``;
* ``auto`` (the default): ``numba`` for batches of at least :data:`AUTO_MIN_HASHES` hashes,
  ``hashlib`` below (call overhead dominates there).

When numba cannot be imported or a kernel fails to compile, the core falls back to hashlib
and says so once on stderr.
"""

from __future__ import annotations

import functools
import os
import sys
from types import ModuleType
from typing import Literal

from taptrees.errors import InputError

ENV_VAR = "OCP_HASH_BACKEND"
BACKENDS = ("hashlib", "numba", "auto")

#: Below this many hashes in one call ``auto`` uses hashlib. Measured on the 2-core CI box:
#: a numba call costs 80-100 us fixed (packing, dispatch), hashlib 1.3 us per SHA-256 and
#: 2.5-4 us per hash160; the break-even is ~256 lanes for sha256_many, ~100 for
#: hash160_many and ~30 chain steps for hash160_chains. 256 is right for the first and
#: costs the others at most ~0.3 ms.
AUTO_MIN_HASHES = 256

Resolved = Literal["hashlib", "numba"]


def requested(backend: str | None) -> str:
    """The backend asked for: ``backend`` if given, else ``$OCP_HASH_BACKEND``, else auto."""
    name = backend if backend is not None else os.environ.get(ENV_VAR, "auto") or "auto"
    if name not in BACKENDS:
        source = "backend" if backend is not None else ENV_VAR
        raise InputError(f"{source}: unknown hash backend {name!r}, expected one of {BACKENDS}")
    return name


@functools.cache
def notice(reason: str) -> None:
    """Print the fallback notice for ``reason`` on stderr, once per process."""
    sys.stderr.write(f"taptrees.hashcore: numba backend unavailable ({reason}); using hashlib\n")


@functools.cache
def kernels() -> ModuleType | None:
    """The compiled-kernel module, or None (with a notice) when numba cannot be imported."""
    try:
        from taptrees.hashcore import _kernels
    except Exception as exc:  # ImportError, or numba failing at import time
        notice(f"{type(exc).__name__}: {exc}".splitlines()[0])
        return None
    return _kernels


def choose(backend: str | None, hashes: int) -> Resolved:
    """The backend that will run a call of ``hashes`` hash evaluations."""
    name = requested(backend)
    if name == "hashlib" or (name == "auto" and hashes < AUTO_MIN_HASHES):
        return "hashlib"
    return "numba" if kernels() is not None else "hashlib"


def is_kernel_failure(exc: BaseException) -> bool:
    """True when ``exc`` comes from numba failing to compile or run a kernel."""
    try:
        from numba.core.errors import NumbaError
    except Exception:
        return False
    return isinstance(exc, NumbaError)

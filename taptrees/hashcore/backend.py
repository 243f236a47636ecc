"""Backend selection: one setting, an argument ``backend=`` or the env var ``OCP_HASH_BACKEND``.

* ``hashlib``: the reference, one hashlib call per hash;
* ``numba``: the vectorized kernels of ``_kernels.py``;
* ``auto`` (the default): ``numba`` for batches of at least :data:`AUTO_MIN_HASHES` hashes,
  ``hashlib`` below (call overhead dominates there).

When numba cannot be imported or a kernel fails to compile, the core falls back to hashlib
and says so once on stderr.

Within ``numba``, SHA-256 runs on one of two kernel sets (:func:`sha256_kernel_set`):
``sha-ni`` (:mod:`.shani`, the CPU's SHA extensions) where the CPU has them, else
``vector`` (``_kernels.py``, lanes vectorized by LLVM: AVX2 on the reference box). The env
var ``OCP_HASH_SHANI=0`` forces ``vector``. RIPEMD-160 always runs on ``vector``.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from types import ModuleType
from typing import Literal

from taptrees.errors import InputError

ENV_VAR = "OCP_HASH_BACKEND"
BACKENDS = ("hashlib", "numba", "auto")

SHANI_ENV_VAR = "OCP_HASH_SHANI"
#: Values of ``OCP_HASH_SHANI``: use SHA-NI when the CPU has it (the default), or never.
SHANI_SETTINGS = {"": True, "1": True, "auto": True, "0": False, "off": False}
KernelSet = Literal["sha-ni", "vector"]

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


@functools.cache
def cpu_has_sha_ni() -> bool:
    """True when this CPU has the SHA extensions and numba compiles for them.

    Both must hold: LLVM cannot select the instructions for a target without the ``sha``
    feature (``NUMBA_CPU_FEATURES`` can remove it), and the CPU raises SIGILL on them.
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        from llvmlite import binding
        from numba.core import config
    except Exception:
        return False
    try:
        host = binding.get_host_cpu_features()
    except RuntimeError:  # llvmlite cannot read the features on this platform
        return False
    target = config.CPU_FEATURES if config.CPU_FEATURES is not None else host.flatten()
    return bool(host.get("sha")) and "+sha" in target.split(",")


def sha256_kernel_set() -> KernelSet:
    """The numba kernels SHA-256 runs on now: ``"sha-ni"`` where the CPU has the SHA
    extensions and ``OCP_HASH_SHANI`` is not ``0``, else ``"vector"``."""
    value = os.environ.get(SHANI_ENV_VAR, "").strip().lower()
    if value not in SHANI_SETTINGS:
        raise InputError(f"{SHANI_ENV_VAR}: expected one of {sorted(SHANI_SETTINGS)}, got {value!r}")
    if SHANI_SETTINGS[value] and cpu_has_sha_ni() and sha_ni_kernels() is not None:
        return "sha-ni"
    return "vector"


@functools.cache
def sha_ni_kernels() -> ModuleType | None:
    """The SHA-NI kernel module, or None (with a notice) when it cannot be imported.

    Call only where :func:`cpu_has_sha_ni` is true.
    """
    if kernels() is None:
        return None
    try:
        from taptrees.hashcore import shani
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        sys.stderr.write(f"taptrees.hashcore: SHA-NI kernels unavailable ({reason}); using vector\n")
        return None
    return shani


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

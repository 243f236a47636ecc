"""Whether the bitcoind half of a suite runs: with a bitcoind found (``$BITCOIND``,
PATH, or the cache ``scripts/bitcoind.sh`` fills) it must; it is skipped, with
the reason, only when none is found or ``OCP_NO_BITCOIND=1``.  A ``$BITCOIND`` that
names no executable file is a failure, not a skip."""

from __future__ import annotations

import os

import pytest

from regtest.bitcoind import find_bitcoind

NO_BITCOIND = (
    "no bitcoind: run scripts/bitcoind.sh (scripts/test.sh does), set $BITCOIND or put "
    "bitcoind on PATH to run this backend"
)


def require_bitcoind() -> str:
    """The bitcoind binary to run, or skip/fail the calling test as above."""
    if os.environ.get("OCP_NO_BITCOIND") == "1":
        pytest.skip("OCP_NO_BITCOIND=1: the bitcoind half is skipped")
    named = os.environ.get("BITCOIND")
    binary = find_bitcoind()
    if named and binary is None:
        pytest.fail(f"BITCOIND={named} is not an executable file")
    if binary is None:
        pytest.skip(NO_BITCOIND)
    return binary


#: The chain backends a suite runs on: the embedded chain, and a bitcoind (marked).
BACKENDS = ["kernel", pytest.param("bitcoind", marks=pytest.mark.bitcoind)]


def open_chain(backend: str):
    """A fresh regtest chain of ``backend`` ("kernel" or "bitcoind", which needs a
    node: :func:`require_bitcoind`); use it as a context manager."""
    if backend == "kernel":
        from regtest.kernel import KernelChain

        return KernelChain()
    require_bitcoind()
    from regtest.bitcoind import BitcoindChain

    return BitcoindChain()

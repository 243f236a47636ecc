"""One test suite, two backends: every test taking ``chain`` runs on the embedded
KernelChain and on a real bitcoind (skipped, with the reason, when none is found)."""

from __future__ import annotations

import pytest

from regtest.bitcoind import BitcoindChain, find_bitcoind
from regtest.faucet import Faucet
from regtest.kernel import KernelChain
from taptrees.hashes import sha256

NO_BITCOIND = "no bitcoind binary: set $BITCOIND or put bitcoind on PATH to run this backend"


@pytest.fixture(scope="session")
def bitcoind_chain():
    if find_bitcoind() is None:
        pytest.skip(NO_BITCOIND)
    with BitcoindChain() as chain:
        yield chain


@pytest.fixture(params=["kernel", pytest.param("bitcoind", marks=pytest.mark.bitcoind)])
def chain(request):
    if request.param == "bitcoind":
        # One node per session: tests only rely on what they mine themselves.
        yield request.getfixturevalue("bitcoind_chain")
        return
    with KernelChain() as kernel_chain:
        yield kernel_chain


@pytest.fixture
def faucet(chain, request):
    """A faucet with one matured coinbase (its key differs per test)."""
    faucet = Faucet(chain, sha256(b"faucet " + request.node.name.encode()))
    faucet.mine_coins(1)
    return faucet

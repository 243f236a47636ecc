"""One test suite, three backends: every test taking ``chain`` runs on the embedded
KernelChain, on the same chain served over JSON-RPC (``ocp regtest serve``, through
the bitcoind client) and on a real bitcoind (``scripts/test.sh`` provides one;
skipped, with the reason, only where none is found or OCP_NO_BITCOIND=1)."""

from __future__ import annotations

import pytest
from bitcoind_node import require_bitcoind

from regtest.bitcoind import BitcoindChain
from regtest.faucet import Faucet
from regtest.kernel import KernelChain
from taptrees.hashes import sha256


@pytest.fixture(scope="session")
def bitcoind_chain():
    require_bitcoind()
    with BitcoindChain() as chain:
        yield chain


@pytest.fixture(params=["kernel", "served", pytest.param("bitcoind", marks=pytest.mark.bitcoind)])
def chain(request, tmp_path):
    if request.param == "bitcoind":
        # One node per session: tests only rely on what they mine themselves.
        yield request.getfixturevalue("bitcoind_chain")
        return
    if request.param == "served":
        from regtest.served import ChainServer, ServedChain

        with KernelChain() as kernel_chain, ChainServer(kernel_chain, tmp_path / ".cookie").start() as server:
            with ServedChain(server.url, cookie_path=server.cookie_path) as served:
                yield served
        return
    with KernelChain() as kernel_chain:
        yield kernel_chain


@pytest.fixture
def faucet(chain, request):
    """A faucet with one matured coinbase (its key differs per test)."""
    faucet = Faucet(chain, sha256(b"faucet " + request.node.name.encode()))
    faucet.mine_coins(1)
    return faucet

"""Throughput of the regtest chains: blocks per second and transactions per second.

    .venv/bin/python bench/chains.py [--blocks 1000] [--txs 500]

Measures the embedded KernelChain and, when a bitcoind is found ($BITCOIND, PATH,
or the cache scripts/bitcoind.sh fills), the same work on bitcoind in the same run,
printed as a ratio (above 1: the embedded chain is faster).  Metrics: empty blocks
mined and validated per second; key-path spends submitted per second (mempool
checks and script verification); the same for script-path spends of a two-leaf
tree (a BIP342 signature check in the leaf); and transactions per second of a
block that confirms the key-path spends.
"""

from __future__ import annotations

import argparse
import time

from regtest.bitcoind import BitcoindChain, find_bitcoind
from regtest.chain import Chain
from regtest.faucet import Faucet
from regtest.kernel import KernelChain
from regtest.spend import key_path_spend, script_path_spend
from taptrees.hashes import sha256
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_CHECKSIG, OP_EQUALVERIFY, OP_SHA256
from taptrees.script import Script
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput, TapTree
from taptrees.tx import TxOut

KEY = sha256(b"bench key")
OUTPUT = TaprootOutput(xonly_pubkey(KEY))
SECRET = b"bench preimage"
#: Two leaves: a signature, or a SHA-256 preimage and a signature (the one spent).
SCRIPT_OUTPUT = TaprootOutput(
    NUMS_INTERNAL_KEY,
    TapTree.balanced(
        [
            Script([xonly_pubkey(KEY), OP_CHECKSIG]),
            Script([OP_SHA256, sha256(SECRET), OP_EQUALVERIFY, xonly_pubkey(KEY), OP_CHECKSIG]),
        ]
    ),
)


def measure(chain: Chain, n_blocks: int, n_txs: int) -> dict[str, float]:
    start = time.perf_counter()
    chain.mine(n_blocks, OUTPUT.script_pubkey)
    blocks_s = n_blocks / (time.perf_counter() - start)

    faucet = Faucet(chain, sha256(b"bench faucet"))
    faucet.mine_coins(1)
    funded = faucet.fund_many(
        [(OUTPUT.script_pubkey, 10_000)] * n_txs + [(SCRIPT_OUTPUT.script_pubkey, 10_000)] * n_txs
    )
    spends = [
        key_path_spend(op, TxOut(10_000, OUTPUT.script_pubkey), OUTPUT, KEY, [TxOut(9_000, OUTPUT.script_pubkey)])
        for op in funded[:n_txs]
    ]
    script_spends = [
        script_path_spend(
            op,
            TxOut(10_000, SCRIPT_OUTPUT.script_pubkey),
            SCRIPT_OUTPUT,
            1,
            lambda m: [schnorr_sign(KEY, m), SECRET],
            [TxOut(9_000, OUTPUT.script_pubkey)],
        )
        for op in funded[n_txs:]
    ]
    submit_s = n_txs / submit_all(chain, spends)
    script_s = n_txs / submit_all(chain, script_spends)
    start = time.perf_counter()
    [block] = chain.mine(1, OUTPUT.script_pubkey)
    mine_s = time.perf_counter() - start
    assert len(chain.block_txids(block)) == 2 * n_txs + 1
    return {
        "blocks/s": blocks_s,
        "submit txs/s": submit_s,
        "script-path/s": script_s,
        "mined txs/s": 2 * n_txs / mine_s,
    }


def submit_all(chain: Chain, txs) -> float:
    """Seconds to submit ``txs`` one by one (each must be accepted)."""
    start = time.perf_counter()
    for tx in txs:
        result = chain.submit(tx)
        assert result.accepted, result
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--txs", type=int, default=500)
    args = parser.parse_args()

    with KernelChain() as chain:
        kernel = measure(chain, args.blocks, args.txs)
    node = None
    if find_bitcoind():
        with BitcoindChain() as chain:
            node = measure(chain, args.blocks, args.txs)
    print(f"{'metric':<14} {'KernelChain':>12} {'bitcoind':>12} {'kernel/bitcoind':>16}")
    for metric, value in kernel.items():
        other = f"{node[metric]:12.1f}" if node else f"{'(none)':>12}"
        ratio = f"{value / node[metric]:16.2f}" if node else f"{'-':>16}"
        print(f"{metric:<14} {value:12.1f} {other} {ratio}")
    if node is None:
        print("bitcoind: not found ($BITCOIND, PATH or scripts/bitcoind.sh's cache); embedded chain only")
    else:
        print(f"bitcoind: {find_bitcoind()}")


if __name__ == "__main__":
    main()

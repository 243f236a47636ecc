"""Throughput of the regtest chains: blocks per second and transactions per second.

    .venv/bin/python bench/chains.py [--blocks 1000] [--txs 500]

Measures the embedded KernelChain and, when a bitcoind is found ($BITCOIND or
PATH), the same work on bitcoind in the same run, printed as a ratio.
"""

from __future__ import annotations

import argparse
import time

from regtest.bitcoind import BitcoindChain, find_bitcoind
from regtest.chain import Chain
from regtest.faucet import Faucet
from regtest.kernel import KernelChain
from regtest.spend import key_path_spend
from taptrees.hashes import sha256
from taptrees.keys import xonly_pubkey
from taptrees.tree import TaprootOutput
from taptrees.tx import TxOut

KEY = sha256(b"bench key")
OUTPUT = TaprootOutput(xonly_pubkey(KEY))


def measure(chain: Chain, n_blocks: int, n_txs: int) -> dict[str, float]:
    start = time.perf_counter()
    chain.mine(n_blocks, OUTPUT.script_pubkey)
    blocks_s = n_blocks / (time.perf_counter() - start)

    faucet = Faucet(chain, sha256(b"bench faucet"))
    faucet.mine_coins(1)
    funded = faucet.fund_many([(OUTPUT.script_pubkey, 10_000)] * n_txs)
    spends = [
        key_path_spend(op, TxOut(10_000, OUTPUT.script_pubkey), OUTPUT, KEY,
                       [TxOut(9_000, OUTPUT.script_pubkey)])
        for op in funded
    ]
    start = time.perf_counter()
    for tx in spends:
        result = chain.submit(tx)
        assert result.accepted, result
    submit_s = n_txs / (time.perf_counter() - start)
    start = time.perf_counter()
    [block] = chain.mine(1, OUTPUT.script_pubkey)
    mine_s = time.perf_counter() - start
    assert len(chain.block_txids(block)) == n_txs + 1
    return {"blocks/s": blocks_s, "submit txs/s": submit_s, "mined txs/s": n_txs / mine_s}


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
        print("bitcoind: not found ($BITCOIND or PATH); embedded chain only")


if __name__ == "__main__":
    main()

"""Time to build and pre-sign the OCP graph, and its size (issue 8).

Prints, for committees of 1, 5 and 15 signers and programs of 8, 64 and 512
steps: build time, pre-signing time (every committee member, the operator and
the depositor), signatures made, transactions, graph.json bytes and the total
weight of every transaction (unsigned).  Usage: ``python bench/graph.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
import time

from ocp.builder import build_graph
from ocp.drill.world import Actors
from ocp.graph import params_id
from ocp.graphfile import graph_to_json
from ocp.ots import ValueSigner
from ocp.params import Funding, Params, Windows
from ocp.program import U32Program
from ocp.signing import presign
from taptrees.tx import OutPoint


def params_for(actors: Actors, steps: int) -> Params:
    return Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=(actors.operator.pubkey,),
        depositor=actors.depositor.pubkey,
        deposit_amount=100_000_000,
        operator_stake=50_000_000,
        challenge_fee=1_000_000,
        fee_rate=2.0,
        windows=Windows(144, 432, 144, 1008),
        computation=U32Program.sample(steps),
        depositor_funding=Funding(OutPoint("ab" * 32, 0), 100_200_000),
        operator_funding=(Funding(OutPoint("cd" * 32, 0), 60_000_000),),
    )


def measure(n_signers: int, steps: int) -> dict:
    actors = Actors.make(b"bench", n_signers)
    params = params_for(actors, steps)
    t0 = time.perf_counter()
    signer = ValueSigner(actors.operator.secret, params_id(params), steps)
    graph = build_graph(params, [signer.public()])
    t1 = time.perf_counter()
    made = 0
    for key in [*actors.committee, actors.operator, actors.depositor]:
        graph, added = presign(graph, key)
        made += added
    t2 = time.perf_counter()
    size = len(json.dumps(graph_to_json(graph)))
    return {
        "signers": n_signers,
        "steps": steps,
        "build_s": t1 - t0,
        "presign_s": t2 - t1,
        "signatures": made,
        "signs_per_s": made / (t2 - t1),
        "transactions": len(graph.txs),
        "assert_txs": graph.n_chunks,
        "graph_json_bytes": size,
        "total_weight": sum(g.tx.weight for g in graph.txs.values()),
    }


def main() -> None:
    steps_list = (8, 64) if "--quick" in sys.argv else (8, 64, 512)
    print(
        f"{'signers':>7} {'steps':>5} {'build s':>8} {'presign s':>9} {'sigs':>6} "
        f"{'sigs/s':>7} {'txs':>5} {'asserts':>7} {'graph.json B':>12} {'unsigned WU':>11}"
    )
    for n in (1, 5, 15):
        for steps in steps_list:
            r = measure(n, steps)
            print(
                f"{r['signers']:>7} {r['steps']:>5} {r['build_s']:>8.2f} {r['presign_s']:>9.2f} "
                f"{r['signatures']:>6} {r['signs_per_s']:>7.0f} {r['transactions']:>5} "
                f"{r['assert_txs']:>7} {r['graph_json_bytes']:>12,} {r['total_weight']:>11,}"
            )


if __name__ == "__main__":
    main()

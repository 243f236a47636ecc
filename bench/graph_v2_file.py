"""graph.json of a version-2 graph: bytes of the file :mod:`ocp.gamefile` writes
(params, program digest, one-time public keys, txids, output keys, Merkle roots,
leaf counts) against a version-1-style file of the same graph that lists every
leaf with its ASM (the reference, written in the same run), and the time to
build the graph and to load the file (which regenerates every leaf).

The guest is go/examples/selfcheck (built here with the Go compiler), one
operator and one registered challenger; search spaces: the drill's (the guest's
run, 2^19 steps, 8-ary) and, without ``--quick``, 2^24 steps at 8-ary and 32-ary.
Usage: ``python bench/graph_v2_file.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ocp.builder.games import build_graph_v2
from ocp.drill import defaults
from ocp.drill.world import Actors, drill_key, sign_in_process
from ocp.game.computation import ZkvmComputation
from ocp.game.keys import ChallengerSigner, GameKeys, OperatorSigner, PartyKeys
from ocp.game.layout import GameLayout
from ocp.graph import params_id
from ocp.graphfile import graph_to_json, load_graph, save_graph
from ocp.ids import Role
from ocp.params import MIN_MOVE_WINDOW, Funding, Params, Windows
from ocp.zkvm.guest import build_example
from taptrees.tx import OutPoint

#: (max_steps, nary): the drill's search over the selfcheck guest's run, then 2^24.
SPACES = ((2**19, 8), (2**24, 8), (2**24, 32))
INPUT_WORDS = 37  # the drill's input: a 64-digit digest line and 77 bytes of data


def measure(elf: Path, max_steps: int, nary: int, folder: Path) -> dict:
    actors = Actors.make(b"bench v2", 3)
    challenger = drill_key(b"bench v2", "challenger", Role.CHALLENGER)
    coin = lambda i, amount: Funding(OutPoint(f"{i:02x}" * 32, 0), amount)  # noqa: E731 - made-up coins
    comp = ZkvmComputation.of(elf, max_steps=max_steps, nary=nary, input_words=INPUT_WORDS)
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=(actors.operator.pubkey,),
        depositor=actors.depositor.pubkey,
        deposit_amount=defaults.DEPOSIT,
        operator_stake=defaults.STAKE,
        challenge_fee=0,
        fee_rate=defaults.FEE_RATE,
        computation=comp,
        windows=Windows(defaults.CHALLENGE_WINDOW, None, None, defaults.REFUND_TIMEOUT, MIN_MOVE_WINDOW),
        depositor_funding=coin(1, defaults.FUNDING["depositor"]),
        operator_funding=(coin(2, defaults.FUNDING["operator"]),),
        challengers=(challenger.pubkey,),
        challenger_bonds=(coin(3, 3_000_000),),
        bond=2_000_000,
    )
    layout = GameLayout(comp)
    pid = params_id(params)
    t0 = time.perf_counter()
    claim, games = OperatorSigner(PartyKeys(actors.operator.secret, pid), 0, layout).public(1)
    keys = GameKeys((claim,), (games,), (ChallengerSigner(PartyKeys(challenger.secret, pid), 0, layout).public(1),))
    t1 = time.perf_counter()
    graph = sign_in_process(actors, build_graph_v2(params, keys))
    t2 = time.perf_counter()
    path = folder / f"graph-{max_steps}-{nary}.json"
    save_graph(graph, path)
    t3 = time.perf_counter()
    assert load_graph(path).graph_id == graph.graph_id
    t4 = time.perf_counter()
    # the reference: every transaction, output and leaf with its ASM (graph.json of version 1)
    full = graph_to_json(replace(graph, game_keys=None))
    full["game_keys"] = keys.to_json()
    full_bytes = len(json.dumps(full, indent=1)) + 1
    leaves = [leaf for out in graph.outputs.values() for leaf in out.leaves]
    return {
        "max_steps": max_steps,
        "nary": nary,
        "states": len(layout.states),
        "transactions": len(graph.txs),
        "leaves": len(leaves),
        "script_bytes": sum(leaf.script.size for leaf in leaves),
        "keys_s": t1 - t0,
        "build_sign_s": t2 - t1,
        "save_s": t3 - t2,
        "load_s": t4 - t3,
        "file_bytes": path.stat().st_size,
        "keys_bytes": len(json.dumps(keys.to_json(), indent=1)),
        "full_bytes": full_bytes,
    }


def main() -> None:
    spaces = SPACES[:1] if "--quick" in sys.argv else SPACES
    with tempfile.TemporaryDirectory(prefix="ocp-bench-v2-") as tmp:
        folder = Path(tmp)
        elf = build_example("selfcheck", "mipsle", folder / "guests")
        print(
            f"{'space':>12} {'states':>6} {'txs':>4} {'leaves':>6} {'script MB':>9} {'build s':>7} "
            f"{'load s':>6} {'file KB':>8} {'(keys KB)':>9} {'full MB':>8} {'ratio':>7}"
        )
        for max_steps, nary in spaces:
            r = measure(elf, max_steps, nary, folder)
            ratio = r["file_bytes"] / r["full_bytes"]
            print(
                f"2^{max_steps.bit_length() - 1:<2} {nary:>3}-ary {r['states']:>6} {r['transactions']:>4} "
                f"{r['leaves']:>6} {r['script_bytes'] / 1e6:>9.2f} {r['build_sign_s']:>7.1f} {r['load_s']:>6.1f} "
                f"{r['file_bytes'] / 1e3:>8.0f} {r['keys_bytes'] / 1e3:>9.0f} {r['full_bytes'] / 1e6:>8.1f} "
                f"{ratio:>7.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Reaction time of the watcher services: from a block containing a move to the
answer being in the mempool.

    .venv/bin/python bench/watch.py [--iterations 1487] [--nary 32] [--backend kernel,bitcoind] [--poll 0.05]
    .venv/bin/python bench/watch.py --v1 [--steps 8,64,512]

**Graph v2** (the default; issue 20's figure): the ``bench/guests/spin`` Go guest
(SHA-256 chained ``--iterations`` times; 1,487 iterations are about 2^24
micro-steps) under an ``--nary`` search (32: five rounds of a 2^25 search), a false
claim (the operator lies about one memory read half way), and ``ocp watch`` for
the operator and its challenger as separate processes, each loading the graph.json
the project writes (regenerated from the ELF).  The bench mines every block itself
and times, for each block holding a game move, how long until the other party's
answer is in the mempool:

* Kickoff mined -> Open (the challenger reads the claim from the witness and runs
  the whole program on the claimed input before it opens its game);
* Open / each Choose mined -> the operator's Reveal (31 intermediate states of its
  run, recomputed from checkpoints, signed under one-time keys, journaled first),
  or its Execute;
* each Reveal mined -> the challenger's Choose (it compares with its own run);
* Execute mined -> StartRead / Catch, and so on through the read search.

**Graph v1.1** (``--v1``): u32 programs, Kickoff -> Challenge, Asserts, Disprove.

Reference, measured in the same run: one poll of the chain as a watcher makes it
(``getblockcount`` + ``getbestblockhash`` over RPC), printed as the ratio
``x poll``; and one block interval of a real chain (600 s), printed as the
fraction ``of 600 s`` (goal: well inside one block interval).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from ocp.drill.world import setup_world
from ocp.graphfile import save_graph
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import save_key
from ocp.program import U32Program
from ocp.watch.harness import MINE_TO, Watcher, drill_windows, fault_step, open_vault, start_chain
from ocp.watch.index import GraphIndex
from ocp.watch.journal import Identity, StateDir
from regtest.bitcoind import find_bitcoind
from regtest.chain import Chain

BLOCK_INTERVAL = 600.0  # seconds: a real chain's target
#: The spin guest's iterations for about 2^24 micro-steps (mipsle: 446,121 to start and
#: stop, 10,979 per iteration; 1,487 iterations are 16,771,894).
ITERATIONS = 1487
#: Graph v2 transaction kinds that end a game.
GAME_ENDS = (TxKind.CATCH, TxKind.BEYOND_N, TxKind.OPERATOR_SILENT, TxKind.CHALLENGER_SILENT)


def wait_for(chain: Chain, index: GraphIndex, name: TxName, timeout: float = 60.0) -> float:
    """Seconds until graph transaction ``name`` (a template too) is in the mempool."""
    start = time.perf_counter()
    seen: set[str] = set()
    while time.perf_counter() - start < timeout:
        for txid in chain.mempool():
            if txid in seen:
                continue
            seen.add(txid)
            tx = chain.get_tx(txid)
            if tx is not None and index.identify(tx) == name:
                return time.perf_counter() - start
        time.sleep(0.002)
    raise TimeoutError(f"{name} did not reach the mempool within {timeout:.0f} s")


def poll_floor(chain: Chain, n: int = 50) -> float:
    """Median seconds of one poll as the follower makes it."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        chain.height()
        chain.tip_hash()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(backend: str, steps: int, poll: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="ocp-bench-watch-") as tmp:
        folder = Path(tmp)
        chain = start_chain(backend, folder, None)
        watchers: list[Watcher] = []
        try:
            program = U32Program.sample(steps)
            world = setup_world(chain.client, program=program, windows=drill_windows(program))
            open_vault(world)
            graph = world.graph
            save_graph(graph, folder / "graph.json")
            for role, key in ((Role.OPERATOR, world.actors.operator), (Role.CHALLENGER, world.actors.challenger)):
                save_key(key, folder / f"{role.value}.key")
                args = [
                    "--role",
                    role.value,
                    "--graph",
                    str(folder / "graph.json"),
                    "--key",
                    str(folder / f"{role.value}.key"),
                    "--state",
                    str(folder / role.value),
                    "--chain",
                    backend,
                    "--rpc-url",
                    chain.url,
                    "--rpc-cookie",
                    str(chain.cookie),
                    "--poll",
                    str(poll),
                    "--exit-when-done",
                    "--json",
                ]
                if role is Role.CHALLENGER:
                    coin = world.funding[(Role.CHALLENGER, 0)]
                    args += ["--coin", f"{coin.txid}:{coin.vout}"]
                watchers.append(Watcher(role, args, folder / f"{role.value}.log"))
                watchers[-1].start()
            for watcher in watchers:
                watcher.wait_started(timeout=120)
            floor = poll_floor(chain.client)
            wrong = fault_step(program)
            operator = Identity("operator", graph.graph_id.hex(), world.actors.operator.pubkey.hex(), None)
            StateDir.open(folder / "operator", operator).request_claim(wrong)
            index = GraphIndex.of(graph)
            wait_for(chain.client, index, TxName(TxKind.KICKOFF))
            samples: dict[str, list[float]] = {
                "Kickoff -> Challenge": [],
                "Challenge/Assert -> next Assert": [],
                "last Assert -> Disprove": [],
            }
            chain.client.mine(1, MINE_TO)
            samples["Kickoff -> Challenge"].append(wait_for(chain.client, index, TxName(TxKind.CHALLENGE)))
            for j in range(graph.n_chunks):
                chain.client.mine(1, MINE_TO)
                samples["Challenge/Assert -> next Assert"].append(
                    wait_for(chain.client, index, TxName(TxKind.ASSERT, j))
                )
            chain.client.mine(1, MINE_TO)
            samples["last Assert -> Disprove"].append(wait_for(chain.client, index, TxName(TxKind.DISPROVE, wrong)))
            chain.client.mine(1, MINE_TO)
            for watcher in watchers:
                deadline = time.monotonic() + 60
                while watcher.running and time.monotonic() < deadline:
                    time.sleep(0.05)
                    watcher.reap()
        finally:
            for watcher in watchers:
                if watcher.running:
                    watcher.kill()
            chain.stop()
    return {
        "backend": backend,
        "steps": steps,
        "asserts": graph.n_chunks,
        "poll_s": poll,
        "floor_s": floor,
        "reactions": {
            move: {"median_s": statistics.median(v), "max_s": max(v), "n": len(v)} for move, v in samples.items()
        },
    }


def spin_guest(iterations: int, nary: int):
    """The spin guest run on ``iterations``, as a drill's :class:`ocp.drill.games.Guest`."""
    from dispute_trace import build_guest

    from ocp.drill.games import Guest
    from ocp.zkvm.elf import load_elf
    from ocp.zkvm.trace import ExecutionTrace

    folder = Path(tempfile.gettempdir()) / "ocp-bench-spin"
    folder.mkdir(exist_ok=True)
    elf = folder / "spin.mipsle"
    if not elf.is_file():
        elf = build_guest(folder)
    tape = str(iterations).encode()
    start = time.perf_counter()
    trace = ExecutionTrace.of(load_elf(elf), tape).run()
    seconds = time.perf_counter() - start
    if not (trace.halted and trace.exit_code == 0):
        raise SystemExit(f"the spin guest did not exit 0 (exit {trace.exit_code})")
    return Guest(elf, tape, trace, nary=nary), seconds


def measure_v2(backend: str, iterations: int, nary: int, poll: float, fault: str = "read") -> dict:
    from ocp.cli import main as ocp_main
    from ocp.watch.gameharness import game_world, write_graph_files

    guest, run_s = spin_guest(iterations, nary)
    with tempfile.TemporaryDirectory(prefix="ocp-bench-watch-v2-") as tmp:
        folder = Path(tmp)
        chain = start_chain(backend, folder, None)
        watchers: list[Watcher] = []
        try:
            start = time.perf_counter()
            world, coins = game_world(chain.client, guest, committee=1)
            setup_s = time.perf_counter() - start
            files = write_graph_files(world, folder / "files")
            for who, key in files.keys.items():
                role = "operator" if who == "operator" else "challenger"
                coin = coins[who]
                args = [
                    "--role",
                    role,
                    "--graph",
                    str(files.graph),
                    "--key",
                    str(key),
                    "--state",
                    str(folder / who),
                    "--chain",
                    backend,
                    "--rpc-url",
                    chain.url,
                    "--rpc-cookie",
                    str(chain.cookie),
                    "--poll",
                    str(poll),
                    "--coin",
                    f"{coin.txid}:{coin.vout}",
                    "--exit-when-done",
                    "--json",
                ]
                watchers.append(Watcher(Role(role), args, folder / f"{who}.log"))
                watchers[-1].start()
            start = time.perf_counter()
            for watcher in watchers:
                watcher.wait_started(timeout=600)
            load_s = time.perf_counter() - start
            floor = poll_floor(chain.client)
            with contextlib.redirect_stdout(io.StringIO()):
                claimed = ocp_main(
                    [
                        "watch",
                        "claim",
                        "--role",
                        "operator",
                        "--graph",
                        str(files.graph),
                        "--key",
                        str(files.keys["operator"]),
                        "--state",
                        str(folder / "operator"),
                        "--input",
                        str(files.tape),
                        "--fault",
                        fault,
                        "--json",
                    ]
                )
            if claimed != 0:
                raise SystemExit(f"ocp watch claim exited {claimed}")
            index = GraphIndex.of(world.graph)
            samples = play_timed(chain.client, index, timeout=600)
            for watcher in watchers:
                watcher.kill()
        finally:
            for watcher in watchers:
                if watcher.running:
                    watcher.kill()
            chain.stop()
    search = guest.search
    return {
        "backend": backend,
        "steps": guest.trace.steps,
        "nary": nary,
        "rounds": search.rounds,
        "max_steps": search.max_steps,
        "states": len(world.graph.layout.states),
        "poll_s": poll,
        "floor_s": floor,
        "run_s": run_s,
        "setup_s": setup_s,
        "load_s": load_s,
        "samples": samples,
    }


def play_timed(chain: Chain, index: GraphIndex, timeout: float) -> list[dict]:
    """Mine the game block by block: each block holding a move, then the seconds until
    the next graph transaction is in the mempool (until a game-ending move is mined)."""
    seen: set[str] = set()
    samples = []
    last: TxName | None = None
    while True:
        start = time.perf_counter()
        name = None
        while name is None:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"nothing answered {last} within {timeout:.0f} s")
            for txid in chain.mempool():
                if txid in seen:
                    continue
                seen.add(txid)
                tx = chain.get_tx(txid)
                found = None if tx is None else index.identify(tx)
                if found is not None and name is None:
                    name = found
            if name is None:
                time.sleep(0.002)
        took = time.perf_counter() - start
        if last is not None and last.kind not in (TxKind.DEPOSIT, TxKind.CONFIRM, TxKind.PREPARE):
            samples.append({"after": str(last), "answer": str(name), "kind": name.kind.value, "s": took})
        time.sleep(0.3)  # the rest of a move (a CPFP child, a second transaction) joins its block
        for txid in chain.mempool():
            tx = chain.get_tx(txid)
            found = None if tx is None else index.identify(tx)
            seen.add(txid)
            if found is not None:
                name = found
        chain.mine(1, MINE_TO)
        last = name
        if name.kind in GAME_ENDS:
            return samples


def print_v2(results: list[dict]) -> None:
    for r in results:
        print(
            f"graph v2, {r['backend']}: spin guest, {r['steps']:,} micro-steps (2^{r['steps'].bit_length() - 1}"
            f"..2^{r['steps'].bit_length()}), n = {r['nary']}: {r['rounds']} rounds of a {r['max_steps']:,}-step "
            f"search, {r['states']} game states; run {r['run_s']:.1f} s, world and signed graph "
            f"{r['setup_s']:.1f} s, watchers loading graph.json {r['load_s']:.1f} s"
        )
        print(f"  {'answer':<12} {'n':>3} {'median s':>9} {'max s':>8} {'x poll':>8} {'of 600 s':>9}")
        kinds: dict[str, list[float]] = {}
        for sample in r["samples"]:
            kinds.setdefault(sample["kind"], []).append(sample["s"])
        for kind, times in kinds.items():
            med, worst = statistics.median(times), max(times)
            print(
                f"  {kind:<12} {len(times):>3} {med:9.3f} {worst:8.3f} {med / r['floor_s']:8.0f} "
                f"{worst / BLOCK_INTERVAL:9.2e}"
            )
        every = [s["s"] for s in r["samples"]]
        print(
            f"  every move   {len(every):>3} {statistics.median(every):9.3f} {max(every):8.3f} "
            f"{statistics.median(every) / r['floor_s']:8.0f} {max(every) / BLOCK_INTERVAL:9.2e}"
        )
        print(
            f"  reference: one poll (getblockcount + getbestblockhash) {r['floor_s'] * 1e3:.2f} ms; the watchers "
            f"poll every {r['poll_s'] * 1e3:.0f} ms; a block interval 600 s"
        )
        for sample in r["samples"]:
            print(f"    {sample['after']:>16} mined -> {sample['answer']:<16} {sample['s']:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--v1", action="store_true", help="graph v1.1's u32 programs instead of graph v2")
    parser.add_argument("--steps", default="8,64,512", help="--v1: u32 program sizes (comma-separated)")
    parser.add_argument(
        "--iterations",
        type=int,
        default=ITERATIONS,
        help="graph v2: the spin guest's iterations (1,487: about 2^24 micro-steps)",
    )
    parser.add_argument("--nary", type=int, default=32, help="graph v2: the search's n")
    parser.add_argument("--backend", default="kernel,bitcoind", help="kernel (ocp regtest serve), bitcoind")
    parser.add_argument("--poll", type=float, default=0.05, help="the watchers' --poll, seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = [b for b in args.backend.split(",") if b != "bitcoind" or find_bitcoind()]
    if not args.v1:
        v2 = [measure_v2(b, args.iterations, args.nary, args.poll) for b in backends]
        if args.json:
            print(json.dumps(v2, indent=1))
        else:
            print_v2(v2)
            if "bitcoind" not in backends:
                print("bitcoind: not found ($BITCOIND, PATH or scripts/bitcoind.sh's cache); embedded chain only")
        return
    results = [measure(b, int(s), args.poll) for b in backends for s in args.steps.split(",")]
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(
        f"{'backend':<9} {'steps':>6} {'asserts':>7}  {'move':<32} {'median ms':>9} {'max ms':>8} "
        f"{'x poll':>7} {'of 600 s':>9}"
    )
    for r in results:
        for move, t in r["reactions"].items():
            print(
                f"{r['backend']:<9} {r['steps']:>6} {r['asserts']:>7}  {move:<32} {t['median_s'] * 1e3:9.1f} "
                f"{t['max_s'] * 1e3:8.1f} {t['median_s'] / r['floor_s']:7.0f} "
                f"{t['max_s'] / BLOCK_INTERVAL:9.2e}"
            )
    print(
        "reference: one poll (getblockcount + getbestblockhash) "
        + ", ".join(f"{r['backend']} {r['floor_s'] * 1e3:.2f} ms" for r in results[:: len(args.steps.split(","))])
        + f"; the watchers poll every {args.poll * 1e3:.0f} ms, so up to one poll of each reaction is waiting"
    )
    if "bitcoind" not in backends:
        print("bitcoind: not found ($BITCOIND, PATH or scripts/bitcoind.sh's cache); embedded chain only")
    print("graph v1.1 guests (u32 programs); graph v2's figure (2^24 micro-steps, n = 32): without --v1")


if __name__ == "__main__":
    main()

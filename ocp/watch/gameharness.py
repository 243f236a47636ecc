"""Graph v2 drills with the parties as separate processes: the operator's and each
registered challenger's :class:`ocp.watch.gameservice.GameWatchService` against
one chain -- the embedded chain served by ``ocp regtest serve`` (its own process)
or a bitcoind -- with a miner thread mining a block every ``block_interval``
seconds.

The harness plays only what is not a party's move: it funds the roles and signs
the graph (:func:`ocp.drill.games.setup_game_world`, the guest
``go/examples/selfcheck``), broadcasts Deposit and Confirm as the depositor, and
hands the parties the files a user would: key files, ``params.toml`` naming the
guest's ELF, each party's one-time public keys (``ocp graph ots-keys``), the graph
built from them (``ocp graph build --ots-keys``, whose graph id must be the signed
graph's) and the signed ``graph.json`` (:func:`ocp.graphfile.save_graph`, the
version-2 file of :mod:`ocp.gamefile`).  The watchers are ``ocp watch`` processes
(:class:`ocp.watch.harness.Watcher`) that load that file -- regenerating every leaf
from the ELF and comparing -- and check their one-time keys against their key
files.  The operator is told to claim by ``ocp watch claim --input F`` (and
``--fault``/``--wrong-step`` for a false claim); then the harness disturbs the game
as a scenario says -- kills a watcher with SIGKILL and starts it again on the same
state folder, reorganises the chain, or runs the chain with a raised relay fee.
Every protocol move after the claim request is a watcher's.

A restarted watcher regenerates the graph before it polls (about five seconds for
the selfcheck guest) and its first poll reads the chain again, runs the program
on the claim and replays its players (one to two seconds on these busy cores):
nothing against a real block interval, but a dozen of the drills' half-second
blocks, so the miner waits until the restarted watcher's ``ready`` record (its
first poll done), and the blocks it still has to answer in are the scenario's.

Once every game of the claim has ended and only a timelock stands between the
operator and its payout (Take2 after T_max), the miner mines ten times faster:
nothing is at stake in those blocks, and T_max is two hundred of them.

When both watchers have exited (``exit_when_done``) it checks: each party's last
``done`` record, exit codes, the settling transaction on the active chain, every
one-time signature each party revealed on chain against the digest its journal
holds (nothing signed twice, whatever crashed), and the scenario's evidence (a
resumed start, rollbacks, accepted CPFP bumps for every operator move).
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ocp.drill.games import GameWorld, Guest, setup_game_world
from ocp.game.play import GameRef
from ocp.graphfile import save_graph
from ocp.ids import Role, TxKind
from ocp.keyfile import save_key
from ocp.params import save_params
from ocp.watch.challenger import Policy
from ocp.watch.events import Confirmation
from ocp.watch.follower import Follower
from ocp.watch.gameplay import signature_digests
from ocp.watch.games import CHALLENGER_WON, OPERATOR_WON, ClaimPhase
from ocp.watch.harness import (
    BACKENDS,
    MINE_TO,
    ChainProcess,
    Miner,
    Watcher,
    open_vault,
    start_chain,
)
from ocp.watch.journal import Journal
from regtest.chain import Chain, ChainError
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint

REPORT_FORMAT = "ocp-watch-v2-drill/1"
#: The funding transactions pay this (sat/vB): above a spiked relay fee, so every
#: scenario funds the same coins and shares one signed graph.
FUNDING_FEERATE = 10
#: Each party's coin for CPFP fees.
FEE_COIN = 5_000_000
#: Relay fee (sat/vB) of the fee-spike scenario: above the graph's pre-signed 2 sat/vB.
SPIKE = 5.0


@dataclass(frozen=True)
class Kill:
    """SIGKILL ``role``'s watcher once ``after`` (a transaction label) confirms;
    start it again on the same state folder ``blocks`` blocks later (within the
    move window it must answer in)."""

    role: Role
    after: str
    blocks: int = 3


@dataclass(frozen=True)
class Reorg:
    """Once ``after`` confirms, replace the top ``depth`` blocks by ``depth + 1``
    empty ones (the miner paused meanwhile)."""

    after: str
    depth: int = 2


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    claim: ClaimPhase  # how the operator's claim ends
    game: str  # how the game ends (a game phase: "closed", "challenger won", "operator won")
    settles: TxKind
    fault: str | None = None  # the operator lies (ocp.zkvm.dispute.FAULT_KINDS)
    policy: Policy = Policy.FALSE_CLAIMS
    kill: Kill | None = None
    reorg: Reorg | None = None
    fee_spike: float | None = None
    #: where the challenger's watcher leaves the claim: over with the claim, or with its
    #: own game when it loses it (Take2 comes later, without it)
    challenger_claim: ClaimPhase | None = None


CP = ClaimPhase
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "honest",
            "an honest claim: the challenger runs the program on the claimed input, finds the claim "
            "true and lets it pass; Take1 pays the operator",
            CP.PAID,
            "closed",
            TxKind.TAKE1,
        ),
        Scenario(
            "fraud",
            "a false claim (one read lied about): the challenger's watcher opens its game, answers "
            "every round of both searches and spends the ReadValue leaf, with no manual move",
            CP.STAKE_TAKEN,
            CHALLENGER_WON.value,
            TxKind.CATCH,
            fault="read",
        ),
        Scenario(
            "challenger-restart",
            "as fraud; the challenger's watcher is killed once it has started the read "
            "search and restarted three blocks later: it recomputes the read target and wins",
            CP.STAKE_TAKEN,
            CHALLENGER_WON.value,
            TxKind.CATCH,
            fault="read",
            kill=Kill(Role.CHALLENGER, "StartRead_15/c1"),
        ),
        Scenario(
            "operator-restart",
            "an honest claim disputed by a challenger that chooses at random; the "
            "operator's watcher is killed mid-search and restarted three blocks later: it answers in time, wins "
            "the game and Take2 pays it",
            CP.PAID,
            OPERATOR_WON.value,
            TxKind.TAKE2,
            policy=Policy.ALWAYS,
            kill=Kill(Role.OPERATOR, "Choose_3/c1"),
            challenger_claim=CP.DISPUTED,
        ),
        Scenario(
            "reorg",
            "as fraud; a 2-block reorganisation takes back a Choose and a Reveal of the first "
            "search: both watchers roll back, and the outcome is unchanged",
            CP.STAKE_TAKEN,
            CHALLENGER_WON.value,
            TxKind.CATCH,
            fault="read",
            reorg=Reorg("Reveal_4/c1"),
        ),
        Scenario(
            "fee-spike",
            f"the relay fee is {SPIKE:g} sat/vB, above every pre-signed feerate: each move of "
            "both parties is mined through a CPFP child on its keyed anchor (or change, or payout); the honest "
            "operator wins its game against a random challenger and Take2 pays it",
            CP.PAID,
            OPERATOR_WON.value,
            TxKind.TAKE2,
            policy=Policy.ALWAYS,
            fee_spike=SPIKE,
            challenger_claim=CP.DISPUTED,
        ),
    )
}


@dataclass(frozen=True)
class Settings:
    block_interval: float = 2.0  # seconds between the miner's blocks
    poll: float = 0.2  # the watchers' poll interval
    timeout: float = 240.0  # seconds the drill may take
    start_timeout: float = 90.0  # seconds a watcher may take to load the graph and start
    committee: int = 3


def settings_for_tests() -> Settings:
    """Fast blocks for CI: the watchers poll ten times per block."""
    return replace(Settings(), block_interval=0.5, poll=0.05, timeout=180.0)


def game_world(
    chain: Chain, guest: Guest, *, n_challengers: int = 1, committee: int = 3, fee_spike: float | None = None
) -> tuple[GameWorld, dict[str, OutPoint]]:
    """A funded world with the vault open (Deposit and Confirm mined) and a fee coin
    for each party (``"operator"``, ``"c1"``, ...)."""
    world = setup_game_world(
        chain, guest, n_challengers=n_challengers, n_committee=committee, faucet_feerate=FUNDING_FEERATE
    )
    open_vault(world, fee_spike)
    spks = {"operator": world.actors.spk(Role.OPERATOR)}
    spks.update({f"c{k + 1}": TaprootOutput(c.pubkey).script_pubkey for k, c in enumerate(world.challengers)})
    coins = world.faucet.fund_many([(spk, FEE_COIN) for spk in spks.values()], confirm=False)
    world.mine()
    return world, dict(zip(spks, coins, strict=True))


# --- the files a user would have ---------------------------------------------------------


@dataclass(frozen=True)
class GraphFiles:
    """What each party runs ``ocp watch`` with."""

    graph: Path  # the signed graph.json
    keys: dict[str, Path]  # "operator", "c1", ...: key files
    ots: dict[str, Path]  # each party's one-time public keys (ocp graph ots-keys)
    params: Path
    tape: Path  # the guest's input


def _cli(args: list[str]) -> dict:
    """Run ``ocp ARGS --json`` in this process; its JSON output (a non-zero exit is
    an error of the harness)."""
    import contextlib
    import io

    from ocp.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--json"])
    if code != 0:
        raise ChainError(f"ocp {' '.join(args[:3])} exited {code}")
    return json.loads(out.getvalue())


def write_graph_files(world: GameWorld, folder: Path, made: dict[str, GraphFiles] | None = None) -> GraphFiles:
    """Key files, params, one-time public keys and the graph -- built by ``ocp graph
    build`` from the published keys, compared by graph id with the signed graph,
    whose file (with every signature) the watchers load.  ``made`` (graph id ->
    files) keeps them: another drill of the same graph copies them."""
    folder.mkdir(parents=True, exist_ok=True)
    gid = world.graph.graph_id.hex()
    if made is not None and gid in made and all(p.is_file() for p in _paths(made[gid])):
        return _copy_files(made[gid], folder)
    params = folder / "params.toml"
    save_params(world.params, params)
    parties = {"operator": world.actors.operator, **{f"c{k + 1}": c for k, c in enumerate(world.challengers)}}
    keys, ots = {}, {}
    for who, key in parties.items():
        keys[who] = folder / f"{who}.key"
        save_key(key, keys[who], overwrite=True)
        ots[who] = folder / f"{who}-ots-keys.json"
        flag = "--operator-key" if key.role is Role.OPERATOR else "--challenger-key"
        _cli(["graph", "ots-keys", str(params), flag, str(keys[who]), "-o", str(ots[who]), "--force"])
    built = folder / "graph-unsigned.json"
    _cli(
        [
            "graph",
            "build",
            str(params),
            *(a for who in ots for a in ("--ots-keys", str(ots[who]))),
            "-o",
            str(built),
            "--force",
        ]
    )
    if json.loads(built.read_text())["graph_id"] != world.graph.graph_id.hex():
        raise ChainError("ocp graph build made another graph than the one signed")
    graph = folder / "graph.json"
    save_graph(world.graph, graph)
    tape = folder / "input.bin"
    tape.write_bytes(world.guest.tape)
    files = GraphFiles(graph, keys, ots, params, tape)
    if made is not None:
        made[gid] = files
    return files


def _paths(files: GraphFiles) -> list[Path]:
    return [files.graph, *files.keys.values(), *files.ots.values(), files.params, files.tape]


def _copy_files(files: GraphFiles, folder: Path) -> GraphFiles:
    def copy(path: Path) -> Path:
        return Path(shutil.copy2(path, folder / path.name))  # keeps a key file's 0600

    return GraphFiles(
        copy(files.graph),
        {w: copy(p) for w, p in files.keys.items()},
        {w: copy(p) for w, p in files.ots.items()},
        copy(files.params),
        copy(files.tape),
    )


# --- the drill ---------------------------------------------------------------------------


@dataclass
class Drill:
    scenario: Scenario
    backend: str
    folder: Path
    guest: Guest
    settings: Settings = field(default_factory=Settings)
    made: dict[str, GraphFiles] | None = None  # graph files of earlier drills (write_graph_files)
    events: list[dict] = field(default_factory=list)

    def run(self) -> dict:
        started = time.monotonic()
        chain = start_chain(self.backend, self.folder, self.scenario.fee_spike)
        miner: Miner | None = None
        watchers: dict[str, Watcher] = {}
        try:
            world, coins = game_world(
                chain.client, self.guest, committee=self.settings.committee, fee_spike=self.scenario.fee_spike
            )
            miner = Miner(chain.connect, self.settings.block_interval)
            files = write_graph_files(world, self.folder, self.made)
            watchers = self._start_watchers(files, chain, coins)
            self._claim(world, files)
            for watcher in watchers.values():
                watcher.wait_started(self.settings.start_timeout)
            miner.start()
            follower = self._play(world, chain, miner, watchers)
            miner.stop()
            for watcher in watchers.values():
                watcher.kill() if watcher.running else watcher.reap()
            report = self._report(world, follower, watchers, miner, time.monotonic() - started)
        finally:
            if miner is not None:
                miner.stop()
            for watcher in watchers.values():
                if watcher.running:
                    watcher.kill()
            chain.stop()
        (self.folder / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        return report

    def _start_watchers(self, files: GraphFiles, chain: ChainProcess, coins: dict[str, OutPoint]) -> dict[str, Watcher]:
        """``ocp watch`` for the operator and each challenger, on the graph file."""
        common = [
            "--graph",
            str(files.graph),
            "--chain",
            "kernel" if self.backend == "kernel" else "bitcoind",
            "--rpc-url",
            chain.url,
            "--rpc-cookie",
            str(chain.cookie),
            "--poll",
            str(self.settings.poll),
            "--bump-after",
            "2",
            "--exit-when-done",
            "--json",
        ]
        watchers = {}
        for who, key in files.keys.items():
            role = Role.OPERATOR if who == "operator" else Role.CHALLENGER
            coin = coins[who]
            args = [
                "--role",
                role.value,
                "--key",
                str(key),
                "--state",
                str(self.folder / f"{who}-state"),
                "--coin",
                f"{coin.txid}:{coin.vout}",
                *common,
            ]
            if role is Role.CHALLENGER:
                args += ["--policy", self.scenario.policy.value]
            watchers[who] = Watcher(role, args, self.folder / f"{who}.log")
            watchers[who].start()
        return watchers

    def _claim(self, world: GameWorld, files: GraphFiles) -> None:
        """``ocp watch claim --input F`` (with the scenario's fault: a false claim)."""
        args = [
            "watch",
            "claim",
            "--role",
            "operator",
            "--graph",
            str(files.graph),
            "--key",
            str(files.keys["operator"]),
            "--state",
            str(self.folder / "operator-state"),
            "--input",
            str(files.tape),
        ]
        if self.scenario.fault:
            args += ["--fault", self.scenario.fault]
        _cli(args)
        self.events.append({"at": world.chain.height(), "event": "claim requested", "fault": self.scenario.fault})

    def _play(self, world: GameWorld, chain: ChainProcess, miner: Miner, watchers: dict[str, Watcher]) -> Follower:
        follower = Follower(chain.client, world.graph, start_height=0)
        s = self.scenario
        kill, reorg = s.kill, s.reorg
        killed_at: int | None = None
        restarted = reorged = fast = False
        deadline = time.monotonic() + self.settings.timeout
        while time.monotonic() < deadline:
            follower.poll()
            tip = follower.tip.height if follower.tip else 0
            mined = {str(c.name): c.height for c in follower.confirmed}
            who = None if kill is None else ("operator" if kill.role is Role.OPERATOR else "c1")
            if kill and killed_at is None and kill.after in mined:
                watchers[who].kill()
                killed_at = tip
                self.events.append({"at": tip, "event": f"killed the {kill.role} watcher (SIGKILL)"})
            if kill and killed_at is not None and not restarted and tip >= killed_at + kill.blocks:
                with miner.paused():  # while it regenerates the graph and catches up (module docstring)
                    watchers[who].start()
                    watchers[who].wait_ready(self.settings.start_timeout)
                restarted = True
                self.events.append({"at": tip, "event": f"restarted the {kill.role} watcher"})
            if reorg and not reorged and reorg.after in mined:
                with miner.paused():
                    height = chain.client.height()
                    chain.client.reorg(height - reorg.depth, reorg.depth + 1, MINE_TO)
                reorged = True
                self.events.append(
                    {
                        "at": height,
                        "event": f"reorganisation: blocks {height - reorg.depth + 1}-"
                        f"{height} replaced by {reorg.depth + 1} empty blocks",
                    }
                )
            if not fast and s.settles is TxKind.TAKE2 and self._games_over(follower):
                miner.interval = self.settings.block_interval / 10
                fast = True
                self.events.append({"at": tip, "event": "every game over: blocks ten times faster until Take2"})
            for watcher in watchers.values():
                watcher.reap()
            pending = kill is not None and not restarted
            if not pending and not any(w.running for w in watchers.values()):
                break
            time.sleep(0.05)
        else:
            self.events.append({"at": None, "event": f"timed out after {self.settings.timeout:.0f} s"})
        follower.poll()
        return follower

    @staticmethod
    def _games_over(follower: Follower) -> bool:
        ends = (TxKind.CATCH, TxKind.OPERATOR_SILENT, TxKind.CHALLENGER_SILENT, TxKind.BEYOND_N)
        opened = {c.name.game for c in follower.confirmed if c.name.kind is TxKind.OPEN}
        ended = {c.name.game for c in follower.confirmed if c.name.kind in ends}
        return bool(opened) and opened <= ended

    # --- what happened -------------------------------------------------------------------

    def _report(
        self, world: GameWorld, follower: Follower, watchers: dict[str, Watcher], miner: Miner | None, seconds: float
    ) -> dict:
        s = self.scenario
        logs = {who: w.records() for who, w in watchers.items()}
        done = {who: next((r for r in reversed(logs[who]) if r["kind"] == "done"), None) for who in watchers}
        outcome = {who: None if d is None else d["outcome"] for who, d in done.items()}
        timeline = [{"height": c.height, "tx": str(c.name), "txid": c.txid} for c in follower.confirmed]
        settled = [c for c in follower.confirmed if c.name.kind is s.settles]
        want = {"claim": s.claim.value, "c1": s.game}
        lost = s.claim is ClaimPhase.STAKE_TAKEN
        checks = {
            "operator_outcome": outcome["operator"] == want,
            "challenger_outcome": outcome["c1"] == {**want, "claim": (s.challenger_claim or s.claim).value},
            "settled_on_chain": len(settled) == 1,
            "exit_codes": watchers["operator"].exit_codes[-1:] == [1 if lost else 0]
            and watchers["c1"].exit_codes[-1:] == [0],
            "signatures_match_the_journals": self._signatures_match(world, follower),
        }
        if s.kill:
            who = "operator" if s.kill.role is Role.OPERATOR else "c1"
            starts = [r for r in logs[who] if r["kind"] == "start"]
            checks["resumed_after_kill"] = (
                len(starts) >= 2 and bool(starts[-1].get("resumed")) and watchers[who].exit_codes[0] == -signal.SIGKILL
            )
            checks["no_replay_differs"] = not any(r["kind"] == "replay" for r in logs[who])
        if s.reorg:
            checks["both_rolled_back"] = all(any(r["kind"] == "rollback" for r in logs[who]) for who in watchers)
        if s.fee_spike:
            bumped = {r["tx"] for r in logs["operator"] if r["kind"] == "bump" and r.get("accepted")}
            own = [
                str(c.name)
                for c in follower.confirmed
                if c.name.kind
                in (
                    TxKind.PREPARE,
                    TxKind.KICKOFF,
                    TxKind.REVEAL,
                    TxKind.EXECUTE,
                    TxKind.BEYOND_N,
                    TxKind.CHALLENGER_SILENT,
                    TxKind.TAKE2,
                )
            ]
            checks["every_operator_move_bumped"] = bool(own) and all(name in bumped for name in own)
        counts = {
            who: {
                kind: sum(1 for r in logs[who] if r["kind"] == kind)
                for kind in (
                    "transition",
                    "broadcast",
                    "signed",
                    "bump",
                    "rollback",
                    "reorg",
                    "start",
                    "replay",
                    "refused-to-sign",
                )
            }
            for who in watchers
        }
        return {
            "format": REPORT_FORMAT,
            "scenario": s.name,
            "what": s.what,
            "backend": self.backend,
            "passed": all(checks.values()),
            "checks": checks,
            "outcome": outcome,
            "exit_codes": {who: w.exit_codes for who, w in watchers.items()},
            "harness": self.events,
            "timeline": timeline,
            "records": counts,
            "blocks_mined_by_miner": miner.blocks if miner else 0,
            "block_interval_s": self.settings.block_interval,
            "seconds": round(seconds, 1),
            "graph_id": world.graph.graph_id.hex(),
        }

    def _signatures_match(self, world: GameWorld, follower: Follower) -> bool:
        """Every one-time signature each party revealed on chain is the one its journal
        holds (nothing signed twice under one key, whatever crashed)."""
        journals = {
            "operator": Journal(self.folder / "operator-state" / "journal.jsonl"),
            "c1": Journal(self.folder / "c1-state" / "journal.jsonl"),
        }
        return signatures_match(world, follower.confirmed, journals)


def signatures_match(world: GameWorld, confirmed: list[Confirmation], journals: dict[str, Journal]) -> bool:
    """Every one-time signature revealed in ``confirmed`` by the operator (journal
    ``"operator"``) or challenger k (``"c<k>"``) equals its journaled digest."""
    seen = 0
    for c in confirmed:
        if c.name.kind is TxKind.KICKOFF:
            refs = [(GameRef(world.graph, 0, 0), "operator", Role.OPERATOR)]
        elif c.name.game is not None:
            ref = GameRef(world.graph, 0, c.name.game - 1)
            refs = [(ref, "operator", Role.OPERATOR), (ref, f"c{c.name.game}", Role.CHALLENGER)]
        else:
            continue
        for ref, who, role in refs:
            if who not in journals:
                continue
            journaled = journals[who].signed_digests()
            for key, digest in signature_digests(ref, c.name, c.tx, role).items():
                if journaled.get(key) != digest:
                    return False
                seen += 1
    return seen > 0


def run_drill(
    name: str,
    backend: str = "kernel",
    folder: str | Path | None = None,
    settings: Settings | None = None,
    guest: Guest | None = None,
    made: dict[str, GraphFiles] | None = None,
) -> dict:
    """Run scenario ``name`` on ``backend`` in ``folder`` (a temporary one if None);
    drills with one ``guest`` share its signed graph (every scenario funds the same
    coins), and with one ``made`` its files."""
    scenario = SCENARIOS[name]
    settings = settings or Settings()
    guest = guest or Guest.selfcheck()
    if folder is None:
        with tempfile.TemporaryDirectory(prefix=f"ocp-watch-v2-{name}-") as tmp:
            return Drill(scenario, backend, Path(tmp), guest, settings, made).run()
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return Drill(scenario, backend, path, guest, settings, made).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m ocp.watch.gameharness SCENARIO|all [--backend B] [--folder DIR]``:
    run graph v2 drills with watcher processes, print each verdict, keep logs and
    reports in DIR."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ocp.watch.gameharness", description=main.__doc__)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--backend", choices=BACKENDS, default="kernel")
    parser.add_argument("--folder", default="watch-v2-drills", help="logs, state folders and report.json per drill")
    parser.add_argument("--block-interval", type=float, default=Settings.block_interval, help="seconds")
    args = parser.parse_args(argv)
    settings = replace(Settings(), block_interval=args.block_interval, poll=min(0.2, args.block_interval / 5))
    guest = Guest.selfcheck()
    made: dict[str, GraphFiles] = {}
    passed = True
    for name in SCENARIOS if args.scenario == "all" else [args.scenario]:
        where = Path(args.folder) / f"{name}-{args.backend}"
        report = run_drill(name, args.backend, where, settings, guest, made)
        passed &= report["passed"]
        failed = [k for k, ok in report["checks"].items() if not ok]
        verdict = "passed" if report["passed"] else f"FAILED {failed}"
        print(
            f"{name} on {args.backend}: {verdict}; {report['outcome']}; {report['seconds']} s; {where / 'report.json'}",
            flush=True,
        )
    return 0 if passed else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

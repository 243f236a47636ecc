"""Drills with the parties as separate processes: ``ocp watch`` for the operator and
for the challenger, against one chain -- the embedded chain served by ``ocp
regtest serve`` (its own process) or a bitcoind -- with a miner thread mining a
block every ``block_interval`` seconds.

The harness plays only what is not a party's move: it funds the roles and runs the
ceremony (:func:`ocp.drill.world.setup_world`), broadcasts Deposit and Confirm as
the depositor, tells the operator's service to claim (``ocp watch claim``), and
then disturbs the game as a scenario says -- kills a watcher with SIGKILL and
starts it again on the same state folder, reorganises the chain, or starts the
chain with a spiked relay fee.  Every protocol move after the claim is made by
the watchers alone.  The miner starts once both watchers are up, and holds while
a restarted watcher's Python starts (a second or two: many of the test's short
blocks, a fraction of a real one); the restarted watcher then catches up and
acts with blocks coming.  It follows the chain with its own
:class:`ocp.watch.follower.Follower`, and when both watchers have exited
(``--exit-when-done``) it checks the outcome: each party's last ``done`` record,
exit codes, the settling transaction on the active chain, the operator's revealed
values against its journal, and the scenario's own evidence (a resumed start,
rollbacks, accepted CPFP bumps).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ocp.drill import moves as drill_moves
from ocp.drill.defaults import CHALLENGE_WINDOW, REFUND_TIMEOUT, VALUES_PER_ASSERT
from ocp.drill.world import World, setup_world
from ocp.graphfile import save_graph
from ocp.ids import Role, TxKind
from ocp.keyfile import save_key
from ocp.moves import operator_trace, revealed_in
from ocp.ots import read_value
from ocp.params import RESPONSE_MARGIN, Windows
from ocp.program import U32Program
from ocp.watch.challenger import ChallengerPhase, Policy
from ocp.watch.follower import Follower
from ocp.watch.operator import KEPT_STAKE, OperatorPhase
from regtest.chain import Chain, ChainError
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput
from taptrees.tx import OutPoint

BACKENDS = ("kernel", "bitcoind")
#: Blocks the harness and the miner mine pay an output nobody can spend.
MINE_TO = TaprootOutput(NUMS_INTERNAL_KEY).script_pubkey
REPORT_FORMAT = "ocp-watch-drill/1"


@dataclass(frozen=True)
class Kill:
    """SIGKILL ``role``'s watcher once ``after`` confirms (ASSERT: the last Assert);
    start it again on the same state folder once ``restart_after`` has ``blocks``
    confirmations."""

    role: Role
    after: TxKind
    restart_after: TxKind
    blocks: int = 1


@dataclass(frozen=True)
class Reorg:
    """Once ``after`` confirms, replace the top ``depth`` blocks by ``depth + 1``
    empty ones (the miner paused meanwhile)."""

    after: TxKind
    depth: int = 2


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    operator_ends: OperatorPhase
    challenger_ends: ChallengerPhase
    settles: TxKind  # the transaction that settles the claim
    false_claim: bool = False
    policy: Policy = Policy.FALSE_CLAIMS
    kill: Kill | None = None
    reorg: Reorg | None = None
    fee_spike: float | None = None  # sat/vB the chain's relay fee starts at


O, C = OperatorPhase, ChallengerPhase  # noqa: E741 - short names keep the table readable
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("honest", "an honest claim, not challenged: Take1 pays the operator", O.PAID, C.CLOSED, TxKind.TAKE1),
        Scenario(
            "fraud",
            "a false claim: challenged, answered with the wrong trace, disproved by the challenger's "
            "watcher with no manual move",
            O.DISPROVED,
            C.WON,
            TxKind.DISPROVE,
            false_claim=True,
        ),
        Scenario(
            "challenger-restart",
            "a false claim; the challenger's watcher is killed after its Challenge and "
            "restarted after the Asserts: it resumes and disproves",
            O.DISPROVED,
            C.WON,
            TxKind.DISPROVE,
            false_claim=True,
            kill=Kill(Role.CHALLENGER, TxKind.CHALLENGE, TxKind.ASSERT, 0),
        ),
        Scenario(
            "operator-restart",
            "an honest claim challenged anyway; the operator's watcher is killed after its "
            "Kickoff and restarted after the Challenge: it answers in time and Take2 pays it",
            O.PAID,
            C.CLOSED,
            TxKind.TAKE2,
            policy=Policy.ALWAYS,
            kill=Kill(Role.OPERATOR, TxKind.KICKOFF, TxKind.CHALLENGE, 1),
        ),
        Scenario(
            "reorg",
            "a false claim; a 2-block reorganisation takes the Challenge and the Asserts back: both "
            "watchers roll back, and the outcome is unchanged",
            O.DISPROVED,
            C.WON,
            TxKind.DISPROVE,
            false_claim=True,
            reorg=Reorg(TxKind.ASSERT, 2),
        ),
        Scenario(
            "fee-spike",
            "the relay fee is above every pre-signed feerate: each of the operator's moves "
            "(Prepare, Kickoff, the Asserts, Take2) is mined through a CPFP child on its keyed output",
            O.PAID,
            C.CLOSED,
            TxKind.TAKE2,
            policy=Policy.ALWAYS,
            fee_spike=5.0,
        ),
    )
}


@dataclass(frozen=True)
class Settings:
    block_interval: float = 2.0  # seconds between the miner's blocks
    poll: float = 0.2  # the watchers' --poll
    steps: int = 8  # steps of the claimed u32 program
    timeout: float = 180.0  # seconds the game may take
    committee: int = 3


def drill_windows(program: U32Program) -> Windows:
    """Windows a little wider than the narrowest the rules allow, so that a watcher
    restarted on a loaded machine still has blocks to spare (every window in blocks)."""
    asserts = -(-max(program.n_steps - 1, 1) // VALUES_PER_ASSERT) + 1
    challenge = CHALLENGE_WINDOW + 2
    return Windows(
        challenge=challenge,
        response=challenge + asserts + RESPONSE_MARGIN + 4,
        disprove=challenge,
        refund=REFUND_TIMEOUT,
    )


def fault_step(program: U32Program) -> int:
    """A step whose miscomputation changes the claim (a single flipped bit can be
    masked by a later and/shift): the middle one if it shows, else the last."""
    honest = operator_trace(program)[-1]
    for step in (program.n_steps // 2, *range(program.n_steps - 1, -1, -1)):
        if operator_trace(program, step)[-1] != honest:
            return step
    raise AssertionError("no single-step fault changes this program's result")


def open_vault(world: World, fee_spike: float | None = None) -> None:
    """Deposit and Confirm, as the depositor (through CPFP on its change and anchor
    when the relay fee is spiked to ``fee_spike`` sat/vB), each mined."""
    fee_coin = None
    for kind, vout in ((TxKind.DEPOSIT, 1), (TxKind.CONFIRM, 1)):
        tx, _ = drill_moves.move(world, kind)
        if fee_spike:
            child = drill_moves.bump(world, tx, world.actors.depositor, vout, fee_spike * 2, fee_coin)
            result = world.chain.submit_package([tx, child])
            fee_coin = OutPoint(child.txid, 0)
        else:
            result = world.chain.submit(tx)
        if not result:
            raise ChainError(f"the depositor's {kind} was refused: {result}")
        world.mine()


# --- the chain and the miner -------------------------------------------------------------


@dataclass
class ChainProcess:
    """The chain the parties share: its RPC URL and cookie, the harness's client, and
    how to open another client (the miner's) and to stop it all."""

    url: str
    cookie: Path
    client: Chain
    connect: Callable[[], Chain]
    stop: Callable[[], None]


def start_chain(backend: str, folder: Path, fee_spike: float | None) -> ChainProcess:
    if backend == "kernel":
        return _serve_kernel(folder, fee_spike)
    from regtest.bitcoind import BitcoindChain

    extra = [f"-minrelaytxfee={fee_spike / 1e5:.8f}"] if fee_spike else []
    node = BitcoindChain(extra_args=extra)
    cookie = node.cookie_path
    assert cookie is not None
    return ChainProcess(node.url, cookie, node, lambda: BitcoindChain(node.url, cookie_path=cookie), node.close)


def _serve_kernel(folder: Path, fee_spike: float | None) -> ChainProcess:
    from regtest.served import ServedChain

    args = [
        sys.executable,
        "-m",
        "ocp.cli",
        "regtest",
        "serve",
        "--chain-dir",
        str(folder / "chain"),
        "--port",
        "0",
        "--json",
    ]
    if fee_spike:
        args += ["--min-relay-feerate", str(fee_spike)]
    log = open(folder / "chain.log", "wb")  # noqa: SIM115 - closed in stop()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    line = _read_line(process.stdout, 60.0)
    if not line:
        process.kill()
        process.wait()
        log.close()
        raise ChainError(f"ocp regtest serve did not start: {(folder / 'chain.log').read_text()[-500:]}")
    ready = json.loads(line)
    url, cookie = ready["url"], Path(ready["cookie"])
    client = ServedChain(url, cookie_path=cookie)

    def stop() -> None:
        try:
            client.rpc("stop")
        except Exception:  # noqa: BLE001 - the server may be gone already
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    return ChainProcess(url, cookie, client, lambda: ServedChain(url, cookie_path=cookie), stop)


def _read_line(stream, timeout: float) -> bytes:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        if not selector.select(timeout):
            return b""
        return stream.readline()
    finally:
        selector.close()


class Miner(threading.Thread):
    """Mines one block (the whole mempool) every ``interval`` seconds on its own
    client until stopped; :meth:`paused` holds it (for a reorganisation)."""

    def __init__(self, connect: Callable[[], Chain], interval: float) -> None:
        super().__init__(daemon=True)
        self.connect = connect
        self.interval = interval
        self.blocks = 0
        self.errors: list[str] = []
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        with self.connect() as chain:
            while not self._stop_event.wait(self.interval):
                with self._lock:
                    try:
                        chain.mine(1, MINE_TO)
                        self.blocks += 1
                    except ChainError as exc:  # the chain went away: the drill is ending
                        self.errors.append(str(exc))

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            yield

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=30)


# --- the watcher processes ---------------------------------------------------------------


class Watcher:
    """One ``ocp watch`` process; its JSON-lines log accumulates over restarts."""

    def __init__(self, role: Role, args: list[str], log: Path) -> None:
        self.role = role
        self.args = args
        self.log = log
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.exit_codes: list[int] = []

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ocp.cli", "watch", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or closed by the process itself."""
        if self.process is not None:
            self.process.kill()
            self.exit_codes.append(self.process.wait())
            self.process = None

    def wait_started(self, timeout: float = 60.0) -> None:
        """Wait until this run of the process logged its ``start`` record."""
        deadline = time.monotonic() + timeout
        while sum(1 for r in self.records() if r.get("kind") == "start") < self.starts:
            if not self.running or time.monotonic() > deadline:
                raise ChainError(f"the {self.role} watcher did not start: {self.log.read_text()[-800:]}")
            time.sleep(0.02)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until this run of the process logged ``ready``: its first poll done
        (the chain read, the journal and its players rebuilt, what was due sent)."""
        deadline = time.monotonic() + timeout
        while sum(1 for r in self.records() if r.get("kind") == "ready") < self.starts:
            if not self.running or time.monotonic() > deadline:
                raise ChainError(f"the {self.role} watcher did not catch up: {self.log.read_text()[-800:]}")
            time.sleep(0.02)

    def reap(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.exit_codes.append(self.process.returncode)
            self.process = None

    def records(self) -> list[dict]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a traceback or a torn line
            if isinstance(record, dict):
                out.append(record)
        return out


# --- the drill ---------------------------------------------------------------------------


@dataclass
class Drill:
    scenario: Scenario
    backend: str
    folder: Path
    settings: Settings = field(default_factory=Settings)
    events: list[dict] = field(default_factory=list)

    def run(self) -> dict:
        started = time.monotonic()
        chain = start_chain(self.backend, self.folder, self.scenario.fee_spike)
        miner: Miner | None = None
        watchers: dict[Role, Watcher] = {}
        try:
            world = self._world(chain.client)
            self._open_vault(world)
            watchers = self._start_watchers(world, chain)
            for watcher in watchers.values():
                watcher.wait_started()
            wrong = fault_step(world.params.computation) if self.scenario.false_claim else None
            self._claim(world, wrong)
            miner = Miner(chain.connect, self.settings.block_interval)
            miner.start()
            follower = self._play(world, chain, miner, watchers)
            miner.stop()
            for watcher in watchers.values():
                watcher.kill() if watcher.running else watcher.reap()
            report = self._report(world, follower, watchers, miner, wrong, time.monotonic() - started)
        finally:
            if miner is not None:
                miner.stop()
            for watcher in watchers.values():
                if watcher.running:
                    watcher.kill()
            chain.stop()
        (self.folder / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        return report

    def _world(self, chain: Chain) -> World:
        program = U32Program.sample(self.settings.steps)
        return setup_world(
            chain,
            n_committee=self.settings.committee,
            program=program,
            windows=drill_windows(program),
            faucet_feerate=10 if self.scenario.fee_spike else None,
        )

    def _open_vault(self, world: World) -> None:
        open_vault(world, self.scenario.fee_spike)

    def _start_watchers(self, world: World, chain: ChainProcess) -> dict[Role, Watcher]:
        graph_path = self.folder / "graph.json"
        save_graph(world.graph, graph_path)
        common = [
            "--graph",
            str(graph_path),
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
        for role, key in ((Role.OPERATOR, world.actors.operator), (Role.CHALLENGER, world.actors.challenger)):
            key_path = self.folder / f"{role.value}.key"
            save_key(key, key_path, overwrite=True)
            args = [
                "--role",
                role.value,
                "--key",
                str(key_path),
                "--state",
                str(self.folder / f"{role.value}-state"),
                *common,
            ]
            if role is Role.CHALLENGER:
                coin = world.funding[(Role.CHALLENGER, 0)]
                args += ["--policy", self.scenario.policy.value, "--coin", f"{coin.txid}:{coin.vout}"]
            watchers[role] = Watcher(role, args, self.folder / f"{role.value}.log")
            watchers[role].start()
        return watchers

    def _claim(self, world: World, wrong: int | None) -> None:
        from ocp.cli import main

        args = [
            "watch",
            "claim",
            "--role",
            "operator",
            "--graph",
            str(self.folder / "graph.json"),
            "--key",
            str(self.folder / "operator.key"),
            "--state",
            str(self.folder / "operator-state"),
            "--json",
        ]
        if wrong is not None:
            args += ["--wrong-step", str(wrong)]
        with open(os.devnull, "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                code = main(args)
            finally:
                sys.stdout = stdout
        if code != 0:
            raise ChainError(f"ocp watch claim exited {code}")
        self.events.append({"at": world.chain.height(), "event": "claim requested", "wrong_step": wrong})

    def _play(self, world: World, chain: ChainProcess, miner: Miner, watchers: dict[Role, Watcher]) -> Follower:
        follower = Follower(chain.client, world.graph, start_height=0)
        kill, reorg = self.scenario.kill, self.scenario.reorg
        killed = restarted = reorged = False
        deadline = time.monotonic() + self.settings.timeout
        while time.monotonic() < deadline:
            follower.poll()
            tip = follower.tip.height if follower.tip else 0
            if kill and not killed and self._mined(world, follower, kill.after) is not None:
                watchers[kill.role].kill()
                killed = True
                self.events.append({"at": tip, "event": f"killed the {kill.role} watcher (SIGKILL)"})
            if kill and killed and not restarted:
                mined = self._mined(world, follower, kill.restart_after)
                if mined is not None and tip >= mined + kill.blocks:
                    watchers[kill.role].start()
                    with miner.paused():  # Python's start-up: many 0.3 s blocks, a fraction of a real one
                        watchers[kill.role].wait_started()
                    restarted = True
                    self.events.append({"at": tip, "event": f"restarted the {kill.role} watcher"})
            if reorg and not reorged and self._mined(world, follower, reorg.after) is not None:
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

    def _mined(self, world: World, follower: Follower, kind: TxKind) -> int | None:
        """Height at which ``kind`` of the operator's claim confirmed (ASSERT: the last)."""
        index = world.graph.n_chunks - 1 if kind is TxKind.ASSERT else None
        for c in follower.confirmed:
            if c.name.kind is kind and (index is None or c.name.index == index):
                return c.height
        return None

    # --- what happened -------------------------------------------------------------------

    def _report(
        self,
        world: World,
        follower: Follower,
        watchers: dict[Role, Watcher],
        miner: Miner | None,
        wrong: int | None,
        seconds: float,
    ) -> dict:
        s = self.scenario
        logs = {role: w.records() for role, w in watchers.items()}
        done = {role: next((r for r in reversed(logs[role]) if r["kind"] == "done"), None) for role in watchers}
        outcome = {role.value: None if d is None else next(iter(d["outcome"].values())) for role, d in done.items()}
        timeline = [{"height": c.height, "tx": str(c.name), "txid": c.txid} for c in follower.confirmed]
        settled = [c for c in follower.confirmed if c.name.kind is s.settles]
        want_exit = {Role.OPERATOR: 0 if s.operator_ends in KEPT_STAKE else 1, Role.CHALLENGER: 0}
        checks = {
            "operator_outcome": outcome[Role.OPERATOR.value] == s.operator_ends.value,
            "challenger_outcome": outcome[Role.CHALLENGER.value] == s.challenger_ends.value,
            "settled_on_chain": bool(settled),
            "exit_codes": all(w.exit_codes[-1:] == [want_exit[r]] for r, w in watchers.items()),
            "reveals_match_the_journal": self._reveals_match(world, follower),
        }
        if s.kill:
            starts = [r for r in logs[s.kill.role] if r["kind"] == "start"]
            checks["resumed_after_kill"] = len(starts) >= 2 and bool(starts[-1].get("resumed"))
        if s.reorg:
            checks["both_rolled_back"] = all(any(r["kind"] == "rollback" for r in logs[role]) for role in watchers)
        if s.fee_spike:
            bumps = [r for r in logs[Role.OPERATOR] if r["kind"] == "bump" and r.get("accepted")]
            bumped = {r["tx"] for r in bumps}
            checks["every_operator_move_bumped"] = all(
                str(c.name) in bumped
                for c in follower.confirmed
                if c.name.kind in (TxKind.PREPARE, TxKind.KICKOFF, TxKind.ASSERT, s.settles)
            )
        counts = {
            role.value: {
                kind: sum(1 for r in logs[role] if r["kind"] == kind)
                for kind in ("transition", "broadcast", "bump", "rollback", "reorg", "start")
            }
            for role in watchers
        }
        return {
            "format": REPORT_FORMAT,
            "scenario": s.name,
            "what": s.what,
            "backend": self.backend,
            "passed": all(checks.values()),
            "checks": checks,
            "outcome": outcome,
            "exit_codes": {role.value: w.exit_codes for role, w in watchers.items()},
            "wrong_step": wrong,
            "harness": self.events,
            "timeline": timeline,
            "records": counts,
            "blocks_mined_by_miner": miner.blocks if miner else 0,
            "block_interval_s": self.settings.block_interval,
            "seconds": round(seconds, 1),
            "graph_id": world.graph.graph_id.hex(),
        }

    def _reveals_match(self, world: World, follower: Follower) -> bool:
        """Every value the operator revealed on chain is the one its journal committed
        to (nothing revealed twice, whatever crashed)."""
        from ocp.watch.journal import Journal

        journal = Journal(self.folder / "operator-state" / "journal.jsonl")
        committed = journal.committed_values()
        keys = world.graph.ots[0]
        for c in follower.confirmed:
            if c.name.kind in (TxKind.KICKOFF, TxKind.ASSERT):
                for index, items in revealed_in(world.graph, c.name, c.tx).items():
                    if read_value(keys, index, items) != committed.get(index):
                        return False
        return bool(committed)


def run_drill(
    name: str, backend: str = "kernel", folder: str | Path | None = None, settings: Settings | None = None
) -> dict:
    """Run scenario ``name`` on ``backend`` in ``folder`` (a temporary one if None)."""
    scenario = SCENARIOS[name]
    settings = settings or Settings()
    if folder is None:
        with tempfile.TemporaryDirectory(prefix=f"ocp-watch-{name}-") as tmp:
            return Drill(scenario, backend, Path(tmp), settings).run()
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return Drill(scenario, backend, path, settings).run()


def settings_for_tests() -> Settings:
    """Fast blocks for CI: the watchers poll ten times per block."""
    return replace(Settings(), block_interval=0.3, poll=0.05, timeout=120.0)


def main(argv: list[str] | None = None) -> int:
    """``python -m ocp.watch.harness SCENARIO [--backend B] [--folder DIR]``: run one
    drill (or ``all``), print each report's verdict, keep logs and reports in DIR."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ocp.watch.harness", description=main.__doc__)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--backend", choices=BACKENDS, default="kernel")
    parser.add_argument("--folder", default="watch-drills", help="logs, state folders and report.json per drill")
    parser.add_argument("--block-interval", type=float, default=Settings.block_interval, help="seconds")
    args = parser.parse_args(argv)
    settings = replace(Settings(), block_interval=args.block_interval, poll=min(0.2, args.block_interval / 5))
    passed = True
    for name in SCENARIOS if args.scenario == "all" else [args.scenario]:
        report = run_drill(name, args.backend, Path(args.folder) / f"{name}-{args.backend}", settings)
        passed &= report["passed"]
        failed = [k for k, ok in report["checks"].items() if not ok]
        verdict = "passed" if report["passed"] else f"FAILED {failed}"
        print(
            f"{name} on {args.backend}: {verdict}; {report['outcome']}; {report['seconds']} s; "
            f"{Path(args.folder) / f'{name}-{args.backend}' / 'report.json'}"
        )
    return 0 if passed else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

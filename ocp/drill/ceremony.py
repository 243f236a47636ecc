"""The ``ceremony`` drills: a coordinator and one signer process per party sign a
whole graph on localhost (``ocp ceremony serve`` and ``ocp ceremony join``), then
the ``happy`` and ``fraud`` drills run on the signed graph.

Variants:

* ``ceremony``: every signer honest.
* ``ceremony-blame``: one committee member's process sends an invalid partial
  signature (:mod:`ocp.drill.faulty_signer`).  The coordinator must name it (and
  only it); the drill then replaces it with an honest ``ocp ceremony join`` of
  the same key and nonce store, and the ceremony must complete.
* ``ceremony-crash``: one committee member's process is killed (SIGKILL) after
  its nonces reached the coordinator and before it signed, then restarted with
  the same nonce store.  It must refuse to sign the round it handed nonces out
  for, the coordinator must start a fresh round, and the ceremony must complete.

In each, the drill checks that the graph is complete and verifies, that the
coordinator blamed exactly whom it should, and that no public nonce was ever
handed out twice: every nonce in the coordinator's transcript and every nonce in
every member's store is distinct, and no session was signed twice.  With a key
chain committee (``--committee-form chain``) the members sign with presign
through the same service: the faulty member sends an invalid ordinary signature
(named the same way), the killed one is killed once it has checked the graph (no
rounds, no nonces) and its restart posts the same deterministic signatures.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ocp.ceremony.client import CoordinatorClient
from ocp.committee import CommitteeForm
from ocp.drill.report import REPORT_FORMAT, report_json
from ocp.drill.scenarios import fraud, happy
from ocp.drill.world import Actors, setup_world
from ocp.errors import UserError
from ocp.graph import Graph
from ocp.graphfile import load_graph, save_graph
from ocp.keyfile import RoleKey, save_key
from ocp.program import U32Program
from ocp.signing import outstanding_signatures

VARIANTS = ("ceremony", "ceremony-blame", "ceremony-crash")
#: Seconds the whole ceremony may take on a drill graph.
DEADLINE = 180.0


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self) -> str:
        text = self.log.read_text() if self.log.exists() else ""
        return " | ".join(text.strip().splitlines()[-3:])


@dataclass
class CeremonyRun:
    """What the processes did."""

    variant: str
    folder: Path
    processes: list[Process] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def start(self, name: str, args: list[str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=self.folder, env=os.environ.copy())
        process = Process(name, popen, log)
        self.processes.append(process)
        self.events.append(f"started {name} (pid {popen.pid})")
        return process

    def stop_all(self) -> None:
        for p in self.processes:
            if p.popen.poll() is None:
                p.popen.kill()
                p.popen.wait()


def _ocp(*args: str) -> list[str]:
    return [sys.executable, "-m", "ocp.cli", *args]


def _wait_for(what: str, test: Callable[[], bool], run: CeremonyRun, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not test():
        if time.monotonic() > end:
            logs = "; ".join(f"{p.name}: {p.tail()}" for p in run.processes)
            raise UserError(f"ceremony drill: timed out waiting for {what} ({logs})")
        time.sleep(0.05)


def run_ceremony(actors: Actors, graph: Graph, variant: str, folder: Path) -> tuple[Graph, dict]:
    """Sign ``graph`` with a coordinator process and one process per party; returns
    the signed graph and what happened (for the report)."""
    run = CeremonyRun(variant, folder)
    graph_file = folder / "graph.json"
    save_graph(graph, graph_file)
    keys: dict[str, RoleKey] = {}
    for key in [*actors.committee, *actors.operators, actors.depositor]:
        save_key(key, folder / f"{key.name}.key")
        keys[key.name] = key
    start = time.monotonic()
    coordinator = run.start(
        "coordinator",
        _ocp(
            "ceremony",
            "serve",
            "graph.json",
            "--url-file",
            "url.txt",
            "--transcript",
            "transcript.jsonl",
            "--round-timeout",
            "60",
            "--linger",
            "1.5",
        ),
    )
    try:
        _wait_for(
            "the coordinator's URL", lambda: (folder / "url.txt").exists() or coordinator.popen.poll() is not None, run
        )
        if coordinator.popen.poll() is not None:
            raise UserError(f"the coordinator stopped: {coordinator.tail()}")
        url = (folder / "url.txt").read_text().strip()
        client = CoordinatorClient(url, give_up=30.0)
        try:
            _sign(run, url, client, actors, keys)
        finally:
            client.close()
        _wait_for("the coordinator to finish", lambda: coordinator.popen.poll() is not None, run)
        run.seconds = time.monotonic() - start
    finally:
        run.stop_all()
    if coordinator.popen.returncode != 0:
        raise UserError(f"the coordinator exited {coordinator.popen.returncode}: {coordinator.tail()}")
    signed = load_graph(graph_file)
    return signed, _summary(run, signed, actors, url)


def chosen_member(actors: Actors) -> RoleKey:
    """The member the fault variants make faulty or kill: the second (the only one
    of a committee of one)."""
    return actors.committee[min(1, len(actors.committee) - 1)]


def _join(run: CeremonyRun, url: str, key: RoleKey, name: str | None = None, faulty: bool = False) -> Process:
    args = [url, "--key", f"{key.name}.key"]
    nonces = ["--nonces", f"{key.name}.nonces.json"]
    if faulty:
        return run.start(name or key.name, [sys.executable, "-m", "ocp.drill.faulty_signer", *args, *nonces])
    return run.start(name or key.name, _ocp("ceremony", "join", *args, *nonces, "--give-up", "60"))


def _sign(run: CeremonyRun, url: str, client: CoordinatorClient, actors: Actors, keys: dict) -> None:
    others = [*actors.operators, actors.depositor]
    members = list(actors.committee)
    if run.variant == "ceremony":
        signers = [_join(run, url, k) for k in [*members, *others]]
    elif run.variant == "ceremony-blame":
        bad = chosen_member(actors)
        signers = [_join(run, url, bad, f"{bad.name} (faulty)", faulty=True)]
        signers += [_join(run, url, k) for k in [*members, *others] if k is not bad]

        def blamed() -> bool:
            return any(b["signer"] == bad.pubkey.hex() for b in client.state()["blame"])

        _wait_for(f"the coordinator to blame {bad.name}", blamed, run)
        faulty = signers[0]
        faulty.popen.wait(timeout=30)  # a blamed signer stops (its request was refused)
        run.events.append(
            f"{bad.name}'s faulty process was blamed and stopped (exit {faulty.popen.returncode}); "
            "replaced by an honest one with the same key and nonce store"
        )
        signers[0] = _join(run, url, bad, f"{bad.name} (replacement)")
    elif run.variant == "ceremony-crash":
        victim = chosen_member(actors)
        first = _join(run, url, victim, f"{victim.name} (first process)")

        if _musig(client):

            def committed() -> bool:
                rnd = client.state()["round"]
                return rnd is not None and victim.pubkey.hex() in rnd["committed"]

            _wait_for(f"{victim.name}'s nonces to reach the coordinator", committed, run)
            when = "after its nonces reached the coordinator, before it signed"
        else:  # a key chain: no rounds; killed as soon as it has checked the graph
            _wait_for(f"{victim.name} to join", lambda: "joined the ceremony" in first.tail(), run)
            when = "once it had checked the graph"
        first.popen.send_signal(signal.SIGKILL)
        first.popen.wait()
        run.events.append(f"killed {victim.name} (SIGKILL) {when}")
        signers = [_join(run, url, k) for k in [*members, *others] if k is not victim]
        signers.append(_join(run, url, victim, f"{victim.name} (restarted)"))
    else:
        raise UserError(f"unknown ceremony drill {run.variant!r}")
    for p in signers:
        _wait_for(f"{p.name} to finish", lambda p=p: p.popen.poll() is not None, run)
        if p.popen.returncode != 0:
            raise UserError(f"signer {p.name} exited {p.popen.returncode}: {p.tail()}")


def _musig(client: CoordinatorClient) -> bool:
    return client.state()["committee_form"] == CommitteeForm.MUSIG2.value


def _summary(run: CeremonyRun, signed: Graph, actors: Actors, url: str) -> dict:
    transcript = [json.loads(line) for line in (run.folder / "transcript.jsonl").read_text().splitlines()]
    sent = [p for e in transcript if e["event"] == "nonces" for p in e["message"]["pubnonces"]]
    distinct_sent = set(sent)
    # every nonce any member's store ever handed out (also those that never reached the coordinator)
    stored, signed_sessions = [], []
    for key in actors.committee:
        path = run.folder / f"{key.name}.nonces.json"
        if path.exists():
            for record in json.loads(path.read_text())["sessions"]:
                stored.append(record["pubnonce"])
                if record["state"] == "signed":
                    signed_sessions.append((key.name, record["id"]))
    blame = [e for e in transcript if e["event"] == "blame"]
    rounds = [e for e in transcript if e["event"] in ("finished", "abandoned")]
    psig_rounds: dict[str, set[str]] = {}
    for e in transcript:
        if e["event"] == "psigs":
            psig_rounds.setdefault(e["message"]["signer"], set()).add(e["message"]["round"])
    gaps = outstanding_signatures(signed)
    return {
        "variant": run.variant,
        "url": url,
        "processes": [{"name": p.name, "exit": p.popen.returncode} for p in run.processes],
        "events": run.events,
        "seconds": round(run.seconds, 2),
        "rounds": [
            {
                "round": e["round"],
                "event": e["event"],
                **({"why": e["why"]} if "why" in e else {}),
                **({"signed": e["signed"]} if "signed" in e else {}),
            }
            for e in rounds
        ],
        "blame": [{"who": e["who"], "what": e["what"], "round": e["round"], "inputs": e["inputs"]} for e in blame],
        "blamed": sorted({e["signer"] for e in blame}),
        "nonces_sent": len(sent),
        "nonces_stored": len(stored),
        "nonces_unique": len(distinct_sent) == len(sent) and len(set(stored)) == len(stored),
        "sessions_signed_once": len(set(signed_sessions)) == len(signed_sessions),
        "members_that_signed": {k: sorted(v) for k, v in psig_rounds.items()},
        "complete": not gaps,
        "gaps": [str(g) for g in gaps[:5]],
    }


def ceremony_checks(summary: dict, actors: Actors, committee_form: CommitteeForm) -> dict[str, bool]:
    """What a ceremony drill must show, by variant."""
    variant = summary["variant"]
    checks = {
        "graph_complete": summary["complete"],
        "every_process_ok": all(
            p["exit"] == 0
            for p in summary["processes"]
            if "faulty" not in p["name"] and "first process" not in p["name"]
        ),
        "nonces_never_repeated": summary["nonces_unique"] and summary["sessions_signed_once"],
    }
    if committee_form is CommitteeForm.MUSIG2:
        checks["nonces_seen"] = summary["nonces_sent"] >= len(actors.committee)
    if variant == "ceremony":
        checks["nobody_blamed"] = not summary["blamed"]
    if variant == "ceremony-blame":
        checks["faulty_member_named"] = summary["blamed"] == [chosen_member(actors).pubkey.hex()]
    if variant == "ceremony-crash" and committee_form is CommitteeForm.MUSIG2:
        victim = chosen_member(actors).pubkey.hex()
        abandoned = [r for r in summary["rounds"] if r["event"] == "abandoned"]
        first_round = abandoned[0]["round"] if abandoned else None
        checks["crashed_round_abandoned"] = bool(abandoned) and "restarted" in abandoned[0].get("why", "")
        checks["crashed_nonces_never_signed"] = first_round not in summary["members_that_signed"].get(victim, set())
        checks["nobody_blamed"] = not summary["blamed"]
    return checks


def run_ceremony_drill(
    variant: str,
    open_chain: Callable[[], object],
    backend: str,
    *,
    n_committee: int = 3,
    program: U32Program | None = None,
    committee_form: CommitteeForm = CommitteeForm.MUSIG2,
) -> tuple[dict, Graph]:
    """The drill report -- the ceremony's summary and checks, and the ``happy`` and
    ``fraud`` drills on the graph it signed (each on a fresh chain; the drill
    chains are deterministic, so both build the same graph and it is signed once)
    -- and the signed graph."""
    if variant not in VARIANTS:
        raise UserError(f"unknown ceremony drill {variant!r}")
    signed_by_id: dict[bytes, tuple[Graph, dict]] = {}

    with tempfile.TemporaryDirectory(prefix="ocp-ceremony-") as tmp:
        work = Path(tmp)

        def sign(actors: Actors, graph: Graph) -> Graph:
            if graph.graph_id not in signed_by_id:
                where = work / f"{variant}-{len(signed_by_id) + 1}"
                where.mkdir()
                signed_by_id[graph.graph_id] = run_ceremony(actors, graph, variant, where)
            return signed_by_id[graph.graph_id][0]

        parts = []
        for name, scenario in (("happy", happy), ("fraud", fraud)):
            with open_chain() as chain:
                world = setup_world(
                    chain, n_committee=n_committee, program=program, committee_form=committee_form, sign=sign
                )
                scenario(world)
                parts.append(report_json(f"{variant}/{name}", backend, world))
        actors = world.actors
    (graph, summary), *more = signed_by_id.values()
    checks = ceremony_checks(summary, actors, committee_form)
    checks["signed_once_for_both_drills"] = not more
    checks["happy_passed"] = parts[0]["passed"]
    checks["fraud_passed"] = parts[1]["passed"]
    report = {
        "format": REPORT_FORMAT,
        "drill": variant,
        "backend": backend,
        "graph_id": graph.graph_id.hex(),
        "steps": graph.params.computation.n_steps,
        "committee": len(graph.params.committee),
        "committee_form": graph.params.committee_form.value,
        "operators": len(graph.params.operators),
        "ceremony": summary,
        "parts": parts,
        "checks": checks,
        "unexpected": [c for c, ok in checks.items() if not ok],
        "passed": all(checks.values()),
    }
    return report, graph

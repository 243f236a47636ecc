"""The ceremony as a service (issue 17): ``ocp ceremony serve`` and ``ocp ceremony
join`` in their own processes on localhost, signing a whole graph that the happy
and fraud drills then play on the embedded chain; a faulty member named and
replaced; a member killed mid-round and restarted without a nonce repeated; a
coordinator killed and restarted without losing a signature; TLS.  And what a
signer refuses before it signs (in process, over the same HTTP API)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocp.builder import build_graph
from ocp.ceremony.client import CoordinatorClient, join
from ocp.ceremony.coordinator import Coordinator
from ocp.ceremony.server import make_app
from ocp.cli import main
from ocp.committee import CommitteeForm
from ocp.drill.ceremony import CeremonyRun, _join, _ocp, _wait_for, run_ceremony_drill
from ocp.drill.world import setup_world
from ocp.errors import UserError
from ocp.graph import params_id
from ocp.graphfile import load_graph, save_graph
from ocp.ids import Role
from ocp.keyfile import RoleKey, save_key
from ocp.ots import ValueSigner
from ocp.signing import outstanding_signatures
from regtest.kernel import KernelChain


def _check(report: dict) -> None:
    assert report["passed"], (report["unexpected"], report["ceremony"])
    for part in report["parts"]:
        assert part["passed"], part["unexpected"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variant", "form"),
    [
        ("ceremony", "musig2"),
        ("ceremony-blame", "musig2"),
        ("ceremony-crash", "musig2"),
    ],
)
def test_ceremony_drill(variant, form):
    """A coordinator and 5 signer processes (3 members, the operator, the depositor).
    (A key chain committee through the service: test_ceremony_over_tls.)"""
    report, graph = run_ceremony_drill(variant, KernelChain, "kernel", committee_form=CommitteeForm(form))
    assert outstanding_signatures(graph) == [] and report["graph_id"] == graph.graph_id.hex()
    _check(report)
    c = report["ceremony"]
    assert len([p for p in c["processes"] if p["name"] != "coordinator"]) >= 5
    assert c["nonces_unique"] and c["sessions_signed_once"]
    if form == "musig2":
        assert c["nonces_sent"] >= 3 * 21 and c["nonces_stored"] >= c["nonces_sent"]
    if variant == "ceremony-blame":
        faulty = [b for b in c["blame"]]
        assert faulty and all("committee member 2" in b["who"] for b in faulty)
        assert faulty[0]["what"] == "invalid partial signature"
        assert any(r["event"] == "finished" and r["signed"] == 20 for r in c["rounds"])  # the rest signed at once
    if variant == "ceremony-crash":
        assert report["checks"]["crashed_nonces_never_signed"] and report["checks"]["crashed_round_abandoned"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(folder: Path, form: CommitteeForm = CommitteeForm.MUSIG2):
    with KernelChain() as chain:
        world = setup_world(chain, committee_form=form)
    graph = build_graph(world.params, world.graph.ots)
    save_graph(graph, folder / "graph.json")
    for key in [*world.actors.committee, *world.actors.operators, world.actors.depositor]:
        save_key(key, folder / f"{key.name}.key")
    return world.actors, graph


@pytest.mark.slow
def test_coordinator_killed_and_restarted_loses_nothing_signed(tmp_path):
    """The operator's signatures are journaled when acknowledged; the coordinator is
    killed (SIGKILL) before it rewrote the graph file and restarted on the same port;
    the depositor, waiting all along, resends until it answers; the ceremony completes."""
    actors, graph = _setup(tmp_path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    run = CeremonyRun("restart", tmp_path)
    serve = _ocp(
        "ceremony",
        "serve",
        "graph.json",
        "--port",
        str(port),
        "--save-interval",
        "3600",
        "--transcript",
        "transcript.jsonl",
        "--linger",
        "1",
    )
    try:
        first = run.start("coordinator", serve)
        client = CoordinatorClient(url, give_up=60)
        depositor = _join(run, url, actors.depositor)
        operator = _join(run, url, actors.operator)
        _wait_for("the operator's signatures", lambda: operator.popen.poll() is not None, run, 120)
        assert operator.popen.returncode == 0 and client.state()["owed"]["operator"] == 0
        journal = tmp_path / "graph.json.journal"
        assert journal.exists() and load_graph(tmp_path / "graph.json").signatures == {}
        first.popen.send_signal(signal.SIGKILL)
        first.popen.wait()
        time.sleep(0.5)
        second = run.start("coordinator (restarted)", serve)
        state = client.state()
        assert state["owed"]["operator"] == 0 and "replayed 4 signatures" in state["notes"][0]
        members = [_join(run, url, k) for k in actors.committee]
        for p in [*members, depositor, second]:
            _wait_for(f"{p.name} to finish", lambda p=p: p.popen.poll() is not None, run, 120)
            assert p.popen.returncode == 0, p.tail()
        client.close()
    finally:
        run.stop_all()
    assert outstanding_signatures(load_graph(tmp_path / "graph.json")) == []
    assert not (tmp_path / "graph.json.journal").exists()


@pytest.mark.slow
def test_ceremony_over_tls(tmp_path):
    """``--tls-cert/--tls-key`` serve HTTPS; signers trust the CA given with
    ``--tls-ca`` and refuse an untrusted certificate at once."""
    actors, graph = _setup(tmp_path, CommitteeForm.CHAIN)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            "tls.key",
            "-out",
            "tls.pem",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    run = CeremonyRun("tls", tmp_path)
    try:
        coordinator = run.start(
            "coordinator",
            _ocp(
                "ceremony",
                "serve",
                "graph.json",
                "--url-file",
                "url.txt",
                "--tls-cert",
                "tls.pem",
                "--tls-key",
                "tls.key",
            ),
        )
        _wait_for("the URL", lambda: (tmp_path / "url.txt").exists(), run, 60)
        url = (tmp_path / "url.txt").read_text().strip()
        assert url.startswith("https://")
        untrusted = run.start("untrusted", _ocp("ceremony", "status", url))
        _wait_for("the untrusted status", lambda: untrusted.popen.poll() is not None, run, 60)
        assert untrusted.popen.returncode == 2 and "not trusted" in untrusted.log.read_text()
        signers = [
            run.start(k.name, _ocp("ceremony", "join", url, "--key", f"{k.name}.key", "--tls-ca", "tls.pem"))
            for k in [*actors.committee, actors.operator, actors.depositor]
        ]
        for p in [*signers, coordinator]:
            _wait_for(f"{p.name} to finish", lambda p=p: p.popen.poll() is not None, run, 120)
            assert p.popen.returncode == 0, p.tail()
    finally:
        run.stop_all()
    assert outstanding_signatures(load_graph(tmp_path / "graph.json")) == []


# --- what a signer checks before it signs (in process, over the HTTP API) -----------------


@pytest.fixture()
def served(tmp_path):
    actors, graph = _setup(tmp_path)
    coordinator = Coordinator(tmp_path / "graph.json")
    with TestClient(make_app(coordinator), base_url="http://coordinator") as http:
        yield actors, graph, coordinator, CoordinatorClient("http://coordinator", give_up=5, http=http)


def test_a_signer_refuses_another_graph_id(served, tmp_path):
    actors, graph, coordinator, client = served
    with pytest.raises(UserError, match="not the one compared out of band"):
        join(client, actors.operator, graph_id=b"\x11" * 32)
    assert coordinator.owed_by(Role.OPERATOR) == 4  # nothing was sent


def test_a_signer_refuses_a_coordinator_serving_another_graph(served, tmp_path):
    actors, graph, coordinator, client = served
    with KernelChain() as chain:
        other = setup_world(chain, committee_form=CommitteeForm.MUSIG2, n_committee=2)
    with pytest.raises(UserError, match="the coordinator serves graph"):
        join(client, actors.operator, graph=other.graph)


def test_an_operator_refuses_one_time_keys_that_are_not_its_own(tmp_path):
    """A relayer swapped the operator's one-time keys (issue 11 item 2): the fetched
    graph rebuilds fine, but the operator's own check refuses it."""
    actors, graph = _setup(tmp_path)
    relayer = ValueSigner(b"\x42" * 32, params_id(graph.params), graph.params.computation.n_steps)
    save_graph(build_graph(graph.params, [relayer.public()]), tmp_path / "graph.json")
    coordinator = Coordinator(tmp_path / "graph.json")
    with TestClient(make_app(coordinator), base_url="http://c") as http:
        client = CoordinatorClient("http://c", give_up=5, http=http)
        with pytest.raises(UserError, match="someone replaced them; do not sign this graph"):
            join(client, actors.operator)
        with pytest.raises(UserError, match="is not one of this graph's operator keys"):
            join(client, RoleKey(actors.operator.role, "stranger", b"\x07" * 32))


def test_join_and_serve_refuse_bad_input(tmp_path, capsys):
    assert main(["ceremony", "join", "http://127.0.0.1:1", "--key", str(tmp_path / "nokey.key")]) == 2
    assert "nokey.key" in capsys.readouterr().err
    actors, graph = _setup(tmp_path)
    key = str(tmp_path / f"{actors.operator.name}.key")
    assert main(["ceremony", "join", "ftp://x", "--key", key]) == 2
    assert "must start with http:// or https://" in capsys.readouterr().err
    assert main(["ceremony", "join", "http://127.0.0.1:1", "--key", key, "--graph-id", "abc"]) == 2
    assert "--graph-id is malformed" in capsys.readouterr().err
    assert main(["ceremony", "serve", str(tmp_path / "graph.json"), "--tls-cert", "x.pem"]) == 2
    assert "--tls-cert and --tls-key together" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    data = json.loads((tmp_path / "graph.json").read_text())
    data["committee"]["aggregate_key"] = "22" * 32
    bad.write_text(json.dumps(data))
    assert main(["ceremony", "serve", str(bad)]) == 2
    assert "committee.aggregate_key differs" in capsys.readouterr().err

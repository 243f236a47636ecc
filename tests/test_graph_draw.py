"""``ocp graph draw`` (issue 18, item 6): pictures of real graphs through the real
entry point, rendered by Graphviz's ``dot``; the SVG names every transaction (or
every collapsed family), the DOT is deterministic, signature statuses and drill
timelines are drawn, and bad input is one line with nothing written."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ocp.draw.dot import ACCEPTED, REFUSED, STATUS_STYLE
from ocp.draw.picture import relative_lock
from ocp.draw.status import InputStatus
from ocp.graph import SIGHASH_SINGLE_ACP
from ocp.graphfile import load_graph, save_graph
from ocp.ids import TxKind, TxName
from ocp.keyfile import load_key
from ocp.params import Funding, load_params, save_params
from taptrees.tx import OutPoint

SVG = "{http://www.w3.org/2000/svg}"
COINS = ("ab" * 32, "cd" * 32, "ef" * 32)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def make_graph(folder: Path, steps: int, committee: int = 2, operators: int = 1) -> Path:
    """params init + funding (made-up coins; nothing here touches a chain) + graph build."""
    params_path, keys = folder / "params.toml", folder / "keys"
    assert (
        main(
            [
                "params",
                "init",
                "-o",
                str(params_path),
                "--keys-dir",
                str(keys),
                "--committee",
                str(committee),
                "--steps",
                str(steps),
            ]
        )
        == 0
    )
    op_keys = [keys / "operator.key"]
    for k in range(2, operators + 1):
        op_keys.append(keys / f"operator-{k}.key")
        assert main(["key", "new", "--role", "operator", "--name", f"operator-{k}", "-o", str(op_keys[-1])]) == 0
    params = load_params(params_path)
    params = replace(
        params,
        operators=tuple(load_key(p).pubkey for p in op_keys),
        depositor_funding=Funding(OutPoint(COINS[0], 0), 100_200_000),
        operator_funding=tuple(Funding(OutPoint(COINS[1 + k % 2], k), 30_000_000) for k in range(operators)),
    )
    save_params(params, params_path)
    graph = folder / "graph.json"
    assert (
        main(
            [
                "graph",
                "build",
                str(params_path),
                *[a for p in op_keys for a in ("--operator-key", str(p))],
                "-o",
                str(graph),
            ]
        )
        == 0
    )
    return graph


@pytest.fixture(scope="module")
def graph64(tmp_path_factory) -> Path:
    return make_graph(tmp_path_factory.mktemp("g64"), steps=64)


@pytest.fixture(scope="module")
def graph_two(tmp_path_factory) -> Path:
    return make_graph(tmp_path_factory.mktemp("g2"), steps=4, committee=3, operators=2)


@pytest.fixture
def small(tmp_path) -> Path:
    return make_graph(tmp_path, steps=4)


def svg_texts(path: Path) -> list[str]:
    """Every text the SVG shows, in document order (entities decoded)."""
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def svg_node_strokes(path: Path) -> dict[str, set[str]]:
    """Node id (its DOT name, the SVG <title>) -> the stroke colours of its shape."""
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title").text
            out[title] = {e.get("stroke") for e in g.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon")}
    return out


def expected_boxes(graph_path: Path) -> list[str]:
    """What the collapsed picture must name: every transaction without an index, and
    each numbered family of each operator as ``Kind_0..last[@k] (count)``."""
    graph = load_graph(graph_path)
    out, families = [], {}
    for name in graph.txs:
        if name.index is None:
            out.append(str(name))
        else:
            families.setdefault((name.kind, name.operator), []).append(name.index)
    for (kind, op), indices in families.items():
        assert indices == list(range(len(indices)))
        suffix = "" if op is None else f"@{op}"
        out.append(
            f"{kind}_0..{len(indices) - 1}{suffix} ({len(indices)})" if len(indices) > 1 else f"{kind}_0{suffix}"
        )
    return out


def test_a_64_step_graph_names_every_family_and_the_dot_is_deterministic(graph64, tmp_path, capsys):
    graph = load_graph(graph64)
    assert graph.params.computation.n_steps == 64 and graph.n_chunks >= 2
    svg = tmp_path / "graph.svg"
    code, out, err = run(capsys, "graph", "draw", graph64, "-o", svg, "--json")
    assert code == EXIT_OK, err
    info = json.loads(out)
    texts = svg_texts(svg)
    for label in expected_boxes(graph64):
        assert label in texts, label
    assert "Disprove_0..63 (64)" in texts and f"Assert_0..{graph.n_chunks - 1} ({graph.n_chunks})" in texts
    assert info["collapsed"]["Disprove_0..63 (64)"] == 64
    assert info["transactions"] == len(graph.txs) == 78 and info["boxes"] == 13
    # every output and its spending leaves, with timelocks and signers, on the edges
    for text in (
        "disprove0..63 ×64",
        "after 1 block",
        "payout",
        "committee 2-of-2 + operator",
        f"after {graph.params.windows.challenge} blocks",
        "S0",
        "V",
        "D",
        "A",
    ):
        assert text in texts, text
    # the same graph gives the same DOT, byte for byte (and the same SVG)
    run(capsys, "graph", "draw", graph64, "-o", tmp_path / "a.dot")
    run(capsys, "graph", "draw", graph64, "-o", tmp_path / "b.dot")
    run(capsys, "graph", "draw", graph64, "-o", tmp_path / "again.svg")
    assert (tmp_path / "a.dot").read_bytes() == (tmp_path / "b.dot").read_bytes()
    assert (tmp_path / "again.svg").read_bytes() == svg.read_bytes()
    # --full draws every transaction
    full = tmp_path / "full.svg"
    code, out, err = run(capsys, "graph", "draw", graph64, "--full", "-o", full, "--json")
    assert code == EXIT_OK, err
    texts = svg_texts(full)
    assert all(str(name) in texts for name in graph.txs)
    assert json.loads(out)["boxes"] == 78 and json.loads(out)["collapsed"] == {}


def test_two_operators_are_clusters_over_the_shared_deposit(graph_two, tmp_path, capsys):
    graph = load_graph(graph_two)
    svg, dot = tmp_path / "two.svg", tmp_path / "two.dot"
    assert run(capsys, "graph", "draw", graph_two, "-o", svg)[0] == EXIT_OK
    assert run(capsys, "graph", "draw", graph_two, "-o", dot)[0] == EXIT_OK
    texts = svg_texts(svg)
    for label in [*expected_boxes(graph_two), "operator 1", "operator 2", "deposit, shared by every operator"]:
        assert label in texts, label
    assert "Disprove_0..3@1 (4)" in texts and "Disprove_0..3@2 (4)" in texts
    # each cluster holds its own part: the shared one Deposit, Confirm, Refund, D and V
    clusters = re.findall(r"subgraph cluster_\d+ \{(.*?)\n  \}", dot.read_text(), re.S)
    assert len(clusters) == 3
    shared, op1, op2 = clusters
    for node in ('"tx Deposit"', '"tx Confirm"', '"tx Refund"', '"out Deposit:0"', '"out Confirm:0"'):
        assert node in shared
    assert '"tx Kickoff@1"' in op1 and '"tx Kickoff@2"' in op2 and "@2" not in op1 and "@1" not in op2
    # the one vault V is spent by each operator's Take1 and Take2
    text = dot.read_text()
    for k in (1, 2):
        for take in ("Take1", "Take2"):
            assert f'"out Confirm:0" -> "tx {take}@{k}"' in text
    ones = [n for n in graph.txs if n.operator == 1]
    assert len(ones) == len([n for n in graph.txs if n.operator == 2]) == (len(graph.txs) - 3) // 2


def test_signature_status_of_each_input(small, tmp_path, capsys):
    keys = small.parent / "keys"

    def statuses() -> dict:
        code, out, err = run(capsys, "graph", "draw", small, "-o", tmp_path / "s.svg", "--force", "--json")
        assert code == EXIT_OK, err
        return json.loads(out)["inputs"]

    graph = load_graph(small)
    inputs = sum(len(g.spends) for g in graph.txs.values())
    templates = sum(1 for g in graph.txs.values() if g.template for s in g.spends if s.hash_type == SIGHASH_SINGLE_ACP)
    assert templates == 1 + graph.n_chunks + graph.params.computation.n_steps  # Challenge, Slash_j, Disprove_i
    before = statuses()
    assert before == {"pre-signed": 0, "template": 0, "signed at broadcast": 1, "missing": inputs - 1, "invalid": 0}
    for who in ("signer-1", "signer-2", "operator", "depositor"):
        assert run(capsys, "graph", "presign", small, "--key", keys / f"{who}.key")[0] == EXIT_OK
    after = statuses()
    assert after == {
        "pre-signed": inputs - 1 - templates,
        "template": templates,
        "signed at broadcast": 1,
        "missing": 0,
        "invalid": 0,
    }
    # the edge colours: Refund's input is signed at broadcast, the vault's payouts pre-signed
    dot = tmp_path / "s.dot"
    run(capsys, "graph", "draw", small, "-o", dot)
    text = dot.read_text()
    refund_edge = re.search(r'"out Deposit:0" -> "tx Refund" \[color="([^"]+)"', text).group(1)
    payout_edge = re.search(r'"out Confirm:0" -> "tx Take1" \[color="([^"]+)"', text).group(1)
    assert refund_edge == STATUS_STYLE[InputStatus.AT_BROADCAST][0]
    assert payout_edge == STATUS_STYLE[InputStatus.PRESIGNED][0]
    # a stored signature that does not verify
    loaded = load_graph(small)
    take1 = TxName(TxKind.TAKE1)
    sigs = {t: {i: dict(s) for i, s in per.items()} for t, per in loaded.signatures.items()}
    pk = next(iter(sigs[take1][0]))
    sigs[take1][0][pk] = bytes([sigs[take1][0][pk][0] ^ 1]) + sigs[take1][0][pk][1:]
    save_graph(replace(loaded, signatures=sigs), small)
    assert statuses()["invalid"] == 1


def test_a_drill_timeline_is_drawn_over_the_drills_graph(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "drill", "run", "fraud", "--steps", "4", "--committee", "1", "--report-dir", "rep")
    assert code == EXIT_OK, err
    report = json.loads(Path("rep/fraud.json").read_text())
    assert report["graph_file"] == "rep/fraud.graph.json"
    code, out, err = run(
        capsys, "graph", "draw", "rep/fraud.graph.json", "--report", "rep/fraud.json", "-o", "fraud.svg", "--json"
    )
    assert code == EXIT_OK, err
    info = json.loads(out)["report"]
    timeline = report["timeline"]
    accepted = [e for e in timeline if e["result"] == "accepted"]
    refused = [e for e in timeline if e["result"] == "refused"]
    assert (info["accepted"], info["refused"], info["not_in_graph"]) == (len(accepted), len(refused), [])
    assert refused and accepted
    texts = " ".join(svg_texts(Path("fraud.svg")))  # wrapped lines joined
    for order, e in enumerate(timeline, start=1):
        what = "accepted" if e["result"] == "accepted" else "refused"
        assert f"#{order} " in texts and f"{what} at height {e['height']}" in texts
    assert "an input it needs is spent or not there" in texts  # Take2 after the disprove: the rule
    assert "the step it disputes is right" in texts  # the Disprove of a correct step
    # accepted transactions are highlighted; a box with only refused moves is marked
    strokes = svg_node_strokes(Path("fraud.svg"))
    for name in ("Deposit", "Confirm", "Prepare", "Kickoff", "Challenge", "Assert_0"):
        assert ACCEPTED in strokes[f"tx {name}"], name
    assert ACCEPTED in strokes["tx Disprove_0..3 (4)"]
    assert REFUSED in strokes["tx Take2"] and ACCEPTED not in strokes["tx Take2"]
    assert ACCEPTED not in strokes["tx Take1"] and REFUSED not in strokes["tx Take1"]
    # the timeline lists the moves in order
    dot = Path("fraud.dot")
    assert run(capsys, "graph", "draw", "rep/fraud.graph.json", "--report", "rep/fraud.json", "-o", dot)[0] == 0
    table = dot.read_text().split("the timeline", 1)[1]
    positions = [table.index(f"#{k} ") for k in range(1, len(timeline) + 1)]
    assert positions == sorted(positions)
    # another graph than the drill's is refused, naming the drill's own graph file
    (tmp_path / "other").mkdir()
    other = make_graph(tmp_path / "other", steps=4)
    code, _, err = run(capsys, "graph", "draw", other, "--report", "rep/fraud.json", "-o", "x.svg")
    assert code == EXIT_BAD_INPUT and "rep/fraud.graph.json" in err and len(err.strip().splitlines()) == 1
    assert not Path("x.svg").exists()


def test_formats_overwrites_and_a_missing_graphviz(small, tmp_path, capsys, monkeypatch):
    folder = small.parent
    # default output: the graph's name with the format's suffix
    assert run(capsys, "graph", "draw", small)[0] == EXIT_OK
    assert (folder / "graph.svg").read_bytes().lstrip().startswith(b"<?xml")
    code, _, err = run(capsys, "graph", "draw", small)
    assert code == EXIT_BAD_INPUT and "give --force" in err
    assert run(capsys, "graph", "draw", small, "--force")[0] == EXIT_OK
    code, _, err = run(capsys, "graph", "draw", small, "-o", small, "--format", "svg", "--force")
    assert code == EXIT_BAD_INPUT and "never writes over its input" in err
    assert run(capsys, "graph", "draw", small, "-o", tmp_path / "g.png")[0] == EXIT_OK
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run(capsys, "graph", "draw", small, "-o", tmp_path / "g.html")[0] == EXIT_OK
    page = (tmp_path / "g.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    code, _, err = run(capsys, "graph", "draw", small, "-o", tmp_path / "g.png", "--format", "svg")
    assert code == EXIT_BAD_INPUT and "make them agree" in err
    code, _, err = run(capsys, "graph", "draw", small, "-o", tmp_path / "g.txt")
    assert code == EXIT_BAD_INPUT and "give --format" in err
    assert run(capsys, "graph", "draw", small, "-o", tmp_path / "g.txt", "--format", "dot")[0] == EXIT_OK
    # without Graphviz: --format dot still works; the others say which package is missing
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run(capsys, "graph", "draw", small, "-o", tmp_path / "none.svg")
    assert code == EXIT_BAD_INPUT and "graphviz" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "none.svg").exists()
    assert run(capsys, "graph", "draw", small, "-o", tmp_path / "ok.dot")[0] == EXIT_OK
    assert (tmp_path / "ok.dot").read_text().startswith("digraph ocp {")


def test_relative_lock_follows_bip68():
    from ocp.graph import GraphTx
    from ocp.ids import Role
    from taptrees.tx import Tx, TxIn, TxOut

    def lock(sequence: int, version: int = 2) -> str:
        tx = Tx(version, (TxIn(OutPoint("00" * 32, 0), sequence=sequence),), (TxOut(1, b"\x51"),))
        return relative_lock(GraphTx(TxName(TxKind.REFUND), Role.DEPOSITOR, "", tx, (), ()), 0)

    assert lock(144) == "after 144 blocks" and lock(1) == "after 1 block"
    assert lock(0) == "" and lock(0xFFFFFFFF) == "" and lock(144 | 1 << 31) == ""
    assert lock(3 | 1 << 22) == "after 1,536 s"  # 512-second units
    assert lock(144, version=1) == ""  # BIP68 needs version 2

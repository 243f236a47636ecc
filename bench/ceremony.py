"""The ceremony service with a MuSig2 committee versus a CHECKSIGVERIFY chain
(issue 17): a 15-member committee, a 512-step program, one operator, the depositor.

For each committee form, ``ocp ceremony serve`` and one ``ocp ceremony join``
process per party (15 members, the operator, the depositor) sign the whole graph
on localhost; each party joins with its own copy of graph.json (built by itself
or received out of band: fetching the coordinator's copy is not counted).  The
bench prints, for each form and as a ratio chain / MuSig2:

* wall time from the coordinator's start to its exit (the graph complete), and
  the part of it from the first signer message to the last (every process has
  started and checked the graph by then: the protocol's own time);
* bytes on the wire (HTTP request and status lines, headers, bodies; every
  signer's, as its client counted them): in total and per committee member;
* what a member makes (BIP340 signatures, or public nonces and partial
  signatures) and how many signatures graph.json then holds;
* graph.json's size;
* the witness weight of Take1, Take2 and a Disprove (signatures, the operator's
  revealed values, the leaf script and its control block), and the transactions
  and Asserts of the graph;
* in-process signing time of the committee's part alone (no processes, no HTTP):
  15 x presign, or the MuSig2 rounds with 15 nonce stores.

Usage: ``python bench/ceremony.py [--members 15] [--steps 512] [--quick]``
(``--quick``: 5 members, 64 steps).  Needs 2 cores and a few minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ocp.builder import build_graph, minimum_challenge_fee
from ocp.ceremony.session import committee_inputs, sign_committee_with_keys
from ocp.committee import CommitteeForm
from ocp.drill.world import Actors
from ocp.graph import Graph, params_id
from ocp.graphfile import load_graph, save_graph
from ocp.ids import TxKind, TxName
from ocp.keyfile import save_key
from ocp.leaves import DisproveLeaf
from ocp.ots import ValueSigner
from ocp.params import Funding, Params, Windows
from ocp.program import U32Program
from ocp.signing import outstanding_signatures, presign
from ocp.witness import input_witness
from taptrees.tx import OutPoint


def graph_for(form: CommitteeForm, members: int, steps: int) -> tuple[Actors, Graph, ValueSigner]:
    actors = Actors.make(b"bench ceremony", members)
    params = Params(
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
        committee_form=form,
    )
    signer = ValueSigner(actors.operator.secret, params_id(params), steps)
    params = replace(params, challenge_fee=max(params.challenge_fee, minimum_challenge_fee(params, [signer.public()])))
    signer = ValueSigner(actors.operator.secret, params_id(params), steps)
    return actors, build_graph(params, [signer.public()]), signer


def run_service(folder: Path, actors: Actors, graph: Graph) -> dict:
    """Coordinator and one process per party; returns time and bytes."""
    save_graph(graph, folder / "graph.json")
    parties = [*actors.committee, actors.operator, actors.depositor]
    for key in parties:
        save_key(key, folder / f"{key.name}.key")
        save_graph(graph, folder / f"{key.name}.graph.json")  # each party's own copy
    ocp = [sys.executable, "-m", "ocp.cli", "ceremony"]
    start = time.perf_counter()
    serve = subprocess.Popen(
        [
            *ocp,
            "serve",
            "graph.json",
            "--url-file",
            "url.txt",
            "--linger",
            "0.5",
            "--save-interval",
            "60",
            "--round-timeout",
            "600",
            "--json",
            "--transcript",
            "t.jsonl",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not (folder / "url.txt").exists():
        if serve.poll() is not None:
            raise SystemExit(f"coordinator stopped: {serve.stderr.read()}")
        time.sleep(0.05)
    url = (folder / "url.txt").read_text().strip()
    joins = {
        key.name: subprocess.Popen(
            [
                *ocp,
                "join",
                url,
                "--key",
                f"{key.name}.key",
                "--graph",
                f"{key.name}.graph.json",
                "--give-up",
                "900",
                "--json",
            ],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key in parties
    }
    outs = {}
    for name, p in joins.items():
        out, err = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise SystemExit(f"{name} failed: {err.strip()[-500:]}")
        outs[name] = json.loads(out)
    serve.communicate(timeout=600)
    seconds = time.perf_counter() - start
    if serve.returncode != 0:
        raise SystemExit("the coordinator did not complete the graph")
    signed = load_graph(folder / "graph.json")
    assert outstanding_signatures(signed) == []
    members = [outs[k.name] for k in actors.committee]
    events = [json.loads(line) for line in (folder / "t.jsonl").read_text().splitlines()]
    received = [e["t"] for e in events if e["event"] in ("nonces", "psigs", "signatures")]
    return {
        "seconds": seconds,
        "protocol_seconds": received[-1] - received[0],
        "bytes": sum(o["bytes_sent"] + o["bytes_received"] for o in outs.values()),
        "member_bytes": sum(o["bytes_sent"] + o["bytes_received"] for o in members) / len(members),
        "requests": sum(o["requests"] for o in outs.values()),
        "graph_json": (folder / "graph.json").stat().st_size,
        "stored_signatures": sum(len(s) for per in signed.signatures.values() for s in per.values()),
        "signed": signed,
    }


def witness_weight(graph: Graph, name: TxName, values: list[bytes] | None = None) -> int:
    gtx = graph.tx(name)
    total = 0
    for i in range(len(gtx.spends)):
        items = input_witness(graph, name, i, gtx.tx, gtx.spent, values=values or ())
        total += len(_compact(len(items))) + sum(len(_compact(len(x))) + len(x) for x in items)
    return total


def _compact(n: int) -> bytes:
    from taptrees.tx import compact_size

    return compact_size(n)


def disprove_weight(graph: Graph, signer: ValueSigner, step: int) -> int:
    name = TxName(TxKind.DISPROVE, step)
    _, leaf = graph.spend_leaf(graph.tx(name).spends[0])
    assert isinstance(leaf, DisproveLeaf)
    trace = graph.params.computation.trace()
    values = [x for i in leaf.value_indices for x in signer.sign(i, trace[i + 1])]
    return witness_weight(graph, name, values)


def in_process_seconds(actors: Actors, graph: Graph) -> float:
    start = time.perf_counter()
    if graph.params.committee_form is CommitteeForm.MUSIG2:
        with tempfile.TemporaryDirectory() as folder:
            sign_committee_with_keys(graph, actors.committee, folder)
    else:
        for key in actors.committee:
            graph, _ = presign(graph, key)
    return time.perf_counter() - start


def measure(form: CommitteeForm, members: int, steps: int) -> dict:
    print(f"# {form}: building the graph ({members} members, {steps} steps)", file=sys.stderr, flush=True)
    actors, graph, signer = graph_for(form, members, steps)
    inputs = len(committee_inputs(graph)) or sum(
        1
        for g in graph.txs.values()
        for s in g.spends
        if s.presigned and any(r.value == "committee" for r, _ in s.signers)
    )
    print(f"# {form}: in-process committee signing", file=sys.stderr, flush=True)
    local = in_process_seconds(actors, graph)
    print(f"# {form}: the service with {members + 2} signer processes", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="ocp-bench-ceremony-") as tmp:
        service = run_service(Path(tmp), actors, graph)
    signed = service.pop("signed")
    return {
        **service,
        "form": form.value,
        "committee_inputs": inputs,
        "member_makes": (
            f"{inputs} BIP340 signatures"
            if form is CommitteeForm.CHAIN
            else f"{inputs} nonces + {inputs} partial signatures"
        ),
        "in_process_s": local,
        "take1_witness": witness_weight(signed, TxName(TxKind.TAKE1)),
        "take2_witness": witness_weight(signed, TxName(TxKind.TAKE2)),
        "disprove_witness": disprove_weight(signed, signer, steps // 2),
        "transactions": len(signed.txs),
        "asserts": signed.n_chunks,
    }


ROWS = [
    ("wall time, coordinator start to complete (s)", "seconds", "{:.1f}"),
    ("  of which first to last signer message (s)", "protocol_seconds", "{:.1f}"),
    ("bytes on the wire, all signers", "bytes", "{:,.0f}"),
    ("bytes on the wire per committee member", "member_bytes", "{:,.0f}"),
    ("HTTP requests", "requests", "{:,}"),
    ("committee inputs to sign", "committee_inputs", "{:,}"),
    ("signatures stored in graph.json", "stored_signatures", "{:,}"),
    ("graph.json bytes", "graph_json", "{:,}"),
    ("Take1 witness (WU)", "take1_witness", "{:,}"),
    ("Take2 witness (WU)", "take2_witness", "{:,}"),
    ("Disprove witness (WU)", "disprove_witness", "{:,}"),
    ("Asserts", "asserts", "{:,}"),
    ("committee signing in process (s)", "in_process_s", "{:.2f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--steps", type=int, default=512)
    parser.add_argument("--quick", action="store_true", help="5 members, 64 steps")
    args = parser.parse_args()
    members, steps = (5, 64) if args.quick else (args.members, args.steps)
    chain = measure(CommitteeForm.CHAIN, members, steps)
    musig = measure(CommitteeForm.MUSIG2, members, steps)
    print(
        f"ceremony of a {members}-member committee, {steps} steps, 1 operator, the depositor "
        f"({members + 2} signer processes and a coordinator on localhost)"
    )
    print(f"a member makes: chain {chain['member_makes']}; MuSig2 {musig['member_makes']}")
    width = max(len(r[0]) for r in ROWS)
    print(f"{'':{width}}  {'chain':>14}  {'MuSig2':>14}  {'chain/MuSig2':>12}")
    for label, key, fmt in ROWS:
        ratio = chain[key] / musig[key] if musig[key] else float("nan")
        print(f"{label:{width}}  {fmt.format(chain[key]):>14}  {fmt.format(musig[key]):>14}  {ratio:>12.2f}")


if __name__ == "__main__":
    main()

"""The graph's bytes are pinned: for fixed params every transaction is exactly
the reference (tests/data/reference_graph_*.json).  A change that moves a byte
must update the reference on purpose and say why here."""

from __future__ import annotations

import json
from pathlib import Path

from ocp.builder import build_graph
from ocp.drill.defaults import DRILL_WINDOWS
from ocp.drill.world import Actors
from ocp.graph import graph_id_of
from ocp.ots import ValueSigner
from ocp.params import Funding, Params
from ocp.program import U32Program
from taptrees.tx import OutPoint

DATA = Path(__file__).parent / "data"


def reference_params() -> tuple[Params, Actors]:
    actors = Actors.make(b"reference graph", 3)
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operator=actors.operator.pubkey,
        depositor=actors.depositor.pubkey,
        deposit_amount=100_000_000,
        operator_stake=20_000_000,
        challenge_fee=100_000,
        fee_rate=2.0,
        windows=DRILL_WINDOWS,
        computation=U32Program.sample(64),
        depositor_funding=Funding(OutPoint("11" * 32, 0), 100_100_000),
        operator_funding=Funding(OutPoint("22" * 32, 1), 20_500_000),
    )
    return params, actors


def reference_graph_hex() -> dict[str, str]:
    params, actors = reference_params()
    signer = ValueSigner(actors.operator.secret, graph_id_of(params), params.computation.n_steps)
    graph = build_graph(params, signer.public())
    return {str(name): gtx.tx.hex() for name, gtx in graph.txs.items()}


def test_graph_bytes_match_the_reference():
    """The reshape of the protocol layer (issue 12) kept every transaction byte for byte."""
    expected = json.loads((DATA / "reference_graph_v1_pre_reshape.json").read_text())
    assert reference_graph_hex() == expected

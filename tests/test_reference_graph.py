"""The graph's bytes are pinned: for fixed params every transaction is exactly
the reference (tests/data/reference_graph.json).  A change that moves a byte
must update the reference on purpose and say why here.

History of the reference:

* issue 12 (reshape into typed identities, leaf classes, builder families):
  every transaction byte for byte as before (checked against the old builder's
  output, then replaced by the next entry).
* issue 11 (soundness) and issue 19 (miniscript shapes) changed it on purpose:
  every leaf of a value-carrying output carries the committee (Kickoff's claim
  leaf, the Assert leaves, the Challenge connector), Kickoff/Assert_j/Confirm
  carry a keyed anchor, Deposit/Prepare always keep change, Slash/Disprove are
  SINGLE|ANYONECANPAY, the Challenge and Disprove leaves wait one block
  (``v:older(1)``), timelocks are ``<n> OP_CSV OP_VERIFY`` and key chains end in
  ``OP_CHECKSIG`` (miniscript's ``and_v(v:older(n),and_v(v:pk(..),pk(..)))``),
  StakeBack1/2 exist, the windows obey the new minimum gaps, and the graph id
  commits to the one-time keys and every txid.
* issue 15 (the step-script leaves' arithmetic) changed it on purpose: a bitwise
  operation with a constant whose set bits in a limb are contiguous is lowered
  with the split tables instead of the bitwise table, and constant bits fold, so
  the Disprove leaves of steps with constant masks are smaller (same semantics:
  tests/test_arith.py runs every mask through the kernel against its twin); the
  Assert_1 taptree, every Disprove transaction and the graph id move with them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ocp.builder import build_graph
from ocp.drill.defaults import drill_windows
from ocp.drill.world import Actors
from ocp.graph import params_id
from ocp.ots import ValueSigner
from ocp.params import Funding, Params
from ocp.program import U32Program
from taptrees.tx import OutPoint

DATA = Path(__file__).parent / "data"


def reference_params() -> tuple[Params, Actors]:
    actors = Actors.make(b"reference graph", 3)
    program = U32Program.sample(64)
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=(actors.operator.pubkey,),
        depositor=actors.depositor.pubkey,
        deposit_amount=100_000_000,
        operator_stake=20_000_000,
        challenge_fee=100_000,
        fee_rate=2.0,
        windows=drill_windows(program),
        computation=program,
        depositor_funding=Funding(OutPoint("11" * 32, 0), 100_100_000),
        operator_funding=(Funding(OutPoint("22" * 32, 1), 20_500_000),),
    )
    return params, actors


def reference_graph_hex() -> dict[str, str]:
    params, actors = reference_params()
    signer = ValueSigner(actors.operator.secret, params_id(params), params.computation.n_steps)
    graph = build_graph(params, [signer.public()])
    return {"graph_id": graph.graph_id.hex(), **{str(name): gtx.tx.hex() for name, gtx in graph.txs.items()}}


def test_graph_bytes_match_the_reference():
    expected = json.loads((DATA / "reference_graph.json").read_text())
    assert reference_graph_hex() == expected

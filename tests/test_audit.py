"""``ocp graph audit``: passes on a sound, fully signed graph and names what is
wrong in a broken one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocp.audit import dynamic_runs, static_findings
from ocp.drill.world import setup_world
from ocp.graph import GraphOutput
from ocp.ids import OutputRef, TxKind, TxName
from ocp.program import U32Program
from regtest.kernel import KernelChain
from taptrees.opcodes import OP_TRUE
from taptrees.script import Script
from taptrees.tree import TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, TxIn


@pytest.fixture(scope="module")
def world():
    with KernelChain() as chain:
        yield setup_world(chain, program=U32Program.sample(12))


def failed(findings):
    return [f for f in findings if not f.ok]


def test_sound_graph_passes_static_and_dynamic(world):
    assert failed(static_findings(world.graph)) == []
    runs, findings = dynamic_runs(world.graph, world.signer)
    assert failed(findings) == []
    assert max(r.peak_stack for r in runs) < 1000
    names = {f.check for f in findings}
    assert {"disprove refuses honest", "disprove accepts fraud", "standard weight"} <= names
    assert sum(f.check == "disprove refuses honest" for f in findings) == 12


def test_missing_signatures_reported(world):
    bare = replace(world.graph, signatures={})
    bad = failed(static_findings(bare))
    assert any(f.check == "signatures" and "missing" in f.message for f in bad)


def test_outcomes_that_share_no_input_are_flagged(world):
    g = world.graph
    challenge = g.tx(TxName(TxKind.CHALLENGE))
    detached = replace(challenge, tx=replace(challenge.tx, inputs=(TxIn(OutPoint("ee" * 32, 0)),)))
    broken = replace(g, txs={**g.txs, challenge.name: detached})
    bad = failed(static_findings(broken))
    assert [f.subject for f in bad if f.check == "exclusive"] == ["Take1 / Challenge"]


def test_key_path_and_op_success_flagged(world):
    g = world.graph
    vault = OutputRef(TxName(TxKind.CONFIRM), 0)
    payout = g.output(vault).leaves[0]
    anyone = TapTree(TapLeaf(Script.from_bytes(bytes([OP_TRUE, 0xBB])), name=str(payout.name)))
    keyed = GraphOutput("V", TaprootOutput(world.actors.depositor.pubkey, anyone), (payout,))
    broken = replace(g, outputs={**g.outputs, vault: keyed})
    bad = {(f.check, f.subject) for f in failed(static_findings(broken))}
    assert ("no key path", "Confirm:0") in bad and ("no OP_SUCCESS", "Confirm:0") in bad

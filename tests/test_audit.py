"""``ocp graph audit``: passes on a sound, fully signed graph and names what is
wrong in a broken one -- including graphs built on purpose with the holes of
issue 11 (1: a stake leaf without the committee, 3: windows too close, 4: a
punishing transaction that cannot pay its fee, 6: a challenge fee below the
honest response's cost, 10: a committee too large for the stack)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocp.audit import dynamic_runs, dynamic_skipped, static_findings
from ocp.builder import build_graph
from ocp.drill.world import setup_world
from ocp.errors import UserError
from ocp.graph import GraphOutput
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.leaves import KeysLeaf, LeafKind, LeafName, RevealLeaf
from ocp.params import Windows
from ocp.program import U32Program
from regtest.kernel import KernelChain
from taptrees.opcodes import OP_TRUE
from taptrees.script import Script
from taptrees.sighash import SIGHASH_SINGLE
from taptrees.tree import TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, TxIn, TxOut


@pytest.fixture(scope="module")
def world():
    with KernelChain() as chain:
        yield setup_world(chain, program=U32Program.sample(12))


def failed(findings):
    return [f for f in findings if not f.ok]


def failed_checks(graph) -> set[tuple[str, str]]:
    return {(f.check, f.subject) for f in failed(static_findings(graph))}


def test_sound_graph_passes_static_and_dynamic(world):
    assert failed(static_findings(world.graph)) == []
    runs, findings = dynamic_runs(world.graph, {0: world.signer})
    assert failed(findings) == []
    assert max(r.peak_stack for r in runs) < 1000
    names = {f.check for f in findings}
    assert {"disprove refuses honest", "disprove accepts fraud", "standard weight"} <= names
    assert sum(f.check == "disprove refuses honest" for f in findings) == 12
    assert dynamic_skipped(world.graph, {0: world.signer}) == 0
    # without the key: 12 Disproves (2 checks each), Kickoff and the Assert, and the
    # weight of every transaction spending one of them (Kickoff, Assert, 12 Disproves)
    assert dynamic_skipped(world.graph, {}) == 2 * 12 + 1 + world.graph.n_chunks + 1 + world.graph.n_chunks + 12


def test_every_value_output_passes_the_covenant_rule(world):
    covenant = [f for f in static_findings(world.graph) if f.check == "covenant"]
    leaves = sum(len(out.leaves) for out in world.graph.outputs.values())
    assert len(covenant) == leaves and all(f.ok for f in covenant)
    exceptions = [f for f in covenant if "own coins before Confirm" in f.message]
    assert [f.subject for f in exceptions] == ["D (Deposit:0) refund"]


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
    bad = failed_checks(broken)
    assert ("no key path", "V (Confirm:0)") in bad and ("no OP_SUCCESS", "V (Confirm:0)") in bad
    assert ("covenant", "V (Confirm:0) payout") in bad


def test_hole_1_stake_leaf_the_operator_satisfies_alone(world):
    """The first version's Assert leaf: Winternitz + operator signature, no committee."""
    g = world.graph
    s0 = OutputRef(TxName(TxKind.KICKOFF), 1)
    out = g.output(s0)
    old = out.leaf(LeafName(LeafKind.ASSERT))
    assert isinstance(old, RevealLeaf)
    lone = replace(old, committee=())
    leaves = [lone if leaf is old else leaf for leaf in out.leaves]
    holed = GraphOutput.build(out.label, leaves)
    broken = replace(g, outputs={**g.outputs, s0: holed})
    bad = [f for f in failed(static_findings(broken)) if f.check == "covenant"]
    assert [f.subject for f in bad] == ["S0 (Kickoff:1) assert"]
    assert "spendable without the committee (operator)" in bad[0].message


def test_hole_3_windows_below_the_minimum(world):
    g = world.graph
    w = g.params.windows
    close = replace(g, params=replace(g.params, windows=Windows(w.challenge, w.challenge + 2, 2, w.refund)))
    bad = failed_checks(close)
    assert ("windows", "response_window - challenge_window") in bad
    assert ("windows", "disprove_window") in bad
    with pytest.raises(UserError, match=r"use response_window >= 13"):
        build_graph(close.params, g.ots)


def test_hole_4_punishing_transaction_too_poor_or_not_anyonecanpay(world):
    g = world.graph
    name = TxName(TxKind.DISPROVE, 3)
    d = g.tx(name)
    single = replace(d.spends[0], hash_type=SIGHASH_SINGLE)
    burn_all = TxOut(d.spent[0].value - 500, d.tx.outputs[0].script_pubkey)
    broken = replace(d, spends=(single,), tx=replace(d.tx, outputs=(burn_all,)))
    bad = [f for f in failed(static_findings(replace(g, txs={**g.txs, name: broken}))) if f.check == "punish fee"]
    assert [f.subject for f in bad] == ["Disprove_3", "Disprove_3"]
    assert "nobody can add a fee input" in bad[0].message and "500 sat after the burn" in bad[1].message


def test_hole_4_stake_too_small_is_refused_naming_the_rate(world):
    poor = replace(world.params, operator_stake=20_000, dispute_fee_rate=50.0)
    with pytest.raises(UserError, match=r"keeps \d+ sat after its burn, below its fee at the dispute fee rate"):
        build_graph(poor, world.graph.ots)


def test_hole_6_challenge_fee_below_the_honest_response(world):
    g = world.graph
    name = TxName(TxKind.CHALLENGE)
    c = g.tx(name)
    cheap = replace(c, tx=replace(c.tx, outputs=(replace(c.tx.outputs[0], value=1_000),)))
    bad = [f for f in failed(static_findings(replace(g, txs={**g.txs, name: cheap}))) if f.check == "challenge fee"]
    assert [f.subject for f in bad] == ["Challenge"] and "1000 sat to the operator (minimum" in bad[0].message
    with pytest.raises(UserError, match=r"challenge fee: Challenge: 1000 sat to the operator \(minimum \d+"):
        build_graph(replace(world.params, challenge_fee=1_000), g.ots)


def test_hole_10_committee_too_large_for_the_stack(world):
    g = world.graph
    # a leaf whose witness needs 960 signatures: the audit names it and the bound
    vault = OutputRef(TxName(TxKind.CONFIRM), 0)
    members = tuple((Role.COMMITTEE, bytes([0x02]) * 31 + bytes([i % 256])) for i in range(960))
    wide = KeysLeaf(LeafName(LeafKind.PAYOUT), members, None, "vault payout")
    huge = GraphOutput.build("V", [wide])
    bad = [f for f in failed(static_findings(replace(g, outputs={**g.outputs, vault: huge}))) if f.check == "stack"]
    assert len(bad) == 1 and "largest witness 960 items" in bad[0].message
    assert "at most 900 members" in bad[0].message


def test_hole_10_committee_bound_when_building(world):
    from ocp.drill.world import Actors

    many = Actors.make(b"big committee", 930)
    params = replace(world.params, committee=tuple(k.pubkey for k in many.committee))
    with pytest.raises(UserError, match="keys.committee is too large|at most .* members"):
        build_graph(params, world.graph.ots)

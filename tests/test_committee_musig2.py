"""The committee as one MuSig2 key (issue 17): params, leaves, witnesses, the stack
rule, graph.json, and what presign refuses.  Every spend is checked by Bitcoin
Core's interpreter (the drills and attacks that run with MuSig2 are in
test_drills.py and test_attacks.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ocp.builder import build_graph
from ocp.cli import main
from ocp.committee import KEY_AGGREGATION, Committee, CommitteeForm, member_plain_pk, musig_secret
from ocp.drill import moves
from ocp.drill.world import Actors, setup_world
from ocp.errors import UserError
from ocp.graphfile import graph_from_json, graph_to_json
from ocp.ids import Role, TxKind, TxName
from ocp.leaves import DisproveLeaf, KeysLeaf, RevealLeaf
from ocp.params import parse_params
from ocp.program import U32Program
from ocp.rules import covenant_findings, requires_all, stack_findings
from ocp.signing import presign
from regtest.kernel import KernelChain
from taptrees.keys import xonly_pubkey
from taptrees.musig2 import individual_pk, key_agg, key_sort
from taptrees.opcodes import OP_CHECKSIG, OP_CHECKSIGVERIFY
from taptrees.script import iter_ops
from taptrees.verify import verify_inputs


@pytest.fixture(scope="module")
def worlds():
    """The same drill, once per committee form (5 members), on its own chain."""
    out = {}
    for form in CommitteeForm:
        chain = KernelChain()
        out[form] = setup_world(chain, n_committee=5, committee_form=form, program=U32Program.sample(48))
    yield out
    for world in out.values():
        world.chain.close()


def test_params_name_the_form_and_refuse_others():
    with KernelChain() as chain:
        world = setup_world(chain)
    obj = world.params.to_json()
    assert "committee_form" not in obj["keys"]  # the default is left out: chain params ids unchanged
    obj["keys"]["committee_form"] = "musig2"
    params = parse_params(obj)
    assert params.committee_form is CommitteeForm.MUSIG2
    assert params.to_json()["keys"]["committee_form"] == "musig2"
    obj["keys"]["committee_form"] = "frost"
    with pytest.raises(UserError, match=r'keys.committee_form = .frost. must be "chain" .* or "musig2"'):
        parse_params(obj)
    obj["keys"]["committe_form"] = obj["keys"].pop("committee_form")
    with pytest.raises(UserError, match="did you mean 'committee_form'"):
        parse_params(obj)


def test_the_aggregate_is_bip327_keyagg_of_the_sorted_members():
    """KeySort of 02||x per member: any order of the members gives the same key, and a
    member whose secret has an odd-y point signs with the negated secret."""
    actors = Actors.make(b"agg", 6)
    members = tuple(k.pubkey for k in actors.committee)
    committee = Committee(members, CommitteeForm.MUSIG2)
    expected = key_agg(key_sort([b"\x02" + pk for pk in members])).xonly_pk
    assert committee.aggregate_key == expected
    assert Committee(members[::-1], CommitteeForm.MUSIG2).aggregate_key == expected
    assert committee.keys == (expected,) and committee.signers == ((Role.COMMITTEE, expected),)
    assert Committee(members).keys == members  # the chain: every member, params order
    odd = [k for k in actors.committee if individual_pk(k.secret)[0] == 3]
    assert odd, "a sample of 6 keys has an odd-y one"
    for key in actors.committee:
        assert individual_pk(musig_secret(key.secret)) == member_plain_pk(key.pubkey)
        assert xonly_pubkey(musig_secret(key.secret)) == key.pubkey


def test_every_committee_leaf_checks_one_aggregate_key(worlds):
    world = worlds[CommitteeForm.MUSIG2]
    agg = world.params.n_of_n.aggregate_key
    members = set(world.params.committee)
    seen = 0
    for gout in world.graph.outputs.values():
        for leaf in gout.leaves:
            script = gout.tapleaf(leaf.name).script.raw
            ops = list(iter_ops(script))
            assert not members & {op.data for op in ops}, "no member key in any leaf"
            committee = [s for s in leaf.signing_keys if s[0] is Role.COMMITTEE]
            if not committee:
                continue  # the depositor's refund
            seen += 1
            assert committee == [(Role.COMMITTEE, agg)]
            at = next(i for i, op in enumerate(ops) if op.data == agg)
            assert ops[at + 1].opcode in (OP_CHECKSIG, OP_CHECKSIGVERIFY)
            assert requires_all(script, (agg,))
            if isinstance(leaf, KeysLeaf) and leaf.keys == ((Role.COMMITTEE, agg),):
                assert f"pk({agg.hex()})" in leaf.miniscript and "v:pk(" not in leaf.miniscript
            if isinstance(leaf, RevealLeaf | DisproveLeaf):
                assert leaf.committee == (agg,)
    assert seen > 50  # every disprove leaf, the asserts, the keys leaves
    assert all(f.ok for f in covenant_findings(world.params, world.graph.txs, world.graph.outputs))


def test_witnesses_shrink_and_spends_verify(worlds):
    """Take1 with one 64-byte signature where the chain needs five, and Kickoff
    (committee + operator + the claim) accepted by Core's interpreter."""
    chain, musig = worlds[CommitteeForm.CHAIN], worlds[CommitteeForm.MUSIG2]
    take1 = TxName(TxKind.TAKE1)
    sizes = {}
    for form, world in worlds.items():
        tx, spent = moves.graph_move(world, take1)
        assert all(v.ok for v in verify_inputs(tx, spent)), form
        sizes[form] = tx.weight
    assert sizes[CommitteeForm.MUSIG2] < sizes[CommitteeForm.CHAIN] - 3 * 4 * 64
    tx, spent = moves.kickoff(musig, moves.operator_trace(musig))
    results = verify_inputs(tx, spent)
    assert all(v.ok for v in results), results
    assert len(musig.graph.txs) <= len(chain.graph.txs)  # fewer items per Assert: never more Asserts


def test_the_stack_no_longer_bounds_the_committee():
    """A key chain of 930 members does not fit the stack (issue 11 item 10); as one
    MuSig2 key it does, and the audit says why."""
    with KernelChain() as chain:
        world = setup_world(chain, committee_form=CommitteeForm.MUSIG2)
    many = Actors.make(b"big committee", 930)
    params = replace(world.params, committee=tuple(k.pubkey for k in many.committee))
    graph = build_graph(params, world.graph.ots)
    (finding,) = stack_findings(params, graph.outputs)
    assert finding.ok and "930 members) signs as one MuSig2 key" in finding.message
    with pytest.raises(UserError, match="keys.committee is too large"):
        build_graph(replace(params, committee_form=CommitteeForm.CHAIN), world.graph.ots)


def test_graph_file_records_the_aggregate_and_refuses_a_changed_one(worlds, tmp_path):
    world = worlds[CommitteeForm.MUSIG2]
    data = graph_to_json(world.graph)
    assert data["committee"]["form"] == "musig2"
    assert data["committee"]["aggregate_key"] == world.params.n_of_n.aggregate_key.hex()
    assert data["committee"]["key_aggregation"] == KEY_AGGREGATION
    assert graph_from_json(json.loads(json.dumps(data))).graph_id == world.graph.graph_id
    for path, value in (
        (("committee", "aggregate_key"), "11" * 32),
        (("committee", "form"), "chain"),
        (("committee", "key_order"), []),
    ):
        bad = json.loads(json.dumps(data))
        bad[path[0]][path[1]] = value
        with pytest.raises(UserError, match=rf"committee.{path[1]}"):
            graph_from_json(bad)
    # the committee's signature is stored under the aggregate key only
    agg = world.params.n_of_n.aggregate_key
    keys = {pk for per in world.graph.signatures.values() for s in per.values() for pk in s}
    assert agg in keys and not keys & set(world.params.committee)


def test_presign_refuses_a_musig2_member(worlds):
    world = worlds[CommitteeForm.MUSIG2]
    with pytest.raises(UserError, match="signs as one MuSig2 key"):
        presign(world.graph, world.actors.committee[0])


def test_params_init_and_verify_say_how_a_musig2_committee_signs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "params",
                "init",
                "-o",
                "params.toml",
                "--keys-dir",
                "keys",
                "--committee",
                "2",
                "--committee-form",
                "musig2",
            ]
        )
        == 0
    )
    assert 'committee_form = "musig2"' in Path("params.toml").read_text()
    Path("params.toml").write_text(
        Path("params.toml").read_text()
        + (f'\n[funding]\ndepositor = "{"ab" * 32}:0:100200000"\noperator = "{"cd" * 32}:1:30000000"\n')
    )
    assert main(["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", "graph.json"]) == 0
    capsys.readouterr()
    assert main(["graph", "verify", "graph.json", "--json"]) == 1
    info = json.loads(capsys.readouterr().out)
    assert info["committee_form"] == "musig2" and "ocp ceremony serve" in info["next"]
    assert main(["graph", "presign", "graph.json", "--key", "keys/signer-1.key"]) == 2
    assert "ocp ceremony join" in capsys.readouterr().err

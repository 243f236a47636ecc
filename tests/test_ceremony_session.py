"""The MuSig2 rounds of the ceremony (ocp.ceremony.session) and the coordinator's
state machine (ocp.ceremony.coordinator), in one process: blame that names the
faulty member, refusals that protect a member's nonces, restarts of a member and
of the coordinator, time-outs.  The same functions run behind the HTTP service
(test_ceremony_service.py runs the processes)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ocp.builder import build_graph
from ocp.ceremony.coordinator import Coordinator, StaleRound
from ocp.ceremony.messages import MessageError, NonceAggregate, PlainSigs
from ocp.ceremony.nonces import NonceBurnedError, SessionState
from ocp.ceremony.session import (
    BlameError,
    Member,
    Standing,
    accept_commit,
    accept_partial_sigs,
    aggregate_nonces,
    burned,
    commit_nonces,
    committee_inputs,
    final_signatures,
    member_store,
    open_round,
    sign_committee,
    sign_round,
    standing,
    unsigned_committee_inputs,
)
from ocp.committee import CommitteeForm
from ocp.drill.faulty_signer import spoil_first
from ocp.drill.world import setup_world
from ocp.errors import UserError
from ocp.graphfile import load_graph, save_graph
from ocp.ids import Role, TxKind, TxName
from ocp.signing import outstanding_signatures, own_duties, presign, sign_spend
from regtest.kernel import KernelChain
from taptrees.keys import schnorr_verify


@pytest.fixture(scope="module")
def drill():
    """A MuSig2 drill's actors and its graph before anyone signed."""
    with KernelChain() as chain:
        world = setup_world(chain, committee_form=CommitteeForm.MUSIG2)
    return world.actors, build_graph(world.params, world.graph.ots)


def members(graph, actors, folder, prefix=""):
    return [Member(graph, k, member_store(k, folder / f"{prefix}{k.name}.json")) for k in actors.committee]


def close(ms):
    for m in ms:
        m.store.close()


def test_in_process_rounds_sign_every_committee_input(drill, tmp_path):
    actors, graph = drill
    ms = members(graph, actors, tmp_path)
    signed, blame = sign_committee(graph, ms)
    close(ms)
    assert not blame and not unsigned_committee_inputs(signed)
    agg = graph.params.n_of_n.aggregate_key
    for ref, item in committee_inputs(graph).items():
        sig = signed.signature(ref.tx, ref.index, agg)
        assert schnorr_verify(agg, item.msg, sig[:64]) and sig[64:] == bytes([item.hash_type] if item.hash_type else [])
    nonces = [r.pubnonce for m in ms for r in m.store.records]
    assert len(nonces) == len(set(nonces)) == len(ms) * len(committee_inputs(graph))  # one per member per input
    assert {r.state for m in ms for r in m.store.records} == {SessionState.SIGNED}


def test_an_invalid_partial_signature_names_its_member_and_the_rest_still_signs(drill, tmp_path):
    actors, graph = drill
    ms = members(graph, actors, tmp_path)
    rnd = open_round(graph)
    for m in ms:
        accept_commit(rnd, commit_nonces(m, rnd.opened))
    agg = aggregate_nonces(rnd)
    blames = []
    for m in ms:
        message = sign_round(m, rnd.opened, agg)
        if m is ms[1]:
            message = spoil_first(message, m.key)  # signed by the member: provably its own
        blames.append(accept_partial_sigs(rnd, message))
    assert blames[0] is None and blames[2] is None
    blame = blames[1]
    assert blame.signer == actors.committee[1].pubkey and blame.what == "invalid partial signature"
    assert blame.inputs == (str(rnd.opened.inputs[0]),)
    sigs = final_signatures(rnd)
    assert len(sigs) == len(rnd.opened.inputs) - 1 and rnd.opened.inputs[0] not in sigs
    from ocp.ceremony.session import add_committee_signatures

    graph2 = add_committee_signatures(graph, sigs)
    assert unsigned_committee_inputs(graph2) == [rnd.opened.inputs[0]]
    signed, more = sign_committee(graph2, ms)  # a new round, fresh nonces from everyone
    close(ms)
    assert not more and not unsigned_committee_inputs(signed)
    nonces = [r.pubnonce for m in ms for r in m.store.records]
    assert len(nonces) == len(set(nonces))


def test_bad_contributions_are_refused_and_blamed_only_when_provable(drill, tmp_path):
    actors, graph = drill
    ms = members(graph, actors, tmp_path)
    rnd = open_round(graph)
    good = commit_nonces(ms[0], rnd.opened)
    forged = replace(good, pubnonces=good.pubnonces[::-1])  # altered on the way: the signature breaks
    with pytest.raises(MessageError, match="signature does not verify"):
        accept_commit(rnd, forged)
    bad_point = replace(good, pubnonces=(b"\x02" + b"\xff" * 65, *good.pubnonces[1:])).signed_by(ms[0].key)
    with pytest.raises(BlameError, match=f"committee member {actors.committee[0].pubkey.hex()}: invalid public nonce"):
        accept_commit(rnd, bad_point)
    short = replace(good, pubnonces=good.pubnonces[:-1]).signed_by(ms[0].key)
    with pytest.raises(BlameError, match="public nonces for"):
        accept_commit(rnd, short)
    assert accept_commit(rnd, good) is True and accept_commit(rnd, good) is False  # a resend
    with pytest.raises(BlameError, match="two different nonce commits"):
        accept_commit(rnd, short)
    outsider = replace(good, signer=actors.operator.pubkey).signed_by(actors.operator)
    with pytest.raises(MessageError, match="not a committee member"):
        accept_commit(rnd, outsider)
    other = open_round(graph)
    with pytest.raises(MessageError, match="not for round"):
        accept_commit(other, good)
    # a member's repeated nonce (a broken random generator) is blamed
    twin = commit_nonces(ms[1], rnd.opened)
    twin = replace(twin, pubnonces=(good.pubnonces[0], *twin.pubnonces[1:])).signed_by(ms[1].key)
    with pytest.raises(BlameError, match="repeated a public nonce"):
        accept_commit(rnd, twin)
    close(ms)


def test_the_coordinator_cannot_choose_or_swap_a_members_nonces(drill, tmp_path):
    """A member signs only an aggregate made of its own commit, for the round it
    committed to; a round id seen before never gets a second nonce; a round for an
    input the committee does not sign is refused.  Nothing is signed when refused."""
    actors, graph = drill
    ms = members(graph, actors, tmp_path)
    rnd = open_round(graph)
    for m in ms:
        accept_commit(rnd, commit_nonces(m, rnd.opened))
    agg = aggregate_nonces(rnd)
    swapped = NonceAggregate(
        agg.graph_id,
        agg.round_id,
        agg.round_digest,
        agg.aggnonces,
        {**agg.commits, actors.committee[0].pubkey: b"\x00" * 32},
    )
    with pytest.raises(MessageError, match="aggregated other nonces than this member sent"):
        sign_round(ms[0], rnd.opened, swapped)
    missing = replace(agg, commits={k: v for k, v in agg.commits.items() if k != actors.committee[2].pubkey})
    with pytest.raises(MessageError, match="not made of every member's nonces"):
        sign_round(ms[0], rnd.opened, missing)
    with pytest.raises(MessageError, match="aggregate nonces are not for round"):
        sign_round(ms[0], rnd.opened, replace(agg, round_id="ab" * 16))
    assert standing(ms[0], rnd.opened) is Standing.ISSUED  # still unused
    with pytest.raises(UserError, match="already has a nonce"):
        commit_nonces(ms[0], rnd.opened)  # the same round again: no second nonce
    prepare = open_round(graph, inputs=[*rnd.opened.inputs[:1]])
    bad = replace(prepare.opened, inputs=(*prepare.opened.inputs, *[r for r in _inputs(graph, TxKind.PREPARE)]))
    with pytest.raises(MessageError, match="not an input the committee's key signs"):
        commit_nonces(ms[0], bad)
    assert sign_round(ms[0], rnd.opened, agg).psigs  # the honest aggregate is signed
    close(ms)


def _inputs(graph, kind):
    from ocp.ceremony.messages import InputRef

    return [InputRef(TxName(kind), 0)]


def test_a_restarted_member_never_signs_the_round_it_handed_nonces_out_for(drill, tmp_path):
    actors, graph = drill
    ms = members(graph, actors, tmp_path)
    rnd = open_round(graph)
    for m in ms:
        accept_commit(rnd, commit_nonces(m, rnd.opened))
    agg = aggregate_nonces(rnd)
    ms[1].store.close()  # the process dies; a new one opens the same store
    again = Member(graph, actors.committee[1], member_store(actors.committee[1], ms[1].store.path))
    assert standing(again, rnd.opened) is Standing.BURNED
    with pytest.raises(NonceBurnedError, match="never signs"):
        sign_round(again, rnd.opened, agg)
    notice = burned(again, rnd.opened)
    notice.verify()
    ms[1] = again
    signed, blame = sign_committee(graph, ms)  # a fresh round completes
    close(ms)
    assert not blame and not unsigned_committee_inputs(signed)
    nonces = [r.pubnonce for m in ms for r in m.store.records]
    assert len(nonces) == len(set(nonces))


# --- the coordinator ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_members(coord: Coordinator, ms, only=None) -> None:
    """Each member's round messages, as its client would send them."""
    rnd = coord.round
    for m in ms if only is None else only:
        coord.post_nonces(commit_nonces(m, rnd.opened).to_json())
    if coord.round is rnd and rnd.aggregate is not None:
        for m in ms:
            coord.post_psigs(sign_round(m, rnd.opened, rnd.aggregate).to_json())


def plain(graph, key) -> dict:
    signed, _ = presign(graph, key)
    sigs = {f"{d.tx}:{d.index}": signed.signature(d.tx, d.index, key.pubkey) for d in own_duties(signed, key)}
    return PlainSigs(key.pubkey, b"", graph.graph_id, key.role, sigs).signed_by(key).to_json()


def test_coordinator_signs_blames_journals_and_survives_a_restart(drill, tmp_path):
    actors, graph = drill
    path = tmp_path / "graph.json"
    save_graph(graph, path)
    transcript = tmp_path / "t.jsonl"
    coord = Coordinator(path, transcript=transcript, save_interval=3600)
    assert coord.round is not None and not coord.complete
    deposit = TxName(TxKind.DEPOSIT)
    early = {"Deposit:0": sign_spend(graph, graph.tx(deposit), 0, actors.depositor)}
    early = PlainSigs(actors.depositor.pubkey, b"", graph.graph_id, Role.DEPOSITOR, early).signed_by(actors.depositor)
    with pytest.raises(MessageError, match="the depositor signs last"):
        coord.post_signatures(early.to_json())
    coord.post_signatures(plain(graph, actors.operator))
    ms = members(graph, actors, tmp_path)
    first = coord.round.round_id
    run_members(coord, ms)
    assert coord.committee_done and coord.depositor_ready and coord.round is None
    assert coord.rounds[0].round_id == first and coord.rounds[0].outcome == "signed"
    # a crash before the graph file was written: everything signed is in the journal
    assert load_graph(path).signatures == {}
    again = Coordinator(path, transcript=transcript)
    assert again.committee_done and again.owed_by(Role.OPERATOR) == 0 and again.owed_by(Role.DEPOSITOR) == 2
    assert "replayed" in again.notes[0]
    with pytest.raises(StaleRound):
        again.post_nonces(commit_nonces(ms[0], open_round(graph).opened).to_json())
    bad = json.loads(json.dumps(plain(again.graph, actors.depositor)))
    label = sorted(bad["signatures"])[0]
    spoiled = spoil_first(PlainSigs.from_json(bad), actors.depositor)
    with pytest.raises(BlameError, match="depositor .*: invalid signature"):
        again.post_signatures(spoiled.to_json())
    assert again.blame[-1].role is Role.DEPOSITOR and again.blame[-1].inputs == (label,)
    again.post_signatures(plain(again.graph, actors.depositor))
    assert again.complete and again.save_due()
    again.save()
    close(ms)
    assert not again.journal.path.exists()
    assert outstanding_signatures(load_graph(path)) == []
    events = [json.loads(line)["event"] for line in transcript.read_text().splitlines()]
    assert events.count("nonces") == 3 and events.count("psigs") == 3 and "blame" in events


def test_coordinator_restarts_a_round_for_a_burned_member_a_timeout_and_blame(drill, tmp_path):
    actors, graph = drill
    path = tmp_path / "graph.json"
    save_graph(graph, path)
    clock = Clock()
    coord = Coordinator(path, round_timeout=60, clock=clock)
    ms = members(graph, actors, tmp_path)
    # round 1: member 2 never answers; the time-out names it and opens round 2
    run_members(coord, ms, only=ms[:1])
    clock.now += 61
    coord.tick()
    assert [b.signer for b in coord.blame] == [actors.committee[1].pubkey, actors.committee[2].pubkey]
    assert "sent no nonces within 60 s" in str(coord.blame[0])
    assert coord.rounds[-1].outcome.startswith("abandoned: timed out")
    # round 2: member 1 restarts after committing; its notice abandons the round
    rnd = coord.round
    for m in ms:
        coord.post_nonces(commit_nonces(m, rnd.opened).to_json())
    ms[0].store.close()
    ms[0] = Member(graph, actors.committee[0], member_store(actors.committee[0], ms[0].store.path))
    coord.post_burned(burned(ms[0], rnd.opened).to_json())
    assert "restarted" in coord.rounds[-1].outcome and coord.round.round_id != rnd.round_id
    # round 3: a faulty partial signature spoils one input; round 4 signs it
    rnd = coord.round
    for m in ms:
        coord.post_nonces(commit_nonces(m, rnd.opened).to_json())
    with pytest.raises(BlameError, match="invalid partial signature"):
        for m in ms:
            message = sign_round(m, rnd.opened, rnd.aggregate)
            coord.post_psigs((spoil_first(message, m.key) if m is ms[2] else message).to_json())
    assert coord.round.opened.inputs == rnd.opened.inputs[:1]
    run_members(coord, ms)
    assert coord.committee_done and len(coord.rounds) == 4
    close(ms)
    nonces = [r.pubnonce for m in ms for r in m.store.records]
    assert len(nonces) == len(set(nonces))


def test_coordinator_gives_up_after_max_rounds_naming_whom_it_blamed(drill, tmp_path):
    actors, graph = drill
    path = tmp_path / "graph.json"
    save_graph(graph, path)
    clock = Clock()
    coord = Coordinator(path, round_timeout=1, max_rounds=2, clock=clock)
    for _ in range(2):
        clock.now += 2
        coord.tick()
    assert coord.round is None and "gave up after 2 rounds" in coord.failed
    assert "committee member 1" in coord.failed
    assert coord.state()["failed"] == coord.failed

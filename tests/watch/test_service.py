"""The watcher services in one process on the embedded chain, stepped poll by poll
with blocks mined between polls: restart safety, CPFP on a lingering move, the
vault taken by another operator, a silent operator slashed, and the log lines."""

from __future__ import annotations

import io
import json

import pytest

from ocp.drill import moves
from ocp.drill.world import setup_world
from ocp.ids import Role, TxKind, TxName
from ocp.moves import revealed_in
from ocp.ots import read_value
from ocp.watch.challenger import ChallengerPhase, Policy
from ocp.watch.game import operator_numbers
from ocp.watch.harness import MINE_TO, fault_step
from ocp.watch.journal import Identity, StateDir
from ocp.watch.operator import OperatorPhase
from ocp.watch.service import WatchOptions, WatchService
from regtest.kernel import KernelChain

K = TxKind


def open_vault(world) -> None:
    for kind in (K.DEPOSIT, K.CONFIRM):
        tx, _ = moves.move(world, kind)
        assert world.chain.submit(tx).accepted
        world.mine()


def service(world, key, folder, stream=None, as_json=False, **options) -> WatchService:
    operator = None
    if key.role is Role.OPERATOR:
        operator = operator_numbers(world.graph)[world.params.operators.index(key.pubkey)]
    identity = Identity(key.role.value, world.graph.graph_id.hex(), key.pubkey.hex(), operator)
    state = StateDir.open(folder, identity)
    if key.role is Role.CHALLENGER:
        options.setdefault("coins", (world.funding[(Role.CHALLENGER, 0)],))
    return WatchService(
        world.graph,
        key,
        world.chain,
        state,
        WatchOptions(poll_interval=0, **options),
        stream=stream or io.StringIO(),
        as_json=as_json,
    )


def drive(world, services, blocks: int = 40) -> None:
    """Poll every service, mine a block, until every one is done."""
    for _ in range(blocks):
        if all([s.step() for s in services]):
            return
        world.mine()
    raise AssertionError(f"not done after {blocks} blocks: {[s.games for s in services]}")


@pytest.fixture
def world():
    with KernelChain() as chain:
        world = setup_world(chain)
        open_vault(world)
        yield world


def test_a_restarted_operator_defends_the_trace_it_journaled(world, tmp_path):
    """The operator commits to a (false) trace and broadcasts its Kickoff, then
    'crashes'.  Its claim request is edited to another fault; the restarted service
    defends the journaled trace anyway, and every value revealed on chain is the
    journaled one (no one-time key ever signs two values)."""
    wrong = fault_step(world.params.computation)
    first = service(world, world.actors.operator, tmp_path / "op")
    first.state.request_claim(wrong)
    first.step()
    assert world.chain.mempool()  # Prepare and Kickoff
    committed = first.journal.committed_values()
    first.state.request_claim(None)  # the request changes after the claim: ignored
    world.mine()
    second = service(world, world.actors.operator, tmp_path / "op")
    challenger = service(world, world.actors.challenger, tmp_path / "ch")
    drive(world, [second, challenger])
    assert second.games[None].run.phase is OperatorPhase.DISPROVED
    assert challenger.games[None].run.phase is ChallengerPhase.WON
    keys = world.graph.ots[0]
    on_chain = {}
    for c in second.follower.confirmed:
        if c.name.kind in (K.KICKOFF, K.ASSERT):
            on_chain.update(
                {i: read_value(keys, i, items) for i, items in revealed_in(world.graph, c.name, c.tx).items()}
            )
    assert on_chain == committed and len(on_chain) == world.params.computation.n_steps
    kickoffs = [e for e in second.journal.of_kind("reveal") if e["tx"] == "Kickoff"]
    assert len(kickoffs) == 1  # journaled once, across the restart
    assert second.exit_code() == 1  # the cheat lost its stake


def test_a_lingering_move_is_bumped_then_bumped_again_at_twice_the_feerate(world, tmp_path):
    """Blocks that leave the mempool out (a miner ignoring low fees): after
    ``bump_after`` blocks the operator's move gets a CPFP child on its keyed output
    (its ancestors first: the Kickoff waits for Prepare); still unconfirmed after as
    many more, the child is replaced at twice the feerate.  The Kickoff, lingering
    once Prepare is mined, is bumped through its anchor and a confirmed coin of its
    own (the first child's output)."""
    op = service(world, world.actors.operator, tmp_path / "op", bump_after=2, feerate=10)
    op.state.request_claim(None)
    op.step()
    prepare, kickoff = (world.graph.tx(TxName(k)).txid for k in (K.PREPARE, K.KICKOFF))
    assert set(world.chain.mempool()) == {prepare, kickoff}

    def empty_blocks(n: int) -> list[dict]:
        for _ in range(n):
            world.chain.mine(1, MINE_TO, txs=[])  # nothing leaves the mempool
            op.step()
        return list(op.journal.of_kind("bump"))

    [first] = empty_blocks(2)
    assert (first["tx"], first["feerate"], first["accepted"]) == ("Prepare", 10, True)
    [_, again] = empty_blocks(2)
    assert (again["tx"], again["feerate"], again["accepted"]) == ("Prepare", 20, True)
    assert again["child"] in world.chain.mempool() and first["child"] not in world.chain.mempool()  # replaced
    world.chain.mine(1, MINE_TO, txs=[world.chain.get_tx(prepare), world.chain.get_tx(again["child"])])
    op.step()
    [*_, third] = empty_blocks(2)
    assert (third["tx"], third["feerate"], third["accepted"]) == ("Kickoff", 10, True)
    assert third["extra"] == [[again["child"], 0]]  # the anchor alone cannot pay: a confirmed coin joins it
    world.mine()
    assert world.chain.confirmations(kickoff) == 1 and world.chain.confirmations(third["child"]) == 1
    op.step()
    assert op.games[None].run.phase is OperatorPhase.CLAIMED


def test_an_operator_too_late_for_the_vault_takes_its_stake_back(tmp_path):
    with KernelChain() as chain:
        world = setup_world(chain, n_operators=2)
        open_vault(world)
        first = service(world, world.actors.operators[0], tmp_path / "op1")
        second = service(world, world.actors.operators[1], tmp_path / "op2")
        challenger = service(world, world.actors.challenger, tmp_path / "ch")
        first.state.request_claim(None)
        first.step()
        world.mine()
        second.state.request_claim(None)  # a block later: operator 1's Take1 comes first
        drive(world, [first, second, challenger])
        assert first.games[1].run.phase is OperatorPhase.PAID
        assert second.games[2].run.phase is OperatorPhase.STAKE_BACK
        assert {op: g.run.phase for op, g in challenger.games.items()} == {
            1: ChallengerPhase.CLOSED,
            2: ChallengerPhase.CLOSED,
        }
        assert chain.confirmations(world.graph.tx(TxName(K.STAKEBACK1, None, 2)).txid) >= 1
        assert first.exit_code() == second.exit_code() == 0


def test_a_silent_operator_is_slashed_by_the_challenger(world, tmp_path):
    """The operator claims falsely (by hand) and never answers the Challenge: the
    challenger's service slashes S0 once the response window passes."""
    trace = moves.operator_trace(world, wrong_step=fault_step(world.params.computation))
    for tx, _ in (moves.move(world, K.PREPARE), moves.kickoff(world, trace)):
        assert world.chain.submit(tx).accepted
    world.mine()
    challenger = service(world, world.actors.challenger, tmp_path / "ch")
    drive(world, [challenger], blocks=world.params.windows.response + 5)
    game = challenger.games[None]
    assert game.run.phase is ChallengerPhase.WON
    slash = game.claim.confirmation(TxName(K.SLASH, 0))
    assert slash is not None and slash.tx.outputs[1].script_pubkey == world.actors.spk(Role.CHALLENGER)
    kickoff = game.run.height_of(game.run.steps[0].event.trigger)
    assert slash.height == kickoff + world.params.windows.response


def test_policy_never_lets_a_false_claim_pass(world, tmp_path):
    trace = moves.operator_trace(world, wrong_step=fault_step(world.params.computation))
    for tx, _ in (moves.move(world, K.PREPARE), moves.kickoff(world, trace)):
        assert world.chain.submit(tx).accepted
    world.mine()
    challenger = service(world, world.actors.challenger, tmp_path / "ch", policy=Policy.NEVER)
    for _ in range(world.params.windows.challenge):
        challenger.step()
        world.mine()
    assert challenger.games[None].run.phase is ChallengerPhase.CLAIMED
    assert not list(challenger.journal.of_kind("broadcast"))


def test_every_transition_is_one_human_line_and_one_json_line(world, tmp_path):
    human, machine = io.StringIO(), io.StringIO()
    op = service(world, world.actors.operator, tmp_path / "op", stream=human)
    op.state.request_claim(None)
    op.step()
    world.mine()
    op.step()
    lines = [line for line in human.getvalue().splitlines() if "->" in line]
    assert lines == [
        f"[{world.chain.height() - 1}] operator: claim: IDLE -> CLAIMING on claim",
        f"[{world.chain.height()}] operator: claim: CLAIMING -> CLAIMED on Kickoff",
    ]
    transitions = list(op.journal.of_kind("transition"))
    assert [(t["from"], t["to"], t["trigger"]) for t in transitions] == [
        ("IDLE", "CLAIMING", "claim"),
        ("CLAIMING", "CLAIMED", "Kickoff"),
    ]
    assert transitions[1]["txid"] == world.graph.tx(TxName(K.KICKOFF)).txid
    ch = service(world, world.actors.challenger, tmp_path / "ch", stream=machine, as_json=True)
    ch.step()
    records = [json.loads(line) for line in machine.getvalue().splitlines()]
    [transition] = [r for r in records if r["kind"] == "transition"]
    assert transition["to"] == "CLAIMED" and transition["verdict"]["claim_is_false"] is False
    assert transition["role"] == "challenger" and "claim" in transition["text"]


def test_a_kickoff_mined_before_the_state_folder_is_adopted_from_the_chain(world, tmp_path):
    """A (false) Kickoff broadcast by hand, then an operator service on a new folder:
    it reads the claim from the chain, journals a trace ending in it before any
    Assert, and answers with it -- so the challenger disproves the last step, and
    no one-time key signs two values."""
    n = world.params.computation.n_steps
    trace = moves.operator_trace(world, wrong_step=n - 1)
    for tx, _ in (moves.move(world, K.PREPARE), moves.kickoff(world, trace)):
        assert world.chain.submit(tx).accepted
    world.mine()
    op = service(world, world.actors.operator, tmp_path / "op")
    challenger = service(world, world.actors.challenger, tmp_path / "ch")
    drive(world, [op, challenger])
    [claim] = op.journal.of_kind("claim")
    assert claim["source"] == "read from the mined Kickoff" and claim["trace"] == list(trace)
    assert op.games[None].run.steps[0].before == "IDLE"  # no claim request: IDLE -> CLAIMED on the chain's Kickoff
    assert op.games[None].run.phase is OperatorPhase.DISPROVED
    assert challenger.games[None].claim.confirmation(TxName(K.DISPROVE, n - 1)) is not None

"""With a fully signed graph, every way of moving coins that the graph does not
allow is refused by the chain (issue 8, attack tests)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocp.drill import moves
from ocp.drill.world import setup_world
from ocp.program import Program
from regtest.kernel import KernelChain
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxIn, TxOut


@pytest.fixture
def world():
    with KernelChain() as chain:
        yield setup_world(chain)


def open_deposit(world) -> None:
    for name in ("Deposit", "Confirm", "Prepare"):
        tx, spent = moves.graph_move(world, name)
        assert world.submit(name, "-", tx, spent, expect=True)
        world.mine()


def submit(world, move, label="attack"):
    tx, spent = move
    world.submit(label, "attacker", tx, spent, expect=False)
    return world.events[-1]


def steal_by_key_path(world, source: str, key) -> tuple[Tx, list[TxOut]]:
    """Spend a graph output by key path with a committee member's key: the internal
    key is BIP341's unspendable H, so no key can sign for it."""
    gtx = world.graph.tx(source.split(":")[0])
    vout = int(source.split(":")[1])
    spent = [gtx.tx.outputs[vout]]
    tx = Tx(2, (TxIn(gtx.tx.outpoint(vout)),), (TxOut(spent[0].value - 1_000, world.actors.spk("depositor")),))
    sig = TaprootOutput(key.pubkey).key_path_sign(key.secret, taproot_sighash(tx, 0, spent))
    return tx.with_witness(0, [sig]), spent


def test_vault_and_deposit_refuse_key_path(world):
    tx, spent = moves.graph_move(world, "Deposit")
    assert world.submit("Deposit", "-", tx, spent, True)
    world.mine()
    e = submit(world, steal_by_key_path(world, "Deposit:0", world.actors.committee[0]))
    assert e.reason.startswith("mandatory-script-verify-flag-failed")
    assert "key-path signature invalid" in e.reason
    tx, spent = moves.graph_move(world, "Confirm")
    assert world.submit("Confirm", "-", tx, spent, True)
    world.mine()
    e = submit(world, steal_by_key_path(world, "Confirm:0", world.actors.depositor))
    assert e.reason.startswith("mandatory-script-verify-flag-failed")


def test_refund_early_and_after_confirm(world):
    tx, spent = moves.graph_move(world, "Deposit")
    assert world.submit("Deposit", "-", tx, spent, True)
    world.mine()
    assert submit(world, moves.graph_move(world, "Refund")).reason == "non-BIP68-final"
    tx, spent = moves.graph_move(world, "Confirm")
    assert world.submit("Confirm", "-", tx, spent, True)
    world.mine(world.params.windows.refund + 1)
    assert submit(world, moves.graph_move(world, "Refund")).reason == "bad-txns-inputs-missingorspent"


def test_take1_after_challenge_and_slash_after_assert(world):
    open_deposit(world)
    trace = moves.operator_trace(world)
    assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
    world.mine()
    assert world.submit("Challenge", "-", *moves.challenge(world), True)
    world.mine(world.params.windows.challenge)
    assert submit(world, moves.graph_move(world, "Take1")).reason == "bad-txns-inputs-missingorspent"
    assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
    world.mine(world.params.windows.response)
    assert submit(world, moves.with_reward(world, "Slash_0", [])).reason == (
        "bad-txns-inputs-missingorspent"
    )


def asserted_fraud(world, wrong_step: int = 2) -> dict:
    """A wrong claim, challenged and asserted; returns the values read from chain."""
    open_deposit(world)
    trace = moves.operator_trace(world, wrong_step=wrong_step)
    assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
    world.mine()
    assert world.submit("Challenge", "-", *moves.challenge(world), True)
    assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
    world.mine()
    return moves.revealed_values(world)


def test_disprove_with_honest_trace_and_take2_after_disprove(world):
    revealed = asserted_fraud(world)
    for honest_step in (0, 1, 5):
        e = submit(world, moves.disprove(world, honest_step, revealed))
        assert e.reason.startswith("mandatory-script-verify-flag-failed")
    assert world.submit("Disprove_2", "-", *moves.disprove(world, 2, revealed), True)
    world.mine(world.params.windows.disprove)
    assert submit(world, moves.graph_move(world, "Take2")).reason == "bad-txns-inputs-missingorspent"


def test_disprove_cannot_redirect_the_burn(world):
    """The committee's SIGHASH_SINGLE signatures fix the burn output: a challenger
    who replaces it with a payment to itself is refused."""
    tx, spent = moves.disprove(world, 2, asserted_fraud(world))
    stolen = replace(tx, outputs=(TxOut(tx.outputs[0].value, world.actors.spk("challenger")), *tx.outputs[1:]))
    reason = submit(world, (stolen, spent)).reason
    assert reason.startswith("mandatory-script-verify-flag-failed") and "SCHNORR_SIG" in reason


def test_wrong_claim_signature_refused_at_kickoff(world):
    """Kickoff needs a Winternitz signature under the claim key: a signature made
    with another value's key is refused."""
    open_deposit(world)
    n = world.params.computation.n_steps
    trace = moves.operator_trace(world)
    forged = list(world.signer.sign(0, trace[n]))  # right value, wrong key
    e = submit(world, moves.graph_move(world, "Kickoff", {0: forged}))
    assert e.reason.startswith("mandatory-script-verify-flag-failed")


def test_challenge_fee_cannot_be_lowered(world):
    """The operator's SINGLE|ANYONECANPAY signature fixes the fee output."""
    open_deposit(world)
    assert world.submit("Kickoff", "-", *moves.kickoff(world, moves.operator_trace(world)), True)
    world.mine()
    tx, spent = moves.challenge(world)
    cheap = replace(tx, outputs=(TxOut(tx.outputs[0].value - 50_000, tx.outputs[0].script_pubkey), tx.outputs[1]))
    # re-sign the challenger's own input for the changed transaction
    own = TaprootOutput(world.actors.challenger.pubkey)
    cheap = cheap.with_witness(1, [own.key_path_sign(world.actors.challenger.secret, taproot_sighash(cheap, 1, spent))])
    assert submit(world, (cheap, spent)).reason.startswith("mandatory-script-verify-flag-failed")


def test_operator_that_stops_halfway_is_slashed_and_cannot_take2():
    with KernelChain() as chain:
        world = setup_world(chain, program=Program.sample(64))
        assert world.graph.n_chunks == 2
        open_deposit(world)
        trace = moves.operator_trace(world)
        assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
        world.mine()
        assert world.submit("Challenge", "-", *moves.challenge(world), True)
        assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
        world.mine()
        assert submit(world, moves.with_reward(world, "Slash_1", [])).reason == "non-BIP68-final"
        world.mine(world.params.windows.response)
        assert world.submit("Slash_1", "-", *moves.with_reward(world, "Slash_1", []), True)
        world.mine(world.params.windows.disprove)
        assert submit(world, moves.graph_move(world, "Take2")).reason == "bad-txns-inputs-missingorspent"


def test_disprove_takes_the_whole_stake():
    with KernelChain() as chain:
        world = setup_world(chain, program=Program.sample(64))
        open_deposit(world)
        trace = moves.operator_trace(world, wrong_step=3)  # revealed by Assert_0
        assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
        world.mine()
        assert world.submit("Challenge", "-", *moves.challenge(world), True)
        for j in range(world.graph.n_chunks):
            assert world.submit(f"Assert_{j}", "-", *moves.assert_move(world, j, trace), True)
        world.mine()
        tx, spent = moves.disprove(world, 3, moves.revealed_values(world))
        assert world.submit("Disprove_3", "-", tx, spent, True)
        burned, reward = tx.outputs[0].value, tx.outputs[1].value
        stake = world.params.operator_stake
        assert burned + reward > 0.99 * stake  # all of it, less the Assert and Disprove fees

"""Attacks on a fully signed graph, as a table: each row is a state of the chain,
a move the graph allows somewhere, one change an attacker makes to it, and the
reason the chain must give for refusing it (issues 8, 11 and 12).

A row whose change is ``None`` plays the move itself at a moment the graph
forbids it.  A row with a change also submits the unchanged move afterwards and
expects it to be accepted, so the refusal is the change's, not the state's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from ocp.drill import moves
from ocp.drill.world import World, setup_world
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.program import U32Program
from regtest.kernel import KernelChain
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxIn, TxOut

DEPOSIT, CONFIRM, PREPARE = TxName(TxKind.DEPOSIT), TxName(TxKind.CONFIRM), TxName(TxKind.PREPARE)
TAKE1, TAKE2, REFUND = TxName(TxKind.TAKE1), TxName(TxKind.TAKE2), TxName(TxKind.REFUND)

MISSING = "bad-txns-inputs-missingorspent"
PREMATURE = "non-BIP68-final"


@dataclass(frozen=True)
class Refusal:
    """What the chain must answer: a reject reason, and words its detail must contain."""

    reason: str
    detail: str = ""

    def matches(self, reason: str) -> bool:
        if not self.detail:
            return reason == self.reason
        return "script-verify-flag-failed" in reason and self.detail in reason


def script_fails(detail: str) -> Refusal:
    return Refusal("script-verify-flag-failed", detail)


Move = moves.Move
Change = Callable[[World, Move], Move]


@dataclass(frozen=True)
class Attack:
    setup: Callable[[World], None]
    move: Callable[[World], Move]
    change: Change | None
    refusal: Refusal


# ---- states of the chain ---------------------------------------------------------------
def mined(world: World, name: TxName) -> None:
    tx, spent = moves.graph_move(world, name)
    assert world.submit(str(name), "-", tx, spent, True), world.events[-1].reason
    world.mine()


def deposited(world: World) -> None:
    mined(world, DEPOSIT)


def opened(world: World) -> None:
    for name in (DEPOSIT, CONFIRM, PREPARE):
        mined(world, name)


def kicked_off(world: World, trace=None) -> None:
    opened(world)
    trace = trace or moves.operator_trace(world)
    assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
    world.mine()


def challenged(world: World, trace=None) -> None:
    kicked_off(world, trace)
    assert world.submit("Challenge", "-", *moves.challenge(world), True)
    world.mine()


def asserted(world: World, wrong_step: int | None = None) -> None:
    trace = moves.operator_trace(world, wrong_step)
    challenged(world, trace)
    for j in range(world.graph.n_chunks):
        assert world.submit(f"Assert_{j}", "-", *moves.assert_move(world, j, trace), True)
        world.mine()


def then_mine(setup: Callable[[World], None], blocks: Callable[[World], int]) -> Callable[[World], None]:
    def run(world: World) -> None:
        setup(world)
        world.mine(blocks(world))

    return run


def disproved(world: World) -> None:
    asserted(world, wrong_step=2)
    assert world.submit("Disprove_2", "-", *disprove(2)(world), True)
    world.mine(world.params.windows.disprove)


# ---- moves -----------------------------------------------------------------------------
def graph(name: TxName) -> Callable[[World], Move]:
    return lambda world: moves.graph_move(world, name)


def disprove(step: int) -> Callable[[World], Move]:
    return lambda world: moves.disprove(world, step, moves.revealed_values(world))


def honest_kickoff(world: World) -> Move:
    return moves.kickoff(world, moves.operator_trace(world))


# ---- changes ---------------------------------------------------------------------------
def key_path_theft(source: OutputRef, role: Role, index: int = 0) -> Change:
    """Spend a graph output by key path with a key of ``role``: the internal key is
    BIP341's unspendable H, so no key can sign for it."""

    def change(world: World, _move: Move) -> Move:
        key = world.actors.committee[index] if role is Role.COMMITTEE else world.actors.key(role)
        out = world.graph.tx(source.tx).tx.outputs[source.vout]
        tx = Tx(2, (TxIn(world.graph.tx(source.tx).tx.outpoint(source.vout)),),
                (TxOut(out.value - 1_000, world.actors.spk(Role.DEPOSITOR)),))  # fmt: skip
        sig = TaprootOutput(key.pubkey).key_path_sign(key.secret, taproot_sighash(tx, 0, [out]))
        return tx.with_witness(0, [sig]), [out]

    return change


def burn_to_challenger(world: World, move: Move) -> Move:
    """The committee's SIGHASH_SINGLE signature fixes the burn: pay it to oneself."""
    tx, spent = move
    stolen = TxOut(tx.outputs[0].value, world.actors.spk(Role.CHALLENGER))
    return replace(tx, outputs=(stolen, *tx.outputs[1:])), spent


def claim_under_another_key(world: World, _move: Move) -> Move:
    """Kickoff with the right claim signed under another value's one-time key."""
    n = world.params.computation.n_steps
    forged = list(world.signer.sign(0, moves.operator_trace(world)[n]))
    return moves.graph_move(world, moves.KICKOFF, {0: forged})


def lower_challenge_fee(world: World, move: Move) -> Move:
    """The operator's SINGLE|ANYONECANPAY signature fixes the challenge fee output."""
    tx, spent = move
    fee = TxOut(tx.outputs[0].value - 50_000, tx.outputs[0].script_pubkey)
    cheap = replace(tx, outputs=(fee, *tx.outputs[1:]))
    own = TaprootOutput(world.actors.challenger.pubkey)
    sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(cheap, 1, spent))
    return cheap.with_witness(1, [sig]), spent


ATTACKS: dict[str, Attack] = {
    "deposit-by-key-path": Attack(
        deposited, graph(CONFIRM), key_path_theft(OutputRef(DEPOSIT, 0), Role.COMMITTEE),
        script_fails("key-path signature invalid")),
    "vault-by-key-path": Attack(
        then_mine(kicked_off, lambda w: w.params.windows.challenge), graph(TAKE1),
        key_path_theft(OutputRef(CONFIRM, 0), Role.DEPOSITOR),
        script_fails("key-path signature invalid")),
    "refund-early": Attack(deposited, graph(REFUND), None, Refusal(PREMATURE)),
    "refund-after-confirm": Attack(
        then_mine(lambda w: (mined(w, DEPOSIT), mined(w, CONFIRM)), lambda w: w.params.windows.refund),
        graph(REFUND), None, Refusal(MISSING)),
    "take1-after-challenge": Attack(
        then_mine(challenged, lambda w: w.params.windows.challenge), graph(TAKE1), None, Refusal(MISSING)),
    "slash-after-assert": Attack(
        then_mine(asserted, lambda w: w.params.windows.response), lambda w: moves.slash(w, 0), None,
        Refusal(MISSING)),
    "disprove-an-honest-step-0": Attack(
        lambda w: asserted(w, wrong_step=2), disprove(0), None, script_fails("EVAL_FALSE")),
    "disprove-an-honest-step-1": Attack(
        lambda w: asserted(w, wrong_step=2), disprove(1), None, script_fails("EVAL_FALSE")),
    "disprove-an-honest-step-5": Attack(
        lambda w: asserted(w, wrong_step=2), disprove(5), None, script_fails("EVAL_FALSE")),
    "take2-after-disprove": Attack(disproved, graph(TAKE2), None, Refusal(MISSING)),
    "disprove-redirects-the-burn": Attack(
        lambda w: asserted(w, wrong_step=2), disprove(2), burn_to_challenger, script_fails("SCHNORR_SIG")),
    "kickoff-under-another-key": Attack(opened, honest_kickoff, claim_under_another_key, script_fails("EQUALVERIFY")),
    "challenge-fee-lowered": Attack(kicked_off, moves.challenge, lower_challenge_fee, script_fails("SCHNORR_SIG")),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack(name):
    attack = ATTACKS[name]
    with KernelChain() as chain:
        world = setup_world(chain)
        attack.setup(world)
        move = attack.move(world)
        tx, spent = attack.change(world, move) if attack.change else move
        accepted = world.submit(name, "attacker", tx, spent, expect=False)
        reason = world.events[-1].reason
        assert not accepted, f"{name}: the chain accepted the attack"
        assert attack.refusal.matches(reason), f"{name}: refused for the wrong reason: {reason}"
        if attack.change:
            assert world.submit(f"{name} (unchanged)", "-", *move, True), world.events[-1].reason


def test_operator_that_stops_halfway_is_slashed_and_cannot_take2():
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(64))
        assert world.graph.n_chunks == 2
        opened(world)
        trace = moves.operator_trace(world)
        assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
        world.mine()
        assert world.submit("Challenge", "-", *moves.challenge(world), True)
        assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
        world.mine()
        world.submit("Slash_1", "-", *moves.slash(world, 1), False)
        assert world.events[-1].reason == PREMATURE
        world.mine(world.params.windows.response)
        assert world.submit("Slash_1", "-", *moves.slash(world, 1), True)
        world.mine(world.params.windows.disprove)
        world.submit("Take2", "-", *moves.graph_move(world, TAKE2), False)
        assert world.events[-1].reason == MISSING


def test_disprove_takes_the_whole_stake():
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(64))
        opened(world)
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

"""Attacks on a version-2 graph (games), played on the chain: the covenant rule of
issue 11 on the outputs a game creates, and the moves only one party may make
(issue 16).  Every attack is refused for its own reason, on the embedded chain and
on bitcoind alike.

The drills of tests/test_game_drills.py already try, in every game: a timeout
before the move window (non-BIP68-final), the operator making the challenger's
choice (a Schnorr signature fails), a catching leaf whose condition does not hold
(EVAL_FALSE), and Take1/Take2 after the stake is taken or before T_max.  This file
adds the attacks of a party acting outside the graph.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from bitcoind_node import BACKENDS, open_chain

from ocp.builder.games import t_max
from ocp.drill.games import (
    GameRun,
    GameWorld,
    Guest,
    open_vault_and_claim,
    setup_game_world,
)
from ocp.drill.moves import graph_move
from ocp.drill.refusal import BAD_SIGNATURE, SPENT
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.leaves import KeysLeaf, LeafKind
from ocp.zkvm import dispute as zd
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

pytestmark = pytest.mark.slow

FEE = 3_000


@pytest.fixture(scope="module")
def guest(selfcheck) -> Guest:
    return selfcheck


def thief_coin(world: GameWorld, role: Role, amount: int = 100_000) -> tuple[OutPoint, TxOut]:
    """A confirmed coin of ``role`` (operator or challenger 1) to pay a sweep's fee
    (a dust output cannot pay for its own spend)."""
    spk = world.actors.spk(Role.OPERATOR) if role is Role.OPERATOR else _challenger_spk(world)
    coin = world.faucet.fund(spk, amount)
    return coin, TxOut(amount, spk)


def _challenger_spk(world: GameWorld) -> bytes:
    return TaprootOutput(world.challengers[0].pubkey).script_pubkey


def sweep(world: GameWorld, ref: OutputRef, leaf: KeysLeaf, role: Role, fee_coin: tuple[OutPoint, TxOut]) -> tuple:
    """``role``'s best try at taking ``ref`` by ``leaf``: the committee's
    pre-signatures copied from the graph transaction that spends this leaf (they sign
    that transaction, not this one), its own signature where the leaf names its role,
    and its own coin to pay the fee; everything paid to itself."""
    graph = world.graph
    source = graph.tx(ref.tx).tx
    spender = next(g for g in graph.txs.values() for s in g.spends if s.source == ref and s.leaf == leaf.name)
    index = next(i for i, s in enumerate(spender.spends) if s.source == ref)
    coin, coin_out = fee_coin
    value = source.outputs[ref.vout].value
    txins = (TxIn(source.outpoint(ref.vout), sequence=spender.tx.inputs[index].sequence), TxIn(coin))
    tx = Tx(2, txins, (TxOut(value + coin_out.value - FEE, coin_out.script_pubkey),))
    spent = [source.outputs[ref.vout], coin_out]
    thief = world.actors.operators[0] if role is Role.OPERATOR else world.challengers[0]

    def sig_of(signer: Role, pubkey: bytes) -> bytes:
        if signer is role:
            from taptrees.keys import schnorr_sign
            from taptrees.sighash import ScriptPath

            out = graph.output(ref)
            msg = taproot_sighash(tx, 0, spent, 0, ScriptPath(out.tapleaf(leaf.name).hash))
            return schnorr_sign(thief.secret, msg)
        return graph.signature(spender.name, index, pubkey) or b"\x01" * 64

    tx = tx.with_witness(0, graph.output(ref).witness(leaf.name, leaf.stack(sig_of)))
    key_path = TaprootOutput(thief.pubkey).key_path_sign(thief.secret, taproot_sighash(tx, 1, spent))
    return tx.with_witness(1, (key_path,)), spent


def live_committee_outputs(world: GameWorld) -> list[OutputRef]:
    """The graph's outputs on chain now, unspent, whose leaves need the committee
    (every value-carrying output, and the dust gate G_k): the data outputs, which
    their next mover may spend alone, are left out."""
    live = []
    for ref, out in world.graph.outputs.items():
        if not all(isinstance(leaf, KeysLeaf) for leaf in out.leaves):
            continue
        outpoint = world.graph.tx(ref.tx).tx.outpoint(ref.vout)
        if world.chain.get_output(outpoint) is not None:
            live.append(ref)
    return live


def refuse_every_sweep(world: GameWorld, refs: list[OutputRef], skip=()) -> list[str]:
    tried = []
    for role in (Role.OPERATOR, Role.CHALLENGER):
        coin = thief_coin(world, role)
        for ref in refs:
            for leaf in world.graph.output(ref).leaves:
                if leaf.name.kind in skip:
                    continue
                label = f"{ref} {leaf.name} by the {role}"
                world.submit(f"sweep {label}", str(role), *sweep(world, ref, leaf, role, coin), BAD_SIGNATURE)
                event = world.events[-1]
                assert not event.accepted, f"{label}: the chain let one party take it"
                assert BAD_SIGNATURE.matches(event.reason), f"{label}: refused for {event.reason}"
                tried.append(label)
    return tried


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_game_sweep(guest, backend):
    """The covenant rule on a game (ARCHITECTURE.md section 4): once its timelock has
    passed, no output of the graph that needs the committee -- the vault V, the stake
    S, the gate G, each game state's token with the bond -- is taken by the operator
    or the challenger alone, by any leaf, with the committee's pre-signatures of
    another transaction.  Tried after the Kickoff (gate still closed) and in the
    middle of a game once T_max has passed (every lock open)."""
    with open_chain(backend) as chain:
        world = setup_game_world(chain, guest)
        search = world.layout.comp.search
        op = world.operator_player(zd.HonestOperator(guest.trace, search), 0)
        ch = world.challenger_player(0, lambda c: zd.FaultyChallenger(guest.run(c), c.search, "random", seed=3))
        open_vault_and_claim(world, op, [ch])
        assert ch.disputes()  # a challenger choosing at random disputes even a true claim
        world.mine(world.params.windows.challenge)
        before = live_committee_outputs(world)
        kinds = {ref.tx.kind for ref in before}
        assert kinds == {TxKind.CONFIRM, TxKind.KICKOFF}, kinds  # V; S and G
        tried = refuse_every_sweep(world, before, skip={LeafKind.TAKE2})
        run = GameRun(world, op, ch, probes=False)
        run.open()
        while run.state is None or run.state.index < 3 or run.pending is not None:
            world.mine()
            run.mined()
            run.act()
        world.mine(t_max(world.params, world.layout))
        during = live_committee_outputs(world)
        assert {ref.tx.kind for ref in during} >= {TxKind.CONFIRM, TxKind.KICKOFF}
        assert any(ref.tx == world.game(0).created_by[run.state.index] for ref in during), "the state's token"
        tried += refuse_every_sweep(world, during)
    assert len(tried) >= 2 * (len(before) + len(during))


def false_claim(world: GameWorld, guest: Guest):
    """The vault open and the operator's Kickoff claiming a run with one wrong write;
    the challenger, which read the claim from the chain, disputes it."""
    party = zd.FaultyOperator(guest.trace, world.layout.comp.search, "write", guest.trace.steps // 2)
    op, ch = world.operator_player(party, 0), world.challenger_player(0)
    open_vault_and_claim(world, op, [ch])
    assert ch.disputes()
    return ch


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_someone_else_opens_the_game(guest, backend):
    """Only challenger k opens game k: the operator (or anyone) putting its own coin
    in place of the registered bond coin breaks the committee's SIGHASH_ALL
    pre-signature of Open; challenger k's real Open is then accepted."""
    with open_chain(backend) as chain:
        world = setup_game_world(chain, guest)
        ch = false_claim(world, guest)
        name = world.game(0).open
        tx, spent = ch.open()
        bond_coin = world.params.challenger_bonds[0].amount
        coin, coin_out = thief_coin(world, Role.OPERATOR, bond_coin)  # as much as the bond coin
        bond_index = next(i for i, s in enumerate(world.graph.tx(name).spends) if not isinstance(s.source, OutputRef))
        inputs = list(tx.inputs)
        inputs[bond_index] = replace(inputs[bond_index], prevout=coin)
        forged = replace(tx, inputs=tuple(inputs))
        forged_spent = list(spent)
        forged_spent[bond_index] = coin_out
        operator = world.actors.operators[0]
        sig = TaprootOutput(operator.pubkey).key_path_sign(
            operator.secret, taproot_sighash(forged, bond_index, forged_spent)
        )
        forged = forged.with_witness(bond_index, (sig,))
        assert not world.submit(
            f"{name} (by the operator, its own coin)", "operator", forged, forged_spent, BAD_SIGNATURE
        )
        assert BAD_SIGNATURE.matches(world.events[-1].reason), world.events[-1].reason
        assert world.submit(str(name), "challenger 1", tx, spent, True), world.events[-1].reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_late_open_after_take1(guest, backend):
    """A challenger that sleeps through the challenge window cannot open its game
    after Take1: the gate G is spent (and Take1, once a game is open, is refused
    the same way: tests/test_game_drills.py)."""
    with open_chain(backend) as chain:
        world = setup_game_world(chain, guest)
        ch = false_claim(world, guest)
        take1 = TxName(TxKind.TAKE1)
        world.mine(world.params.windows.challenge - 1)
        assert world.submit(str(take1), "operator", *graph_move(world, take1), True), world.events[-1].reason
        world.mine()
        refused = not world.submit(str(world.game(0).open), "challenger 1", *ch.open(), SPENT)
        assert refused and SPENT.matches(world.events[-1].reason), world.events[-1].reason

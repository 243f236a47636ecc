"""Attacks on a fully signed graph (issues 8, 11, 12, 13).

Most are a table: each row is a state of the chain, a move the graph allows
somewhere, one change an attacker makes to it, and Bitcoin Core's reason for
refusing it -- the same on the embedded chain and on bitcoind.  A row whose
change is ``None`` plays the move itself at a moment the graph forbids it; a row
with a change also submits the unchanged move afterwards and expects it to be
accepted, so the refusal is the change's, not the state's.

The holes of issue 11 each have a ``test_attack_<name>`` below the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from bitcoind_node import BACKENDS, open_chain, require_bitcoind

from ocp.cli import main
from ocp.drill import moves, scenarios
from ocp.drill.refusal import (
    BAD_SIGNATURE,
    SPENT,
    STEP_CHECKS_OUT,
    TIMELOCK,
    WRONG_ONE_TIME_KEY,
    Refusal,
)
from ocp.drill.report import balances, report_json
from ocp.drill.world import World, setup_world
from ocp.errors import UserError
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.leaves import KeysLeaf
from ocp.program import U32Program
from regtest.kernel import KernelChain
from taptrees.script import encode_num
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput, parse_script_path_witness
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

K = TxKind
DEPOSIT, CONFIRM, PREPARE = TxName(K.DEPOSIT), TxName(K.CONFIRM), TxName(K.PREPARE)
KICKOFF, TAKE1, TAKE2, REFUND = TxName(K.KICKOFF), TxName(K.TAKE1), TxName(K.TAKE2), TxName(K.REFUND)


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
    assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True), world.events[-1].reason
    world.mine()


def challenged(world: World, trace=None) -> None:
    kicked_off(world, trace)
    assert world.submit("Challenge", "-", *moves.challenge(world), True), world.events[-1].reason
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
def key_path_theft(source: OutputRef, role: Role) -> Change:
    """Spend a graph output by key path with a key of ``role``: the internal key is
    BIP341's unspendable H, so no key can sign for it."""

    def change(world: World, _move: Move) -> Move:
        key = world.actors.committee[0] if role is Role.COMMITTEE else world.actors.depositor
        out = world.graph.tx(source.tx).tx.outputs[source.vout]
        tx = Tx(
            2,
            (TxIn(world.graph.tx(source.tx).tx.outpoint(source.vout)),),
            (TxOut(out.value - 1_000, world.actors.spk(Role.DEPOSITOR)),),
        )
        sig = TaprootOutput(key.pubkey).key_path_sign(key.secret, taproot_sighash(tx, 0, [out]))
        return tx.with_witness(0, [sig]), [out]

    return change


def burn_to_challenger(world: World, move: Move) -> Move:
    """The committee's SINGLE|ANYONECANPAY signature fixes the burn: pay it to oneself."""
    tx, spent = move
    stolen = TxOut(tx.outputs[0].value, world.actors.spk(Role.CHALLENGER))
    return replace(tx, outputs=(stolen, *tx.outputs[1:])), spent


def claim_under_another_key(world: World, _move: Move) -> Move:
    """Kickoff with the right claim signed under another value's one-time key."""
    n = world.params.computation.n_steps
    forged = list(world.signer.sign(0, moves.operator_trace(world)[n]))
    return moves.graph_move(world, KICKOFF, {0: forged})


def lower_challenge_fee(world: World, move: Move) -> Move:
    """The committee's and operator's SINGLE|ANYONECANPAY signatures fix the fee output."""
    tx, spent = move
    fee = TxOut(tx.outputs[0].value - 50_000, tx.outputs[0].script_pubkey)
    cheap = replace(tx, outputs=(fee, *tx.outputs[1:]))
    own = TaprootOutput(world.actors.challenger.pubkey)
    sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(cheap, 1, spent))
    return cheap.with_witness(1, [sig]), spent


ATTACKS: dict[str, Attack] = {
    "deposit-by-key-path": Attack(
        deposited, graph(CONFIRM), key_path_theft(OutputRef(DEPOSIT, 0), Role.COMMITTEE), BAD_SIGNATURE
    ),
    "vault-by-key-path": Attack(
        then_mine(kicked_off, lambda w: w.params.windows.challenge),
        graph(TAKE1),
        key_path_theft(OutputRef(CONFIRM, 0), Role.DEPOSITOR),
        BAD_SIGNATURE,
    ),
    "refund-early": Attack(deposited, graph(REFUND), None, TIMELOCK),
    "refund-after-confirm": Attack(
        then_mine(lambda w: (mined(w, DEPOSIT), mined(w, CONFIRM)), lambda w: w.params.windows.refund),
        graph(REFUND),
        None,
        SPENT,
    ),
    "take1-early": Attack(kicked_off, graph(TAKE1), None, TIMELOCK),
    "take1-after-challenge": Attack(
        then_mine(challenged, lambda w: w.params.windows.challenge), graph(TAKE1), None, SPENT
    ),
    "slash-before-the-window": Attack(challenged, lambda w: moves.slash(w, 0), None, TIMELOCK),
    "slash-after-assert": Attack(
        then_mine(asserted, lambda w: w.params.windows.response), lambda w: moves.slash(w, 0), None, SPENT
    ),
    "disprove-an-honest-step-0": Attack(lambda w: asserted(w, wrong_step=2), disprove(0), None, STEP_CHECKS_OUT),
    "disprove-an-honest-step-1": Attack(lambda w: asserted(w, wrong_step=2), disprove(1), None, STEP_CHECKS_OUT),
    "disprove-an-honest-step-5": Attack(lambda w: asserted(w, wrong_step=2), disprove(5), None, STEP_CHECKS_OUT),
    "take2-after-disprove": Attack(disproved, graph(TAKE2), None, SPENT),
    "disprove-redirects-the-burn": Attack(
        lambda w: asserted(w, wrong_step=2), disprove(2), burn_to_challenger, BAD_SIGNATURE
    ),
    "kickoff-under-another-key": Attack(opened, honest_kickoff, claim_under_another_key, WRONG_ONE_TIME_KEY),
    "challenge-fee-lowered": Attack(kicked_off, moves.challenge, lower_challenge_fee, BAD_SIGNATURE),
}
# "challenge-on-an-unconfirmed-kickoff": the Kickoff is in the mempool, not mined; the
# challenge leaf's v:older(1) holds the Challenge back, so nothing but the operator's
# anchor can hang off an unconfirmed Kickoff (no pinning by a challenger).
ATTACKS["challenge-on-an-unconfirmed-kickoff"] = Attack(
    lambda w: (opened(w), w.submit("Kickoff", "-", *honest_kickoff(w), True)), moves.challenge, None, TIMELOCK
)


#: The attacks on what the committee signed, replayed with the committee as one
#: MuSig2 key (issue 17): a key-path spend with a member's key, and changes to
#: what its SIGHASH_SINGLE|ANYONECANPAY and SIGHASH_ALL signatures fix.
MUSIG2_ATTACKS = [
    "deposit-by-key-path",
    "vault-by-key-path",
    "disprove-redirects-the-burn",
    "challenge-fee-lowered",
    "take2-after-disprove",
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("name", "form"),
    [(name, "chain") for name in ATTACKS] + [(name, "musig2") for name in MUSIG2_ATTACKS],
)
def test_attack(name, form, backend):
    """Both chains refuse every attack with the same reason (issue 13), with either
    committee form where the committee's signatures are what is attacked."""
    attack = ATTACKS[name]
    with open_chain(backend) as chain:
        world = setup_world(chain, committee_form=form)
        attack.setup(world)
        move = attack.move(world)
        tx, spent = attack.change(world, move) if attack.change else move
        accepted = world.submit(name, "attacker", tx, spent, attack.refusal)
        reason = world.events[-1].reason
        assert not accepted, f"{name}: the chain accepted the attack"
        assert attack.refusal.matches(reason), f"{name}: refused for the wrong reason: {reason}"
        if attack.change:
            assert world.submit(f"{name} (unchanged)", "-", *move, True), world.events[-1].reason


# ---- issue 11, item by item ---------------------------------------------------------
def sweep(world: World, ref: OutputRef, leaf_name) -> Move:
    """The operator's best try at moving ``ref`` to itself by ``leaf_name``: its own
    signature made now, its honest one-time signatures, and the committee's
    pre-signatures copied from the graph transaction that spends this leaf (they
    sign another transaction)."""
    graph = world.graph
    out = graph.output(ref)
    leaf = out.leaf(leaf_name)
    value = graph.tx(ref.tx).tx.outputs[ref.vout].value
    spender = next(g for g in graph.txs.values() for s in g.spends if s.source == ref and s.leaf == leaf_name)
    index = next(i for i, s in enumerate(spender.spends) if s.source == ref)
    txin = TxIn(graph.tx(ref.tx).tx.outpoint(ref.vout), sequence=spender.tx.inputs[index].sequence)
    thief = world.actors.spk(Role.OPERATOR)
    tx = Tx(2, (txin,), (TxOut(value - min(2_000, value // 2), thief),))
    spent = [graph.tx(ref.tx).tx.outputs[ref.vout]]

    def sig_of(role: Role, pubkey: bytes) -> bytes:
        if role is Role.OPERATOR:
            from taptrees.keys import schnorr_sign
            from taptrees.sighash import ScriptPath

            msg = taproot_sighash(tx, 0, spent, 0, ScriptPath(out.tapleaf(leaf_name).hash))
            return schnorr_sign(world.actors.operator.secret, msg)
        return graph.signature(spender.name, index, pubkey) or b"\x01" * 64

    values = [] if isinstance(leaf, KeysLeaf) else moves.leaf_values(world, leaf, moves.operator_trace(world))
    return tx.with_witness(0, out.witness(leaf_name, leaf.stack(sig_of, values))), spent


def refuse_every_sweep(world: World, refs: list[OutputRef]) -> int:
    tried = 0
    for ref in refs:
        for leaf in world.graph.output(ref).leaves:
            world.submit(f"sweep {ref} {leaf.name}", "operator", *sweep(world, ref, leaf.name), BAD_SIGNATURE)
            event = world.events[-1]
            assert not event.accepted and BAD_SIGNATURE.matches(event.reason), (str(ref), str(leaf.name), event.reason)
            tried += 1
    return tried


@pytest.mark.parametrize("form", ["chain", "musig2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_stake_sweep(backend, form):
    """Item 1: no spend of P, C, any S_j, A or V without the committee's signatures
    is accepted, by any leaf, once its timelock has passed: the operator's own
    signature and one-time signatures are not enough, and the committee's
    pre-signatures sign other transactions."""
    with open_chain(backend) as chain:
        world = setup_world(chain, program=U32Program.sample(48), committee_form=form)
        assert world.graph.n_chunks == 2
        opened(world)
        p = OutputRef(PREPARE, 0)
        tried = refuse_every_sweep(world, [p])
        trace = moves.operator_trace(world)
        assert world.submit("Kickoff", "-", *moves.kickoff(world, trace), True)
        world.mine(world.params.windows.response)
        tried += refuse_every_sweep(world, [OutputRef(KICKOFF, 0), OutputRef(KICKOFF, 1), OutputRef(CONFIRM, 0)])
        assert world.submit("Challenge", "-", *moves.challenge(world), True)
        assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
        world.mine(world.params.windows.response)
        tried += refuse_every_sweep(world, [OutputRef(TxName(K.ASSERT, 0), 0)])
        assert world.submit("Assert_1", "-", *moves.assert_move(world, 1, trace), True)
        world.mine(world.params.windows.disprove)
        tried += refuse_every_sweep(world, [OutputRef(TxName(K.ASSERT, 1), 0)])
    leaves = 1 + 2 + 3 + 1 + 2 + (1 + 48)
    assert tried == leaves


def test_attack_one_time_key_swap(tmp_path, monkeypatch, capsys):
    """Item 2: a relayer rebuilds graph.json with its own one-time keys for the
    operator.  The graph id changes (every party compares it out of band), and the
    operator's presign and its Kickoff refuse the graph."""
    from ocp.builder import build_graph
    from ocp.graph import params_id
    from ocp.graphfile import load_graph, save_graph
    from ocp.ots import ValueSigner

    monkeypatch.chdir(tmp_path)
    assert main(["params", "init", "-o", "params.toml", "--keys-dir", "keys", "--committee", "2"]) == 0
    Path("params.toml").write_text(
        Path("params.toml").read_text()
        + (f'\n[funding]\ndepositor = "{"ab" * 32}:0:100200000"\noperator = "{"cd" * 32}:1:30000000"\n')
    )
    assert main(["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", "graph.json"]) == 0
    honest = load_graph("graph.json")
    relayer = ValueSigner(b"\x42" * 32, params_id(honest.params), honest.params.computation.n_steps)
    swapped = build_graph(honest.params, [relayer.public()])
    save_graph(swapped, "swapped.json")
    capsys.readouterr()
    assert main(["graph", "id", "graph.json"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["graph", "id", "swapped.json"]) == 0
    second = capsys.readouterr().out.strip()
    assert first == honest.graph_id.hex() and second != first
    for key in ("signer-1", "signer-2"):
        assert main(["graph", "presign", "swapped.json", "--key", f"keys/{key}.key"]) == 0
    before = Path("swapped.json").read_bytes()
    code = main(["graph", "presign", "swapped.json", "--key", "keys/operator.key"])
    err = capsys.readouterr().err
    assert code == 2 and "someone replaced them; do not sign this graph" in err
    assert Path("swapped.json").read_bytes() == before
    code = main(["graph", "tx", "swapped.json", "Kickoff", "--key", "keys/operator.key"])
    assert code == 2 and "someone replaced them" in capsys.readouterr().err
    # the depositor never confirms a graph the operator did not sign
    code = main(["graph", "presign", "swapped.json", "--key", "keys/depositor.key"])
    assert code == 2 and "refusing to sign Confirm" in capsys.readouterr().err


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_late_challenge_cannot_slash_an_honest_operator(backend):
    """Item 3: with the narrowest windows the params rules allow, a Challenge mined
    in the last block before Take1 still leaves the honest operator time to mine
    every Assert; Slash_0 then finds S0 spent, and the operator is paid by Take2."""
    with open_chain(backend) as chain:
        from ocp.params import Windows

        world = setup_world(chain, program=U32Program.sample(48), windows=Windows(6, 6 + 2 + 6, 6, 10))
        w = world.params.windows
        assert world.graph.n_chunks == 2  # the narrowest gap: 2 Asserts + the margin of 6
        trace = moves.operator_trace(world)
        kicked_off(world, trace)
        world.mine(w.challenge - 2)  # the Challenge lands in the block before Take1 is valid
        assert world.submit("Challenge", "-", *moves.challenge(world), True)
        world.mine()
        world.submit("Take1", "-", *moves.graph_move(world, TAKE1), SPENT)
        for j in range(world.graph.n_chunks):
            assert world.submit(f"Assert_{j}", "-", *moves.assert_move(world, j, trace), True)
            world.mine()
        world.mine(w.response)
        world.submit("Slash_0", "-", *moves.slash(world, 0), SPENT)
        assert SPENT.matches(world.events[-1].reason)
        assert world.submit("Take2", "-", *moves.graph_move(world, TAKE2), True)


def test_attack_windows_too_close_refused():
    """Item 3: params whose gaps leave no room are refused, naming the minimum; the
    defaults of ``params init`` keep every gap with room."""
    from ocp.params import MIN_DISPROVE_WINDOW, RESPONSE_MARGIN, Windows

    with pytest.raises(UserError, match="below the minimum 7"):
        Windows(6, 12, 6, 10).check()
    with pytest.raises(UserError, match="disprove_window = 5 is below the minimum"):
        Windows(6, 14, 5, 10).check()
    defaults = Windows(144, 432, 144, 1008)  # ocp params init
    defaults.check()
    assert defaults.response - defaults.challenge >= 4096 // 40 + RESPONSE_MARGIN
    assert defaults.disprove >= 10 * MIN_DISPROVE_WINDOW


@pytest.mark.parametrize("form", ["chain", "musig2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_disprove_too_poor_gets_a_fee_input(backend, form):
    """Item 4: the committee signs Disprove SINGLE|ANYONECANPAY, so a challenger can
    add its own coin to pay a fee the template's remainder alone would not."""
    with open_chain(backend) as chain:
        world = setup_world(chain, committee_form=form)
        asserted(world, wrong_step=3)
        name = TxName(K.DISPROVE, 3)
        revealed = moves.revealed_values(world)
        tx, spent = moves.disprove(world, 3, revealed)
        coin = world.faucet.fund(world.actors.spk(Role.CHALLENGER), 1_000_000)
        utxo = world.chain.get_output(coin)
        extra_fee = 300_000  # far above what the reward would pay
        reward = tx.outputs[1].value - extra_fee + utxo.txout.value
        bumped = replace(
            tx, inputs=(*tx.inputs, TxIn(coin)), outputs=(tx.outputs[0], TxOut(reward, tx.outputs[1].script_pubkey))
        )
        spent2 = [*spent, utxo.txout]
        from ocp.witness import input_witness

        values = moves.disprove_values(world, 3, revealed)
        bumped = bumped.with_witness(0, input_witness(world.graph, name, 0, bumped, spent2, values=values))
        own = TaprootOutput(world.actors.challenger.pubkey)
        sig = own.key_path_sign(world.actors.challenger.secret, taproot_sighash(bumped, 1, spent2))
        assert world.submit("Disprove_3 (fee input)", "challenger", bumped.with_witness(1, [sig]), spent2, True), (
            world.events[-1].reason
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_reward_redirected_still_punishes(backend):
    """Item 5: a watcher copies the challenger's Disprove witness and pays the reward
    to itself.  It is accepted (a permissionless challenger's reward cannot be bound
    to it), and the cheating operator is punished all the same: the burn is there,
    its stake is gone and Take2 is refused."""
    with open_chain(backend) as chain:
        world = setup_world(chain)
        asserted(world, wrong_step=4)
        watcher = world.actors.spk(Role.DEPOSITOR)  # anyone's key
        tx, spent = moves.disprove(world, 4, moves.revealed_values(world), to=watcher)
        assert world.submit("Disprove_4 (watcher)", "watcher", tx, spent, True), world.events[-1].reason
        world.mine(world.params.windows.disprove)
        world.submit("Take2", "operator", *moves.graph_move(world, TAKE2), SPENT)
        assert SPENT.matches(world.events[-1].reason)
        b = balances(world)
        assert b.burned >= world.params.operator_stake // 2 - 10_000
        stake_back = b.after["operator"] - (b.before["operator"] - world.params.operator_stake)
        assert stake_back < 0.01 * world.params.operator_stake  # only its anchors and change


def test_attack_challenge_fee_below_the_response_cost():
    """Item 6: a challenge fee that would not pay the honest operator's Asserts and
    Take2's extra fee is refused when the graph is built, naming the minimum."""
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(48))
        from ocp.builder import build_graph
        from ocp.rules import CHALLENGE_FEE_FACTOR, response_cost

        minimum = CHALLENGE_FEE_FACTOR * response_cost(world.graph.txs, None)
        with pytest.raises(UserError, match=rf"minimum {minimum}"):
            build_graph(replace(world.params, challenge_fee=minimum - 1), world.graph.ots)
        build_graph(replace(world.params, challenge_fee=minimum), world.graph.ots)


def test_attack_graph_file_paying_a_thief(tmp_path, monkeypatch, capsys):
    """Item 8: Take1's PSBT (and hex) edited to pay a thief is refused on load,
    naming the field."""
    monkeypatch.chdir(tmp_path)
    assert main(["params", "init", "-o", "params.toml", "--keys-dir", "keys", "--committee", "2"]) == 0
    Path("params.toml").write_text(
        Path("params.toml").read_text()
        + (f'\n[funding]\ndepositor = "{"ab" * 32}:0:100200000"\noperator = "{"cd" * 32}:1:30000000"\n')
    )
    assert main(["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", "graph.json"]) == 0
    data = json.loads(Path("graph.json").read_text())
    take1 = next(t for t in data["transactions"] if t["name"] == "Take1")
    take1["psbt"] = next(t for t in data["transactions"] if t["name"] == "Refund")["psbt"]
    Path("graph.json").write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["graph", "verify", "graph.json"]) == 2
    assert ".psbt differs from the graph" in capsys.readouterr().err


@pytest.mark.parametrize("form", ["chain", "musig2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_annex_and_non_minimal_digits_do_not_fool_the_challenger(backend, form):
    """Item 9: a cheating operator's Assert, mined with a non-minimal one-time
    signature digit (consensus-valid, not standard), is read right: the challenger
    finds the wrong step and its Disprove is accepted.  An annex cannot appear on a
    reveal any more (the committee's SIGHASH_ALL signature commits to its absence,
    BIP341), but the reader strips one as consensus does (checked below)."""
    with open_chain(backend) as chain:
        world = setup_world(chain, committee_form=form)
        wrong = 5
        trace = moves.operator_trace(world, wrong_step=wrong)
        challenged(world, trace)
        tx, spent = moves.assert_move(world, 0, trace)
        items = list(tx.inputs[0].witness)
        stack = parse_script_path_witness(items).stack
        n_sigs = len(world.params.n_of_n.keys) + 1  # the committee's signatures (one with MuSig2), the operator's
        digit = n_sigs + 1  # the first value's first digit item (small_script: sig, digit, ...)
        value = int.from_bytes(stack[digit] or b"\x00", "little")
        items[digit] = encode_num(value) + b"\x00"  # same number, one byte longer
        odd = tx.with_witness(0, items)
        chain.mine(1, world.faucet.script_pubkey, [odd])
        assert world.chain.get_tx(odd.txid) is not None
        world.broadcast.append(odd)
        world.spent_by_tx[odd.txid] = spent
        revealed = moves.revealed_values(world)
        assert moves.find_wrong_step(world, revealed) == wrong
        world.mine()
        assert world.submit("Disprove", "challenger", *moves.disprove(world, wrong, revealed), True), world.events[
            -1
        ].reason
        with_annex = parse_script_path_witness([*items, b"\x50annex"])
        _, leaf = world.graph.spend_leaf(world.graph.tx(TxName(K.ASSERT, 0)).spends[0])
        plain = parse_script_path_witness(items).stack
        assert with_annex.annex == b"\x50annex" and leaf.revealed(with_annex.stack) == leaf.revealed(plain)


def test_attack_committee_too_large_for_the_stack():
    """Item 10: params bound the committee by the real leaf stack needs (a key
    chain's; one MuSig2 key has no such bound: test_committee_musig2.py)."""
    from ocp.builder import build_graph
    from ocp.drill.world import Actors

    with KernelChain() as chain:
        world = setup_world(chain)
        many = Actors.make(b"big committee", 930)
        params = replace(world.params, committee=tuple(k.pubkey for k in many.committee))
        with pytest.raises(UserError, match="keys.committee is too large"):
            build_graph(params, world.graph.ots)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("drill", ["reassign", "stakeback"])
def test_attack_deposit_not_locked_after_a_punishment(backend, drill):
    """Item 11: several operators share the vault; a disproved operator does not lock
    the deposit (operator 2 is paid from it), and an honest operator too late for
    the vault recovers its stake."""
    with open_chain(backend) as chain:
        world = scenarios.run_scenario(drill, chain)
        report = report_json(drill, backend, world)
        b = balances(world)
    assert report["passed"], report["unexpected"]
    assert report["checks"]["refused_for_their_reason"]
    if drill == "reassign":
        assert b.after["operator 2"] - b.before["operator 2"] > world.params.deposit_amount - 50_000
        lost = b.before["operator 1"] - b.after["operator 1"]
        assert lost > world.params.operator_stake - world.params.challenge_fee - 50_000  # its stake
    else:
        assert b.after["operator 1"] - b.before["operator 1"] > world.params.deposit_amount - 50_000
        lost = b.before["operator 2"] - b.after["operator 2"]
        assert lost < 50_000  # fees only: its stake came back (and it earned the challenge fee)
    assert b.locked == 0 or drill == "reassign"


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_stakeback1_only_without_a_challenge(backend):
    """StakeBack1 (an unchallenged operator whose vault another operator took)
    needs C: a challenged operator cannot use it to leave the dispute."""
    with open_chain(backend) as chain:
        world = setup_world(chain)
        challenged(world)
        world.mine(world.params.windows.challenge)
        world.submit("StakeBack1", "operator", *moves.graph_move(world, TxName(K.STAKEBACK1)), SPENT)
        assert SPENT.matches(world.events[-1].reason)


def test_operator_that_stops_halfway_is_slashed_and_cannot_take2():
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(64))
        assert world.graph.n_chunks == 2
        trace = moves.operator_trace(world)
        challenged(world, trace)
        assert world.submit("Assert_0", "-", *moves.assert_move(world, 0, trace), True)
        world.mine()
        world.submit("Slash_1", "-", *moves.slash(world, 1), TIMELOCK)
        assert TIMELOCK.matches(world.events[-1].reason)
        world.mine(world.params.windows.response)
        assert world.submit("Slash_1", "-", *moves.slash(world, 1), True)
        world.mine(world.params.windows.disprove)
        world.submit("Take2", "-", *moves.graph_move(world, TAKE2), SPENT)
        assert SPENT.matches(world.events[-1].reason)


def test_disprove_takes_the_whole_stake():
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(64))
        asserted(world, wrong_step=3)  # revealed by Assert_0
        tx, spent = moves.disprove(world, 3, moves.revealed_values(world))
        assert world.submit("Disprove_3", "-", tx, spent, True)
        burned, reward = tx.outputs[0].value, tx.outputs[1].value
        stake = world.params.operator_stake
        assert burned + reward > 0.99 * stake  # all of it, less the Assert and Disprove fees


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_fee_spike_every_honest_move_gets_mined_by_cpfp(backend):
    """Item 7: the relay fee jumps to 5 sat/vB, above the graph's pre-signed 2 sat/vB,
    so no pre-signed move relays alone.  Each honest party still gets its move
    mined: a child spending its keyed anchor, change or payout (its key alone)
    pays for the package (Deposit, Confirm, Prepare, Kickoff, Take1)."""
    from ocp.drill.refusal import Refusal
    from regtest.policy import Policy

    spike = 5.0  # sat/vB
    if backend == "kernel":
        chain = KernelChain(policy=Policy(min_relay_feerate=int(spike * 1000)))
    else:
        require_bitcoind()
        from regtest.bitcoind import BitcoindChain

        chain = BitcoindChain(extra_args=[f"-minrelaytxfee={spike / 1e5:.8f}"])
    low = Refusal("min relay fee not met", "below the spiked relay fee")
    with chain:
        world = setup_world(chain, faucet_feerate=10)
        a = world.actors
        fee_coin = {Role.DEPOSITOR: None, Role.OPERATOR: None}

        def through_cpfp(name: TxName, owner, vout: int, role: Role, values=None) -> None:
            tx, spent = moves.graph_move(world, name, values)
            assert not world.submit(f"{name} alone", "-", tx, spent, low), world.events[-1].reason
            assert low.matches(world.events[-1].reason), world.events[-1].reason
            child = moves.bump(world, tx, owner, vout, spike + 1, fee_coin[role])
            result = chain.submit_package([tx, child])
            assert result.accepted, result
            world.broadcast.append(tx)
            world.spent_by_tx[tx.txid] = spent
            world.mine()
            assert chain.confirmations(tx.txid) == 1
            fee_coin[role] = OutPoint(child.txid, 0)  # the owner's next fee coin

        through_cpfp(DEPOSIT, a.depositor, 1, Role.DEPOSITOR)  # its change
        through_cpfp(CONFIRM, a.depositor, 1, Role.DEPOSITOR)  # the depositor's anchor
        through_cpfp(PREPARE, a.operator, 1, Role.OPERATOR)  # its change
        from ocp.witness import operator_values

        values = operator_values(world.graph, KICKOFF, world.signer, moves.operator_trace(world))
        through_cpfp(KICKOFF, a.operator, 3, Role.OPERATOR, values)  # the operator's anchor
        world.mine(world.params.windows.challenge)
        through_cpfp(TAKE1, a.operator, 0, Role.OPERATOR)  # its payout

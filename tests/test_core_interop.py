"""Bitcoin Core's own tools read the graph (issue 19): its descriptors derive the
graph's addresses, its PSBT finalizer completes every transaction whose leaves
are miniscript (and testmempoolaccept takes them when the graph allows), and it
says what is missing for the one-time-signature leaves, which ocp finalizes."""

from __future__ import annotations

import pytest
from bitcoind_node import require_bitcoind

from ocp.drill import moves
from ocp.drill.world import World, setup_world
from ocp.graphfile import graph_psbt, output_descriptor
from ocp.ids import Role, TxKind, TxName
from taptrees.psbt import add_tap_script_sig, decode_psbt, encode_psbt
from taptrees.tx import Tx

pytestmark = pytest.mark.bitcoind
K = TxKind


@pytest.fixture
def node():
    require_bitcoind()
    from regtest.bitcoind import BitcoindChain

    with BitcoindChain() as chain:
        yield chain


def core_finalizes(world: World, name: TxName, psbt: str | None = None) -> Tx:
    """Core's finalizepsbt on the graph's PSBT: complete, and the extracted tx."""
    done = world.chain.rpc("finalizepsbt", psbt or graph_psbt(world.graph, name), True)
    assert done["complete"], (str(name), world.chain.rpc("analyzepsbt", psbt or graph_psbt(world.graph, name)))
    return Tx.from_hex(done["hex"])


def accepted(world: World, tx: Tx) -> bool:
    result = world.chain.rpc("testmempoolaccept", [tx.hex()], 0)[0]
    return bool(result["allowed"]) or result.get("reject-reason") == ""


def submit(world: World, tx: Tx, name: TxName) -> None:
    assert world.submit(str(name), "-", tx, list(world.graph.tx(name).spent), True), world.events[-1].reason
    world.mine()


def test_descriptors_derive_the_graph_addresses(node):
    world = setup_world(node)
    for ref, out in world.graph.outputs.items():
        descriptor = output_descriptor(out, "regtest")
        assert node.rpc("getdescriptorinfo", descriptor)["isrange"] is False
        assert node.rpc("deriveaddresses", descriptor) == [out.output.address("regtest")], str(ref)
    kinds = {out.label: output_descriptor(out, "regtest")[:3] for out in world.graph.outputs.values()}
    assert kinds["D"] == kinds["V"] == "tr(" and kinds["A"] == kinds["S0"] == "add"


def test_core_finalizes_the_unchallenged_path(node):
    """Deposit, Confirm and Prepare (key path), Take1 and StakeBack1 (miniscript
    leaves with older()): finalizepsbt completes them; the Kickoff's claim leaf is
    not miniscript, so Core leaves it open and ocp finalizes it."""
    world = setup_world(node)
    for kind in (K.DEPOSIT, K.CONFIRM, K.PREPARE):
        name = TxName(kind)
        tx = core_finalizes(world, name)
        assert accepted(world, tx)
        submit(world, tx, name)
    kickoff = TxName(K.KICKOFF)
    left = node.rpc("finalizepsbt", graph_psbt(world.graph, kickoff), True)
    assert not left["complete"]
    analysis = node.rpc("analyzepsbt", graph_psbt(world.graph, kickoff))
    assert analysis["inputs"][0]["is_final"] is False and analysis["next"] in ("signer", "finalizer", "updater")
    tx, _ = moves.kickoff(world, moves.operator_trace(world))
    submit(world, tx, kickoff)
    take1, stakeback1 = core_finalizes(world, TxName(K.TAKE1)), core_finalizes(world, TxName(K.STAKEBACK1))
    assert not accepted(world, take1)  # the challenge window has not passed
    world.mine(world.params.windows.challenge)
    assert accepted(world, stakeback1)
    assert accepted(world, take1)
    submit(world, take1, TxName(K.TAKE1))


def test_core_finalizes_the_answered_path(node):
    """Take2 and StakeBack2 after the disprove window (ocp made the Asserts)."""
    world = setup_world(node)
    for kind in (K.DEPOSIT, K.CONFIRM, K.PREPARE):
        submit(world, core_finalizes(world, TxName(kind)), TxName(kind))
    trace = moves.operator_trace(world)
    submit(world, moves.kickoff(world, trace)[0], TxName(K.KICKOFF))
    assert world.submit("Challenge", "-", *moves.challenge(world), True)
    world.mine()
    for j in range(world.graph.n_chunks):
        submit(world, moves.assert_move(world, j, trace)[0], TxName(K.ASSERT, j))
    take2 = core_finalizes(world, TxName(K.TAKE2))
    stakeback2 = core_finalizes(world, TxName(K.STAKEBACK2))
    assert not accepted(world, take2)
    world.mine(world.params.windows.disprove)
    assert accepted(world, stakeback2) and accepted(world, take2)
    submit(world, take2, TxName(K.TAKE2))


def test_core_finalizes_slash_and_refund(node):
    """The silent path on a deposit that was never confirmed: the Slash template
    (committee SINGLE|ANYONECANPAY, miniscript leaf) and the Refund (the depositor's
    signature added to the PSBT as any signer would)."""
    world = setup_world(node)
    submit(world, core_finalizes(world, TxName(K.DEPOSIT)), TxName(K.DEPOSIT))
    submit(world, core_finalizes(world, TxName(K.PREPARE)), TxName(K.PREPARE))
    submit(world, moves.kickoff(world, moves.operator_trace(world))[0], TxName(K.KICKOFF))
    assert world.submit("Challenge", "-", *moves.challenge(world), True)
    world.mine()
    slash = core_finalizes(world, TxName(K.SLASH, 0))
    assert not accepted(world, slash)
    world.mine(max(world.params.windows.response, world.params.windows.refund))
    assert accepted(world, slash)
    refund = TxName(K.REFUND)
    psbt = decode_psbt(graph_psbt(world.graph, refund))
    gtx = world.graph.tx(refund)
    from ocp.signing import sign_spend

    out, _ = world.graph.spend_leaf(gtx.spends[0])
    sig = sign_spend(world.graph, gtx, 0, world.actors.depositor)
    psbt = add_tap_script_sig(psbt, 0, world.params.depositor, out.tapleaf(gtx.spends[0].leaf).hash, sig)
    tx = core_finalizes(world, refund, encode_psbt(psbt))
    assert accepted(world, tx)
    assert Role.DEPOSITOR in gtx.spends[0].signers[0]

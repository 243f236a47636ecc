"""The Chain protocol's behaviour, identical on KernelChain and bitcoind.

Reject reasons are compared exactly, as the Bitcoin Core version that the pinned
kernel vendors (31.99) words them; the embedded mempool must say what the node says.
"""

from __future__ import annotations

import pytest

from regtest.blocks import COINBASE_MATURITY
from regtest.chain import BlockRejected, Chain, Submission
from regtest.faucet import Faucet
from regtest.spend import key_path_spend, script_path_spend, unsigned_spend
from taptrees.errors import InputError
from taptrees.hashes import sha256
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import (
    OP_CHECKLOCKTIMEVERIFY,
    OP_CHECKSEQUENCEVERIFY,
    OP_CHECKSIG,
    OP_DROP,
    OP_EQUALVERIFY,
    OP_RETURN,
    OP_SHA256,
)
from taptrees.script import Script
from taptrees.sighash import taproot_sighash
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

ALICE = sha256(b"alice")
BOB = sha256(b"bob")
FEE = 1_000


def key_output(seckey: bytes) -> TaprootOutput:
    return TaprootOutput(xonly_pubkey(seckey))


def pay_to(seckey: bytes, value: int) -> TxOut:
    return TxOut(value, key_output(seckey).script_pubkey)


def spend_key(chain: Chain, outpoint: OutPoint, seckey: bytes, **fields) -> Tx:
    utxo = chain.get_output(outpoint)
    assert utxo is not None
    return key_path_spend(
        outpoint,
        utxo.txout,
        key_output(seckey),
        seckey,
        [pay_to(BOB, utxo.txout.value - FEE)],
        **fields,
    )


def rejected(result: Submission, reason: str) -> bool:
    return not result.accepted and result.reason == reason


SCRIPT_FAILED = "mempool-script-verify-flag-failed ({})"


def test_is_a_chain(chain):
    assert isinstance(chain, Chain)
    assert chain.network == "regtest"


def test_mine_and_mature_coinbase(chain):
    start = chain.height()
    [block] = chain.mine(1, key_output(ALICE).script_pubkey)
    assert chain.height() == start + 1 and chain.tip_hash() == block
    coinbase = OutPoint(chain.block_txids(block)[0], 0)
    utxo = chain.get_output(coinbase)
    assert utxo.is_coinbase and utxo.confirmations == 1 and utxo.height == start + 1
    spend = spend_key(chain, coinbase, ALICE)
    assert rejected(chain.submit(spend), "bad-txns-premature-spend-of-coinbase")
    chain.mine(COINBASE_MATURITY - 2, key_output(BOB).script_pubkey)
    assert chain.get_output(coinbase).confirmations == COINBASE_MATURITY - 1
    assert rejected(chain.test_accept(spend), "bad-txns-premature-spend-of-coinbase")
    chain.mine(1, key_output(BOB).script_pubkey)
    assert chain.test_accept(spend).accepted
    assert chain.submit(spend).accepted
    assert chain.mempool() == [spend.txid]


def test_median_time_past_moves_forward(chain):
    before = chain.median_time_past()
    chain.mine(11, key_output(BOB).script_pubkey)
    assert chain.median_time_past() > before


def test_key_path_spend_confirms(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    assert chain.get_output(funded).confirmations == 1
    spend = spend_key(chain, funded, ALICE)
    assert chain.submit(spend).accepted
    assert chain.confirmations(spend.txid) == 0
    assert chain.get_output(funded) is None  # spent in the mempool
    chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(spend.txid) == 1
    assert chain.get_tx(spend.txid) == spend
    assert chain.get_output(OutPoint(spend.txid, 0)).txout.value == 49_000


def hashlock_tree(secret: bytes) -> TaprootOutput:
    """Two leaves: Alice's signature, or a SHA-256 preimage plus Bob's signature."""
    sig_leaf = Script([xonly_pubkey(ALICE), OP_CHECKSIG])
    hash_leaf = Script([OP_SHA256, sha256(secret), OP_EQUALVERIFY, xonly_pubkey(BOB), OP_CHECKSIG])
    return TaprootOutput(NUMS_INTERNAL_KEY, TapTree.balanced([sig_leaf, hash_leaf]))


def test_script_path_spend_and_bad_signature(chain, faucet):
    output = hashlock_tree(b"open sesame")
    funded = faucet.fund(output.script_pubkey, 60_000)
    prevout = chain.get_output(funded).txout
    outputs = [pay_to(BOB, 59_000)]
    wrong_key = script_path_spend(
        funded, prevout, output, 1, lambda m: [schnorr_sign(ALICE, m), b"open sesame"], outputs
    )
    refused = chain.submit(wrong_key)
    assert rejected(refused, SCRIPT_FAILED.format("Invalid Schnorr signature"))
    prevout_txt = f"{funded.txid}:{funded.vout}"
    assert refused.detail.startswith(f"input 0 of {wrong_key.txid} (wtxid {wrong_key.wtxid}), spending {prevout_txt}")
    wrong_preimage = script_path_spend(
        funded, prevout, output, 1, lambda m: [schnorr_sign(BOB, m), b"open sesame!"], outputs
    )
    assert rejected(
        chain.test_accept(wrong_preimage), SCRIPT_FAILED.format("Script failed an OP_EQUALVERIFY operation")
    )
    good = script_path_spend(funded, prevout, output, 1, lambda m: [schnorr_sign(BOB, m), b"open sesame"], outputs)
    assert chain.submit(good).accepted
    chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(good.txid) == 1


def test_chain_of_unconfirmed_transactions(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 100_000)
    txs = []
    outpoint, value = funded, 100_000
    for _ in range(3):
        utxo_txout = TxOut(value, key_output(ALICE).script_pubkey)
        value -= FEE
        tx = key_path_spend(outpoint, utxo_txout, key_output(ALICE), ALICE, [pay_to(ALICE, value)])
        assert chain.submit(tx).accepted, tx.txid
        txs.append(tx)
        outpoint = OutPoint(tx.txid, 0)
    assert set(chain.mempool()) == {tx.txid for tx in txs}
    tail = chain.get_output(outpoint)
    assert tail.height is None and tail.confirmations == 0
    chain.mine(1, faucet.script_pubkey)
    assert chain.mempool() == []
    assert [chain.confirmations(tx.txid) for tx in txs] == [1, 1, 1]


def test_double_spend(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 70_000)
    prevout = chain.get_output(funded).txout
    first = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, 69_000)])
    second = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(ALICE, 69_000)])
    assert chain.submit(first).accepted
    # Full RBF: the same fee does not pay for relaying the replacement (rule 4).
    conflict = chain.submit(second)
    assert rejected(conflict, "insufficient fee")
    relay = -(-second.vsize * 100 // 1000)  # incremental relay fee, 100 sat/kvB
    assert conflict.detail == (
        f"rejecting replacement {second.txid}, not enough additional fees to relay; 0.00 < 0.{relay:08d}"
    )
    chain.mine(1, faucet.script_pubkey)
    assert rejected(chain.submit(second), "bad-txns-inputs-missingorspent")


def test_replacement_by_fee(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 70_000)
    prevout = chain.get_output(funded).txout

    def pay(value: int) -> Tx:
        return key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, value)])

    first, cheaper, richer = pay(69_000), pay(69_500), pay(68_000)
    assert chain.submit(first).accepted
    less = chain.test_accept(cheaper)
    assert rejected(less, "insufficient fee")
    assert less.detail == (f"rejecting replacement {cheaper.txid}, less fees than conflicting txs; 0.000005 < 0.00001")
    assert chain.submit(richer).accepted  # 1,000 sat more: rules 3, 4 and the diagram hold
    assert chain.mempool() == [richer.txid]
    chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(richer.txid) == 1 and chain.confirmations(first.txid) is None


def test_replacement_must_improve_the_feerate_diagram(chain, faucet):
    """A parent with a high-fee child forms one chunk of high feerate.  A replacement
    paying more than both (rules 3 and 4) but at a lower feerate would lower the
    mempool's feerate diagram where that chunk was: refused.  One paying more at a
    higher feerate evicts parent and child."""
    funded = faucet.fund(key_output(ALICE).script_pubkey, 100_000)
    prevout = chain.get_output(funded).txout
    parent = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(ALICE, 99_800)])
    child = key_path_spend(OutPoint(parent.txid, 0), parent.outputs[0], key_output(ALICE), ALICE, [pay_to(BOB, 79_800)])
    assert chain.submit(parent).accepted and chain.submit(child).accepted
    wide = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, 1_000)] * 40)
    result = chain.test_accept(wide)  # 60,000 sat fee, ~33 sat/vB against ~91 sat/vB
    assert rejected(result, "replacement-failed")
    assert result.detail == "insufficient feerate: does not improve feerate diagram"
    narrow = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, 10_000)])
    assert chain.submit(narrow).accepted
    assert chain.mempool() == [narrow.txid]


def test_replacement_cannot_spend_what_it_replaces(chain, faucet):
    a = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    b = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    prev_a, prev_b = chain.get_output(a).txout, chain.get_output(b).txout
    first = key_path_spend(a, prev_a, key_output(ALICE), ALICE, [pay_to(ALICE, 49_000)])
    assert chain.submit(first).accepted
    # spends `a` again (conflict with `first`) and `first`'s output: self-contradictory
    both = Tx(2, (TxIn(b), TxIn(a), TxIn(OutPoint(first.txid, 0))), (pay_to(BOB, 60_000),), 0)
    spent = [prev_b, prev_a, first.outputs[0]]
    for i in range(3):
        both = both.with_witness(i, [key_output(ALICE).key_path_sign(ALICE, taproot_sighash(both, i, spent))])
    result = chain.test_accept(both)
    assert rejected(result, "bad-txns-spends-conflicting-tx")
    assert result.detail == f"{both.txid} spends conflicting transaction {first.txid}"


def test_resubmission_and_known_transactions(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    spend = spend_key(chain, funded, ALICE)
    assert chain.submit(spend).accepted
    assert chain.submit(spend).accepted  # sendrawtransaction: already there is fine
    assert rejected(chain.test_accept(spend), "txn-already-in-mempool")
    chain.mine(1, faucet.script_pubkey)
    assert rejected(chain.submit(spend), "txn-already-known")


def test_fee_and_dust_policy(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    prevout = chain.get_output(funded).txout

    def pay(*values: int) -> Tx:
        return key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, v) for v in values])

    free = pay(50_000)
    need = -(-free.vsize * 100 // 1000)  # -minrelaytxfee 100 sat/kvB, rounded up
    result = chain.submit(free)
    assert rejected(result, "min relay fee not met") and result.detail == f"0 < {need}"
    one_dust = pay(40_000, 329)  # P2TR dust threshold is 330 sat
    result = chain.test_accept(one_dust)
    assert rejected(result, "dust") and result.detail == "tx with dust output must be 0-fee"
    assert rejected(chain.test_accept(pay(40_000, 329, 329)), "dust")
    assert chain.submit(pay(40_000, 330)).accepted


def test_burn_is_relayed(chain, faucet):
    """An OP_RETURN output with value (what Slash and Disprove burn) is standard and
    relayed; several OP_RETURN outputs are too (Core 30 on)."""
    funded = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    prevout = chain.get_output(funded).txout
    burns = [TxOut(10_000, Script([OP_RETURN, b"burn"]).raw), TxOut(5_000, bytes([OP_RETURN]))]
    tx = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, 34_000), *burns])
    assert chain.submit(tx).accepted
    chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(tx.txid) == 1
    assert chain.get_output(OutPoint(tx.txid, 1)) is None  # provably unspendable


def csv_output(blocks: int) -> TaprootOutput:
    leaf = Script([blocks, OP_CHECKSEQUENCEVERIFY, OP_DROP, xonly_pubkey(ALICE), OP_CHECKSIG])
    return TaprootOutput(NUMS_INTERNAL_KEY, TapTree(TapLeaf(leaf)))


def test_csv_not_yet_then_met(chain, faucet):
    output = csv_output(10)
    funded = faucet.fund(output.script_pubkey, 40_000)
    prevout = chain.get_output(funded).txout

    def spend(sequence: int) -> Tx:
        return script_path_spend(
            funded, prevout, output, 0, lambda m: [schnorr_sign(ALICE, m)], [pay_to(BOB, 39_000)], sequence=sequence
        )

    assert rejected(chain.submit(spend(10)), "non-BIP68-final")
    chain.mine(8, faucet.script_pubkey)  # funding has 9 confirmations: one short
    assert rejected(chain.test_accept(spend(10)), "non-BIP68-final")
    # A sequence lock of 9 is met now, but the leaf demands 10.
    assert rejected(chain.submit(spend(9)), SCRIPT_FAILED.format("Locktime requirement not satisfied"))
    chain.mine(1, faucet.script_pubkey)
    assert chain.submit(spend(10)).accepted


def test_cltv(chain, faucet):
    unlock = chain.height() + 5
    leaf = Script([unlock, OP_CHECKLOCKTIMEVERIFY, OP_DROP, xonly_pubkey(ALICE), OP_CHECKSIG])
    output = TaprootOutput(NUMS_INTERNAL_KEY, TapTree(TapLeaf(leaf)))
    funded = faucet.fund(output.script_pubkey, 40_000)
    prevout = chain.get_output(funded).txout

    def spend(locktime: int) -> Tx:
        return script_path_spend(
            funded,
            prevout,
            output,
            0,
            lambda m: [schnorr_sign(ALICE, m)],
            [pay_to(BOB, 39_000)],
            sequence=0xFFFFFFFE,
            locktime=locktime,
        )

    assert rejected(chain.submit(spend(unlock)), "non-final")
    # Final for the next block, but below what the leaf demands.
    assert rejected(chain.submit(spend(chain.height())), SCRIPT_FAILED.format("Locktime requirement not satisfied"))
    chain.mine(unlock - chain.height() - 1, faucet.script_pubkey)  # next block is `unlock`
    assert rejected(chain.test_accept(spend(unlock)), "non-final")
    chain.mine(1, faucet.script_pubkey)
    assert chain.submit(spend(unlock)).accepted


def test_negative_fee(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 30_000)
    prevout = chain.get_output(funded).txout
    greedy = key_path_spend(funded, prevout, key_output(ALICE), ALICE, [pay_to(BOB, 30_001)])
    assert rejected(chain.submit(greedy), "bad-txns-in-belowout")


def test_reorg_unconfirms_a_spend(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 80_000)
    spend = spend_key(chain, funded, ALICE)
    assert chain.submit(spend).accepted
    [mined_in] = chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(spend.txid) == 1
    height = chain.height()
    branch = chain.reorg(height - 1, 2, key_output(BOB).script_pubkey)
    assert chain.height() == height + 1 and chain.tip_hash() == branch[-1]
    assert mined_in not in branch
    assert chain.confirmations(spend.txid) == 0  # back in the mempool
    assert spend.txid in chain.mempool()
    chain.mine(1, faucet.script_pubkey)
    assert chain.confirmations(spend.txid) == 1


def test_reorg_must_outgrow_the_chain(chain):
    chain.mine(2, key_output(BOB).script_pubkey)
    with pytest.raises(InputError, match="does not outgrow"):
        chain.reorg(chain.height() - 1, 1, key_output(BOB).script_pubkey)


def test_weight_above_standard_limit_refused(chain, faucet):
    funded = faucet.fund(key_output(ALICE).script_pubkey, 2_000_000)
    prevout = chain.get_output(funded).txout
    outputs = [pay_to(BOB, 600)] * 2_400  # 2,400 * 43 bytes * 4 > 400,000 weight units
    tx = key_path_spend(funded, prevout, key_output(ALICE), ALICE, outputs)
    assert tx.weight > 400_000
    assert rejected(chain.test_accept(tx), "tx-size")
    assert rejected(chain.submit(tx), "tx-size")


def test_block_with_invalid_transaction_is_refused(chain):
    ghost = unsigned_spend(OutPoint("ab" * 32, 0), [pay_to(BOB, 1_000)])
    height = chain.height()
    with pytest.raises(BlockRejected, match="bad-txns-inputs-missingorspent"):
        chain.mine(1, key_output(BOB).script_pubkey, [ghost])
    assert chain.height() == height


def test_mine_given_transactions_only(chain, faucet):
    a = faucet.fund(key_output(ALICE).script_pubkey, 50_000)
    b = faucet.fund(key_output(BOB).script_pubkey, 50_000)
    spend_a, spend_b = spend_key(chain, a, ALICE), spend_key(chain, b, BOB)
    assert chain.submit(spend_a).accepted and chain.submit(spend_b).accepted
    [block] = chain.mine(1, faucet.script_pubkey, [spend_b])
    assert chain.block_txids(block)[1:] == [spend_b.txid]
    assert chain.mempool() == [spend_a.txid]


def test_bad_input_gets_clear_errors(chain):
    with pytest.raises(InputError, match="malformed"):
        chain.submit("not hex at all")
    with pytest.raises(InputError, match="truncated"):
        chain.test_accept("0200000001")
    with pytest.raises(InputError, match="64 hex"):
        chain.confirmations("abc")
    with pytest.raises(InputError, match="OutPoint"):
        chain.get_output("ab" * 32)
    with pytest.raises(InputError, match="non-negative"):
        chain.mine(-1, key_output(BOB).script_pubkey)
    assert chain.get_output(OutPoint("cd" * 32, 7)) is None
    assert chain.confirmations("cd" * 32) is None
    assert chain.get_tx("cd" * 32) is None
    missing = unsigned_spend(OutPoint("cd" * 32, 0), [pay_to(BOB, 10_000)])
    assert rejected(chain.submit(missing), "bad-txns-inputs-missingorspent")
    assert rejected(chain.test_accept(missing), "bad-txns-inputs-missingorspent")


def test_faucet_funds_several_roles_in_one_transaction(chain, faucet: Faucet):
    before = faucet.balance()
    outs = faucet.fund_many([(key_output(ALICE).script_pubkey, 10_000), (key_output(BOB).script_pubkey, 20_000)])
    assert [chain.get_output(o).txout.value for o in outs] == [10_000, 20_000]
    assert len({o.txid for o in outs}) == 1
    assert faucet.balance() < before - 30_000 + (50 * 10**8)  # fee paid; new coinbase matures later


# --- packages (submitpackage) --------------------------------------------------------------


def low_fee_parent(chain: Chain, faucet: Faucet, fee: int) -> tuple[Tx, OutPoint]:
    """A confirmed coin of ALICE's spent to ALICE (two outputs) paying only ``fee``."""
    coin = faucet.fund(key_output(ALICE).script_pubkey, 100_000)
    utxo = chain.get_output(coin)
    half = (utxo.txout.value - fee) // 2
    outs = [pay_to(ALICE, half), pay_to(ALICE, utxo.txout.value - fee - half)]
    parent = key_path_spend(coin, utxo.txout, key_output(ALICE), ALICE, outs)
    return parent, OutPoint(parent.txid, 0)


def test_package_child_pays_for_a_parent_below_the_relay_fee(chain, faucet):
    """A parent paying 0 sat is refused alone ("min relay fee not met"); with a child
    paying for both (CPFP) the package gets in and both are mined."""
    parent, out = low_fee_parent(chain, faucet, 0)
    assert rejected(chain.submit(parent), "min relay fee not met")
    value = parent.outputs[0].value
    child = key_path_spend(out, parent.outputs[0], key_output(ALICE), ALICE, [pay_to(BOB, value - 2_000)])
    result = chain.submit_package([parent, child])
    assert result.accepted and result.message == "success", result
    assert [r.accepted for r in result.results] == [True, True]
    chain.mine(1, key_output(BOB).script_pubkey)
    assert chain.confirmations(parent.txid) == 1 and chain.confirmations(child.txid) == 1


def test_package_whose_child_pays_too_little_is_refused(chain, faucet):
    parent, out = low_fee_parent(chain, faucet, 0)
    value = parent.outputs[0].value
    child = key_path_spend(out, parent.outputs[0], key_output(ALICE), ALICE, [pay_to(BOB, value - 1)])
    result = chain.submit_package([parent, child])
    assert not result.accepted and result.message == "transaction failed"
    assert chain.get_output(OutPoint(parent.txid, 1)) is None  # nothing stayed in the mempool


def test_package_not_child_with_parents_is_refused(chain, faucet):
    parent, _ = low_fee_parent(chain, faucet, 1_000)
    other, _ = low_fee_parent(chain, faucet, 1_000)
    result = chain.submit_package([parent, other])
    assert not result.accepted

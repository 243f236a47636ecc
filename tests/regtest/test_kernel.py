"""What only the embedded chain has: blocks built here, a datadir, policy switches."""

from __future__ import annotations

import pytest

from regtest.blocks import (
    COIN,
    REGTEST_GENESIS_HASH,
    block_subsidy,
    build_block,
    merkle_root,
)
from regtest.chain import BlockRejected
from regtest.faucet import Faucet
from regtest.kernel import KernelChain
from regtest.policy import Policy, dust_threshold, output_type
from regtest.rules import SEQUENCE_LOCKTIME_TYPE_FLAG
from regtest.spend import key_path_spend, script_path_spend
from taptrees.errors import InputError
from taptrees.hashes import hash256, sha256
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_CHECKSEQUENCEVERIFY, OP_CHECKSIG, OP_DROP, OP_RETURN
from taptrees.script import Script
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, TxOut

KEY = sha256(b"kernel tests")
SPK = TaprootOutput(xonly_pubkey(KEY)).script_pubkey


def test_starts_at_regtest_genesis_and_refuses_other_networks():
    with KernelChain() as chain:
        assert chain.height() == 0 and chain.tip_hash() == REGTEST_GENESIS_HASH
    with pytest.raises(InputError, match="only 'regtest'"):
        KernelChain(network="mainnet")


def test_subsidy_halves_every_150_blocks():
    assert block_subsidy(149) == 50 * COIN and block_subsidy(150) == 25 * COIN
    with KernelChain() as chain:
        hashes = chain.mine(150, SPK)
        last = chain.get_block(hashes[-1]).txs[0]
        assert last.outputs[0].value == 25 * COIN  # accepted by the kernel at height 150


def test_merkle_root_matches_bitcoin_rule_for_odd_levels():
    a, b, c = (sha256(bytes([i])) for i in range(3))
    ab, cc = hash256(a + b), hash256(c + c)
    assert merkle_root([a, b, c]) == hash256(ab + cc)


def test_kernel_names_the_reason_for_an_overpaying_coinbase():
    with KernelChain() as chain:
        block = build_block(
            prev_hash=chain.tip_hash(), height=1, time=chain.median_time_past() + 1, script_pubkey=SPK, txs=[], fees=1
        )
        with pytest.raises(BlockRejected, match="bad-cb-amount"):
            chain._process(block)
        assert chain.height() == 0


def test_witness_commitment_only_with_witness_data():
    with KernelChain() as chain:
        faucet = Faucet(chain, KEY)
        faucet.mine_coins(1)
        empty = chain.get_block(chain.tip_hash()).txs[0]
        assert len(empty.outputs) == 1 and not empty.has_witness
        faucet.fund(SPK, 10_000)
        coinbase = chain.get_block(chain.tip_hash()).txs[0]
        commitment = coinbase.outputs[1].script_pubkey
        assert commitment[:6] == bytes([OP_RETURN, 36, 0xAA, 0x21, 0xA9, 0xED])
        assert coinbase.inputs[0].witness == (bytes(32),)


def test_datadir_keeps_the_chain_between_runs(tmp_path):
    with KernelChain(tmp_path) as chain:
        faucet = Faucet(chain, KEY)
        faucet.mine_coins(1)
        funded = faucet.fund(SPK, 25_000)
        height, tip = chain.height(), chain.tip_hash()
    with KernelChain(tmp_path) as again:
        assert again.height() == height and again.tip_hash() == tip
        utxo = again.get_output(funded)
        assert utxo.txout.value == 25_000 and utxo.confirmations == 1
        assert again.confirmations(funded.txid) == 1
        again.mine(1, SPK)


def test_time_based_sequence_lock():
    lock = SEQUENCE_LOCKTIME_TYPE_FLAG | 4  # 4 * 512 seconds of median time past
    leaf = Script([lock, OP_CHECKSEQUENCEVERIFY, OP_DROP, xonly_pubkey(KEY), OP_CHECKSIG])
    output = TaprootOutput(NUMS_INTERNAL_KEY, TapTree(TapLeaf(leaf)))
    with KernelChain(block_interval=600) as chain:
        faucet = Faucet(chain, sha256(b"time faucet"))
        faucet.mine_coins(1)
        funded = faucet.fund(output.script_pubkey, 20_000)
        prevout = chain.get_output(funded).txout
        spend = script_path_spend(
            funded, prevout, output, 0, lambda m: [schnorr_sign(KEY, m)], [TxOut(19_000, SPK)], sequence=lock
        )
        assert chain.submit(spend).reason == "non-BIP68-final"
        blocks = 0
        while not chain.test_accept(spend).accepted:
            assert chain.test_accept(spend).reason == "non-BIP68-final"
            chain.mine(1, SPK)
            blocks += 1
        # Evenly spaced blocks: the medians move 600 s per block, and the lock counts
        # from the median time of the block before the funding one (BIP68).
        assert blocks == -(-4 * 512 // 600) - 1
        assert chain.submit(spend).accepted


def test_standardness_switch():
    """Core 31's defaults relay an 84-byte OP_RETURN script; ``-datacarriersize=83``
    refuses it ("datacarrier"), a nonstandard output script is "scriptpubkey", and
    ``-acceptnonstdtxn=1`` takes both (the kernel mines them: they are consensus-valid)."""
    big_data = TxOut(0, bytes([OP_RETURN, 76, 81]) + bytes(81))  # 84-byte OP_RETURN script
    bare = TxOut(1_000, bytes([OP_CHECKSIG]))
    assert output_type(big_data.script_pubkey) == "nulldata"
    cases = [
        (Policy(), big_data, ""),
        (Policy(max_datacarrier_bytes=83), big_data, "datacarrier"),
        (Policy(max_datacarrier_bytes=None), big_data, "datacarrier"),
        (Policy(), bare, "scriptpubkey"),
        (Policy(require_standard=False, max_datacarrier_bytes=83), big_data, ""),
        (Policy(require_standard=False), bare, ""),
    ]
    for policy, extra, reason in cases:
        with KernelChain(policy=policy) as chain:
            faucet = Faucet(chain, KEY)
            faucet.mine_coins(1)
            funded = faucet.fund(SPK, 30_000)
            tx = key_path_spend(
                funded, TxOut(30_000, SPK), TaprootOutput(xonly_pubkey(KEY)), KEY, [TxOut(28_000, SPK), extra]
            )
            result = chain.submit(tx)
            assert result.accepted == (not reason) and result.reason == reason, (policy, result)
            if result.accepted:
                chain.mine(1, SPK)  # the kernel takes it in a block
                assert chain.confirmations(tx.txid) == 1


def test_dust_and_output_types():
    assert dust_threshold(TxOut(0, SPK)) == 330  # P2TR
    assert output_type(SPK) == "witness_v1_taproot"
    assert output_type(bytes([0x51, 0x02, 0x4E, 0x73])) == "anchor"
    assert output_type(bytes([OP_CHECKSIG])) == "nonstandard"
    with KernelChain() as chain:
        faucet = Faucet(chain, KEY)
        faucet.mine_coins(1)
        funded = faucet.fund(SPK, 30_000)
        tx = key_path_spend(
            funded, TxOut(30_000, SPK), TaprootOutput(xonly_pubkey(KEY)), KEY, [TxOut(28_000, SPK), TxOut(329, SPK)]
        )
        assert chain.submit(tx).reason == "dust"


def test_coinbase_is_refused_by_the_mempool():
    with KernelChain() as chain:
        [block] = chain.mine(1, SPK)
        coinbase = chain.get_block(block).txs[0]
        assert chain.submit(coinbase).reason == "coinbase"
        assert chain.confirmations(coinbase.txid) == 1
        assert chain.get_output(OutPoint(coinbase.txid, 0)).is_coinbase


def test_invalidate_points_to_reorg():
    with KernelChain() as chain:
        with pytest.raises(Exception, match="use reorg"):
            chain.invalidate(chain.tip_hash())

"""The embedded mempool's policy pieces against values Bitcoin Core defines
(``policy/policy.cpp``, ``script/script.cpp``, ``util/moneystr.cpp``,
``util/feefrac.cpp`` of the Core version the pinned kernel vendors).  The shared
suite (test_chains.py) compares whole decisions with a real bitcoind."""

from __future__ import annotations

from regtest.policy import (
    Policy,
    dust_threshold,
    fee_at,
    is_standard_output,
    output_type,
    sigop_count,
    standard_tx_reason,
)
from regtest.rbf import FeeFrac, GraphTx, chunk_cluster, compare_diagrams, format_money
from taptrees.opcodes import (
    OP_1,
    OP_CHECKMULTISIG,
    OP_CHECKSIG,
    OP_DUP,
    OP_EQUALVERIFY,
    OP_HASH160,
    OP_RETURN,
)
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

KEY = bytes([2]) + bytes(32)
P2TR = bytes([OP_1, 32]) + bytes(32)


def multisig(m: int, n: int, key: bytes = KEY) -> bytes:
    return bytes([OP_1 + m - 1]) + (bytes([len(key)]) + key) * n + bytes([OP_1 + n - 1, OP_CHECKMULTISIG])


def test_format_money_like_core():
    # util_tests.cpp util_FormatMoney
    assert format_money(0) == "0.00"
    assert format_money(12345_6789 * 10_000) == "12345.6789"
    assert format_money(-100_000_000) == "-1.00"
    assert format_money(100_000_000 * 100) == "100.00"
    assert format_money(10_000_000) == "0.10"
    assert format_money(1) == "0.00000001"
    assert format_money(1_000) == "0.00001"


def test_fees_round_up():
    assert fee_at(100, 111) == 12  # CFeeRate::GetFee rounds up (Core 30 on)
    assert fee_at(1000, 111) == 111 and fee_at(0, 111) == 0
    assert dust_threshold(TxOut(0, P2TR)) == 330
    assert dust_threshold(TxOut(0, bytes([OP_RETURN]))) == 0


def test_output_types_and_bare_multisig():
    assert output_type(multisig(2, 3)) == "multisig" and is_standard_output(multisig(2, 3))
    assert output_type(multisig(1, 4)) == "multisig" and not is_standard_output(multisig(1, 4))
    assert output_type(multisig(3, 2)) == "nonstandard"
    assert output_type(multisig(1, 1, bytes([5]) + bytes(32))) == "nonstandard"  # bad key prefix
    assert (
        output_type(bytes([33]) + bytes([4]) + bytes(32) + bytes([OP_CHECKSIG])) == "nonstandard"
    )  # 04 announces 65 bytes
    assert output_type(bytes([OP_RETURN, 0x50])) == "nulldata"  # OP_RESERVED is push-only
    p2pkh = bytes([OP_DUP, OP_HASH160, 20]) + bytes(20) + bytes([OP_EQUALVERIFY, OP_CHECKSIG])
    assert output_type(p2pkh) == "pubkeyhash"


def test_sigop_counts():
    assert sigop_count(multisig(2, 3), accurate=True) == 3
    assert sigop_count(multisig(2, 3), accurate=False) == 20
    assert sigop_count(bytes([OP_CHECKSIG, OP_CHECKSIG]), accurate=False) == 2
    assert sigop_count(bytes([OP_CHECKSIG, 0x4C]), accurate=False) == 1  # stops at bad push


def test_datacarrier_counts_all_op_return_outputs():
    inputs = (TxIn(OutPoint("11" * 32, 0)),)
    two = Tx(2, inputs, (TxOut(0, bytes([OP_RETURN, 40]) + bytes(40)),) * 2 + (TxOut(1000, P2TR),), 0)
    assert standard_tx_reason(two, Policy()) is None
    assert standard_tx_reason(two, Policy(max_datacarrier_bytes=83)) == "datacarrier"
    assert standard_tx_reason(two, Policy(max_datacarrier_bytes=84)) is None
    bare = Tx(2, inputs, (TxOut(1000, multisig(1, 2)),), 0)
    assert standard_tx_reason(bare, Policy()) is None
    assert standard_tx_reason(bare, Policy(permit_bare_multisig=False)) == "bare-multisig"
    assert standard_tx_reason(Tx(2, inputs, (TxOut(1000, multisig(1, 4)),), 0), Policy()) == "scriptpubkey"


def test_chunks_and_diagrams():
    # child pays for parent: one chunk; a parent paying well stays on its own
    cpfp = {"p": GraphTx(100, 400, 100, frozenset()), "c": GraphTx(10_000, 400, 100, frozenset({"p"}))}
    assert chunk_cluster(set(cpfp), cpfp) == [FeeFrac(10_100, 800)]
    rich = {"p": GraphTx(10_000, 400, 100, frozenset()), "c": GraphTx(100, 400, 100, frozenset({"p"}))}
    assert chunk_cluster(set(rich), rich) == [FeeFrac(10_000, 400), FeeFrac(100, 400)]
    old = [FeeFrac(20_000, 800)]
    assert compare_diagrams([FeeFrac(30_000, 800)], old) == 1
    assert compare_diagrams([FeeFrac(20_000, 800)], old) == 0
    assert compare_diagrams([FeeFrac(60_000, 8000)], old) == 0  # crosses: lower, then higher
    assert compare_diagrams([FeeFrac(10_000, 800)], old) == -1

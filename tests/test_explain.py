"""explain_input names why the kernel refused an input, and agrees with it."""

from __future__ import annotations

from taptrees.interp.explain import explain_input
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_CHECKSIG, OP_EQUALVERIFY, OP_TRUE
from taptrees.script import Script
from taptrees.verify import leaf_spend, verify_input

SK = b"\x05" * 32


def explain(spend, stack):
    tx = spend.witnessed(stack)
    verdict = verify_input(tx, 0, spend.spent)
    return verdict.ok, explain_input(tx, 0, spend.spent)


def test_equalverify_named_with_offset():
    spend = leaf_spend(Script([b"\x07", OP_EQUALVERIFY, OP_TRUE]))
    ok, why = explain(spend, [b"\x08"])
    assert not ok and why.startswith("EQUALVERIFY at offset 1 (OP_EQUALVERIFY)")
    ok, why = explain(spend, [b"\x07"])
    assert ok and why.startswith("ok")


def test_bad_signature_and_good_one():
    spend = leaf_spend(Script([xonly_pubkey(SK), OP_CHECKSIG]))
    ok, why = explain(spend, [schnorr_sign(SK, spend.sighash())])
    assert ok and why.startswith("ok")
    ok, why = explain(spend, [schnorr_sign(SK, b"\x00" * 32)])
    # BIP342: a non-empty signature that fails aborts the script
    assert not ok and why.startswith("SCHNORR_SIG at offset 33 (OP_CHECKSIG)")


def test_control_block_with_wrong_parity():
    spend = leaf_spend(Script([OP_TRUE]))
    control = spend.output.control_block(0)
    witness = [Script([OP_TRUE]).raw, bytes([control[0] ^ 1]) + control[1:]]
    tx = spend.tx.with_witness(0, witness)
    assert not verify_input(tx, 0, spend.spent).ok
    assert explain_input(tx, 0, spend.spent).startswith("WITNESS_PROGRAM_MISMATCH")

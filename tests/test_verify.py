"""Kernel verification: key-path spends with the tweak for every hash type, Core's
tapscript cases from script_tests.json, and the helpers' own refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest
from vectors import core_asm, core_cases, core_script_fields

from taptrees.errors import InputError
from taptrees.keys import SECP256K1_ORDER, schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_CHECKSIG, OP_EQUAL, OP_TRUE
from taptrees.script import Script
from taptrees.sighash import taproot_sighash
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut
from taptrees.verify import execute_leaf, leaf_spend, verify_input, verify_inputs

INTERNAL_SECKEY = bytes.fromhex("1e4da49f6aaf4e5cd175fe08a32bb5cb4863d963921255f33d3bc31e1343907f")
ALL_HASH_TYPES = (0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


def _outputs() -> list[TaprootOutput]:
    """A key-path-only output and one with a script tree (the tweak commits to it)."""
    internal = xonly_pubkey(INTERNAL_SECKEY)
    tree = TapTree.balanced([Script([i, OP_EQUAL]) for i in range(3)])
    return [TaprootOutput(internal), TaprootOutput(internal, tree)]


def _spending_tx(output: TaprootOutput, n_outputs: int = 2) -> tuple[Tx, tuple[TxOut, ...]]:
    """Two inputs (ours at index 1, a foreign one at 0) and ``n_outputs`` outputs."""
    spent = (TxOut(70_000, b"\x51\x20" + b"\x02" * 32), TxOut(50_000, output.script_pubkey))
    tx = Tx(
        inputs=(TxIn(OutPoint("33" * 32, 0)), TxIn(OutPoint("44" * 32, 7), sequence=5)),
        outputs=tuple(TxOut(10_000 + i, b"\x51\x20" + NUMS_INTERNAL_KEY) for i in range(n_outputs)),
        locktime=0,
    )
    return tx, spent


@pytest.mark.parametrize("with_tree", [False, True], ids=["key-only", "with-tree"])
@pytest.mark.parametrize("hash_type", ALL_HASH_TYPES)
def test_key_path_spend_for_every_hash_type(hash_type, with_tree):
    output = _outputs()[with_tree]
    tx, spent = _spending_tx(output)
    digest = taproot_sighash(tx, 1, spent, hash_type)
    sig = output.key_path_sign(INTERNAL_SECKEY, digest, hash_type)
    assert len(sig) == (64 if hash_type == 0 else 65)
    signed = tx.with_witness(1, [sig])
    assert verify_input(signed, 1, spent).ok
    # what the hash type commits to: changing a committed output breaks the signature,
    # changing an output it leaves out does not (NONE; SINGLE commits to output 1 only)
    changed = replace(signed, outputs=(replace(signed.outputs[0], value=1), signed.outputs[1]))
    commits_to_output_0 = hash_type & 3 not in (2, 3)
    assert verify_input(changed, 1, spent).ok is not commits_to_output_0
    # ANYONECANPAY: the other input may change
    other = replace(signed.inputs[0], prevout=OutPoint("55" * 32, 0))
    moved = replace(signed, inputs=(other, signed.inputs[1]))
    assert verify_input(moved, 1, spent).ok is bool(hash_type & 0x80)


@pytest.mark.parametrize("hash_type", ALL_HASH_TYPES)
def test_key_path_signature_with_the_untweaked_key_is_rejected(hash_type):
    output = _outputs()[1]
    tx, spent = _spending_tx(output)
    digest = taproot_sighash(tx, 1, spent, hash_type)
    untweaked = schnorr_sign(INTERNAL_SECKEY, digest) + (bytes([hash_type]) if hash_type else b"")
    assert not verify_input(tx.with_witness(1, [untweaked]), 1, spent).ok
    # and a signature whose appended hash type differs from the signed one is rejected
    sig = output.key_path_sign(INTERNAL_SECKEY, digest, hash_type)
    relabeled = sig[:64] + bytes([0x01 if hash_type != 0x01 else 0x02])
    assert not verify_input(tx.with_witness(1, [relabeled]), 1, spent).ok


def test_single_with_missing_output_is_refused():
    output = _outputs()[0]
    tx, spent = _spending_tx(output, n_outputs=1)
    for hash_type in (0x03, 0x83):
        with pytest.raises(InputError, match="SIGHASH_SINGLE.*no matching output"):
            taproot_sighash(tx, 1, spent, hash_type)
    # the kernel agrees that no valid SINGLE signature exists for input 1: a signature
    # over the (undefined) message is rejected whatever it signs
    forged = output.key_path_sign(INTERNAL_SECKEY, b"\x00" * 32, 0x03)
    assert not verify_input(tx.with_witness(1, [forged]), 1, spent).ok


# --- Core's tapscript cases ------------------------------------------------------------

TAPSCRIPT_ROWS = [r for r in core_cases("script_tests.json") if "#SCRIPT#" in str(r[0])]


@pytest.mark.parametrize("row", TAPSCRIPT_ROWS, ids=lambda r: r[-1][:50])
def test_core_tapscript_cases(row):
    """script_tests.json's tapscript rows: the leaf after #SCRIPT#, its control block
    for #CONTROLBLOCK# and our output key for #TAPROOTOUTPUT#; the kernel must give
    Core's expected result."""
    witness, script_sig, script_pubkey, _, expected = core_script_fields(row)
    assert script_sig == "" and script_pubkey == "0x51 0x20 #TAPROOTOUTPUT#"
    *items, amount_btc = witness
    script_at = next(i for i, x in enumerate(items) if x.startswith("#SCRIPT#"))
    assert items[script_at + 1 :] == ["#CONTROLBLOCK#"]
    leaf = Script.from_bytes(core_asm(items[script_at][len("#SCRIPT#") :]))
    stack = [bytes.fromhex(x) for x in items[:script_at]]
    verdict = execute_leaf(leaf, stack, amount=round(amount_btc * 100_000_000))
    assert verdict.ok is (expected == "OK"), verdict


def test_there_are_five_tapscript_rows():
    assert len(TAPSCRIPT_ROWS) == 5


# --- the helpers themselves ------------------------------------------------------------


def test_execute_leaf_with_signing_function():
    seckey = b"\x0b" * 32
    leaf = Script([xonly_pubkey(seckey), OP_CHECKSIG])
    assert execute_leaf(leaf, lambda sp: [schnorr_sign(seckey, sp.sighash())]).ok
    assert not execute_leaf(leaf, lambda sp: [schnorr_sign(b"\x0c" * 32, sp.sighash())]).ok
    assert not execute_leaf(leaf, [b""]).ok  # empty signature: CHECKSIG pushes false


def test_execute_leaf_options_reach_the_transaction():
    spend = leaf_spend(Script([OP_TRUE]), amount=5_000, sequence=9, locktime=77, version=3)
    assert spend.tx.locktime == 77 and spend.tx.version == 3
    assert spend.tx.inputs[0].sequence == 9 and spend.spent[0].value == 5_000
    assert all(o.value >= 0 for o in spend.tx.outputs)
    small = leaf_spend(Script([OP_TRUE]), amount=1)
    assert all(o.value >= 0 for o in small.tx.outputs)  # never a negative output


def test_verify_inputs_refuses_mismatched_spent_outputs():
    tx, spent = _spending_tx(_outputs()[0])
    with pytest.raises(InputError, match="spent outputs"):
        verify_inputs(tx, spent[:1])


def test_verify_input_out_of_range_is_an_input_error():
    tx, spent = _spending_tx(_outputs()[0])
    with pytest.raises(InputError, match="input index 5 out of range"):
        verify_input(tx, 5, spent)
    with pytest.raises(InputError, match="input index -1"):
        verify_inputs(tx, spent, indices=[0, -1])


def test_unsigned_key_path_input_fails_with_a_reason():
    tx, spent = _spending_tx(_outputs()[0])
    verdict = verify_input(tx, 1, spent)
    assert not verdict and verdict.input_index == 1 and "failed" in verdict.reason


def test_key_path_sign_refuses_a_foreign_secret_key():
    output = _outputs()[1]
    tx, spent = _spending_tx(output)
    digest = taproot_sighash(tx, 1, spent)
    with pytest.raises(InputError, match="internal key"):
        output.key_path_sign(b"\x0d" * 32, digest)
    # the negated secret key has the same x-only key and signs validly
    negated = (SECP256K1_ORDER - int.from_bytes(INTERNAL_SECKEY, "big")).to_bytes(32, "big")
    sig = output.key_path_sign(negated, digest)
    assert verify_input(tx.with_witness(1, [sig]), 1, spent).ok

"""BIP341 signature hashes against the BIP341 wallet vectors (keyPathSpending), and
BIP342 script-path hashes (code separator, annex) against libbitcoinkernel."""

from __future__ import annotations

import pytest
from vectors import load_json_vectors

from taptrees.errors import InputError
from taptrees.keys import schnorr_sign, taptweak, tweak_seckey, xonly_pubkey
from taptrees.opcodes import OP_CHECKSIG, OP_CODESEPARATOR, OP_DROP, OP_TRUE
from taptrees.script import Script
from taptrees.sighash import (
    ScriptPath,
    sha_amounts,
    sha_outputs,
    sha_prevouts,
    sha_scriptpubkeys,
    sha_sequences,
    sig_msg,
    taproot_sighash,
)
from taptrees.tree import TapLeaf, TapTree
from taptrees.tx import Tx, TxOut
from taptrees.verify import leaf_spend, verify_input, verify_inputs

KEY_PATH = load_json_vectors("bip341-wallet-test-vectors.json")["keyPathSpending"]
SPEND = KEY_PATH[0]
UNSIGNED = Tx.from_hex(SPEND["given"]["rawUnsignedTx"])
SPENT = tuple(TxOut(u["amountSats"], bytes.fromhex(u["scriptPubKey"])) for u in SPEND["given"]["utxosSpent"])
INPUTS = SPEND["inputSpending"]
ALL_HASH_TYPES = (0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


def _input_id(case: dict) -> str:
    g = case["given"]
    return f"in{g['txinIndex']}-type{g['hashType']:#04x}"


def test_the_vectors_cover_every_hash_type():
    assert len(KEY_PATH) == 1
    assert sorted(c["given"]["hashType"] for c in INPUTS) == sorted(ALL_HASH_TYPES)


def test_precomputed_hashes():
    expected = SPEND["intermediary"]
    assert sha_prevouts(UNSIGNED).hex() == expected["hashPrevouts"]
    assert sha_amounts(SPENT).hex() == expected["hashAmounts"]
    assert sha_scriptpubkeys(SPENT).hex() == expected["hashScriptPubkeys"]
    assert sha_sequences(UNSIGNED).hex() == expected["hashSequences"]
    assert sha_outputs(UNSIGNED).hex() == expected["hashOutputs"]


@pytest.mark.parametrize("case", INPUTS, ids=_input_id)
def test_sig_msg_and_sighash(case):
    given, mid = case["given"], case["intermediary"]
    index, hash_type = given["txinIndex"], given["hashType"]
    # the vectors' sigMsg starts with the epoch byte 0x00 that hash_TapSighash prepends
    assert (b"\x00" + sig_msg(UNSIGNED, index, SPENT, hash_type)).hex() == mid["sigMsg"]
    assert taproot_sighash(UNSIGNED, index, SPENT, hash_type).hex() == mid["sigHash"]


@pytest.mark.parametrize("case", INPUTS, ids=_input_id)
def test_tweak_and_witness_signature(case):
    """The vectors' signatures use aux_rand = 32 zero bytes (our default)."""
    given, mid = case["given"], case["intermediary"]
    seckey = bytes.fromhex(given["internalPrivkey"])
    root = bytes.fromhex(given["merkleRoot"]) if given["merkleRoot"] else None
    assert xonly_pubkey(seckey).hex() == mid["internalPubkey"]
    assert taptweak(xonly_pubkey(seckey), root).hex() == mid["tweak"]
    tweaked = tweak_seckey(seckey, root)
    assert tweaked.hex() == mid["tweakedPrivkey"]
    assert SPENT[given["txinIndex"]].script_pubkey == b"\x51\x20" + xonly_pubkey(tweaked)
    sig = schnorr_sign(tweaked, bytes.fromhex(mid["sigHash"]), b"\x00" * 32)
    hash_type = given["hashType"]
    witness_sig = sig + (bytes([hash_type]) if hash_type else b"")
    assert [witness_sig.hex()] == case["expected"]["witness"]


def test_fully_signed_tx_passes_the_kernel():
    """Each taproot input of the vectors' signed transaction is valid for Core."""
    signed = Tx.from_hex(SPEND["auxiliary"]["fullySignedTx"])
    # same transaction, plus witnesses and the P2PKH input's scriptSig
    assert signed.outputs == UNSIGNED.outputs and signed.locktime == UNSIGNED.locktime
    assert [(i.prevout, i.sequence) for i in signed.inputs] == [(i.prevout, i.sequence) for i in UNSIGNED.inputs]
    taproot_inputs = [i for i, o in enumerate(SPENT) if o.script_pubkey[:2] == b"\x51\x20"]
    assert len(taproot_inputs) == 7
    for i in taproot_inputs:
        assert verify_input(signed, i, SPENT).ok, i
    # the P2PKH and P2WPKH inputs are valid too (all consensus flags)
    assert all(v.ok for v in verify_inputs(signed, SPENT))
    # and a vector signature on the wrong input is refused
    swapped = signed.with_witness(0, signed.inputs[1].witness)
    assert not verify_input(swapped, 0, SPENT).ok


def test_signed_tx_fails_with_a_changed_spent_amount():
    """BIP341 signs every spent amount: change any one and every input breaks."""
    signed = Tx.from_hex(SPEND["auxiliary"]["fullySignedTx"])
    wrong = list(SPENT)
    wrong[2] = TxOut(wrong[2].value + 1, wrong[2].script_pubkey)
    # input 0 signs SINGLE (all amounts), input 8 ALL|ANYONECANPAY (only its own)
    assert not verify_input(signed, 0, wrong).ok
    assert verify_input(signed, 8, wrong).ok


# --- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("hash_type", [0x04, 0x80, 0x84, 0xFF, 0x40])
def test_invalid_hash_types_are_refused(hash_type):
    with pytest.raises(InputError, match="hash type"):
        taproot_sighash(UNSIGNED, 0, SPENT, hash_type)


def test_single_without_matching_output_is_refused():
    assert len(UNSIGNED.outputs) == 2
    for hash_type in (0x03, 0x83):
        with pytest.raises(InputError, match="SIGHASH_SINGLE"):
            taproot_sighash(UNSIGNED, 2, SPENT, hash_type)
    taproot_sighash(UNSIGNED, 2, SPENT, 0x01)  # other types do not need it


def test_missing_spent_outputs_and_bad_index_are_refused():
    with pytest.raises(InputError, match="spent outputs"):
        taproot_sighash(UNSIGNED, 0, SPENT[:-1])
    with pytest.raises(InputError, match="out of range"):
        taproot_sighash(UNSIGNED, len(SPENT), SPENT)


def test_annex_must_start_with_0x50():
    with pytest.raises(InputError, match="annex"):
        taproot_sighash(UNSIGNED, 0, SPENT, 0, annex=b"\x51")
    with pytest.raises(InputError, match="annex"):
        taproot_sighash(UNSIGNED, 0, SPENT, 0, annex=b"")


# --- script path (BIP342) through the kernel -------------------------------------------

SECKEY = bytes.fromhex("0340034003400340034003400340034003400340034003400340034003400340")
PUBKEY = xonly_pubkey(SECKEY)


@pytest.mark.parametrize("hash_type", ALL_HASH_TYPES)
@pytest.mark.parametrize("annex", [None, b"\x50", b"\x50" + bytes(range(40))], ids=["no-annex", "annex1", "annex41"])
def test_script_path_signature_with_annex(hash_type, annex):
    spend = leaf_spend(Script([PUBKEY, OP_CHECKSIG]))
    path = ScriptPath(spend.leaf.hash)
    digest = taproot_sighash(spend.tx, 0, spend.spent, hash_type, path, annex)
    sig = schnorr_sign(SECKEY, digest) + (bytes([hash_type]) if hash_type else b"")
    assert spend.verify([sig], annex=annex).ok
    # the same signature with the annex dropped (or added) is refused
    other = None if annex is not None else b"\x50\x00"
    assert not spend.verify([sig], annex=other).ok
    # a DEFAULT signature with an explicit 0x00 byte appended is invalid (BIP341)
    if hash_type == 0:
        assert not spend.verify([sig + b"\x00"], annex=annex).ok


def test_codeseparator_position_is_the_opcode_index():
    """BIP342 codesep_pos counts opcodes (not bytes) of the last executed OP_CODESEPARATOR."""
    script = Script([OP_TRUE, OP_DROP, OP_CODESEPARATOR, PUBKEY, OP_CHECKSIG])
    spend = leaf_spend(script)
    assert spend.verify([schnorr_sign(SECKEY, spend.sighash(codesep_pos=2))]).ok
    assert not spend.verify([schnorr_sign(SECKEY, spend.sighash())]).ok
    assert not spend.verify([schnorr_sign(SECKEY, spend.sighash(codesep_pos=3))]).ok


def test_script_path_commits_to_leaf_version():
    """The leaf hash (and so the sighash) commits to the leaf's version byte."""
    leaf = TapLeaf(Script([PUBKEY, OP_CHECKSIG]))
    other_version = TapLeaf(leaf.script, version=0xC2)
    assert leaf.hash != other_version.hash
    tree = TapTree.from_shape([leaf, TapLeaf(Script([OP_TRUE]))])
    spend = leaf_spend(leaf, tree=tree)
    good = ScriptPath(leaf.hash)
    wrong = ScriptPath(other_version.hash)
    assert spend.verify([schnorr_sign(SECKEY, taproot_sighash(spend.tx, 0, spend.spent, 0, good))]).ok
    assert not spend.verify([schnorr_sign(SECKEY, taproot_sighash(spend.tx, 0, spend.spent, 0, wrong))]).ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((b"\x00" * 31,), "32 bytes"),
        ((b"\x00" * 32, 2**32), "uint32"),
        ((b"\x00" * 32, -1), "uint32"),
        ((b"\x00" * 32, 0, 256), "byte"),
    ],
)
def test_bad_script_path_is_refused(args, message):
    with pytest.raises(InputError, match=message):
        ScriptPath(*args)

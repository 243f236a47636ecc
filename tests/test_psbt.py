"""PSBT (BIP174 version 0, BIP371 taproot fields): the BIP vectors, the roles on a
real taproot script-path spend checked by libbitcoinkernel, and fuzzed input.

Every invalid vector of BIP174 and BIP371 is refused with an InputError naming
the reason.  None needs version 2 (BIP370) rules.  Eight BIP174 vectors are
invalid because of fields this package does not model (partial signatures,
redeem/witness scripts, BIP32 derivations, final scriptSig, non-witness UTXO key):
they are refused by the key-shape table in ``taptrees.psbt.fields`` alone, which
checks the keydata length of every standard version 0 key type; their ids say
``unmodelled-field``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import load_json_vectors

import ocp.cli
from ocp.cli import main
from taptrees.errors import InputError
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_DROP, OP_EQUAL, OP_TRUE
from taptrees.psbt import (
    Psbt,
    PsbtInput,
    PsbtOutput,
    TapTreeLeaf,
    add_tap_script_sig,
    decode_psbt,
    encode_psbt,
    extract,
    finalize_input,
    parse_psbt,
    psbt_for,
    script_path_witness,
    serialize_psbt,
    tap_script_sighash,
)
from taptrees.psbt.codec import without_key_order
from taptrees.script import Script
from taptrees.sighash import SIGHASH_ANYONECANPAY, SIGHASH_SINGLE
from taptrees.tree import TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut
from taptrees.verify import leaf_spend, verify_input

VECTORS = [
    *load_json_vectors("bip174-psbt-vectors.json"),
    *load_json_vectors("bip371-psbt-vectors.json"),
]

#: Invalid vectors of fields with no typed form here: refused by their key shape.
UNMODELLED = {
    "PSBT with invalid pubkey length for input partial signature typed key",
    "PSBT with invalid redeemscript typed key",
    "PSBT with invalid witnessscript typed key",
    "PSBT with invalid pubkey in input BIP 32 derivation paths typed key",
    "PSBT with invalid final scriptsig typed key",
    "PSBT with invalid pubkey in output BIP 32 derivation paths typed key",
    "PSBT with invalid output redeemScript typed key",
    "PSBT with invalid output witnessScript typed key",
}

#: What the error must say for each invalid vector (by its case text).
REASONS = {
    "Network transaction, not PSBT format": "magic bytes",
    "PSBT missing outputs": "truncated",
    "PSBT where one input has a filled scriptSig in the unsigned tx": "has a scriptSig",
    "PSBT where inputs and outputs are provided but without an unsigned tx": "no PSBT_GLOBAL_UNSIGNED_TX",
    "PSBT with duplicate keys in an input": "input 0: duplicate key",
    "PSBT with invalid global transaction typed key": "PSBT_GLOBAL_UNSIGNED_TX key",
    "PSBT with invalid input witness utxo typed key": "PSBT_IN_WITNESS_UTXO key",
    "PSBT with invalid pubkey length for input partial signature typed key": "PSBT_IN_PARTIAL_SIG keydata must be 33 or 65 bytes",
    "PSBT with invalid redeemscript typed key": "PSBT_IN_REDEEM_SCRIPT key",
    "PSBT with invalid witnessscript typed key": "PSBT_IN_WITNESS_SCRIPT key",
    "PSBT with invalid pubkey in input BIP 32 derivation paths typed key": "PSBT_IN_BIP32_DERIVATION keydata",
    "PSBT with invalid non-witness utxo typed key": "PSBT_IN_NON_WITNESS_UTXO key",
    "PSBT with invalid final scriptsig typed key": "PSBT_IN_FINAL_SCRIPTSIG key",
    "PSBT with invalid final script witness typed key": "PSBT_IN_FINAL_SCRIPTWITNESS key",
    "PSBT with invalid pubkey in output BIP 32 derivation paths typed key": "PSBT_OUT_BIP32_DERIVATION keydata",
    "PSBT with invalid input sighash type typed key": "PSBT_IN_SIGHASH_TYPE key",
    "PSBT with invalid output redeemScript typed key": "PSBT_OUT_REDEEM_SCRIPT key",
    "PSBT with invalid output witnessScript typed key": "PSBT_OUT_WITNESS_SCRIPT key",
    # read without witness (BIP174), the marker 0x00 0x01 is 0 inputs, 1 output: garbage
    "PSBT with unsigned tx serialized with witness serialization format": "PSBT_GLOBAL_UNSIGNED_TX truncated",
    "PSBT with an invalid value data due to its size being not the stated size": "bytes beyond its content",
    "PSBT With PSBT_IN_TAP_INTERNAL_KEY key that is too long (incorrectly serialized as "
    "compressed DER)": "input 0: PSBT_IN_TAP_INTERNAL_KEY must be 32 bytes, got 33",
    "PSBT With PSBT_IN_TAP_KEY_SIG signature that is too short": "input 0: PSBT_IN_TAP_KEY_SIG must be 64 or 65 bytes, got 63",
    "PSBT With PSBT_IN_TAP_KEY_SIG signature that is too long": "input 0: PSBT_IN_TAP_KEY_SIG must be 64 or 65 bytes, got 66",
    "PSBT With PSBT_IN_TAP_BIP32_DERIVATION key that is too long (incorrectly serialized as "
    "compressed DER)": "PSBT_IN_TAP_BIP32_DERIVATION keydata must be 32 bytes, got 33",
    "PSBT With PSBT_OUT_TAP_INTERNAL_KEY key that is too long (incorrectly serialized as "
    "compressed DER)": "output 1: PSBT_OUT_TAP_INTERNAL_KEY must be 32 bytes, got 33",
    "PSBT With PSBT_OUT_TAP_BIP32_DERIVATION key that is too long (incorrectly serialized as "
    "compressed DER)": "PSBT_OUT_TAP_BIP32_DERIVATION keydata must be 32 bytes, got 33",
    "PSBT With PSBT_IN_TAP_SCRIPT_SIG key that is too long (incorrectly serialized as "
    "compressed DER)": "PSBT_IN_TAP_SCRIPT_SIG keydata must be 64 bytes, got 65",
    "PSBT With PSBT_IN_TAP_SCRIPT_SIG signature that is too long": "PSBT_IN_TAP_SCRIPT_SIG must be 64 or 65 bytes, got 66",
    "PSBT With PSBT_IN_TAP_SCRIPT_SIG signature that is too short": "PSBT_IN_TAP_SCRIPT_SIG must be 64 or 65 bytes, got 63",
    "PSBT With PSBT_IN_TAP_LEAF_SCRIPT Control block that is too long": "control block of 33 + 32m bytes (m <= 128), got 98",
    "PSBT With PSBT_IN_TAP_LEAF_SCRIPT Control block that is too short": "control block of 33 + 32m bytes (m <= 128), got 96",
}


def _id(n: int, v: dict) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", v["case"].lower()).strip("-")[:60]
    tag = "-unmodelled-field" if v["case"] in UNMODELLED else ""
    return f"bip{v['bip']}-{n}{tag}-{slug}"


def _cases(kinds: set[str]) -> list:
    return [pytest.param(v, id=_id(n, v)) for n, v in enumerate(VECTORS) if v["validity"] in kinds]


# "fails_signer_checks" and "workflow" PSBTs are valid encodings too: what a signer
# refuses, or what a role must produce, is not a decoding matter.
@pytest.mark.parametrize("vector", _cases({"valid", "fails_signer_checks", "workflow"}))
def test_valid_vector_round_trips_byte_exact(vector):
    psbt = decode_psbt(vector["base64"])
    assert encode_psbt(psbt) == vector["base64"]
    raw = base64.b64decode(vector["base64"])
    assert serialize_psbt(parse_psbt(raw)) == raw
    assert decode_psbt(raw) == psbt  # raw bytes and base64 text decode alike


@pytest.mark.parametrize("vector", _cases({"invalid"}))
def test_invalid_vector_is_refused_with_its_reason(vector):
    with pytest.raises(InputError) as err:
        decode_psbt(vector["base64"])
    assert REASONS[vector["case"]] in str(err.value)


def test_every_invalid_vector_has_a_reason():
    invalid = {v["case"] for v in VECTORS if v["validity"] == "invalid"}
    assert invalid == set(REASONS)
    assert UNMODELLED <= invalid


def test_bip371_fields_are_typed():
    by_case = {v["case"]: decode_psbt(v["base64"]) for v in VECTORS if v["bip"] == "0371" and v["validity"] == "valid"}
    signed = by_case[
        "PSBT with one P2TR script path only input with dummy internal key, scripts, script key "
        "derivation paths, merkle root, and script path signatures"
    ]
    inp = signed.inputs[0]
    assert inp.unknown == ()
    assert len(inp.tap_leaf_scripts) == 3 and len(inp.tap_script_sigs) == 3
    # every leaf's control block folds to the PSBT's merkle root; sigs name those leaves
    assert {leaf.merkle_root for leaf in inp.tap_leaf_scripts} == {inp.tap_merkle_root}
    assert {s.leaf_hash for s in inp.tap_script_sigs} == {leaf.leaf_hash for leaf in inp.tap_leaf_scripts}
    out_psbt = by_case[
        "PSBT with one P2TR script path only output with dummy internal key, taproot tree, and "
        "script key derivation paths"
    ]
    tree_out = out_psbt.outputs[0]
    assert [leaf.depth for leaf in tree_out.tap_tree] == [2, 2, 1]
    # the output's tree (depths 2, 2, 1 in depth-first order) and internal key give the
    # transaction output's scriptPubKey (BIP341)
    scripts = [Script.from_bytes(leaf.script) for leaf in tree_out.tap_tree]
    output = TaprootOutput(tree_out.tap_internal_key, TapTree.from_shape([[scripts[0], scripts[1]], scripts[2]]))
    assert output.script_pubkey == out_psbt.tx.outputs[0].script_pubkey


# ---------------------------------------------------------------- the roles, on the kernel

SIGNER_SK = bytes.fromhex("11" * 32)
OTHER_SK = bytes.fromhex("22" * 32)


def _spend():
    """A real taproot output with three leaves; the spend uses the checksig leaf."""
    pk = xonly_pubkey(SIGNER_SK)
    leaves = [
        Script([pk, OP_CHECKSIG]),
        Script([b"\x01", OP_EQUAL]),
        Script([OP_DROP, OP_TRUE]),
    ]
    tree = TapTree.balanced(leaves)
    spend = leaf_spend(leaves[0], tree=tree)
    leaf = spend.leaf
    entry = (spend.output.control_block(spend.leaf_index), leaf.script.raw, leaf.version)
    return spend, entry, pk


@pytest.mark.parametrize("hash_type", [0x00, SIGHASH_SINGLE | SIGHASH_ANYONECANPAY])
def test_psbt_roles_produce_a_spend_the_kernel_accepts(hash_type):
    spend, entry, pk = _spend()
    psbt = psbt_for(spend.tx, spend.spent, [entry])
    if hash_type:
        psbt = replace(psbt, inputs=(replace(psbt.inputs[0], sighash_type=hash_type),))
    # what the signers exchange: base64 text, decoded back to the same PSBT
    psbt = decode_psbt(encode_psbt(psbt))
    inp = psbt.inputs[0]
    assert inp.tap_internal_key == spend.output.internal_key
    assert inp.tap_merkle_root == spend.output.merkle_root
    leaf_hash = inp.tap_leaf_scripts[0].leaf_hash
    assert leaf_hash == spend.leaf.hash
    msg = tap_script_sighash(psbt, 0, leaf_hash, hash_type)
    assert msg == spend.sighash(hash_type)
    sig = schnorr_sign(SIGNER_SK, msg) + (bytes([hash_type]) if hash_type else b"")
    signed = decode_psbt(encode_psbt(add_tap_script_sig(psbt, 0, pk, leaf_hash, sig)))
    assert signed.inputs[0].tap_script_sigs[0].sig == sig
    final = finalize_input(signed, 0, script_path_witness(signed, 0, [sig]))
    assert final.inputs[0].tap_script_sigs == () and final.inputs[0].tap_leaf_scripts == ()
    assert final.inputs[0].witness_utxo == spend.spent[0]
    tx = extract(decode_psbt(encode_psbt(final)))
    assert tx.txid == spend.tx.txid
    assert verify_input(tx, 0, spend.spent).ok


def test_kernel_rejects_a_finalized_psbt_with_the_wrong_signer():
    spend, entry, pk = _spend()
    psbt = psbt_for(spend.tx, spend.spent, [entry])
    leaf_hash = psbt.inputs[0].tap_leaf_scripts[0].leaf_hash
    wrong = schnorr_sign(OTHER_SK, tap_script_sighash(psbt, 0, leaf_hash))
    with pytest.raises(InputError, match="does not verify"):
        add_tap_script_sig(psbt, 0, pk, leaf_hash, wrong)
    # finalized anyway (a finalizer that skipped the check): the kernel refuses it
    tx = extract(finalize_input(psbt, 0, script_path_witness(psbt, 0, [wrong])))
    assert not verify_input(tx, 0, spend.spent).ok


def test_signer_refuses_mismatches():
    spend, entry, pk = _spend()
    psbt = psbt_for(spend.tx, spend.spent, [entry])
    leaf_hash = psbt.inputs[0].tap_leaf_scripts[0].leaf_hash
    sig = schnorr_sign(SIGNER_SK, tap_script_sighash(psbt, 0, leaf_hash))
    signed = add_tap_script_sig(psbt, 0, pk, leaf_hash, sig)
    assert add_tap_script_sig(signed, 0, pk, leaf_hash, sig) == signed  # idempotent
    other = schnorr_sign(SIGNER_SK, tap_script_sighash(psbt, 0, leaf_hash), b"\x01" * 32)
    with pytest.raises(InputError, match="already has a different signature"):
        add_tap_script_sig(signed, 0, pk, leaf_hash, other)
    typed = replace(psbt, inputs=(replace(psbt.inputs[0], sighash_type=0x01),))
    with pytest.raises(InputError, match="differs from PSBT_IN_SIGHASH_TYPE 0x01"):
        add_tap_script_sig(typed, 0, pk, leaf_hash, sig)
    with pytest.raises(InputError, match="input 0: PSBT_IN_TAP_SCRIPT_SIG must be 64 or 65"):
        add_tap_script_sig(psbt, 0, pk, leaf_hash, sig[:63])
    with pytest.raises(InputError, match="cannot carry hash type 0x00"):
        add_tap_script_sig(psbt, 0, pk, leaf_hash, sig + b"\x00")
    with pytest.raises(InputError, match="input index 1 out of range"):
        add_tap_script_sig(psbt, 1, pk, leaf_hash, sig)
    with pytest.raises(InputError, match="inputs \\[0\\] are not finalized"):
        extract(signed)


def test_psbt_for_checks_the_control_block_against_the_spent_output():
    spend, entry, _ = _spend()
    control_block, script, version = entry
    other = TaprootOutput(spend.output.internal_key, TapTree.balanced([Script([OP_TRUE])]))
    with pytest.raises(InputError, match="input 0: the control block does not commit"):
        psbt_for(spend.tx, [TxOut(spend.amount, other.script_pubkey)], [entry])
    with pytest.raises(InputError, match="control block does not commit"):
        psbt_for(spend.tx, spend.spent, [(control_block, script + b"\x51", version)])
    with pytest.raises(InputError, match="has a witness"):
        psbt_for(spend.witnessed([b"\x00" * 64]), spend.spent, [entry])
    with pytest.raises(InputError, match="2 spent outputs for 1 inputs"):
        psbt_for(spend.tx, spend.spent * 2)


# ---------------------------------------------------------------- structural errors

_TX = Tx(inputs=(TxIn(OutPoint("ab" * 32, 1)),), outputs=(TxOut(1000, b"\x51\x20" + b"\x02" * 32),))
_BASE = Psbt(_TX, (PsbtInput(witness_utxo=TxOut(2000, b"\x51\x20" + b"\x03" * 32)),), (PsbtOutput(),))


def _raw(psbt: Psbt = _BASE) -> bytes:
    return serialize_psbt(psbt)


@pytest.mark.parametrize(
    "data, fragment",
    [
        pytest.param(b"psbu\xff" + _raw()[5:], "magic bytes", id="wrong-magic"),
        pytest.param(_raw()[:-1], "output 0 key length needs 1 bytes", id="truncated-map"),
        pytest.param(_raw() + b"\x00", "1 bytes after the last output map", id="extra-map"),
        pytest.param(
            _raw(replace(_BASE, inputs=(replace(_BASE.inputs[0], unknown=((b"\x01", b""),)),))),
            "input 0: duplicate key 01",
            id="duplicate-typed-key",
        ),
        pytest.param(
            _raw(replace(_BASE, unknown=((b"\x02", b"\x02\x00\x00\x00"),))),
            "PSBT_GLOBAL_TX_VERSION is a version 2 field",
            id="v2-field-in-v0",
        ),
        pytest.param(
            _raw(replace(_BASE, unknown=((b"\xfb", b"\x02\x00\x00\x00"),))),
            "PSBT version 2 is not supported",
            id="version-2",
        ),
        pytest.param(
            _raw(replace(_BASE, inputs=(replace(_BASE.inputs[0], unknown=((b"\x03", b"\x01"),)),))),
            "PSBT_IN_SIGHASH_TYPE must be 4 bytes",
            id="short-sighash-type",
        ),
        pytest.param(
            _raw(replace(_BASE, outputs=(PsbtOutput(unknown=((b"\x06", b"\x01\xc0\x01\x51"),)),))),
            "PSBT_OUT_TAP_TREE is not a complete binary tree",
            id="incomplete-tap-tree",
        ),
        pytest.param(
            _raw(replace(_BASE, outputs=(PsbtOutput(unknown=((b"\x06", b"\x00\xc1\x01\x51"),)),))),
            "leaf version 0xc1",
            id="odd-tap-tree-leaf-version",
        ),
        pytest.param(
            _raw(replace(_BASE, inputs=(replace(_BASE.inputs[0], unknown=((b"\x00", _TX.serialize()),)),))),
            "PSBT_IN_NON_WITNESS_UTXO is transaction",
            id="non-witness-utxo-mismatch",
        ),
        pytest.param(
            _raw().replace(b"\x01\x01\x2b", b"\x01\x01\xfd\x2b\x00"),
            "non-canonical compact size",
            id="non-canonical-compact-size",
        ),
        pytest.param(b"cHNidP8=!", "not valid base64", id="bad-base64"),
    ],
)
def test_structural_errors_name_what_is_wrong(data, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)):
        decode_psbt(data)


def test_counts_must_match_the_transaction():
    with pytest.raises(InputError, match="0 output maps for 1 transaction outputs"):
        replace(_BASE, outputs=())
    # one output map short on the wire: the decoder runs out of bytes in that map
    with pytest.raises(InputError, match="output 0 key length"):
        decode_psbt(_raw()[:-1])


def test_tap_tree_round_trips_and_new_keys_are_sorted():
    tree = (TapTreeLeaf(1, 0xC0, b"\x51"), TapTreeLeaf(2, 0xC0, b"\x52"), TapTreeLeaf(2, 0xC0, b"\x53"))
    psbt = replace(_BASE, outputs=(PsbtOutput(tap_internal_key=b"\x02" * 32, tap_tree=tree),))
    back = parse_psbt(serialize_psbt(psbt))
    assert back == psbt and back.outputs[0].tap_tree == tree
    # a PSBT read in one key order is written back in that order; dropping the
    # remembered order writes every map's keys sorted (still the same PSBT)
    read = decode_psbt(VECTORS[-1]["base64"])
    resorted = parse_psbt(serialize_psbt(without_key_order(read)))
    assert resorted == read
    for before, after in zip(read.inputs + read.outputs, resorted.inputs + resorted.outputs, strict=True):
        assert list(after.key_order) == sorted(before.key_order)


# ---------------------------------------------------------------- fuzzing


def _seeds() -> list[bytes]:
    spend, entry, _ = _spend()
    built = psbt_for(spend.tx, spend.spent, [entry])
    return [serialize_psbt(built)] + [base64.b64decode(v["base64"]) for v in VECTORS if v["validity"] == "valid"]


SEEDS = _seeds()


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0x01, 0x20, 0x40, 0x41, 0xFC, 0xFD, 0xFF]))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 4))]
        elif kind == "truncate":
            del data[pos:]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_decode_exactly_or_raise_input_error(data):
    try:
        psbt = parse_psbt(data)
    except InputError:
        return
    # whatever decodes re-encodes to the very same bytes (only canonical forms admitted)
    assert serialize_psbt(psbt) == data


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def psbt_cli(monkeypatch):
    if "ocp.cli.psbt_cmds" not in ocp.cli.COMMAND_MODULES:
        monkeypatch.setattr(ocp.cli, "COMMAND_MODULES", (*ocp.cli.COMMAND_MODULES, "ocp.cli.psbt_cmds"))
    return main


def test_cli_decode_json_shows_leaves_and_signatures(psbt_cli, capsys, tmp_path):
    spend, entry, pk = _spend()
    psbt = psbt_for(spend.tx, spend.spent, [entry])
    leaf_hash = psbt.inputs[0].tap_leaf_scripts[0].leaf_hash
    sig = schnorr_sign(SIGNER_SK, tap_script_sighash(psbt, 0, leaf_hash))
    psbt = add_tap_script_sig(psbt, 0, pk, leaf_hash, sig)
    path = tmp_path / "spend.psbt"
    path.write_bytes(serialize_psbt(psbt))
    assert psbt_cli(["psbt", "decode", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["txid"] == spend.tx.txid
    assert info["fee"] == spend.amount - spend.tx.outputs[0].value
    inp = info["inputs"][0]
    assert inp["amount"] == spend.amount
    assert inp["leaves"][0]["asm"] == spend.leaf.script.asm()
    assert inp["tap_script_sigs"] == [{"xonly": pk.hex(), "leaf_hash": leaf_hash.hex(), "sig": sig.hex()}]
    assert psbt_cli(["psbt", "decode", encode_psbt(psbt)]) == 0  # base64 argument, rich
    assert spend.tx.txid[:16] in capsys.readouterr().out


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["bip"] == "0371" and v["validity"] == "invalid"][:3],
    ids=lambda v: v["case"][:40],
)
def test_cli_bad_psbt_is_one_line_exit_2(psbt_cli, capsys, vector):
    assert psbt_cli(["psbt", "decode", vector["base64"]]) == 2
    err = capsys.readouterr().err
    assert REASONS[vector["case"]] in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_neither_file_nor_base64(psbt_cli, capsys):
    assert psbt_cli(["psbt", "decode", "missing.psbt"]) == 2
    assert "neither a file nor base64" in capsys.readouterr().err


def test_two_signers_on_one_leaf_through_the_roles():
    pk_a, pk_b = xonly_pubkey(SIGNER_SK), xonly_pubkey(OTHER_SK)
    leaf_script = Script([pk_a, OP_CHECKSIGVERIFY, pk_b, OP_CHECKSIG])
    spend = leaf_spend(leaf_script, tree=TapTree.balanced([leaf_script, Script([OP_TRUE])]))
    entry = (spend.output.control_block(spend.leaf_index), leaf_script.raw, spend.leaf.version)
    psbt = psbt_for(spend.tx, spend.spent, [entry])
    leaf_hash = spend.leaf.hash
    msg = tap_script_sighash(psbt, 0, leaf_hash)
    # each signer works on its own copy; a combiner merges (here: sequential adds)
    sig_a, sig_b = schnorr_sign(SIGNER_SK, msg), schnorr_sign(OTHER_SK, msg)
    psbt = add_tap_script_sig(decode_psbt(encode_psbt(psbt)), 0, pk_a, leaf_hash, sig_a)
    psbt = add_tap_script_sig(decode_psbt(encode_psbt(psbt)), 0, pk_b, leaf_hash, sig_b)
    # the stack is bottom first: pk_b's signature is checked last, so it sits deepest
    tx = extract(finalize_input(psbt, 0, script_path_witness(psbt, 0, [sig_b, sig_a])))
    assert verify_input(tx, 0, spend.spent).ok
    swapped = extract(finalize_input(psbt, 0, script_path_witness(psbt, 0, [sig_a, sig_b])))
    assert not verify_input(swapped, 0, spend.spent).ok

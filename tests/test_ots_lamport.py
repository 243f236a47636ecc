"""Lamport bit commitments and the equivocation leaf, checked by libbitcoinkernel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taptrees.errors import InputError
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import OP_1, OP_DROP, OP_EQUAL, OP_EQUALVERIFY
from taptrees.ots.lamport import (
    LamportKey,
    LamportPublicKey,
    equivocation_script,
    equivocation_scripts,
    verifier_script,
    verify,
)
from taptrees.script import Script
from taptrees.verify import execute_leaf

SECRET = b"\x42" * 32
KEY8 = LamportKey.derive(SECRET, "test/lamport", 8)
PK8 = KEY8.public_key()


def spend(keep: str, value: int, witness) -> bool:
    n = PK8.n_bits
    tail = {
        "drop": [OP_1],
        "bits": [[(value >> i) & 1, OP_EQUALVERIFY] for i in range(n)] + [OP_1],
        "value": [value, OP_EQUAL],
    }[keep]
    return execute_leaf(Script([verifier_script(PK8, keep), tail]), list(witness)).ok


@pytest.mark.parametrize("keep", ["drop", "bits", "value"])
@pytest.mark.parametrize("value", [0, 1, 0x80, 0xA5, 0xFF])
def test_commitment_is_accepted_and_leaves_what_keep_says(keep: str, value: int) -> None:
    witness = KEY8.sign(value)
    assert verify(PK8, value, witness)
    assert spend(keep, value, witness)
    if keep != "drop":  # the bits/value left are checked, so a wrong expectation fails
        assert not spend(keep, value ^ 0x10, witness)


@pytest.mark.parametrize("bit", [0, 3, 7])
def test_wrong_preimage_is_rejected(bit: int) -> None:
    witness = list(KEY8.sign(0xA5))
    k = PK8.n_bits - 1 - bit
    witness[k] = bytes(20)
    assert not verify(PK8, 0xA5, witness)
    assert not spend("drop", 0xA5, witness)
    witness[k] = KEY8.preimages[bit - 1 if bit else 1][0]  # a preimage of another bit
    assert not spend("drop", 0xA5, witness)


def test_truncated_commitment_is_rejected() -> None:
    witness = list(KEY8.sign(0x5A))
    assert not spend("drop", 0x5A, witness[1:])
    assert not verify(PK8, 0x5A, witness[1:])


@settings(max_examples=15, deadline=None)
@given(n=st.sampled_from([1, 8, 16, 31, 32]), data=st.data())
def test_property_random_values(n: int, data) -> None:
    key = LamportKey.derive(SECRET, "test/prop", n)
    value = data.draw(st.integers(0, 2**n - 1))
    pk = key.public_key()
    keep = "value" if n <= 31 else "bits"
    tail = [value, OP_EQUAL] if keep == "value" else [[OP_DROP] * (n - 1), OP_DROP, OP_1]
    assert execute_leaf(Script([verifier_script(pk, keep), tail]), list(key.sign(value))).ok
    other = value ^ (1 << data.draw(st.integers(0, n - 1)))
    assert not verify(pk, other, key.sign(value))


@pytest.mark.parametrize("bit", [0, 5, 7])
def test_equivocation_leaf_needs_both_preimages_of_one_bit(bit: int) -> None:
    leaf = equivocation_script(PK8, bit)
    x0, x1 = KEY8.equivocation_witness(bit)
    assert execute_leaf(leaf, [x0, x1]).ok
    assert not execute_leaf(leaf, [x1, x0]).ok
    assert not execute_leaf(leaf, [x1]).ok
    assert not execute_leaf(leaf, [x0, x0]).ok
    other = (bit + 1) % 8
    assert not execute_leaf(leaf, [x0, KEY8.preimages[other][1]]).ok
    assert not execute_leaf(leaf, [KEY8.preimages[other][0], KEY8.preimages[other][1]]).ok
    assert len(equivocation_scripts(PK8)) == 8


def test_equivocation_with_beneficiary_needs_its_signature() -> None:
    sk = bytes(31) + b"\x07"
    leaf = equivocation_script(PK8, 2, beneficiary=xonly_pubkey(sk))
    x0, x1 = KEY8.equivocation_witness(2)
    assert execute_leaf(leaf, lambda sp: [schnorr_sign(sk, sp.sighash(), bytes(32)), x0, x1]).ok
    assert not execute_leaf(leaf, lambda sp: [bytes(64), x0, x1]).ok
    other = bytes(31) + b"\x08"
    assert not execute_leaf(leaf, lambda sp: [schnorr_sign(other, sp.sighash(), bytes(32)), x0, x1]).ok


def test_keys_json_and_errors() -> None:
    assert LamportKey.derive(SECRET, "test/lamport", 8).public_key() == PK8
    assert LamportKey.derive(SECRET, "test/other", 8).public_key() != PK8
    assert LamportPublicKey.from_json(PK8.to_json()) == PK8
    assert SECRET.hex() not in repr(KEY8)
    with pytest.raises(InputError, match="format"):
        LamportPublicKey.from_json({"hashes": []})
    with pytest.raises(InputError, match="8-bit"):
        KEY8.sign(256)
    with pytest.raises(InputError, match="31 bits"):
        verifier_script(LamportKey.derive(SECRET, "x", 32).public_key(), "value")
    with pytest.raises(InputError, match="out of range"):
        equivocation_script(PK8, 8)
    with pytest.raises(InputError, match="n_bits"):
        LamportKey.derive(SECRET, "x", 0)

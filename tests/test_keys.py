"""BIP340 keys and signatures, and the BIP341 key tweak, against the BIP340 vectors.

``taptrees.keys`` signs and verifies through libsecp256k1 (coincurve), whose signing
API takes 32-byte messages only, as does ``schnorr_verify`` (it signs sighashes).
The four vector rows with other message lengths (0, 1, 17 and 100 bytes) are
therefore checked with a tiny reference BIP340 implementation written below
(a transcription of the BIP's pseudocode, used by the tests only): it must
reproduce their signatures and verification results, and it is first proven on
the 32-byte rows, where it must agree with both the vectors and ``taptrees.keys``.
libsecp256k1's own verifier (which does take any length) is run on them too.
"""

from __future__ import annotations

import hashlib

import pytest
from coincurve import PublicKeyXOnly
from hypothesis import given, settings
from hypothesis import strategies as st
from vectors import load_csv_vectors

from taptrees.errors import InputError
from taptrees.keys import (
    SECP256K1_ORDER,
    check_xonly,
    schnorr_sign,
    schnorr_verify,
    taptweak,
    tweak_pubkey,
    tweak_seckey,
    xonly_pubkey,
)

ROWS = load_csv_vectors("bip340-test-vectors.csv")

# --- reference BIP340 (pseudocode of the BIP, for the tests only) -------------------

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = SECP256K1_ORDER
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
Point = tuple[int, int] | None


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and p1[1] != p2[1]:
        return None
    if p1 == p2:
        lam = 3 * p1[0] * p1[0] * pow(2 * p1[1], P - 2, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], P - 2, P) % P
    x3 = (lam * lam - p1[0] - p2[0]) % P
    return x3, (lam * (p1[0] - x3) - p1[1]) % P


def _mul(point: Point, k: int) -> Point:
    result = None
    for i in range(256):
        if (k >> i) & 1:
            result = _add(result, point)
        point = _add(point, point)
    return result


def _tagged(tag: str, data: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + data).digest()


def _lift_x(x: int) -> Point:
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return x, y if y % 2 == 0 else P - y


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


def _b32(x: int) -> bytes:
    return x.to_bytes(32, "big")


def ref_sign(seckey: bytes, msg: bytes, aux: bytes) -> bytes:
    d0 = _int(seckey)
    pub = _mul(G, d0)
    d = d0 if pub[1] % 2 == 0 else N - d0
    t = _b32(d ^ _int(_tagged("BIP0340/aux", aux)))
    k0 = _int(_tagged("BIP0340/nonce", t + _b32(pub[0]) + msg)) % N
    r = _mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = _int(_tagged("BIP0340/challenge", _b32(r[0]) + _b32(pub[0]) + msg)) % N
    return _b32(r[0]) + _b32((k + e * d) % N)


def ref_verify(pubkey: bytes, msg: bytes, sig: bytes) -> bool:
    pub = _lift_x(_int(pubkey))
    r, s = _int(sig[:32]), _int(sig[32:])
    if pub is None or r >= P or s >= N:
        return False
    e = _int(_tagged("BIP0340/challenge", sig[:32] + pubkey + msg)) % N
    big_r = _add(_mul(G, s), _mul(pub, N - e))
    return big_r is not None and big_r[1] % 2 == 0 and big_r[0] == r


# --- the vectors -------------------------------------------------------------------


def _row_id(row: dict[str, str]) -> str:
    return f"row{row['index']}"


def _row(row: dict[str, str]) -> tuple[bytes, bytes, bytes, bytes, bool]:
    return (
        bytes.fromhex(row["public key"]),
        bytes.fromhex(row["message"]),
        bytes.fromhex(row["signature"]),
        bytes.fromhex(row["aux_rand"]),
        row["verification result"] == "TRUE",
    )


SIGNING = [r for r in ROWS if r["secret key"]]
MSG32 = [r for r in ROWS if len(bytes.fromhex(r["message"])) == 32]
OTHER_LENGTHS = [r for r in ROWS if len(bytes.fromhex(r["message"])) != 32]


def test_vector_file_has_the_rows_we_expect():
    assert len(ROWS) == 19
    assert len(OTHER_LENGTHS) == 4  # rows 15..18: messages of 0, 1, 17 and 100 bytes
    assert {len(bytes.fromhex(r["message"])) for r in OTHER_LENGTHS} == {0, 1, 17, 100}


@pytest.mark.parametrize("row", [r for r in SIGNING if r in MSG32], ids=_row_id)
def test_signing_reproduces_the_vector_signature(row):
    pub, msg, sig, aux, _ = _row(row)
    seckey = bytes.fromhex(row["secret key"])
    assert xonly_pubkey(seckey) == pub
    assert schnorr_sign(seckey, msg, aux) == sig
    assert schnorr_verify(pub, msg, sig)


@pytest.mark.parametrize("row", MSG32, ids=_row_id)
def test_verification_matches_the_vector(row):
    pub, msg, sig, _, expected = _row(row)
    assert schnorr_verify(pub, msg, sig) is expected


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_reference_implementation_matches_the_vector(row):
    pub, msg, sig, aux, expected = _row(row)
    assert ref_verify(pub, msg, sig) is expected
    if row["secret key"]:
        assert ref_sign(bytes.fromhex(row["secret key"]), msg, aux) == sig


@pytest.mark.parametrize("row", OTHER_LENGTHS, ids=_row_id)
def test_other_message_lengths_through_libsecp256k1(row):
    """libsecp256k1 verifies any length; ``schnorr_verify`` is for 32-byte sighashes."""
    pub, msg, sig, _, expected = _row(row)
    assert PublicKeyXOnly(pub).verify(sig, msg) is expected
    assert schnorr_verify(pub, msg, sig) is False
    with pytest.raises(InputError, match="32-byte"):
        schnorr_sign(bytes.fromhex(row["secret key"]), msg)


# --- keys and tweaks -----------------------------------------------------------------

seckeys = st.integers(min_value=1, max_value=N - 1).map(_b32)


@settings(max_examples=10, deadline=None)
@given(seckeys, st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_sign_agrees_with_reference(seckey, msg, aux):
    sig = schnorr_sign(seckey, msg, aux)
    assert sig == ref_sign(seckey, msg, aux)
    assert schnorr_verify(xonly_pubkey(seckey), msg, sig)
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert not schnorr_verify(xonly_pubkey(seckey), msg, bad)


@settings(max_examples=10, deadline=None)
@given(seckeys, st.one_of(st.none(), st.binary(min_size=32, max_size=32)))
def test_tweaked_seckey_matches_tweaked_pubkey(seckey, merkle_root):
    """BIP341: taproot_tweak_seckey(d) * G == taproot_tweak_pubkey(P) (with parity)."""
    internal = xonly_pubkey(seckey)
    parity, output_key = tweak_pubkey(internal, merkle_root)
    tweaked = tweak_seckey(seckey, merkle_root)
    point = _mul(G, _int(tweaked))
    assert _b32(point[0]) == output_key == xonly_pubkey(tweaked)
    assert point[1] % 2 == parity
    # Q = lift_x(P) + t*G, computed independently
    q = _add(_lift_x(_int(internal)), _mul(G, _int(taptweak(internal, merkle_root))))
    assert (q[1] % 2, _b32(q[0])) == (parity, output_key)


@pytest.mark.parametrize("seckey", [b"", b"\x00" * 32, _b32(N), _b32(N + 1), b"\x01" * 31], ids=repr)
def test_invalid_secret_keys_are_refused(seckey):
    with pytest.raises(InputError, match="secret key"):
        xonly_pubkey(seckey)
    with pytest.raises(InputError, match="secret key"):
        schnorr_sign(seckey, b"\x00" * 32)


def test_invalid_xonly_keys_are_refused():
    with pytest.raises(InputError, match="32 bytes"):
        check_xonly(b"\x02" * 33)
    # row 5 of the BIP340 vectors: an x coordinate not on the curve
    not_on_curve = bytes.fromhex(ROWS[5]["public key"])
    with pytest.raises(InputError, match="not a point"):
        check_xonly(not_on_curve)
    with pytest.raises(InputError, match="internal key"):
        tweak_pubkey(not_on_curve, None)
    assert schnorr_verify(not_on_curve, b"\x00" * 32, b"\x00" * 64) is False


def test_aux_rand_must_be_32_bytes():
    """An empty aux_rand would make coincurve draw fresh randomness: refuse it."""
    with pytest.raises(InputError, match="aux"):
        schnorr_sign(b"\x01" * 32, b"\x00" * 32, b"")

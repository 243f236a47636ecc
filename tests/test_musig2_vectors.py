"""Every BIP327 test vector (tests/vectors/bip327-*.json), through libsecp256k1
(``taptrees.musig2``) wherever its API can express the case, and through the
pure-Python reference (``taptrees.musig2.reference``) always.

What libsecp256k1's API cannot express, and so runs on the reference only:
NonceGen with an arbitrary ``aggpk`` or a message that is not 32 bytes (the API
takes a keyagg cache and 32-byte messages), Sign with a secret nonce given as
bytes (the API's secret nonce is opaque and cannot be imported), DeterministicSign
(not in the API), and anything with a message of another length than 32.  For
those, libsecp256k1 still verifies the expected partial signatures where the
message is 32 bytes.
"""

from __future__ import annotations

import pytest
from vectors import load_json_vectors

from taptrees.errors import InputError
from taptrees.keys import schnorr_verify
from taptrees.musig2 import (
    InvalidContributionError,
    NonceReuseError,
    SecNonce,
    SessionContext,
    _secp,
    key_agg,
    key_agg_and_tweak,
    key_sort,
    nonce_agg,
    partial_sig_agg,
    partial_sig_verify,
    partial_sig_verify_internal,
    sign,
)
from taptrees.musig2 import reference as ref

KEY_SORT = load_json_vectors("bip327-key_sort_vectors.json")
KEY_AGG = load_json_vectors("bip327-key_agg_vectors.json")
NONCE_GEN = load_json_vectors("bip327-nonce_gen_vectors.json")
NONCE_AGG = load_json_vectors("bip327-nonce_agg_vectors.json")
SIGN_VERIFY = load_json_vectors("bip327-sign_verify_vectors.json")
TWEAK = load_json_vectors("bip327-tweak_vectors.json")
DET_SIGN = load_json_vectors("bip327-det_sign_vectors.json")
SIG_AGG = load_json_vectors("bip327-sig_agg_vectors.json")

BOTH = ("libsecp256k1", "reference")


def _h(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


def _pick(table: list[str], indices: list[int]) -> list[bytes]:
    return [bytes.fromhex(table[i]) for i in indices]


def _ids(cases: list[dict]) -> list[str]:
    return [c.get("comment", f"case{i}")[:60] for i, c in enumerate(cases)]


def _expect_error(error: dict):
    """pytest.raises for a vector's error: the contribution and who is blamed, or a
    broken precondition with the BIP's words."""
    if error["type"] == "invalid_contribution":
        return pytest.raises(InvalidContributionError)
    return pytest.raises(InputError, match=error["message"].rstrip("."))


def _check_blame(excinfo, error: dict) -> None:
    if error["type"] == "invalid_contribution":
        assert excinfo.value.signer == error["signer"]
        assert excinfo.value.contrib == error["contrib"]
    else:  # a broken precondition blames nobody
        assert not isinstance(excinfo.value, InvalidContributionError)


# --- key_sort --------------------------------------------------------------------------


@pytest.mark.parametrize("impl", BOTH)
def test_key_sort(impl):
    pubkeys = [bytes.fromhex(pk) for pk in KEY_SORT["pubkeys"]]
    sort = key_sort if impl == "libsecp256k1" else ref.key_sort
    assert sort(pubkeys) == [bytes.fromhex(pk) for pk in KEY_SORT["sorted_pubkeys"]]


# --- key_agg ---------------------------------------------------------------------------


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", KEY_AGG["valid_test_cases"], ids=_ids(KEY_AGG["valid_test_cases"]))
def test_key_agg(impl, case):
    pubkeys = _pick(KEY_AGG["pubkeys"], case["key_indices"])
    if impl == "libsecp256k1":
        aggpk = key_agg(pubkeys).xonly_pk
    else:
        aggpk = ref.get_xonly_pk(ref.key_agg(pubkeys))
    assert aggpk == bytes.fromhex(case["expected"])


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", KEY_AGG["error_test_cases"], ids=_ids(KEY_AGG["error_test_cases"]))
def test_key_agg_errors(impl, case):
    pubkeys = _pick(KEY_AGG["pubkeys"], case["key_indices"])
    tweaks = _pick(KEY_AGG["tweaks"], case["tweak_indices"])
    agg = key_agg_and_tweak if impl == "libsecp256k1" else ref.key_agg_and_tweak
    with _expect_error(case["error"]) as excinfo:
        agg(pubkeys, tweaks, case["is_xonly"])
    _check_blame(excinfo, case["error"])


# --- nonce_gen -------------------------------------------------------------------------


@pytest.mark.parametrize("case", NONCE_GEN["test_cases"], ids=_ids(NONCE_GEN["test_cases"]))
def test_nonce_gen_reference(case):
    secnonce, pubnonce = ref.nonce_gen_internal(
        bytes.fromhex(case["rand_"]),
        _h(case["sk"]),
        bytes.fromhex(case["pk"]),
        _h(case["aggpk"]),
        _h(case["msg"]),
        _h(case["extra_in"]),
    )
    assert bytes(secnonce) == bytes.fromhex(case["expected_secnonce"])
    assert pubnonce == bytes.fromhex(case["expected_pubnonce"])


def test_nonce_gen_libsecp256k1_where_expressible():
    """The vector without sk, aggpk, msg and extra_in: libsecp256k1's nonce_gen takes
    NULL for each, so its public nonce must be the expected one.  (The others give
    an ``aggpk`` that is no aggregate anyone can build a keyagg cache for, or a
    message that is not 32 bytes.)"""
    (case,) = [c for c in NONCE_GEN["test_cases"] if c["sk"] is None]
    assert case["aggpk"] is None and case["msg"] is None and case["extra_in"] is None
    secnonce = _secp.new_secnonce()
    secrand = _secp.ffi.new("unsigned char[32]", bytes.fromhex(case["rand_"]))
    pubkey = _secp.parse_pubkey(bytes.fromhex(case["pk"]))
    pubnonce = _secp.nonce_gen(secnonce, secrand, None, pubkey, None, None, None)
    assert pubnonce == bytes.fromhex(case["expected_pubnonce"])
    assert bytes(secrand) == bytes(32)  # libsecp256k1 consumed the seed
    _secp.wipe(secnonce)


# --- nonce_agg -------------------------------------------------------------------------


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", NONCE_AGG["valid_test_cases"], ids=_ids(NONCE_AGG["valid_test_cases"]))
def test_nonce_agg(impl, case):
    pubnonces = _pick(NONCE_AGG["pnonces"], case["pnonce_indices"])
    agg = nonce_agg if impl == "libsecp256k1" else ref.nonce_agg
    assert agg(pubnonces) == bytes.fromhex(case["expected"])


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", NONCE_AGG["error_test_cases"], ids=_ids(NONCE_AGG["error_test_cases"]))
def test_nonce_agg_errors_name_the_signer(impl, case):
    pubnonces = _pick(NONCE_AGG["pnonces"], case["pnonce_indices"])
    agg = nonce_agg if impl == "libsecp256k1" else ref.nonce_agg
    with _expect_error(case["error"]) as excinfo:
        agg(pubnonces)
    _check_blame(excinfo, case["error"])


# --- sign_verify -----------------------------------------------------------------------

SV = SIGN_VERIFY
SV_SK = bytes.fromhex(SV["sk"])


def _sv_msg(case: dict) -> bytes:
    return bytes.fromhex(SV["msgs"][case["msg_index"]])


@pytest.mark.parametrize("case", SV["valid_test_cases"], ids=_ids(SV["valid_test_cases"]))
def test_sign_verify_valid(case):
    pubkeys = _pick(SV["pubkeys"], case["key_indices"])
    pubnonces = _pick(SV["pnonces"], case["nonce_indices"])
    aggnonce = bytes.fromhex(SV["aggnonces"][case["aggnonce_index"]])
    msg, i = _sv_msg(case), case["signer_index"]
    expected = bytes.fromhex(case["expected"])
    assert ref.nonce_agg(pubnonces) == aggnonce
    # reference: sign with the vector's secret nonce
    session = ref.SessionContext(aggnonce, tuple(pubkeys), (), (), msg)
    assert ref.sign(bytearray.fromhex(SV["secnonces"][0]), SV_SK, session) == expected
    assert ref.partial_sig_verify(expected, pubnonces, pubkeys, [], [], msg, i)
    # libsecp256k1: verify the expected partial signature (32-byte messages only)
    if len(msg) == 32:
        assert partial_sig_verify(expected, pubnonces, pubkeys, [], [], msg, i)
        assert nonce_agg(pubnonces) == aggnonce


def _libsecp_nonce_for(sk: bytes, keyagg_ctx, msg: bytes) -> SecNonce:
    """A real libsecp256k1 secret nonce of ``sk``'s signer, made without the public
    API's membership check (so that Sign's own checks can be tested)."""
    from taptrees.musig2 import individual_pk

    pk = individual_pk(sk)
    cdata = _secp.new_secnonce()
    pubnonce = _secp.nonce_gen(cdata, _secp.secrand_from_os(), sk, _secp.parse_pubkey(pk), msg, keyagg_ctx.cache, None)
    return SecNonce(cdata, pk, pubnonce, keyagg_ctx.xonly_pk, msg)


@pytest.mark.parametrize("case", SV["sign_error_test_cases"], ids=_ids(SV["sign_error_test_cases"]))
def test_sign_errors(case):
    pubkeys = _pick(SV["pubkeys"], case["key_indices"])
    aggnonce = bytes.fromhex(SV["aggnonces"][case["aggnonce_index"]])
    msg, error = _sv_msg(case), case["error"]
    # reference, with the vector's secret nonce
    session = ref.SessionContext(aggnonce, tuple(pubkeys), (), (), msg)
    secnonce = bytearray.fromhex(SV["secnonces"][case["secnonce_index"]])
    with _expect_error(error) as excinfo:
        ref.sign(secnonce, SV_SK, session)
    _check_blame(excinfo, error)
    # libsecp256k1: the same failure, reached through this layer's API
    if error["type"] == "invalid_contribution":
        with _expect_error(error) as excinfo:
            SessionContext(aggnonce, key_agg(pubkeys), msg)
        _check_blame(excinfo, error)
    elif "pubkeys" in error["message"]:
        # a nonce of a signer who is not in the session: refused, and left unused
        other = key_agg([bytes.fromhex(SV["pubkeys"][0])])
        nonce = _libsecp_nonce_for(SV_SK, other, msg)
        session_ctx = SessionContext(aggnonce, key_agg(pubkeys), msg)
        with _expect_error(error):
            sign(nonce, SV_SK, session_ctx)
        assert not nonce.used
        nonce.wipe()
    else:
        # "secnonce out of range" is what a used (zeroed) nonce looks like: here a
        # used SecNonce refuses with a Python error instead of libsecp256k1's abort
        assert "secnonce" in error["message"]
        ctx = key_agg(pubkeys)
        session_ctx = SessionContext(aggnonce, ctx, msg)
        nonce = _libsecp_nonce_for(SV_SK, ctx, msg)
        sign(nonce, SV_SK, session_ctx)
        with pytest.raises(NonceReuseError):
            sign(nonce, SV_SK, session_ctx)


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", SV["verify_fail_test_cases"], ids=_ids(SV["verify_fail_test_cases"]))
def test_verify_fail(impl, case):
    pubkeys = _pick(SV["pubkeys"], case["key_indices"])
    pubnonces = _pick(SV["pnonces"], case["nonce_indices"])
    verify = partial_sig_verify if impl == "libsecp256k1" else ref.partial_sig_verify
    args = (pubnonces, pubkeys, [], [], _sv_msg(case), case["signer_index"])
    assert verify(bytes.fromhex(case["sig"]), *args) is False


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", SV["verify_error_test_cases"], ids=_ids(SV["verify_error_test_cases"]))
def test_verify_errors_name_the_signer(impl, case):
    pubkeys = _pick(SV["pubkeys"], case["key_indices"])
    pubnonces = _pick(SV["pnonces"], case["nonce_indices"])
    verify = partial_sig_verify if impl == "libsecp256k1" else ref.partial_sig_verify
    args = (pubnonces, pubkeys, [], [], _sv_msg(case), case["signer_index"])
    with _expect_error(case["error"]) as excinfo:
        verify(bytes.fromhex(case["sig"]), *args)
    _check_blame(excinfo, case["error"])


# --- tweak -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", TWEAK["valid_test_cases"], ids=_ids(TWEAK["valid_test_cases"]))
def test_tweak_valid(case):
    pubkeys = _pick(TWEAK["pubkeys"], case["key_indices"])
    pubnonces = _pick(TWEAK["pnonces"], case["nonce_indices"])
    tweaks = _pick(TWEAK["tweaks"], case["tweak_indices"])
    aggnonce, msg = bytes.fromhex(TWEAK["aggnonce"]), bytes.fromhex(TWEAK["msg"])
    sk, i = bytes.fromhex(TWEAK["sk"]), case["signer_index"]
    expected = bytes.fromhex(case["expected"])
    assert ref.nonce_agg(pubnonces) == aggnonce == nonce_agg(pubnonces)
    session = ref.SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(case["is_xonly"]), msg)
    assert ref.sign(bytearray.fromhex(TWEAK["secnonce"]), sk, session) == expected
    assert ref.partial_sig_verify(expected, pubnonces, pubkeys, tweaks, case["is_xonly"], msg, i)
    assert partial_sig_verify(expected, pubnonces, pubkeys, tweaks, case["is_xonly"], msg, i)
    # the tweaked aggregate key is the same in both
    ctx = key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"])
    ref_ctx = ref.key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"])
    assert ctx.plain_pk == ref.get_plain_pk(ref_ctx)


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", TWEAK["error_test_cases"], ids=_ids(TWEAK["error_test_cases"]))
def test_tweak_errors(impl, case):
    pubkeys = _pick(TWEAK["pubkeys"], case["key_indices"])
    tweaks = _pick(TWEAK["tweaks"], case["tweak_indices"])
    aggnonce, msg = bytes.fromhex(TWEAK["aggnonce"]), bytes.fromhex(TWEAK["msg"])
    with _expect_error(case["error"]):
        if impl == "libsecp256k1":
            SessionContext(aggnonce, key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"]), msg)
        else:
            session = ref.SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(case["is_xonly"]), msg)
            ref.sign(bytearray.fromhex(TWEAK["secnonce"]), bytes.fromhex(TWEAK["sk"]), session)


# --- det_sign --------------------------------------------------------------------------


def _det_sign(case: dict) -> tuple[bytes, bytes]:
    return ref.det_sign(
        bytes.fromhex(DET_SIGN["sk"]),
        bytes.fromhex(case["aggothernonce"]),
        _pick(DET_SIGN["pubkeys"], case["key_indices"]),
        [bytes.fromhex(t) for t in case["tweaks"]],
        case["is_xonly"],
        bytes.fromhex(DET_SIGN["msgs"][case["msg_index"]]),
        _h(case["rand"]),
    )


@pytest.mark.parametrize("case", DET_SIGN["valid_test_cases"], ids=_ids(DET_SIGN["valid_test_cases"]))
def test_det_sign(case):
    pubnonce, psig = _det_sign(case)
    assert [pubnonce.hex().upper(), psig.hex().upper()] == case["expected"]
    # libsecp256k1 accepts the deterministic partial signature (32-byte messages)
    msg = bytes.fromhex(DET_SIGN["msgs"][case["msg_index"]])
    if len(msg) == 32:
        pubkeys = _pick(DET_SIGN["pubkeys"], case["key_indices"])
        tweaks = [bytes.fromhex(t) for t in case["tweaks"]]
        ctx = key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"])
        aggnonce = nonce_agg([pubnonce, bytes.fromhex(case["aggothernonce"])])
        session = SessionContext(aggnonce, ctx, msg)
        signer_pk = pubkeys[case["signer_index"]]
        assert partial_sig_verify_internal(psig, pubnonce, signer_pk, session)


@pytest.mark.parametrize("case", DET_SIGN["error_test_cases"], ids=_ids(DET_SIGN["error_test_cases"]))
def test_det_sign_errors(case):
    with _expect_error(case["error"]) as excinfo:
        _det_sign(case)
    _check_blame(excinfo, case["error"])


# --- sig_agg ---------------------------------------------------------------------------


def _sig_agg_inputs(case: dict):
    pubkeys = _pick(SIG_AGG["pubkeys"], case["key_indices"])
    tweaks = _pick(SIG_AGG["tweaks"], case["tweak_indices"])
    psigs = _pick(SIG_AGG["psigs"], case["psig_indices"])
    return pubkeys, tweaks, psigs, bytes.fromhex(case["aggnonce"]), bytes.fromhex(SIG_AGG["msg"])


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", SIG_AGG["valid_test_cases"], ids=_ids(SIG_AGG["valid_test_cases"]))
def test_sig_agg(impl, case):
    pubkeys, tweaks, psigs, aggnonce, msg = _sig_agg_inputs(case)
    assert nonce_agg(_pick(SIG_AGG["pnonces"], case["nonce_indices"])) == aggnonce
    if impl == "libsecp256k1":
        ctx = key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"])
        sig = partial_sig_agg(psigs, SessionContext(aggnonce, ctx, msg))
        aggpk = ctx.xonly_pk
    else:
        session = ref.SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(case["is_xonly"]), msg)
        sig = ref.partial_sig_agg(psigs, session)
        aggpk = ref.get_xonly_pk(ref.key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"]))
    assert sig == bytes.fromhex(case["expected"])
    assert schnorr_verify(aggpk, msg, sig)  # a BIP340 signature for the (tweaked) key


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("case", SIG_AGG["error_test_cases"], ids=_ids(SIG_AGG["error_test_cases"]))
def test_sig_agg_errors_name_the_signer(impl, case):
    pubkeys, tweaks, psigs, aggnonce, msg = _sig_agg_inputs(case)
    with _expect_error(case["error"]) as excinfo:
        if impl == "libsecp256k1":
            ctx = key_agg_and_tweak(pubkeys, tweaks, case["is_xonly"])
            partial_sig_agg(psigs, SessionContext(aggnonce, ctx, msg))
        else:
            session = ref.SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(case["is_xonly"]), msg)
            ref.partial_sig_agg(psigs, session)
    _check_blame(excinfo, case["error"])

"""The MuSig2 layer (taptrees.musig2) at work: sessions whose signatures Bitcoin
Core's interpreter accepts, the secret nonce that signs once, blame, and the
libsecp256k1 path cross-checked against the pure-Python reference."""

from __future__ import annotations

import copy
import os
import pickle
import random
import resource
import subprocess
import sys
import textwrap
import threading

import pytest

from taptrees.errors import InputError
from taptrees.keys import schnorr_verify, taptweak
from taptrees.musig2 import (
    InvalidContributionError,
    NonceReuseError,
    SecNonce,
    SessionContext,
    _secp,
    apply_tweak,
    individual_pk,
    key_agg,
    key_agg_and_tweak,
    key_sort,
    nonce_agg,
    nonce_gen,
    partial_sig_agg,
    partial_sig_verify,
    partial_sig_verify_internal,
    sign,
)
from taptrees.musig2 import reference as ref
from taptrees.opcodes import OP_CHECKSIG
from taptrees.script import Script
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut
from taptrees.verify import execute_leaf, verify_input

SIGNERS = [bytes([i + 1]) * 32 for i in range(5)]


def _run_session(sks: list[bytes], ctx, msg: bytes) -> bytes:
    """One full session: every signer's nonce, the aggregate, every partial
    signature (each verified, as a coordinator would), the aggregate signature."""
    nonces = {individual_pk(sk): nonce_gen(sk, ctx, msg) for sk in sks}
    pubnonces = [nonces[pk][1] for pk in ctx.pubkeys]
    session = SessionContext(nonce_agg(pubnonces), ctx, msg)
    psigs = []
    for i, pk in enumerate(ctx.pubkeys):
        sk = sks[[individual_pk(s) for s in sks].index(pk)]
        psig = sign(nonces[pk][0], sk, session)
        assert partial_sig_verify_internal(psig, pubnonces[i], pk, session, signer=i)
        psigs.append(psig)
    return partial_sig_agg(psigs, session)


def _committee():
    return key_agg(key_sort([individual_pk(sk) for sk in SIGNERS]))


# --- signatures Bitcoin Core accepts ---------------------------------------------------


def test_five_of_five_signs_a_tapscript_leaf_checked_by_the_kernel():
    """``<agg> OP_CHECKSIG`` spent with a 5-of-5 MuSig2 signature over the real
    BIP341/342 sighash, verified by libbitcoinkernel."""
    ctx = _committee()
    leaf = Script([ctx.xonly_pk, OP_CHECKSIG])

    def witness(spend):
        sig = _run_session(SIGNERS, ctx, spend.sighash())
        assert schnorr_verify(ctx.xonly_pk, spend.sighash(), sig)
        return [sig]

    assert execute_leaf(leaf, witness).ok
    # a signature over another message, or by four of the five, is refused
    assert not execute_leaf(leaf, lambda spend: [_run_session(SIGNERS, ctx, bytes(32))]).ok
    four = key_agg(key_sort([individual_pk(sk) for sk in SIGNERS[:4]]))
    assert not execute_leaf(leaf, lambda spend: [_run_session(SIGNERS[:4], four, spend.sighash())]).ok


def test_taproot_tweaked_committee_key_spends_by_key_path():
    """An x-only tweak (BIP341 TapTweak of the aggregate) gives the output key of a
    taproot output whose internal key is the committee; the session signs for it."""
    ctx = _committee()
    tree = TapTree(Script([ctx.xonly_pk, OP_CHECKSIG]))
    output = TaprootOutput(ctx.xonly_pk, tree)
    tweaked = apply_tweak(ctx, taptweak(ctx.xonly_pk, output.merkle_root), is_xonly=True)
    assert tweaked.xonly_pk == output.output_key
    spent = (TxOut(50_000, output.script_pubkey),)
    tx = Tx(inputs=(TxIn(OutPoint("aa" * 32, 1)),), outputs=(TxOut(49_000, output.script_pubkey),))
    sig = _run_session(SIGNERS, tweaked, taproot_sighash(tx, 0, spent, 0))
    assert verify_input(tx.with_witness(0, [sig]), 0, spent).ok
    # the untweaked session's signature is no key-path signature
    untweaked = _run_session(SIGNERS, ctx, taproot_sighash(tx, 0, spent, 0))
    assert not verify_input(tx.with_witness(0, [untweaked]), 0, spent).ok


def test_key_order_matters_unless_sorted():
    pks = [individual_pk(sk) for sk in SIGNERS]
    assert key_agg(pks).xonly_pk != key_agg(pks[::-1]).xonly_pk
    assert key_agg(key_sort(pks)).xonly_pk == key_agg(key_sort(pks[::-1])).xonly_pk


# --- the secret nonce signs once -------------------------------------------------------


def _one_signer_session(msg: bytes = b"\x07" * 32):
    sk = SIGNERS[0]
    ctx = key_agg([individual_pk(sk)])
    secnonce, pubnonce = nonce_gen(sk, ctx, msg)
    return sk, ctx, secnonce, SessionContext(nonce_agg([pubnonce]), ctx, msg)


REUSE_SCRIPT = textwrap.dedent(
    """
    from taptrees.musig2 import *
    sk = bytes([1]) * 32
    msg = bytes([7]) * 32
    ctx = key_agg([individual_pk(sk)])
    secnonce, pubnonce = nonce_gen(sk, ctx, msg)
    session = SessionContext(nonce_agg([pubnonce]), ctx, msg)
    sign(secnonce, sk, session)
    print("first signature made", flush=True)
    sign(secnonce, sk, session)
    print("second signature made")
    """
)

RAW_REUSE_SCRIPT = textwrap.dedent(
    """
    from taptrees.musig2 import *
    from taptrees.musig2 import _secp
    sk = bytes([1]) * 32
    msg = bytes([7]) * 32
    ctx = key_agg([individual_pk(sk)])
    secnonce, pubnonce = nonce_gen(sk, ctx, msg)
    session = SessionContext(nonce_agg([pubnonce]), ctx, msg)
    cdata = secnonce._SecNonce__cdata  # reaching past the layer, on purpose
    pair = _secp.keypair(sk)
    _secp.partial_sign(cdata, pair, ctx.cache, session.session)
    print("first signature made", flush=True)
    _secp.partial_sign(cdata, pair, ctx.cache, session.session)
    """
)


def _python(script: str) -> subprocess.CompletedProcess:
    def no_core_dump():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=no_core_dump,
    )


def test_nonce_reuse_is_a_python_error_not_an_abort():
    """Through this layer a second signature with one nonce is a NonceReuseError
    (exit 1, the message on stderr); straight into libsecp256k1 the same mistake
    aborts the whole process (SIGABRT, rc 134 in a shell)."""
    guarded = _python(REUSE_SCRIPT)
    assert guarded.returncode == 1, guarded.stderr
    assert "first signature made" in guarded.stdout
    assert "second signature made" not in guarded.stdout
    assert "NonceReuseError: this secret nonce has already been used" in guarded.stderr
    raw = _python(RAW_REUSE_SCRIPT)
    assert "first signature made" in raw.stdout
    assert raw.returncode == -6, raw.stderr  # killed by SIGABRT
    assert "illegal argument" in raw.stderr


def test_secret_nonce_cannot_be_copied_pickled_or_read():
    sk, ctx, secnonce, session = _one_signer_session()
    for attempt in (
        lambda: pickle.dumps(secnonce),
        lambda: copy.copy(secnonce),
        lambda: copy.deepcopy(secnonce),
        lambda: bytes(secnonce),
        lambda: memoryview(secnonce),
    ):
        with pytest.raises(TypeError):
            attempt()
    assert not hasattr(secnonce, "__dict__")
    shown = repr(secnonce) + str(secnonce)
    assert "unused" in shown and secnonce.pk.hex() in shown
    assert len(bytes.fromhex(shown.split("pubnonce=")[1].split(",")[0])) == 66  # only public data
    sign(secnonce, sk, session)
    assert secnonce.used and "used" in repr(secnonce)


def test_secret_nonce_is_zeroed_after_use():
    sk, ctx, secnonce, session = _one_signer_session()
    cdata = secnonce._SecNonce__cdata  # the test looks inside, once, to check the wipe
    assert bytes(_secp.ffi.buffer(cdata)) != bytes(_secp.SECNONCE_SIZE)
    sign(secnonce, sk, session)
    assert bytes(_secp.ffi.buffer(cdata)) == bytes(_secp.SECNONCE_SIZE)
    _, _, abandoned, _ = _one_signer_session()
    cdata = abandoned._SecNonce__cdata
    abandoned.wipe()
    assert abandoned.used and bytes(_secp.ffi.buffer(cdata)) == bytes(_secp.SECNONCE_SIZE)
    with pytest.raises(NonceReuseError):
        sign(abandoned, sk, session)


def test_two_threads_racing_get_one_signature():
    sk, ctx, secnonce, session = _one_signer_session()
    results, barrier = [], threading.Barrier(8)

    def attempt():
        barrier.wait()
        try:
            results.append(sign(secnonce, sk, session))
        except NonceReuseError:
            results.append(None)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1 and len(results) == 8


def test_a_forked_child_cannot_use_its_copy():
    sk, ctx, secnonce, session = _one_signer_session()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            sign(secnonce, sk, session)
            os._exit(0)
        except NonceReuseError as exc:
            os._exit(3 if "forked copy never signs" in str(exc) else 4)
        except BaseException:
            os._exit(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    sign(secnonce, sk, session)  # the parent's nonce is still good, once


def test_sign_refuses_a_mismatched_session_and_keeps_the_nonce():
    """Preconditions checked before the nonce is touched (libsecp256k1 would abort
    on a foreign key): the nonce stays usable for its own session."""
    sk, ctx, secnonce, session = _one_signer_session()
    with pytest.raises(InputError, match="not the one the nonce was generated for"):
        sign(secnonce, SIGNERS[1], session)
    other_msg = SessionContext(session.aggnonce, ctx, b"\x08" * 32)
    with pytest.raises(InputError, match="another aggregate key or message"):
        sign(secnonce, sk, other_msg)
    two = key_agg([individual_pk(sk), individual_pk(SIGNERS[1])])
    with pytest.raises(InputError, match="another aggregate key or message"):
        sign(secnonce, sk, SessionContext(session.aggnonce, two, session.msg))
    outsider = key_agg([individual_pk(SIGNERS[1])])
    with pytest.raises(InputError, match="must be included in the list of pubkeys"):
        sign(secnonce, sk, SessionContext(session.aggnonce, outsider, session.msg))
    assert not secnonce.used
    assert schnorr_verify(ctx.xonly_pk, session.msg, partial_sig_agg([sign(secnonce, sk, session)], session))


def test_nonce_gen_preconditions():
    ctx = _committee()
    with pytest.raises(InputError, match="must be included"):
        nonce_gen(b"\x09" * 32, ctx, bytes(32))
    with pytest.raises(InputError, match="32-byte messages"):
        nonce_gen(SIGNERS[0], ctx, b"\x00" * 31)
    with pytest.raises(InputError, match="extra_in"):
        nonce_gen(SIGNERS[0], ctx, bytes(32), extra_in=b"\x01")
    with pytest.raises(InputError, match="secret key"):
        nonce_gen(bytes(32), ctx, bytes(32))


def test_fresh_nonces_for_the_same_inputs_differ():
    """Randomness, not the inputs, makes the nonce: the same signer, key and
    message give a new public nonce each time (nothing shared between inputs or
    retries can repeat a nonce)."""
    ctx = _committee()
    pubnonces = {nonce_gen(SIGNERS[0], ctx, bytes(32))[1] for _ in range(20)}
    assert len(pubnonces) == 20


# --- blame -----------------------------------------------------------------------------


def test_a_wrong_partial_signature_is_blamed_on_its_signer():
    ctx = _committee()
    msg = b"\x11" * 32
    order = [SIGNERS[[individual_pk(s) for s in SIGNERS].index(pk)] for pk in ctx.pubkeys]
    nonces = [nonce_gen(sk, ctx, msg) for sk in order]
    pubnonces = [p for _, p in nonces]
    session = SessionContext(nonce_agg(pubnonces), ctx, msg)
    psigs = [sign(sec, sk, session) for (sec, _), sk in zip(nonces, order, strict=True)]
    cheat = 3
    bad = bytes(a ^ b for a, b in zip(psigs[cheat], b"\x00" * 31 + b"\x01", strict=True))
    psigs[cheat] = bad
    verdicts = [partial_sig_verify(p, pubnonces, list(ctx.pubkeys), [], [], msg, i) for i, p in enumerate(psigs)]
    assert verdicts == [i != cheat for i in range(5)]
    assert not schnorr_verify(ctx.xonly_pk, msg, partial_sig_agg(psigs, session))
    # a partial signature out of range is blamed at aggregation too
    psigs[cheat] = b"\xff" * 32
    with pytest.raises(InvalidContributionError) as excinfo:
        partial_sig_agg(psigs, session)
    assert (excinfo.value.signer, excinfo.value.contrib) == (cheat, "psig")
    assert "signer 3" in str(excinfo.value)


def test_invalid_contributions_name_who_sent_them():
    pks = [individual_pk(sk) for sk in SIGNERS[:3]]
    with pytest.raises(InvalidContributionError) as excinfo:
        key_agg([pks[0], b"\x02" + b"\x00" * 31 + b"\x05", pks[2]])
    assert (excinfo.value.signer, excinfo.value.contrib) == (1, "pubkey")
    with pytest.raises(InvalidContributionError) as excinfo:
        key_agg([pks[0], pks[1][:32]])
    assert excinfo.value.signer == 1
    ctx = key_agg(pks)
    good = nonce_gen(SIGNERS[0], ctx, bytes(32))[1]
    with pytest.raises(InvalidContributionError) as excinfo:
        nonce_agg([good, good, good[:65]])
    assert (excinfo.value.signer, excinfo.value.contrib) == (2, "pubnonce")
    with pytest.raises(InvalidContributionError) as excinfo:
        SessionContext(b"\x04" + bytes(65), ctx, bytes(32))
    assert (excinfo.value.signer, excinfo.value.contrib) == (None, "aggnonce")
    assert "nonce aggregator" in str(excinfo.value)


def test_tweak_preconditions():
    ctx = _committee()
    with pytest.raises(InputError, match="32 bytes"):
        apply_tweak(ctx, b"\x01" * 31, True)
    with pytest.raises(InputError, match="less than n"):
        apply_tweak(ctx, b"\xff" * 32, False)
    with pytest.raises(InputError, match="tweak modes"):
        key_agg_and_tweak(list(ctx.pubkeys), [bytes(32)], [])


# --- libsecp256k1 against the reference ------------------------------------------------


def _libsecp_nonce(rand: bytes, sk: bytes, ctx, msg: bytes, extra: bytes | None) -> SecNonce:
    """libsecp256k1's nonce for a chosen seed (the public API never takes one)."""
    pk = individual_pk(sk)
    cdata = _secp.new_secnonce()
    secrand = _secp.ffi.new("unsigned char[32]", rand)
    pubnonce = _secp.nonce_gen(cdata, secrand, sk, _secp.parse_pubkey(pk), msg, ctx.cache, extra)
    return SecNonce(cdata, pk, pubnonce, ctx.xonly_pk, msg)


@pytest.mark.parametrize("seed", range(6))
def test_libsecp256k1_and_reference_agree_on_random_sessions(seed):
    """Sampled: 6 random sessions of 1-4 signers (duplicates allowed), 0-3 random
    plain/x-only tweaks, random message and extra input.  From the same seed both
    give the same public nonce and the same partial signature, and each accepts
    the other's; the aggregate signatures are equal and valid BIP340."""
    rng = random.Random(seed)
    sks = [rng.randbytes(32) for _ in range(rng.randint(1, 4))]
    if len(sks) > 2 and rng.random() < 0.5:
        sks[-1] = sks[0]  # the same key twice: KeyAgg's second-key rule
    pubkeys = [individual_pk(sk) for sk in sks]
    tweaks = [rng.randbytes(32) for _ in range(rng.randint(0, 3))]
    modes = [rng.random() < 0.5 for _ in tweaks]
    msg = rng.randbytes(32)
    ctx = key_agg_and_tweak(pubkeys, tweaks, modes)
    ref_ctx = ref.key_agg_and_tweak(pubkeys, tweaks, modes)
    assert ctx.plain_pk == ref.get_plain_pk(ref_ctx)

    rands = [rng.randbytes(32) for _ in sks]
    extras = [rng.choice([None, rng.randbytes(32)]) for _ in sks]
    ours = [_libsecp_nonce(r, sk, ctx, msg, x) for r, sk, x in zip(rands, sks, extras, strict=True)]
    theirs = [
        ref.nonce_gen_internal(r, sk, pk, ctx.xonly_pk, msg, x)
        for r, sk, pk, x in zip(rands, sks, pubkeys, extras, strict=True)
    ]
    pubnonces = [n.pubnonce for n in ours]
    assert pubnonces == [p for _, p in theirs]
    aggnonce = nonce_agg(pubnonces)
    assert aggnonce == ref.nonce_agg(pubnonces)

    session = SessionContext(aggnonce, ctx, msg)
    ref_session = ref.SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(modes), msg)
    psigs = [sign(n, sk, session) for n, sk in zip(ours, sks, strict=True)]
    ref_psigs = [ref.sign(sec, sk, ref_session) for (sec, _), sk in zip(theirs, sks, strict=True)]
    assert psigs == ref_psigs
    for i, psig in enumerate(psigs):
        assert ref.partial_sig_verify(psig, pubnonces, pubkeys, tweaks, modes, msg, i)
        assert partial_sig_verify(psig, pubnonces, pubkeys, tweaks, modes, msg, i)
    sig = partial_sig_agg(psigs, session)
    assert sig == ref.partial_sig_agg(ref_psigs, ref_session)
    assert schnorr_verify(ctx.xonly_pk, msg, sig)

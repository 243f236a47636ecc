"""BIP327 sessions: partial signing, partial-signature verification, aggregation
(libsecp256k1).

A :class:`SessionContext` is BIP327's Session Context ``(aggnonce, pk_1..u,
tweak_1..v, is_xonly_t_1..v, m)``, the keys and tweaks carried by its
:class:`KeyAggContext`, and holds libsecp256k1's processed ``musig_session`` (the
values of GetSessionValues).  Messages are 32 bytes (sighashes): libsecp256k1's
API takes no other length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from taptrees.errors import InputError
from taptrees.musig2 import _secp
from taptrees.musig2.errors import InvalidContributionError
from taptrees.musig2.keyagg import KeyAggContext, individual_pk, key_agg_and_tweak
from taptrees.musig2.nonces import SecNonce, nonce_agg
from taptrees.musig2.types import MSG_SIZE, NONCE_SIZE, AggNonce, PartialSig, PlainPk


@dataclass(frozen=True)
class SessionContext:
    """The public state of one signing session, the same for every signer."""

    aggnonce: AggNonce
    keyagg_ctx: KeyAggContext
    msg: bytes
    session: bytes = field(init=False, repr=False)  # libsecp256k1's secp256k1_musig_session

    def __post_init__(self) -> None:
        if len(self.msg) != MSG_SIZE:
            raise InputError(f"MuSig2 signing here takes 32-byte messages, got {len(self.msg)}")
        aggnonce = _secp.parse_aggnonce(bytes(self.aggnonce))
        if aggnonce is None:
            detail = f"must be {NONCE_SIZE} bytes of two points (or zeros)"
            raise InvalidContributionError(None, "aggnonce", detail)
        processed = _secp.nonce_process(aggnonce, bytes(self.msg), self.keyagg_ctx.cache)
        object.__setattr__(self, "session", processed)

    @property
    def pubkeys(self) -> tuple[PlainPk, ...]:
        return self.keyagg_ctx.pubkeys


def _member(session_ctx: SessionContext, pk: bytes) -> None:
    """GetSessionKeyAggCoeff's precondition: the key is one of the session's."""
    if pk not in session_ctx.pubkeys:
        raise InputError("The signer's pubkey must be included in the list of pubkeys.")


def sign(secnonce: SecNonce, sk: bytes, session_ctx: SessionContext) -> PartialSig:
    """Sign: the partial signature of the signer whose secret key is ``sk``.

    Consumes ``secnonce`` (a second use raises :class:`NonceReuseError`).  Before
    consuming it, refuses (as broken preconditions, leaving the nonce unused) a
    secret key other than the nonce's signer, a signer not in the session, and a
    session for another aggregate key or message than the nonce was made for.
    As BIP327 recommends, the partial signature is verified before it is returned.
    """
    pk = individual_pk(sk)
    if pk != secnonce.pk:
        raise InputError("the secret key is not the one the nonce was generated for")
    _member(session_ctx, pk)
    if secnonce.aggpk != session_ctx.keyagg_ctx.xonly_pk or secnonce.msg != session_ctx.msg:
        raise InputError("the nonce was generated for another aggregate key or message")
    pair = _secp.keypair(bytes(sk))
    try:
        with secnonce.consume() as cdata:
            psig = _secp.partial_sign(cdata, pair, session_ctx.keyagg_ctx.cache, session_ctx.session)
    finally:
        _secp.wipe(pair)
    if psig is None:  # pragma: no cover - every refusal was checked above
        raise InputError("libsecp256k1 refused to sign")
    if not partial_sig_verify_internal(psig, secnonce.pubnonce, pk, session_ctx):
        raise AssertionError("own partial signature does not verify (computation fault)")
    return PartialSig(psig)


def partial_sig_verify_internal(
    psig: bytes,
    pubnonce: bytes,
    pk: bytes,
    session_ctx: SessionContext,
    signer: int | None = None,
) -> bool:
    """PartialSigVerifyInternal: does ``psig`` verify for the signer with
    individual key ``pk`` and public nonce ``pubnonce`` in this session?

    False for a wrong or out-of-range signature.  An unparsable ``pubnonce`` or
    ``pk`` raises :class:`InvalidContributionError` naming ``signer`` (its index,
    when the caller knows it).
    """
    nonce = _secp.parse_pubnonce(bytes(pubnonce))
    if nonce is None:
        raise InvalidContributionError(signer, "pubnonce", "not two compressed points")
    pubkey = _secp.parse_pubkey(bytes(pk))
    if pubkey is None:
        raise InvalidContributionError(signer, "pubkey", f"{bytes(pk).hex()} is not a point")
    _member(session_ctx, pk)
    sig = _secp.parse_partial_sig(bytes(psig))
    if sig is None:
        return False
    return _secp.partial_sig_verify(sig, nonce, pubkey, session_ctx.keyagg_ctx.cache, session_ctx.session)


def partial_sig_verify(
    psig: bytes,
    pubnonces: Sequence[bytes],
    pubkeys: Sequence[bytes],
    tweaks: Sequence[bytes],
    is_xonly: Sequence[bool],
    msg: bytes,
    i: int,
) -> bool:
    """PartialSigVerify: does signer ``i``'s ``psig`` verify, given everyone's public
    nonces and keys?  Invalid nonces and keys name the signer who sent them."""
    if len(pubnonces) != len(pubkeys):
        raise InputError(f"{len(pubnonces)} public nonces for {len(pubkeys)} public keys")
    if not 0 <= i < len(pubkeys):
        raise InputError(f"signer index {i} out of range ({len(pubkeys)} signers)")
    aggnonce = nonce_agg(pubnonces)
    keyagg_ctx = key_agg_and_tweak(pubkeys, tweaks, is_xonly)
    session_ctx = SessionContext(aggnonce, keyagg_ctx, bytes(msg))
    return partial_sig_verify_internal(psig, pubnonces[i], pubkeys[i], session_ctx, signer=i)


def partial_sig_agg(psigs: Sequence[bytes], session_ctx: SessionContext) -> bytes:
    """PartialSigAgg: the 64-byte BIP340 signature ``xbytes(R) || bytes(32, s)``.

    An out-of-range partial signature raises :class:`InvalidContributionError`
    naming its index.  The result is only sure to verify when every partial
    signature passed :func:`partial_sig_verify`.
    """
    if not 0 < len(psigs) < 2**32:
        raise InputError("signature aggregation needs at least one partial signature")
    parsed = []
    for i, psig in enumerate(psigs):
        sig = _secp.parse_partial_sig(bytes(psig))
        if sig is None:
            raise InvalidContributionError(i, "psig", "not a scalar below n")
        parsed.append(sig)
    return _secp.partial_sig_agg(session_ctx.session, parsed)

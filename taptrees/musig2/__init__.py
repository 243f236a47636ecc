"""BIP327 MuSig2: n-of-n Schnorr multi-signatures whose result is one BIP340 key
and one BIP340 signature.

The production path is libsecp256k1's musig module (through coincurve 21's cffi
layer); :mod:`taptrees.musig2.reference` is a pure-Python twin written from the
BIP text, used only to cover what libsecp256k1's API cannot express (explicit
nonce randomness, imported secret nonces, deterministic signing, messages that
are not 32 bytes) and to cross-check libsecp256k1.

Module map:

* ``types``    -- ``PlainPk``, ``XonlyPk``, ``PubNonce``, ``AggNonce``, ``PartialSig``
* ``errors``   -- ``InvalidContributionError(signer, contrib)``, ``NonceReuseError``
* ``keyagg``   -- ``key_sort``, ``key_agg``, ``apply_tweak``, ``KeyAggContext``
* ``nonces``   -- ``nonce_gen``, ``nonce_agg``, ``SecNonce`` (signs once)
* ``signing``  -- ``SessionContext``, ``sign``, ``partial_sig_verify``, ``partial_sig_agg``
* ``reference`` -- the pure-Python reference (never for real keys)

A session, for signers ``sks`` over a 32-byte ``msg``::

    ctx = key_agg(key_sort([individual_pk(sk) for sk in sks]))
    nonces = [nonce_gen(sk, ctx, msg) for sk in sks]          # round 1
    session = SessionContext(nonce_agg([p for _, p in nonces]), ctx, msg)
    psigs = [sign(sec, sk, session) for (sec, _), sk in zip(nonces, sks)]  # round 2
    sig = partial_sig_agg(psigs, session)   # BIP340 signature for ctx.xonly_pk
"""

from taptrees.musig2.errors import InvalidContributionError, NonceReuseError
from taptrees.musig2.keyagg import (
    KeyAggContext,
    Tweak,
    apply_tweak,
    get_plain_pk,
    get_xonly_pk,
    individual_pk,
    key_agg,
    key_agg_and_tweak,
    key_sort,
)
from taptrees.musig2.nonces import SecNonce, nonce_agg, nonce_gen
from taptrees.musig2.signing import (
    SessionContext,
    partial_sig_agg,
    partial_sig_verify,
    partial_sig_verify_internal,
    sign,
)
from taptrees.musig2.types import AggNonce, PartialSig, PlainPk, PubNonce, XonlyPk

__all__ = [
    "AggNonce",
    "InvalidContributionError",
    "KeyAggContext",
    "NonceReuseError",
    "PartialSig",
    "PlainPk",
    "PubNonce",
    "SecNonce",
    "SessionContext",
    "Tweak",
    "XonlyPk",
    "apply_tweak",
    "get_plain_pk",
    "get_xonly_pk",
    "individual_pk",
    "key_agg",
    "key_agg_and_tweak",
    "key_sort",
    "nonce_agg",
    "nonce_gen",
    "partial_sig_agg",
    "partial_sig_verify",
    "partial_sig_verify_internal",
    "sign",
]

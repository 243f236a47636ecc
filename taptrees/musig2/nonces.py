"""BIP327 nonce generation and aggregation, and the secret nonce that signs once.

libsecp256k1 keeps a signer's secret nonce in an opaque ``secp256k1_musig_secnonce``
that ``musig_partial_sign`` zeroes, and it *aborts the process* if it is given a
zeroed (used) one.  :class:`SecNonce` owns that structure and makes reuse a Python
error instead: it can be consumed exactly once, it has no way to read its bytes
out, it refuses to be copied or pickled, its ``repr`` shows only public facts, a
forked child process cannot use its copy, and it is zeroed on use and on deletion.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from taptrees.errors import InputError
from taptrees.musig2 import _secp
from taptrees.musig2.errors import InvalidContributionError, NonceReuseError
from taptrees.musig2.keyagg import KeyAggContext, individual_pk
from taptrees.musig2.types import MSG_SIZE, AggNonce, PlainPk, PubNonce, XonlyPk


class SecNonce:
    """A signer's secret nonce ``(k1, k2, pk)`` inside libsecp256k1, usable for one
    partial signature.

    Public facts ride along so that signing can refuse a session the nonce was
    not made for: the signer's key ``pk``, the ``pubnonce`` it sent, and the
    aggregate key and message it was generated for.
    """

    __slots__ = ("__aggpk", "__cdata", "__lock", "__msg", "__pid", "__pk", "__pubnonce")

    def __init__(self, cdata, pk: PlainPk, pubnonce: PubNonce, aggpk: XonlyPk, msg: bytes):
        self.__cdata = cdata
        self.__lock = threading.Lock()
        self.__pid = os.getpid()
        self.__pk = pk
        self.__pubnonce = pubnonce
        self.__aggpk = aggpk
        self.__msg = msg

    @property
    def pk(self) -> PlainPk:
        """The individual key of the signer the nonce was made for."""
        return self.__pk

    @property
    def pubnonce(self) -> PubNonce:
        """The public nonce that went out with it."""
        return self.__pubnonce

    @property
    def aggpk(self) -> XonlyPk:
        """The (tweaked) aggregate key it was generated for."""
        return self.__aggpk

    @property
    def msg(self) -> bytes:
        """The message it was generated for (it signs nothing else)."""
        return self.__msg

    @property
    def used(self) -> bool:
        """True once the nonce has signed (or was wiped)."""
        return self.__cdata is None

    @contextmanager
    def consume(self) -> Iterator[object]:
        """Hand the libsecp256k1 structure to one signing call, then wipe it.

        Marks the nonce used *before* yielding, under a lock, so two threads or a
        second call can never both get it; a second use raises
        :class:`NonceReuseError`.
        """
        with self.__lock:
            cdata = self.__cdata
            if cdata is None:
                raise NonceReuseError(
                    "this secret nonce has already been used: a MuSig2 nonce signs once "
                    "(start a new session with a fresh nonce)"
                )
            if os.getpid() != self.__pid:
                self.__cdata = None
                raise NonceReuseError(f"this secret nonce was made in process {self.__pid}; a forked copy never signs")
            self.__cdata = None
        try:
            yield cdata
        finally:
            _secp.wipe(cdata)

    def wipe(self) -> None:
        """Destroy the nonce unused (a session abandoned before signing)."""
        with self.__lock:
            cdata, self.__cdata = self.__cdata, None
        if cdata is not None:
            _secp.wipe(cdata)

    def __del__(self) -> None:
        try:
            self.wipe()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "used" if self.used else "unused"
        return f"SecNonce(pk={self.pk.hex()}, pubnonce={self.pubnonce.hex()}, {state})"

    def __reduce_ex__(self, protocol):
        raise TypeError("a secret nonce cannot be pickled or copied (it would sign twice)")

    def __copy__(self):
        raise TypeError("a secret nonce cannot be copied (it would sign twice)")

    def __deepcopy__(self, memo):
        raise TypeError("a secret nonce cannot be copied (it would sign twice)")


def nonce_gen(
    sk: bytes, keyagg_ctx: KeyAggContext, msg: bytes, extra_in: bytes | None = None
) -> tuple[SecNonce, PubNonce]:
    """NonceGen(sk, pk, aggpk, m, extra_in) with fresh randomness from the OS.

    Every optional input of the BIP is given: the signer's secret key (its
    individual key ``pk`` is derived from it and must be one of the context's
    keys), the aggregate key of ``keyagg_ctx`` (tweaks included) and the 32-byte
    message.  ``extra_in`` (32 bytes) is further optional input.  One call gives
    one nonce for one message: each input (each sighash) needs its own call.
    """
    pk = individual_pk(sk)
    if pk not in keyagg_ctx.pubkeys:
        raise InputError("The signer's pubkey must be included in the list of pubkeys.")
    if len(msg) != MSG_SIZE:
        raise InputError(f"MuSig2 signing here takes 32-byte messages (sighashes), got {len(msg)}")
    if extra_in is not None and len(extra_in) != 32:
        raise InputError(f"extra_in must be 32 bytes, got {len(extra_in)}")
    secnonce = _secp.new_secnonce()
    secrand = _secp.secrand_from_os()
    pubnonce = _secp.nonce_gen(
        secnonce,
        secrand,
        bytes(sk),
        _secp.parse_pubkey(pk),
        bytes(msg),
        keyagg_ctx.cache,
        None if extra_in is None else bytes(extra_in),
    )
    _secp.wipe(secrand)
    if pubnonce is None:  # pragma: no cover - an all-zero draw from the OS
        _secp.wipe(secnonce)
        raise InputError("libsecp256k1 refused the nonce seed (the OS returned zeros)")
    public = PubNonce(pubnonce)
    return SecNonce(secnonce, pk, public, keyagg_ctx.xonly_pk, bytes(msg)), public


def nonce_agg(pubnonces: Sequence[bytes]) -> AggNonce:
    """NonceAgg: ``cbytes_ext(sum R_i1) || cbytes_ext(sum R_i2)``.

    An invalid public nonce raises :class:`InvalidContributionError` naming its
    index (the signer who sent it).
    """
    if not 0 < len(pubnonces) < 2**32:
        raise InputError("nonce aggregation needs at least one public nonce")
    parsed = []
    for i, pubnonce in enumerate(pubnonces):
        nonce = _secp.parse_pubnonce(bytes(pubnonce))
        if nonce is None:
            raise InvalidContributionError(i, "pubnonce", "not two compressed points")
        parsed.append(nonce)
    return AggNonce(_secp.nonce_agg(parsed))

"""BIP327 key generation, sorting, aggregation and tweaking (libsecp256k1).

A :class:`KeyAggContext` is BIP327's KeyAgg Context ``(Q, gacc, tacc)``, held as
libsecp256k1's ``musig_keyagg_cache`` (which may be copied freely) together with the
individual keys and tweaks it was made from, so that a session can check that a
signer belongs to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from taptrees.errors import InputError
from taptrees.keys import SECP256K1_ORDER
from taptrees.musig2 import _secp
from taptrees.musig2.errors import InvalidContributionError
from taptrees.musig2.types import PLAIN_PK_SIZE, PlainPk, XonlyPk


@dataclass(frozen=True)
class Tweak:
    """One tweak of the aggregate key: ``Q' = g*Q + t*G`` where ``g`` negates an
    odd-y ``Q`` for an x-only tweak (BIP341 TapTweak) and is 1 for a plain tweak
    (BIP32)."""

    tweak: bytes
    is_xonly: bool


@dataclass(frozen=True)
class KeyAggContext:
    """BIP327 KeyAgg Context: the (possibly tweaked) aggregate key of ``pubkeys``."""

    pubkeys: tuple[PlainPk, ...]
    tweaks: tuple[Tweak, ...]
    cache: bytes = field(repr=False)  # libsecp256k1's secp256k1_musig_keyagg_cache

    @property
    def plain_pk(self) -> PlainPk:
        """GetPlainPubkey: ``cbytes(Q)``."""
        return PlainPk(_secp.pubkey_get(self.cache))

    @property
    def xonly_pk(self) -> XonlyPk:
        """GetXonlyPubkey: ``xbytes(Q)``, the key a tapscript or taproot output holds."""
        return XonlyPk(self.plain_pk[1:])


def individual_pk(sk: bytes) -> PlainPk:
    """IndividualPubkey: ``cbytes(d*G)``; a broken precondition for a bad key."""
    pair = _secp.keypair(sk)
    if pair is None:
        raise InputError("secret key must be 32 bytes in [1, n-1]")
    pubkey = _secp.ffi.new("secp256k1_pubkey *")
    _secp.lib.secp256k1_keypair_pub(_secp.CTX, pubkey, pair)
    _secp.wipe(pair)
    return PlainPk(_secp.serialize_pubkey(pubkey))


def key_sort(pubkeys: Sequence[bytes]) -> list[PlainPk]:
    """KeySort: the keys in lexicographical order of their 33-byte encodings."""
    for i, pk in enumerate(pubkeys):
        if len(pk) != PLAIN_PK_SIZE:
            raise InputError(f"public key {i} must be 33 bytes (compressed), got {len(pk)}")
    return sorted(PlainPk(bytes(pk)) for pk in pubkeys)


def key_agg(pubkeys: Sequence[bytes]) -> KeyAggContext:
    """KeyAgg: the aggregate of ``pubkeys`` in the given order (sort them with
    :func:`key_sort` first if their order should not matter).

    An invalid key raises :class:`InvalidContributionError` naming its index.
    """
    if not 0 < len(pubkeys) < 2**32:
        raise InputError("key aggregation needs at least one public key")
    parsed = []
    for i, pk in enumerate(pubkeys):
        point = _secp.parse_pubkey(bytes(pk))
        if point is None:
            raise InvalidContributionError(i, "pubkey", f"{bytes(pk).hex()} is not a compressed point")
        parsed.append(point)
    cache = _secp.pubkey_agg(parsed)
    if cache is None:  # pragma: no cover - Q at infinity has negligible probability
        raise InputError("the aggregate public key is the point at infinity")
    return KeyAggContext(tuple(PlainPk(bytes(pk)) for pk in pubkeys), (), cache)


def apply_tweak(keyagg_ctx: KeyAggContext, tweak: bytes, is_xonly: bool) -> KeyAggContext:
    """ApplyTweak: a new context for the key tweaked by ``tweak`` (32 bytes)."""
    if len(tweak) != 32:
        raise InputError(f"a tweak must be 32 bytes, got {len(tweak)}")
    if int.from_bytes(tweak, "big") >= SECP256K1_ORDER:
        raise InputError("The tweak must be less than n.")
    cache = _secp.pubkey_tweak_add(keyagg_ctx.cache, bytes(tweak), is_xonly)
    if cache is None:
        raise InputError("The result of tweaking cannot be infinity.")
    tweaks = (*keyagg_ctx.tweaks, Tweak(bytes(tweak), bool(is_xonly)))
    return KeyAggContext(keyagg_ctx.pubkeys, tweaks, cache)


def key_agg_and_tweak(
    pubkeys: Sequence[bytes], tweaks: Sequence[bytes] = (), is_xonly: Sequence[bool] = ()
) -> KeyAggContext:
    """KeyAgg followed by ApplyTweak for each ``(tweaks[i], is_xonly[i])`` in order."""
    if len(tweaks) != len(is_xonly):
        raise InputError(f"{len(tweaks)} tweaks but {len(is_xonly)} tweak modes")
    ctx = key_agg(pubkeys)
    for tweak, xonly in zip(tweaks, is_xonly, strict=True):
        ctx = apply_tweak(ctx, tweak, xonly)
    return ctx


def get_xonly_pk(keyagg_ctx: KeyAggContext) -> XonlyPk:
    """GetXonlyPubkey (BIP327's name for :attr:`KeyAggContext.xonly_pk`)."""
    return keyagg_ctx.xonly_pk


def get_plain_pk(keyagg_ctx: KeyAggContext) -> PlainPk:
    """GetPlainPubkey (BIP327's name for :attr:`KeyAggContext.plain_pk`)."""
    return keyagg_ctx.plain_pk

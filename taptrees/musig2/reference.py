"""REFERENCE ONLY -- BIP327 MuSig2 in pure Python, written from the algorithm text
of BIP327 (version 1.0.x).  Not constant time, slow, and never to be used with
real keys: the production path is libsecp256k1 (the other modules here).

It exists to cover what libsecp256k1's API cannot express, so that every BIP327
test vector runs somewhere:

* NonceGen with an explicit ``rand'`` and with optional inputs left out, and
  messages or ``extra_in`` of any length (libsecp256k1 draws nothing itself but
  takes 32-byte messages and a keyagg cache, not an arbitrary ``aggpk``);
* Sign with a secret nonce given as BIP327's 97 bytes (libsecp256k1's secret nonce
  is opaque, by design, and cannot be imported);
* DeterministicSign (not in libsecp256k1);
* messages that are not 32 bytes.

The tests check it against the vectors and against libsecp256k1 on random
inputs (same ``rand'`` gives the same public nonce; same nonce gives the same
partial signature; each verifies the other's partial signatures).

Points are affine ``(x, y)`` tuples with ``None`` for the point at infinity.
Errors follow the BIP: a broken precondition is an ``InputError`` (BIP327's
ValueError, with its words where the vectors quote them); an invalid contribution
is an ``InvalidContributionError(signer, contrib)``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.hashes import tagged_hash
from taptrees.musig2.errors import InvalidContributionError

Point = tuple[int, int] | None

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G: Point = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)


# --- the BIP's notation ----------------------------------------------------------------


def point_add(a: Point, b: Point) -> Point:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def point_mul(point: Point, k: int) -> Point:
    result: Point = None
    for bit in reversed(range(k.bit_length())):
        result = point_add(result, result)
        if (k >> bit) & 1:
            result = point_add(result, point)
    return result


def point_neg(point: Point) -> Point:
    return None if point is None else (point[0], (P - point[1]) % P)


def has_even_y(point: Point) -> bool:
    assert point is not None
    return point[1] % 2 == 0


def xbytes(point: Point) -> bytes:
    assert point is not None
    return point[0].to_bytes(32, "big")


def cbytes(point: Point) -> bytes:
    return (b"\x02" if has_even_y(point) else b"\x03") + xbytes(point)


def cbytes_ext(point: Point) -> bytes:
    return bytes(33) if point is None else cbytes(point)


def lift_x(x: int) -> Point:
    """The point with x coordinate ``x`` and even y, or None."""
    if x >= P:
        return None
    c = (pow(x, 3, P) + 7) % P
    y = pow(c, (P + 1) // 4, P)
    if y * y % P != c:
        return None
    return x, y if y % 2 == 0 else P - y


def cpoint(data: bytes) -> Point:
    """The point of a compressed encoding, or None (the caller assigns blame)."""
    if len(data) != 33 or data[0] not in (2, 3):
        return None
    point = lift_x(int.from_bytes(data[1:], "big"))
    if point is None:
        return None
    return point if data[0] == 2 else point_neg(point)


def cpoint_ext(data: bytes) -> Point | bool:
    """``cpoint`` that maps 33 zero bytes to infinity; False when invalid."""
    if data == bytes(33):
        return None
    point = cpoint(data)
    return False if point is None else point


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


# --- keys ------------------------------------------------------------------------------


def individual_pk(sk: bytes) -> bytes:
    d = _int(sk)
    if len(sk) != 32 or not 0 < d < N:
        raise InputError("The secret key must be an integer in the range 1..n-1.")
    return cbytes(point_mul(G, d))


def key_sort(pubkeys: Sequence[bytes]) -> list[bytes]:
    return sorted(pubkeys)


@dataclass(frozen=True)
class KeyAggContext:
    """``(Q, gacc, tacc)``."""

    q: Point
    gacc: int
    tacc: int


def hash_keys(pubkeys: Sequence[bytes]) -> bytes:
    return tagged_hash("KeyAgg list", b"".join(pubkeys))


def get_second_key(pubkeys: Sequence[bytes]) -> bytes:
    for pk in pubkeys:
        if pk != pubkeys[0]:
            return pk
    return bytes(33)


def key_agg_coeff(pubkeys: Sequence[bytes], pk: bytes) -> int:
    return key_agg_coeff_internal(pubkeys, pk, get_second_key(pubkeys))


def key_agg_coeff_internal(pubkeys: Sequence[bytes], pk: bytes, pk2: bytes) -> int:
    if pk == pk2:
        return 1
    return _int(tagged_hash("KeyAgg coefficient", hash_keys(pubkeys) + pk)) % N


def key_agg(pubkeys: Sequence[bytes]) -> KeyAggContext:
    pk2 = get_second_key(pubkeys)
    q: Point = None
    for i, pk in enumerate(pubkeys):
        point = cpoint(pk)
        if point is None:
            raise InvalidContributionError(i, "pubkey")
        q = point_add(q, point_mul(point, key_agg_coeff_internal(pubkeys, pk, pk2)))
    if q is None:
        raise InputError("The aggregate public key cannot be infinity.")
    return KeyAggContext(q, 1, 0)


def apply_tweak(ctx: KeyAggContext, tweak: bytes, is_xonly: bool) -> KeyAggContext:
    if len(tweak) != 32:
        raise InputError("The tweak must be a 32-byte array.")
    g = N - 1 if is_xonly and not has_even_y(ctx.q) else 1
    t = _int(tweak)
    if t >= N:
        raise InputError("The tweak must be less than n.")
    q = point_add(point_mul(ctx.q, g), point_mul(G, t))
    if q is None:
        raise InputError("The result of tweaking cannot be infinity.")
    return KeyAggContext(q, g * ctx.gacc % N, (t + g * ctx.tacc) % N)


def key_agg_and_tweak(pubkeys: Sequence[bytes], tweaks: Sequence[bytes], is_xonly: Sequence[bool]) -> KeyAggContext:
    ctx = key_agg(pubkeys)
    for tweak, xonly in zip(tweaks, is_xonly, strict=True):
        ctx = apply_tweak(ctx, tweak, xonly)
    return ctx


def get_xonly_pk(ctx: KeyAggContext) -> bytes:
    return xbytes(ctx.q)


def get_plain_pk(ctx: KeyAggContext) -> bytes:
    return cbytes(ctx.q)


# --- nonces ----------------------------------------------------------------------------


def nonce_gen_internal(
    rand_: bytes,
    sk: bytes | None,
    pk: bytes,
    aggpk: bytes | None,
    msg: bytes | None,
    extra_in: bytes | None,
) -> tuple[bytearray, bytes]:
    """NonceGen with the random ``rand'`` given (the test vectors' form)."""
    if sk is not None:
        rand = bytes(a ^ b for a, b in zip(sk, tagged_hash("MuSig/aux", rand_), strict=True))
    else:
        rand = rand_
    aggpk = aggpk if aggpk is not None else b""
    if msg is None:
        msg_prefixed = b"\x00"
    else:
        msg_prefixed = b"\x01" + len(msg).to_bytes(8, "big") + msg
    extra_in = extra_in if extra_in is not None else b""
    data = (
        rand
        + len(pk).to_bytes(1, "big")
        + pk
        + len(aggpk).to_bytes(1, "big")
        + aggpk
        + msg_prefixed
        + len(extra_in).to_bytes(4, "big")
        + extra_in
    )
    k1, k2 = (_int(tagged_hash("MuSig/nonce", data + bytes([i]))) % N for i in (0, 1))
    if k1 == 0 or k2 == 0:  # pragma: no cover - probability 2^-128
        raise InputError("nonce derivation gave zero")
    pubnonce = cbytes(point_mul(G, k1)) + cbytes(point_mul(G, k2))
    secnonce = bytearray(k1.to_bytes(32, "big") + k2.to_bytes(32, "big") + pk)
    return secnonce, pubnonce


def nonce_gen(
    sk: bytes | None,
    pk: bytes,
    aggpk: bytes | None = None,
    msg: bytes | None = None,
    extra_in: bytes | None = None,
) -> tuple[bytearray, bytes]:
    """NonceGen with ``rand'`` drawn from the OS."""
    return nonce_gen_internal(os.urandom(32), sk, pk, aggpk, msg, extra_in)


def nonce_agg(pubnonces: Sequence[bytes]) -> bytes:
    out = b""
    for half in (0, 1):
        total: Point = None
        for i, pubnonce in enumerate(pubnonces):
            point = cpoint(pubnonce[33 * half : 33 * (half + 1)]) if len(pubnonce) == 66 else None
            if point is None:
                raise InvalidContributionError(i, "pubnonce")
            total = point_add(total, point)
        out += cbytes_ext(total)
    return out


# --- sessions --------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionContext:
    """``(aggnonce, pk_1..u, tweak_1..v, is_xonly_t_1..v, m)``."""

    aggnonce: bytes
    pubkeys: tuple[bytes, ...]
    tweaks: tuple[bytes, ...]
    is_xonly: tuple[bool, ...]
    msg: bytes


@dataclass(frozen=True)
class SessionValues:
    q: Point
    gacc: int
    tacc: int
    b: int
    r: Point
    e: int


def get_session_values(session_ctx: SessionContext) -> SessionValues:
    ctx = key_agg_and_tweak(session_ctx.pubkeys, session_ctx.tweaks, session_ctx.is_xonly)
    aggnonce, msg = session_ctx.aggnonce, session_ctx.msg
    b = _int(tagged_hash("MuSig/noncecoef", aggnonce + xbytes(ctx.q) + msg)) % N
    r1 = cpoint_ext(aggnonce[0:33]) if len(aggnonce) == 66 else False
    r2 = cpoint_ext(aggnonce[33:66]) if len(aggnonce) == 66 else False
    if r1 is False or r2 is False:
        raise InvalidContributionError(None, "aggnonce")
    r = point_add(r1, point_mul(r2, b))
    if r is None:
        r = G
    e = _int(tagged_hash("BIP0340/challenge", xbytes(r) + xbytes(ctx.q) + msg)) % N
    return SessionValues(ctx.q, ctx.gacc, ctx.tacc, b, r, e)


def get_session_key_agg_coeff(session_ctx: SessionContext, point: Point) -> int:
    pk = cbytes(point)
    if pk not in session_ctx.pubkeys:
        raise InputError("The signer's pubkey must be included in the list of pubkeys.")
    return key_agg_coeff(session_ctx.pubkeys, pk)


def sign(secnonce: bytearray, sk: bytes, session_ctx: SessionContext) -> bytes:
    """Sign.  ``secnonce`` (97 bytes) is zeroed before anything else, as in the
    BIP's reference, so that a second use fails ("out of range")."""
    k1_, k2_ = _int(secnonce[0:32]), _int(secnonce[32:64])
    pk_in_nonce = bytes(secnonce[64:97])
    secnonce[0:64] = bytes(64)
    values = get_session_values(session_ctx)
    if not 0 < k1_ < N:
        raise InputError("first secnonce value is out of range.")
    if not 0 < k2_ < N:
        raise InputError("second secnonce value is out of range.")
    k1, k2 = (k1_, k2_) if has_even_y(values.r) else (N - k1_, N - k2_)
    d_ = _int(sk)
    if len(sk) != 32 or not 0 < d_ < N:
        raise InputError("The secret key must be an integer in the range 1..n-1.")
    point = point_mul(G, d_)
    pk = cbytes(point)
    if pk != pk_in_nonce:
        raise InputError("Public key does not match nonce_gen argument")
    a = get_session_key_agg_coeff(session_ctx, point)
    g = 1 if has_even_y(values.q) else N - 1
    d = g * values.gacc * d_ % N
    s = (k1 + values.b * k2 + values.e * a * d) % N
    psig = s.to_bytes(32, "big")
    pubnonce = cbytes(point_mul(G, k1_)) + cbytes(point_mul(G, k2_))
    if not partial_sig_verify_internal(psig, pubnonce, pk, session_ctx):
        raise AssertionError("own partial signature does not verify")
    return psig


def det_sign(
    sk: bytes,
    aggothernonce: bytes,
    pubkeys: Sequence[bytes],
    tweaks: Sequence[bytes],
    is_xonly: Sequence[bool],
    msg: bytes,
    rand: bytes | None = None,
) -> tuple[bytes, bytes]:
    """DeterministicSign: ``(pubnonce, psig)`` for the last signer to send a nonce."""
    if rand is not None:
        sk_ = bytes(a ^ b for a, b in zip(sk, tagged_hash("MuSig/aux", rand), strict=True))
    else:
        sk_ = sk
    aggpk = get_xonly_pk(key_agg_and_tweak(pubkeys, tweaks, is_xonly))
    data = sk_ + aggothernonce + aggpk + len(msg).to_bytes(8, "big") + msg
    k1, k2 = (_int(tagged_hash("MuSig/deterministic/nonce", data + bytes([i]))) % N for i in (0, 1))
    if k1 == 0 or k2 == 0:  # pragma: no cover - probability 2^-128
        raise InputError("nonce derivation gave zero")
    pubnonce = cbytes(point_mul(G, k1)) + cbytes(point_mul(G, k2))
    secnonce = bytearray(k1.to_bytes(32, "big") + k2.to_bytes(32, "big") + individual_pk(sk))
    try:
        aggnonce = nonce_agg([pubnonce, aggothernonce])
    except InvalidContributionError:
        raise InvalidContributionError(None, "aggothernonce") from None
    session_ctx = SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(is_xonly), msg)
    return pubnonce, sign(secnonce, sk, session_ctx)


def partial_sig_verify(
    psig: bytes,
    pubnonces: Sequence[bytes],
    pubkeys: Sequence[bytes],
    tweaks: Sequence[bytes],
    is_xonly: Sequence[bool],
    msg: bytes,
    i: int,
) -> bool:
    aggnonce = nonce_agg(pubnonces)
    session_ctx = SessionContext(aggnonce, tuple(pubkeys), tuple(tweaks), tuple(is_xonly), msg)
    return partial_sig_verify_internal(psig, pubnonces[i], pubkeys[i], session_ctx)


def partial_sig_verify_internal(psig: bytes, pubnonce: bytes, pk: bytes, session_ctx: SessionContext) -> bool:
    values = get_session_values(session_ctx)
    s = _int(psig)
    if len(psig) != 32 or s >= N:
        return False
    r1 = cpoint(pubnonce[0:33])
    r2 = cpoint(pubnonce[33:66])
    if r1 is None or r2 is None or len(pubnonce) != 66:
        return False
    re_ = point_add(r1, point_mul(r2, values.b))
    re = re_ if has_even_y(values.r) else point_neg(re_)
    point = cpoint(pk)
    if point is None:
        return False
    a = get_session_key_agg_coeff(session_ctx, point)
    g = 1 if has_even_y(values.q) else N - 1
    g_ = g * values.gacc % N
    return point_mul(G, s) == point_add(re, point_mul(point, values.e * a * g_ % N))


def partial_sig_agg(psigs: Sequence[bytes], session_ctx: SessionContext) -> bytes:
    values = get_session_values(session_ctx)
    s = 0
    for i, psig in enumerate(psigs):
        s_i = _int(psig)
        if len(psig) != 32 or s_i >= N:
            raise InvalidContributionError(i, "psig")
        s = (s + s_i) % N
    g = 1 if has_even_y(values.q) else N - 1
    s = (s + values.e * g * values.tacc) % N
    return xbytes(values.r) + s.to_bytes(32, "big")

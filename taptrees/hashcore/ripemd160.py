"""Pure-Python RIPEMD-160, the reference when :mod:`hashlib` lacks it.

Follows "RIPEMD-160: A Strengthened Version of RIPEMD" (Dobbertin, Bosselaers, Preneel,
1996), appendix A. OpenSSL 3 moved RIPEMD-160 to its legacy provider, so
``hashlib.new("ripemd160")`` may raise; this module keeps hash160 available everywhere.
Slow (about 20 us per block); the vectorized backend does not depend on it.
"""

from __future__ import annotations

import struct

from taptrees.hashcore.constants import (
    RMD160_IV,
    RMD160_KL,
    RMD160_KR,
    RMD160_RL,
    RMD160_RR,
    RMD160_SL,
    RMD160_SR,
)

_MASK = 0xFFFFFFFF


def _rotl(x: int, s: int) -> int:
    return ((x << s) | (x >> (32 - s))) & _MASK


def _f(j: int, x: int, y: int, z: int) -> int:
    """The five boolean functions f(j, x, y, z), one per round of 16 steps."""
    if j < 16:
        return x ^ y ^ z
    if j < 32:
        return (x & y) | (~x & z)
    if j < 48:
        return ((x | ~y) ^ z) & _MASK
    if j < 64:
        return (x & z) | (y & ~z)
    return (x ^ (y | ~z)) & _MASK


def compress(h: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """Apply the compression function to the 5-word state ``h`` and one 64-byte block."""
    x = struct.unpack("<16I", block)
    al, bl, cl, dl, el = h
    ar, br, cr, dr, er = h
    for j in range(80):
        rnd = j >> 4
        t = (al + _f(j, bl, cl, dl) + x[RMD160_RL[j]] + RMD160_KL[rnd]) & _MASK
        t = (_rotl(t, RMD160_SL[j]) + el) & _MASK
        al, el, dl, cl, bl = el, dl, _rotl(cl, 10), bl, t
        t = (ar + _f(79 - j, br, cr, dr) + x[RMD160_RR[j]] + RMD160_KR[rnd]) & _MASK
        t = (_rotl(t, RMD160_SR[j]) + er) & _MASK
        ar, er, dr, cr, br = er, dr, _rotl(cr, 10), br, t
    return (
        (h[1] + cl + dr) & _MASK,
        (h[2] + dl + er) & _MASK,
        (h[3] + el + ar) & _MASK,
        (h[4] + al + br) & _MASK,
        (h[0] + bl + cr) & _MASK,
    )


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160 digest (20 bytes) of ``data``; MD4-style little-endian padding."""
    msg = bytes(data) + b"\x80" + bytes((55 - len(data)) % 64) + struct.pack("<Q", 8 * len(data))
    h = RMD160_IV
    for off in range(0, len(msg), 64):
        h = compress(h, msg[off : off + 64])
    return struct.pack("<5I", *h)

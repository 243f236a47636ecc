"""BIP340 Schnorr keys and signatures (through libsecp256k1 via coincurve) and the
BIP341 taproot key tweak."""

from __future__ import annotations

from coincurve import PrivateKey, PublicKey, PublicKeyXOnly

from taptrees.errors import InputError
from taptrees.hashes import tagged_hash

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _private(seckey: bytes) -> PrivateKey:
    if len(seckey) != 32 or not 0 < int.from_bytes(seckey, "big") < SECP256K1_ORDER:
        raise InputError("secret key must be 32 bytes in [1, n-1]")
    return PrivateKey(seckey)


def xonly_pubkey(seckey: bytes) -> bytes:
    """The BIP340 x-only public key of a secret key."""
    return _private(seckey).public_key_xonly.format()


def check_xonly(pubkey: bytes, what: str = "public key") -> bytes:
    """Refuse anything that is not a valid x-only point (BIP340 lift_x)."""
    if len(pubkey) != 32:
        raise InputError(f"{what} must be 32 bytes (x-only), got {len(pubkey)}")
    try:
        PublicKeyXOnly(pubkey)
    except ValueError:
        raise InputError(f"{what} {pubkey.hex()} is not a point on secp256k1") from None
    return pubkey


def schnorr_sign(seckey: bytes, msg32: bytes, aux_rand: bytes = b"\x00" * 32) -> bytes:
    """BIP340 signature of a 32-byte message.

    ``aux_rand`` must be 32 bytes (BIP340's auxiliary random data; all zeros gives
    deterministic signatures).  coincurve would silently draw fresh randomness for
    an empty one, so anything but 32 bytes is refused.
    """
    if len(msg32) != 32:
        raise InputError("BIP340 signing here takes 32-byte messages (sighashes)")
    if len(aux_rand) != 32:
        raise InputError(f"BIP340 aux_rand must be 32 bytes, got {len(aux_rand)}")
    return _private(seckey).sign_schnorr(msg32, aux_rand)


def schnorr_verify(pubkey: bytes, msg32: bytes, sig: bytes) -> bool:
    """BIP340 verification; False for any malformed key or signature."""
    if len(sig) != 64 or len(pubkey) != 32 or len(msg32) != 32:
        return False
    try:
        return PublicKeyXOnly(pubkey).verify(sig, msg32)
    except ValueError:
        return False


def taptweak(internal_key: bytes, merkle_root: bytes | None) -> bytes:
    """t = hash_TapTweak(p || merkle_root) (BIP341 taproot_tweak_pubkey)."""
    return tagged_hash("TapTweak", internal_key + (merkle_root or b""))


def tweak_pubkey(internal_key: bytes, merkle_root: bytes | None) -> tuple[int, bytes]:
    """BIP341 taproot_tweak_pubkey: (parity of Q, x(Q)) with Q = lift_x(P) + t*G."""
    check_xonly(internal_key, "internal key")
    tweak = taptweak(internal_key, merkle_root)
    if int.from_bytes(tweak, "big") >= SECP256K1_ORDER:
        raise InputError("taproot tweak is out of range")
    point = PublicKey(b"\x02" + internal_key).add(tweak)
    compressed = point.format(compressed=True)
    return compressed[0] & 1, compressed[1:]


def tweak_seckey(seckey: bytes, merkle_root: bytes | None) -> bytes:
    """BIP341 taproot_tweak_seckey: negate d when P has odd y, then add t."""
    key = _private(seckey)
    d = int.from_bytes(seckey, "big")
    if key.public_key.format()[0] == 3:
        d = SECP256K1_ORDER - d
    tweak = int.from_bytes(taptweak(key.public_key_xonly.format(), merkle_root), "big")
    if tweak >= SECP256K1_ORDER:
        raise InputError("taproot tweak is out of range")
    return ((d + tweak) % SECP256K1_ORDER).to_bytes(32, "big")

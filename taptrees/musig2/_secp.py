"""The slice of libsecp256k1 this package calls: its musig module (BIP327) and the
key functions around it, through the cffi layer that coincurve 21 ships.

coincurve has no Python API for MuSig2, but its compiled ``_libsecp256k1`` module
declares every ``secp256k1_musig_*`` function of ``include/secp256k1_musig.h``.
This module only moves bytes in and out of libsecp256k1's opaque structures and
turns its 0/1 return codes into ``None``/values; the rules (who is blamed, what
is a precondition) live in the modules that call it.

libsecp256k1 aborts the process (its illegal-argument callback) on misuse such as a
reused or foreign secret nonce, so callers check every precondition in Python
before calling in.
"""

from __future__ import annotations

from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT

_NEEDED = (
    "secp256k1_musig_pubkey_agg",
    "secp256k1_musig_pubkey_get",
    "secp256k1_musig_pubkey_ec_tweak_add",
    "secp256k1_musig_pubkey_xonly_tweak_add",
    "secp256k1_musig_nonce_gen",
    "secp256k1_musig_nonce_agg",
    "secp256k1_musig_nonce_process",
    "secp256k1_musig_partial_sign",
    "secp256k1_musig_partial_sig_verify",
    "secp256k1_musig_partial_sig_agg",
    "secp256k1_musig_pubnonce_parse",
    "secp256k1_musig_pubnonce_serialize",
    "secp256k1_musig_aggnonce_parse",
    "secp256k1_musig_aggnonce_serialize",
    "secp256k1_musig_partial_sig_parse",
    "secp256k1_musig_partial_sig_serialize",
)
_missing = [name for name in _NEEDED if not hasattr(lib, name)]
if _missing:  # pragma: no cover - depends on the installed coincurve
    raise ImportError(
        f"the installed coincurve's libsecp256k1 lacks the musig module ({', '.join(_missing)}); coincurve 21 has it"
    )

#: libsecp256k1 context (coincurve's, randomized at import; only read here).
CTX = GLOBAL_CONTEXT.ctx

KEYAGG_CACHE_SIZE = ffi.sizeof("secp256k1_musig_keyagg_cache")
SESSION_SIZE = ffi.sizeof("secp256k1_musig_session")
SECNONCE_SIZE = ffi.sizeof("secp256k1_musig_secnonce")


def wipe(cdata) -> None:
    """Overwrite a libsecp256k1 structure (or byte array) with zeros."""
    size = ffi.sizeof(cdata[0]) if ffi.typeof(cdata).kind == "pointer" else ffi.sizeof(cdata)
    ffi.memmove(cdata, bytes(size), size)


def _load(ctype: str, data: bytes):
    obj = ffi.new(f"{ctype} *")
    ffi.memmove(obj, data, len(data))
    return obj


def _dump(obj) -> bytes:
    return bytes(ffi.buffer(obj))


# --- public keys and key pairs ---------------------------------------------------------


def parse_pubkey(data33: bytes):
    """A ``secp256k1_pubkey`` from a compressed key, or None if it is not a point."""
    pubkey = ffi.new("secp256k1_pubkey *")
    if len(data33) != 33 or not lib.secp256k1_ec_pubkey_parse(CTX, pubkey, data33, 33):
        return None
    return pubkey


def serialize_pubkey(pubkey) -> bytes:
    out = ffi.new("unsigned char[33]")
    size = ffi.new("size_t *", 33)
    lib.secp256k1_ec_pubkey_serialize(CTX, out, size, pubkey, lib.SECP256K1_EC_COMPRESSED)
    return bytes(out)


def keypair(seckey: bytes):
    """A ``secp256k1_keypair`` for a valid 32-byte secret key, or None.  The caller
    wipes it when done."""
    pair = ffi.new("secp256k1_keypair *")
    if len(seckey) != 32 or not lib.secp256k1_keypair_create(CTX, pair, seckey):
        return None
    return pair


# --- key aggregation -------------------------------------------------------------------


def pubkey_agg(pubkeys: list) -> bytes | None:
    """The keyagg cache (opaque bytes) for parsed public keys, or None."""
    cache = ffi.new("secp256k1_musig_keyagg_cache *")
    array = ffi.new("secp256k1_pubkey *[]", pubkeys)
    if not lib.secp256k1_musig_pubkey_agg(CTX, ffi.NULL, cache, array, len(pubkeys)):
        return None
    return _dump(cache)


def keyagg_cache(cache: bytes):
    return _load("secp256k1_musig_keyagg_cache", cache)


def pubkey_get(cache: bytes) -> bytes:
    """The (tweaked) aggregate key of a keyagg cache, compressed."""
    pubkey = ffi.new("secp256k1_pubkey *")
    if not lib.secp256k1_musig_pubkey_get(CTX, pubkey, keyagg_cache(cache)):
        raise AssertionError("libsecp256k1 refused its own keyagg cache")
    return serialize_pubkey(pubkey)


def pubkey_tweak_add(cache: bytes, tweak32: bytes, is_xonly: bool) -> bytes | None:
    """The keyagg cache after one tweak, or None (tweak >= n or result at infinity)."""
    obj = keyagg_cache(cache)
    add = lib.secp256k1_musig_pubkey_xonly_tweak_add if is_xonly else (lib.secp256k1_musig_pubkey_ec_tweak_add)
    if not add(CTX, ffi.NULL, obj, tweak32):
        return None
    return _dump(obj)


# --- nonces ----------------------------------------------------------------------------


def parse_pubnonce(data66: bytes):
    nonce = ffi.new("secp256k1_musig_pubnonce *")
    if len(data66) != 66 or not lib.secp256k1_musig_pubnonce_parse(CTX, nonce, data66):
        return None
    return nonce


def serialize_pubnonce(nonce) -> bytes:
    out = ffi.new("unsigned char[66]")
    lib.secp256k1_musig_pubnonce_serialize(CTX, out, nonce)
    return bytes(out)


def parse_aggnonce(data66: bytes):
    nonce = ffi.new("secp256k1_musig_aggnonce *")
    if len(data66) != 66 or not lib.secp256k1_musig_aggnonce_parse(CTX, nonce, data66):
        return None
    return nonce


def serialize_aggnonce(nonce) -> bytes:
    out = ffi.new("unsigned char[66]")
    lib.secp256k1_musig_aggnonce_serialize(CTX, out, nonce)
    return bytes(out)


def new_secnonce():
    return ffi.new("secp256k1_musig_secnonce *")


def secrand_from_os():
    """32 fresh random bytes read by the OS straight into a C buffer (no Python
    ``bytes`` copy of the nonce seed is ever made); libsecp256k1 zeroes it on use."""
    buf = ffi.new("unsigned char[32]")
    with open("/dev/urandom", "rb", buffering=0) as urandom:
        if urandom.readinto(ffi.buffer(buf)) != 32:
            raise OSError("short read from /dev/urandom")
    return buf


def nonce_gen(
    secnonce,
    secrand,
    seckey: bytes | None,
    pubkey,
    msg32: bytes | None,
    cache: bytes | None,
    extra32: bytes | None,
) -> bytes | None:
    """Fill ``secnonce``; the public nonce, or None if libsecp256k1 refused.  The
    optional inputs of NonceGen may be None (NULL) here; the public API always
    gives them."""

    def opt(value):
        return ffi.NULL if value is None else value

    pubnonce = ffi.new("secp256k1_musig_pubnonce *")
    ok = lib.secp256k1_musig_nonce_gen(
        CTX,
        secnonce,
        pubnonce,
        secrand,
        opt(seckey),
        pubkey,
        opt(msg32),
        ffi.NULL if cache is None else keyagg_cache(cache),
        opt(extra32),
    )
    return serialize_pubnonce(pubnonce) if ok else None


def nonce_agg(pubnonces: list) -> bytes:
    agg = ffi.new("secp256k1_musig_aggnonce *")
    array = ffi.new("secp256k1_musig_pubnonce *[]", pubnonces)
    if not lib.secp256k1_musig_nonce_agg(CTX, agg, array, len(pubnonces)):
        raise AssertionError("libsecp256k1 refused parsed public nonces")
    return serialize_aggnonce(agg)


# --- sessions and partial signatures ---------------------------------------------------


def nonce_process(aggnonce, msg32: bytes, cache: bytes) -> bytes:
    session = ffi.new("secp256k1_musig_session *")
    if not lib.secp256k1_musig_nonce_process(CTX, session, aggnonce, msg32, keyagg_cache(cache)):
        raise AssertionError("libsecp256k1 refused a parsed aggregate nonce")
    return _dump(session)


def session(data: bytes):
    return _load("secp256k1_musig_session", data)


def parse_partial_sig(data32: bytes):
    sig = ffi.new("secp256k1_musig_partial_sig *")
    if len(data32) != 32 or not lib.secp256k1_musig_partial_sig_parse(CTX, sig, data32):
        return None
    return sig


def serialize_partial_sig(sig) -> bytes:
    out = ffi.new("unsigned char[32]")
    lib.secp256k1_musig_partial_sig_serialize(CTX, out, sig)
    return bytes(out)


def partial_sign(secnonce, pair, cache: bytes, session_bytes: bytes) -> bytes | None:
    """libsecp256k1 zeroes ``secnonce`` whatever the outcome."""
    sig = ffi.new("secp256k1_musig_partial_sig *")
    if not lib.secp256k1_musig_partial_sign(CTX, sig, secnonce, pair, keyagg_cache(cache), session(session_bytes)):
        return None
    return serialize_partial_sig(sig)


def partial_sig_verify(sig, pubnonce, pubkey, cache: bytes, session_bytes: bytes) -> bool:
    return bool(
        lib.secp256k1_musig_partial_sig_verify(CTX, sig, pubnonce, pubkey, keyagg_cache(cache), session(session_bytes))
    )


def partial_sig_agg(session_bytes: bytes, sigs: list) -> bytes:
    out = ffi.new("unsigned char[64]")
    array = ffi.new("secp256k1_musig_partial_sig *[]", sigs)
    if not lib.secp256k1_musig_partial_sig_agg(CTX, out, session(session_bytes), array, len(sigs)):
        raise AssertionError("libsecp256k1 refused parsed partial signatures")
    return bytes(out)

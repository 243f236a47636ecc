"""PSBT key types (BIP174 version 0, BIP371 taproot fields) and the shape of their keys.

Every key is ``<compact size keytype> <keydata>``.  For each standard key type of
a version 0 PSBT, :data:`GLOBAL_KEYS`, :data:`INPUT_KEYS` and :data:`OUTPUT_KEYS`
give its name and the keydata lengths BIP174/BIP371 allow, so that a key of the
wrong length is refused even for fields this package does not model (partial
signatures, redeem scripts, BIP32 derivations, ...).  Key types that only exist
in version 2 PSBTs (BIP370) are listed apart: a version 0 PSBT must not carry
them.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- global map (BIP174) ---
PSBT_GLOBAL_UNSIGNED_TX = 0x00
PSBT_GLOBAL_XPUB = 0x01
PSBT_GLOBAL_VERSION = 0xFB
PSBT_GLOBAL_PROPRIETARY = 0xFC

# --- input map (BIP174, BIP371) ---
PSBT_IN_NON_WITNESS_UTXO = 0x00
PSBT_IN_WITNESS_UTXO = 0x01
PSBT_IN_PARTIAL_SIG = 0x02
PSBT_IN_SIGHASH_TYPE = 0x03
PSBT_IN_REDEEM_SCRIPT = 0x04
PSBT_IN_WITNESS_SCRIPT = 0x05
PSBT_IN_BIP32_DERIVATION = 0x06
PSBT_IN_FINAL_SCRIPTSIG = 0x07
PSBT_IN_FINAL_SCRIPTWITNESS = 0x08
PSBT_IN_POR_COMMITMENT = 0x09
PSBT_IN_RIPEMD160 = 0x0A
PSBT_IN_SHA256 = 0x0B
PSBT_IN_HASH160 = 0x0C
PSBT_IN_HASH256 = 0x0D
PSBT_IN_TAP_KEY_SIG = 0x13
PSBT_IN_TAP_SCRIPT_SIG = 0x14
PSBT_IN_TAP_LEAF_SCRIPT = 0x15
PSBT_IN_TAP_BIP32_DERIVATION = 0x16
PSBT_IN_TAP_INTERNAL_KEY = 0x17
PSBT_IN_TAP_MERKLE_ROOT = 0x18
PSBT_IN_PROPRIETARY = 0xFC

# --- output map (BIP174, BIP371) ---
PSBT_OUT_REDEEM_SCRIPT = 0x00
PSBT_OUT_WITNESS_SCRIPT = 0x01
PSBT_OUT_BIP32_DERIVATION = 0x02
PSBT_OUT_TAP_INTERNAL_KEY = 0x05
PSBT_OUT_TAP_TREE = 0x06
PSBT_OUT_TAP_BIP32_DERIVATION = 0x07
PSBT_OUT_PROPRIETARY = 0xFC

PSBT_MAGIC = b"psbt\xff"

#: BIP341: a control block is 33 + 32m bytes with m <= 128.
TAPROOT_CONTROL_BASE_SIZE = 33
TAPROOT_CONTROL_NODE_SIZE = 32
TAPROOT_CONTROL_MAX_NODE_COUNT = 128
#: BIP341: the leaf version bits of a control block's first byte.
TAPROOT_LEAF_MASK = 0xFE

_PUBKEY = frozenset({33, 65})  # compressed or uncompressed SEC key
_NONE = frozenset({0})


@dataclass(frozen=True)
class KeySpec:
    """A standard key type: its BIP name and the keydata lengths allowed."""

    name: str
    keydata_lengths: frozenset[int] | None  # None: checked by :func:`keydata_error`


GLOBAL_KEYS: dict[int, KeySpec] = {
    PSBT_GLOBAL_UNSIGNED_TX: KeySpec("PSBT_GLOBAL_UNSIGNED_TX", _NONE),
    PSBT_GLOBAL_XPUB: KeySpec("PSBT_GLOBAL_XPUB", frozenset({78})),
    PSBT_GLOBAL_VERSION: KeySpec("PSBT_GLOBAL_VERSION", _NONE),
}

INPUT_KEYS: dict[int, KeySpec] = {
    PSBT_IN_NON_WITNESS_UTXO: KeySpec("PSBT_IN_NON_WITNESS_UTXO", _NONE),
    PSBT_IN_WITNESS_UTXO: KeySpec("PSBT_IN_WITNESS_UTXO", _NONE),
    PSBT_IN_PARTIAL_SIG: KeySpec("PSBT_IN_PARTIAL_SIG", _PUBKEY),
    PSBT_IN_SIGHASH_TYPE: KeySpec("PSBT_IN_SIGHASH_TYPE", _NONE),
    PSBT_IN_REDEEM_SCRIPT: KeySpec("PSBT_IN_REDEEM_SCRIPT", _NONE),
    PSBT_IN_WITNESS_SCRIPT: KeySpec("PSBT_IN_WITNESS_SCRIPT", _NONE),
    PSBT_IN_BIP32_DERIVATION: KeySpec("PSBT_IN_BIP32_DERIVATION", _PUBKEY),
    PSBT_IN_FINAL_SCRIPTSIG: KeySpec("PSBT_IN_FINAL_SCRIPTSIG", _NONE),
    PSBT_IN_FINAL_SCRIPTWITNESS: KeySpec("PSBT_IN_FINAL_SCRIPTWITNESS", _NONE),
    PSBT_IN_POR_COMMITMENT: KeySpec("PSBT_IN_POR_COMMITMENT", _NONE),
    PSBT_IN_RIPEMD160: KeySpec("PSBT_IN_RIPEMD160", frozenset({20})),
    PSBT_IN_SHA256: KeySpec("PSBT_IN_SHA256", frozenset({32})),
    PSBT_IN_HASH160: KeySpec("PSBT_IN_HASH160", frozenset({20})),
    PSBT_IN_HASH256: KeySpec("PSBT_IN_HASH256", frozenset({32})),
    PSBT_IN_TAP_KEY_SIG: KeySpec("PSBT_IN_TAP_KEY_SIG", _NONE),
    PSBT_IN_TAP_SCRIPT_SIG: KeySpec("PSBT_IN_TAP_SCRIPT_SIG", frozenset({64})),
    PSBT_IN_TAP_LEAF_SCRIPT: KeySpec("PSBT_IN_TAP_LEAF_SCRIPT", None),
    PSBT_IN_TAP_BIP32_DERIVATION: KeySpec("PSBT_IN_TAP_BIP32_DERIVATION", frozenset({32})),
    PSBT_IN_TAP_INTERNAL_KEY: KeySpec("PSBT_IN_TAP_INTERNAL_KEY", _NONE),
    PSBT_IN_TAP_MERKLE_ROOT: KeySpec("PSBT_IN_TAP_MERKLE_ROOT", _NONE),
}

OUTPUT_KEYS: dict[int, KeySpec] = {
    PSBT_OUT_REDEEM_SCRIPT: KeySpec("PSBT_OUT_REDEEM_SCRIPT", _NONE),
    PSBT_OUT_WITNESS_SCRIPT: KeySpec("PSBT_OUT_WITNESS_SCRIPT", _NONE),
    PSBT_OUT_BIP32_DERIVATION: KeySpec("PSBT_OUT_BIP32_DERIVATION", _PUBKEY),
    PSBT_OUT_TAP_INTERNAL_KEY: KeySpec("PSBT_OUT_TAP_INTERNAL_KEY", _NONE),
    PSBT_OUT_TAP_TREE: KeySpec("PSBT_OUT_TAP_TREE", _NONE),
    PSBT_OUT_TAP_BIP32_DERIVATION: KeySpec("PSBT_OUT_TAP_BIP32_DERIVATION", frozenset({32})),
}

#: BIP370 fields: present only in version 2 PSBTs ("must be excluded" from version 0).
V2_ONLY_KEYS: dict[str, dict[int, str]] = {
    "global": {
        0x02: "PSBT_GLOBAL_TX_VERSION",
        0x03: "PSBT_GLOBAL_FALLBACK_LOCKTIME",
        0x04: "PSBT_GLOBAL_INPUT_COUNT",
        0x05: "PSBT_GLOBAL_OUTPUT_COUNT",
        0x06: "PSBT_GLOBAL_TX_MODIFIABLE",
    },
    "input": {
        0x0E: "PSBT_IN_PREVIOUS_TXID",
        0x0F: "PSBT_IN_OUTPUT_INDEX",
        0x10: "PSBT_IN_SEQUENCE",
        0x11: "PSBT_IN_REQUIRED_TIME_LOCKTIME",
        0x12: "PSBT_IN_REQUIRED_HEIGHT_LOCKTIME",
    },
    "output": {
        0x03: "PSBT_OUT_AMOUNT",
        0x04: "PSBT_OUT_SCRIPT",
    },
}

KEY_SPECS: dict[str, dict[int, KeySpec]] = {
    "global": GLOBAL_KEYS,
    "input": INPUT_KEYS,
    "output": OUTPUT_KEYS,
}


def is_control_block_length(n: int) -> bool:
    """BIP341: 33 + 32m bytes, 0 <= m <= 128."""
    m, rest = divmod(n - TAPROOT_CONTROL_BASE_SIZE, TAPROOT_CONTROL_NODE_SIZE)
    return n >= TAPROOT_CONTROL_BASE_SIZE and rest == 0 and m <= TAPROOT_CONTROL_MAX_NODE_COUNT


def keydata_error(scope: str, key_type: int, keydata: bytes) -> str | None:
    """Why ``keydata`` is not a valid key for this standard type, or None if it is
    (or the type is not a standard version 0 type of this map)."""
    spec = KEY_SPECS[scope].get(key_type)
    if spec is None:
        return None
    if spec.keydata_lengths is None:  # PSBT_IN_TAP_LEAF_SCRIPT: a control block
        if not is_control_block_length(len(keydata)):
            return f"{spec.name} key must hold a control block of 33 + 32m bytes (m <= 128), got {len(keydata)}"
        return None
    if len(keydata) in spec.keydata_lengths:
        return None
    if spec.keydata_lengths == _NONE:
        return f"{spec.name} key must be the type byte alone, got {len(keydata)} bytes of keydata"
    allowed = " or ".join(str(n) for n in sorted(spec.keydata_lengths))
    return f"{spec.name} keydata must be {allowed} bytes, got {len(keydata)}"

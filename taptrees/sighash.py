"""BIP341 signature hashes (SigMsg) for key-path and script-path (BIP342) spends.

Implements every hash type -- DEFAULT (0x00), ALL, NONE, SINGLE, each with
ANYONECANPAY -- with annex and code-separator position.  Proven against the
BIP341 wallet vectors and against libbitcoinkernel in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.hashes import sha256, tagged_hash
from taptrees.tx import Tx, TxOut, ser_bytes

SIGHASH_DEFAULT = 0x00
SIGHASH_ALL = 0x01
SIGHASH_NONE = 0x02
SIGHASH_SINGLE = 0x03
SIGHASH_ANYONECANPAY = 0x80
VALID_TAPROOT_HASH_TYPES = frozenset({0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83})
#: BIP342: code separator position when none was executed.
NO_CODESEP = 0xFFFFFFFF
TAPSCRIPT_KEY_VERSION = 0x00


@dataclass(frozen=True)
class ScriptPath:
    """What a script-path signature commits to beyond the transaction (BIP342)."""

    leaf_hash: bytes
    codesep_pos: int = NO_CODESEP
    key_version: int = TAPSCRIPT_KEY_VERSION

    def __post_init__(self) -> None:
        if len(self.leaf_hash) != 32:
            raise InputError(f"a tapleaf hash is 32 bytes, got {len(self.leaf_hash)}")
        if not 0 <= self.codesep_pos <= NO_CODESEP:
            raise InputError(f"code separator position {self.codesep_pos} is not a uint32")
        if not 0 <= self.key_version <= 0xFF:
            raise InputError(f"key version {self.key_version} is not a byte")


def _check(tx: Tx, index: int, spent: Sequence[TxOut], hash_type: int) -> None:
    if hash_type not in VALID_TAPROOT_HASH_TYPES:
        raise InputError(f"invalid taproot hash type 0x{hash_type:02x}")
    if len(spent) != len(tx.inputs):
        raise InputError(f"{len(spent)} spent outputs given for {len(tx.inputs)} inputs (BIP341 needs all)")
    if not 0 <= index < len(tx.inputs):
        raise InputError(f"input index {index} out of range")
    if hash_type & 3 == SIGHASH_SINGLE and index >= len(tx.outputs):
        raise InputError(f"SIGHASH_SINGLE for input {index} has no matching output")


def sha_prevouts(tx: Tx) -> bytes:
    """BIP341 sha_prevouts: SHA256 of every input's outpoint."""
    return sha256(b"".join(i.prevout.serialize() for i in tx.inputs))


def sha_amounts(spent: Sequence[TxOut]) -> bytes:
    """BIP341 sha_amounts: SHA256 of the amounts of every spent output."""
    return sha256(b"".join(o.value.to_bytes(8, "little", signed=True) for o in spent))


def sha_scriptpubkeys(spent: Sequence[TxOut]) -> bytes:
    """BIP341 sha_scriptpubkeys: SHA256 of every spent scriptPubKey (with its length)."""
    return sha256(b"".join(ser_bytes(o.script_pubkey) for o in spent))


def sha_sequences(tx: Tx) -> bytes:
    """BIP341 sha_sequences: SHA256 of every input's nSequence."""
    return sha256(b"".join(i.sequence.to_bytes(4, "little") for i in tx.inputs))


def sha_outputs(tx: Tx) -> bytes:
    """BIP341 sha_outputs: SHA256 of every serialized output."""
    return sha256(b"".join(o.serialize() for o in tx.outputs))


def sig_msg(
    tx: Tx,
    index: int,
    spent: Sequence[TxOut],
    hash_type: int = SIGHASH_DEFAULT,
    script_path: ScriptPath | None = None,
    annex: bytes | None = None,
) -> bytes:
    """SigMsg(hash_type, ext_flag) of BIP341 followed by the BIP342 extension."""
    _check(tx, index, spent, hash_type)
    out_type = SIGHASH_ALL if hash_type == SIGHASH_DEFAULT else hash_type & 3
    anyone = bool(hash_type & SIGHASH_ANYONECANPAY)
    ext_flag = 1 if script_path is not None else 0
    msg = bytearray([hash_type])
    msg += tx.version.to_bytes(4, "little", signed=True)
    msg += tx.locktime.to_bytes(4, "little")
    if not anyone:
        msg += sha_prevouts(tx)
        msg += sha_amounts(spent)
        msg += sha_scriptpubkeys(spent)
        msg += sha_sequences(tx)
    if out_type not in (SIGHASH_NONE, SIGHASH_SINGLE):
        msg += sha_outputs(tx)
    spend_type = ext_flag * 2 + (1 if annex is not None else 0)
    msg.append(spend_type)
    if anyone:
        txin = tx.inputs[index]
        msg += txin.prevout.serialize()
        msg += spent[index].value.to_bytes(8, "little", signed=True)
        msg += ser_bytes(spent[index].script_pubkey)
        msg += txin.sequence.to_bytes(4, "little")
    else:
        msg += index.to_bytes(4, "little")
    if annex is not None:
        if not annex or annex[0] != 0x50:
            raise InputError("an annex must start with 0x50 (BIP341)")
        msg += sha256(ser_bytes(annex))
    if out_type == SIGHASH_SINGLE:
        msg += sha256(tx.outputs[index].serialize())
    if script_path is not None:
        msg += script_path.leaf_hash
        msg.append(script_path.key_version)
        msg += script_path.codesep_pos.to_bytes(4, "little")
    return bytes(msg)


def taproot_sighash(
    tx: Tx,
    index: int,
    spent: Sequence[TxOut],
    hash_type: int = SIGHASH_DEFAULT,
    script_path: ScriptPath | None = None,
    annex: bytes | None = None,
) -> bytes:
    """hash_TapSighash(0x00 || SigMsg(...)) -- the 32 bytes a BIP340 signature signs."""
    return tagged_hash("TapSighash", b"\x00" + sig_msg(tx, index, spent, hash_type, script_path, annex))

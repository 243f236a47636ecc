"""Why an input fails: the analysis interpreter run on a real transaction input.

libbitcoinkernel answers pass/fail only.  When it refuses an input, this module
re-runs the input's tapscript with everything the kernel sees (BIP340
signatures against the input's BIP342 sighash, locktime/sequence, the witness's
validation budget) and returns Core's error name and where it happened.  The
kernel stays the authority; this is an explanation.
"""

from __future__ import annotations

from collections.abc import Sequence

from taptrees.errors import InputError
from taptrees.hashes import tagged_hash
from taptrees.interp.locktime import LockContext
from taptrees.interp.machine import run_tapscript
from taptrees.interp.signatures import (
    VALIDATION_WEIGHT_OFFSET,
    SigChecker,
    schnorr_sig_format_error,
)
from taptrees.keys import schnorr_verify, tweak_pubkey
from taptrees.sighash import ScriptPath, taproot_sighash
from taptrees.tree import TAPSCRIPT_LEAF_VERSION
from taptrees.tx import Tx, TxOut, compact_size, ser_bytes

ANNEX_TAG = 0x50


def _checker(tx: Tx, index: int, spent: Sequence[TxOut], leaf_hash: bytes | None, annex: bytes | None) -> SigChecker:
    def check(pubkey: bytes, sig: bytes, codesep_pos: int) -> bool:
        hash_type = sig[64] if len(sig) == 65 else 0
        path = ScriptPath(leaf_hash, codesep_pos) if leaf_hash is not None else None
        try:
            msg = taproot_sighash(tx, index, spent, hash_type, path, annex)
        except InputError:
            return False
        return schnorr_verify(pubkey, msg, sig[:64])

    return check


def explain_input(tx: Tx, index: int, spent: Sequence[TxOut]) -> str:
    """One line saying why input ``index`` of ``tx`` is invalid (or that the
    interpreter finds it valid).  Only segwit v1 (taproot) inputs are analysed."""
    return explain_failure(tx, index, spent)[1]


def explain_failure(tx: Tx, index: int, spent: Sequence[TxOut], *, policy: bool = False) -> tuple[str | None, str]:
    """Core's error name for input ``index`` (None when the interpreter finds it
    valid or cannot analyse it) and the one line of :func:`explain_input`.

    ``policy=True`` also applies Core's standardness rules for tapscript, as a
    mempool does (``STANDARD_SCRIPT_VERIFY_FLAGS``): the first rule broken names
    the error, as in Core's ``PolicyScriptChecks``."""
    spk = spent[index].script_pubkey
    if len(spk) != 34 or spk[:2] != b"\x51\x20":
        return None, "not a taproot input; no analysis"
    witness = list(tx.inputs[index].witness)
    annex = None
    if len(witness) >= 2 and witness[-1][:1] == bytes([ANNEX_TAG]):
        annex = witness.pop()
    if not witness:
        return "WITNESS_PROGRAM_WITNESS_EMPTY", "WITNESS_PROGRAM_WITNESS_EMPTY"
    if len(witness) == 1:
        return _explain_key_path(tx, index, spent, witness[0], annex)
    script, control = witness[-2], witness[-1]
    if len(control) < 33 or (len(control) - 33) % 32 or len(control) > 33 + 128 * 32:
        return ("TAPROOT_WRONG_CONTROL_SIZE", f"TAPROOT_WRONG_CONTROL_SIZE ({len(control)} bytes)")
    version = control[0] & 0xFE
    leaf_hash = tagged_hash("TapLeaf", bytes([version]) + ser_bytes(script))
    node = leaf_hash
    for k in range(33, len(control), 32):
        sibling = control[k : k + 32]
        node = tagged_hash("TapBranch", min(node, sibling) + max(node, sibling))
    try:
        parity, key = tweak_pubkey(control[1:33], node)
    except InputError as exc:
        return "WITNESS_PROGRAM_MISMATCH", f"WITNESS_PROGRAM_MISMATCH ({exc})"
    if key != spk[2:] or parity != control[0] & 1:
        return ("WITNESS_PROGRAM_MISMATCH", "WITNESS_PROGRAM_MISMATCH: control block does not commit to this output")
    if version != TAPSCRIPT_LEAF_VERSION:
        if policy:
            return (
                "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",
                f"DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: leaf version 0x{version:02x}",
            )
        return None, f"unknown leaf version 0x{version:02x} (valid by BIP341)"
    size = len(compact_size(len(tx.inputs[index].witness))) + sum(len(ser_bytes(w)) for w in tx.inputs[index].witness)
    result = run_tapscript(
        script,
        witness[:-2],
        checksig=_checker(tx, index, spent, leaf_hash, annex),
        lock=LockContext.of_input(tx, index),
        validation_budget=size + VALIDATION_WEIGHT_OFFSET,
        policy=policy,
    )
    return result.error, result.describe()


def _explain_key_path(
    tx: Tx, index: int, spent: Sequence[TxOut], sig: bytes, annex: bytes | None
) -> tuple[str | None, str]:
    """BIP341 key path, in the order of Core's ``CheckSchnorrSignature``."""
    error = schnorr_sig_format_error(sig)
    if error is not None:
        return error, f"{error}: malformed {len(sig)}-byte key-path signature"
    hash_type = sig[64] if len(sig) == 65 else 0
    try:
        msg = taproot_sighash(tx, index, spent, hash_type, None, annex)
    except InputError as exc:
        return "SCHNORR_SIG_HASHTYPE", f"SCHNORR_SIG_HASHTYPE: {exc}"
    if not schnorr_verify(spent[index].script_pubkey[2:], msg, sig[:64]):
        return "SCHNORR_SIG", "SCHNORR_SIG: key-path signature invalid"
    return None, "ok"

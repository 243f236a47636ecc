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
from taptrees.interp.signatures import VALIDATION_WEIGHT_OFFSET, SigChecker
from taptrees.keys import schnorr_verify, tweak_pubkey
from taptrees.sighash import ScriptPath, taproot_sighash
from taptrees.tree import TAPSCRIPT_LEAF_VERSION
from taptrees.tx import Tx, TxOut, compact_size, ser_bytes

ANNEX_TAG = 0x50


def _checker(tx: Tx, index: int, spent: Sequence[TxOut], leaf_hash: bytes | None,
             annex: bytes | None) -> SigChecker:  # fmt: skip
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
    spk = spent[index].script_pubkey
    if len(spk) != 34 or spk[:2] != b"\x51\x20":
        return "not a taproot input; no analysis"
    witness = list(tx.inputs[index].witness)
    annex = None
    if len(witness) >= 2 and witness[-1][:1] == bytes([ANNEX_TAG]):
        annex = witness.pop()
    if not witness:
        return "WITNESS_PROGRAM_WITNESS_EMPTY"
    if len(witness) == 1:
        sig = witness[0]
        check = _checker(tx, index, spent, None, annex)
        return "ok" if check(spk[2:], sig, 0xFFFFFFFF) else "SCHNORR_SIG: key-path signature invalid"
    script, control = witness[-2], witness[-1]
    if len(control) < 33 or (len(control) - 33) % 32 or len(control) > 33 + 128 * 32:
        return f"TAPROOT_WRONG_CONTROL_SIZE ({len(control)} bytes)"
    version = control[0] & 0xFE
    leaf_hash = tagged_hash("TapLeaf", bytes([version]) + ser_bytes(script))
    node = leaf_hash
    for k in range(33, len(control), 32):
        sibling = control[k : k + 32]
        node = tagged_hash("TapBranch", min(node, sibling) + max(node, sibling))
    try:
        parity, key = tweak_pubkey(control[1:33], node)
    except InputError as exc:
        return f"WITNESS_PROGRAM_MISMATCH ({exc})"
    if key != spk[2:] or parity != control[0] & 1:
        return "WITNESS_PROGRAM_MISMATCH: control block does not commit to this output"
    if version != TAPSCRIPT_LEAF_VERSION:
        return f"unknown leaf version 0x{version:02x} (valid by BIP341)"
    size = len(compact_size(len(tx.inputs[index].witness))) + sum(
        len(ser_bytes(w)) for w in tx.inputs[index].witness
    )
    result = run_tapscript(
        script,
        witness[:-2],
        checksig=_checker(tx, index, spent, leaf_hash, annex),
        lock=LockContext.of_input(tx, index),
        validation_budget=size + VALIDATION_WEIGHT_OFFSET,
    )
    return result.describe()

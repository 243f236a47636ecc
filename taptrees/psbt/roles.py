"""The BIP174 roles a pre-signed taproot graph needs.

- Creator and Updater: :func:`psbt_for` turns a transaction and the outputs it
  spends into a PSBT carrying witness UTXOs and, per input, the leaf script being
  spent (PSBT_IN_TAP_LEAF_SCRIPT, PSBT_IN_TAP_INTERNAL_KEY, PSBT_IN_TAP_MERKLE_ROOT).
- Signer: :func:`add_tap_script_sig` adds one BIP342 signature
  (PSBT_IN_TAP_SCRIPT_SIG) and :func:`add_tap_key_sig` a key-path one
  (PSBT_IN_TAP_KEY_SIG, with PSBT_IN_TAP_INTERNAL_KEY), each checked against the
  input's signature hash.
- Input Finalizer: :func:`finalize_input` sets PSBT_IN_FINAL_SCRIPTWITNESS and
  clears what BIP174 says to clear; :func:`script_path_witness` assembles the
  witness of a script-path spend from the PSBT's own fields.
- Transaction Extractor: :func:`extract` returns the signed transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from taptrees.errors import InputError
from taptrees.keys import check_xonly, schnorr_verify, tweak_pubkey
from taptrees.psbt.model import (
    Psbt,
    PsbtInput,
    PsbtOutput,
    TapLeafScript,
    TapScriptSig,
    check_unsigned_tx,
)
from taptrees.sighash import NO_CODESEP, VALID_TAPROOT_HASH_TYPES, ScriptPath, taproot_sighash
from taptrees.tx import Tx, TxOut

#: (control block, script, leaf version) of the leaf an input spends.
LeafToSpend = tuple[bytes, bytes, int]

SEGWIT_V1_PREFIX = b"\x51\x20"


def psbt_for(
    tx: Tx,
    spent: Sequence[TxOut],
    leaves: Sequence[LeafToSpend | None] | None = None,
) -> Psbt:
    """A PSBT for ``tx`` (no scriptSigs, no witnesses) spending ``spent``, one per input.

    For each input with a leaf, the control block must commit that leaf to the
    spent taproot output (BIP341): the PSBT then also carries the internal key and
    Merkle root taken from it.
    """
    check_unsigned_tx(tx)
    if len(spent) != len(tx.inputs):
        raise InputError(f"{len(spent)} spent outputs for {len(tx.inputs)} inputs")
    leaves = list(leaves) if leaves is not None else [None] * len(tx.inputs)
    if len(leaves) != len(tx.inputs):
        raise InputError(f"{len(leaves)} leaf entries for {len(tx.inputs)} inputs")
    inputs = []
    for i, (out, leaf) in enumerate(zip(spent, leaves, strict=True)):
        inp = PsbtInput(witness_utxo=out)
        if leaf is not None:
            try:
                inp = _with_leaf(inp, out, TapLeafScript(*leaf))
            except InputError as exc:
                raise InputError(f"input {i}: {exc}") from None
        inputs.append(inp)
    return Psbt(tx, tuple(inputs), tuple(PsbtOutput() for _ in tx.outputs))


def _with_leaf(inp: PsbtInput, out: TxOut, leaf: TapLeafScript) -> PsbtInput:
    spk = out.script_pubkey
    if len(spk) != 34 or not spk.startswith(SEGWIT_V1_PREFIX):
        raise InputError("the spent output is not a taproot (segwit v1) output")
    check_xonly(leaf.internal_key, "control block internal key")
    parity, output_key = tweak_pubkey(leaf.internal_key, leaf.merkle_root)
    if output_key != spk[2:] or parity != leaf.control_block[0] & 1:
        raise InputError("the control block does not commit the leaf to the spent output's key")
    if leaf.control_block[0] & 0xFE != leaf.leaf_version:
        raise InputError(
            f"the control block says leaf version 0x{leaf.control_block[0] & 0xFE:02x}, "
            f"the leaf is 0x{leaf.leaf_version:02x}"
        )
    return replace(
        inp,
        tap_leaf_scripts=(leaf,),
        tap_internal_key=leaf.internal_key,
        tap_merkle_root=leaf.merkle_root,
    )


def _input(psbt: Psbt, index: int) -> PsbtInput:
    if not 0 <= index < len(psbt.inputs):
        raise InputError(f"input index {index} out of range (PSBT has {len(psbt.inputs)})")
    return psbt.inputs[index]


def _with_input(psbt: Psbt, index: int, inp: PsbtInput) -> Psbt:
    inputs = list(psbt.inputs)
    inputs[index] = inp
    return replace(psbt, inputs=tuple(inputs))


def tap_script_sighash(
    psbt: Psbt, index: int, leaf_hash: bytes, hash_type: int = 0, codesep_pos: int = NO_CODESEP
) -> bytes:
    """The BIP342 signature hash for input ``index`` spending the leaf ``leaf_hash``."""
    return taproot_sighash(psbt.tx, index, psbt.spent_outputs, hash_type, ScriptPath(leaf_hash, codesep_pos))


def add_tap_script_sig(
    psbt: Psbt,
    input_index: int,
    xonly: bytes,
    leaf_hash: bytes,
    sig: bytes,
    *,
    codesep_pos: int = NO_CODESEP,
) -> Psbt:
    """Add PSBT_IN_TAP_SCRIPT_SIG ``(xonly, leaf_hash) -> sig`` to one input.

    The signature is verified (BIP340) against the input's BIP342 signature hash,
    which needs every input's witness UTXO; its hash type (the 65th byte, DEFAULT
    when 64 bytes) must match PSBT_IN_SIGHASH_TYPE when that is set.  Adding the
    same signature again changes nothing; a different one for the same key and
    leaf is refused.
    """
    inp = _input(psbt, input_index)
    where = f"input {input_index}"
    try:
        entry = TapScriptSig(bytes(xonly), bytes(leaf_hash), bytes(sig))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    if inp.is_final:
        raise InputError(f"{where} is already finalized")
    hash_type = entry.sig[64] if len(entry.sig) == 65 else 0
    if len(entry.sig) == 65 and hash_type == 0:
        raise InputError(f"{where}: a 65-byte signature cannot carry hash type 0x00 (BIP341)")
    if hash_type not in VALID_TAPROOT_HASH_TYPES:
        raise InputError(f"{where}: hash type 0x{hash_type:02x} is not a taproot hash type")
    if inp.sighash_type is not None and inp.sighash_type != hash_type:
        raise InputError(
            f"{where}: signature hash type 0x{hash_type:02x} differs from PSBT_IN_SIGHASH_TYPE 0x{inp.sighash_type:02x}"
        )
    msg = tap_script_sighash(psbt, input_index, entry.leaf_hash, hash_type, codesep_pos)
    if not schnorr_verify(entry.xonly, msg, entry.sig[:64]):
        raise InputError(f"{where}: signature by {entry.xonly.hex()} does not verify for leaf {entry.leaf_hash.hex()}")
    existing = {s.key: s for s in inp.tap_script_sigs}
    if entry.key in existing:
        if existing[entry.key].sig == entry.sig:
            return psbt
        raise InputError(f"{where} already has a different signature by {entry.xonly.hex()} for this leaf")
    return _with_input(psbt, input_index, replace(inp, tap_script_sigs=(*inp.tap_script_sigs, entry)))


def add_tap_key_sig(psbt: Psbt, input_index: int, internal_key: bytes, sig: bytes) -> Psbt:
    """Add PSBT_IN_TAP_KEY_SIG (and PSBT_IN_TAP_INTERNAL_KEY) to a key-path input
    whose output key is ``internal_key`` tweaked with no script tree (BIP86).  The
    signature is verified against the input's BIP341 signature hash."""
    inp = _input(psbt, input_index)
    where = f"input {input_index}"
    check_xonly(internal_key, "internal key")
    if inp.is_final:
        raise InputError(f"{where} is already finalized")
    spk = psbt.spent_outputs[input_index].script_pubkey
    _, output_key = tweak_pubkey(internal_key, None)
    if spk != SEGWIT_V1_PREFIX + output_key:
        raise InputError(f"{where}: the spent output is not the BIP86 output of that internal key")
    if len(sig) not in (64, 65) or (len(sig) == 65 and sig[64] == 0):
        raise InputError(f"{where}: a key-path signature is 64 bytes, or 65 with a hash type")
    hash_type = sig[64] if len(sig) == 65 else 0
    if hash_type not in VALID_TAPROOT_HASH_TYPES:
        raise InputError(f"{where}: hash type 0x{hash_type:02x} is not a taproot hash type")
    msg = taproot_sighash(psbt.tx, input_index, psbt.spent_outputs, hash_type)
    if not schnorr_verify(output_key, msg, sig[:64]):
        raise InputError(f"{where}: the key-path signature does not verify")
    return _with_input(psbt, input_index, replace(inp, tap_key_sig=bytes(sig), tap_internal_key=bytes(internal_key)))


def script_path_witness(
    psbt: Psbt, input_index: int, stack: Sequence[bytes], control_block: bytes | None = None
) -> tuple[bytes, ...]:
    """``stack`` (bottom first), then the leaf script and its control block, taken
    from the input's PSBT_IN_TAP_LEAF_SCRIPT (the only one, or ``control_block``)."""
    inp = _input(psbt, input_index)
    leaves = [leaf for leaf in inp.tap_leaf_scripts if control_block is None or leaf.control_block == control_block]
    if len(leaves) != 1:
        raise InputError(
            f"input {input_index}: {len(leaves)} matching PSBT_IN_TAP_LEAF_SCRIPT entries, "
            "need exactly one (name the control block)"
        )
    return (*(bytes(x) for x in stack), leaves[0].script, leaves[0].control_block)


def finalize_input(psbt: Psbt, input_index: int, witness: Sequence[bytes]) -> Psbt:
    """BIP174 Input Finalizer: set PSBT_IN_FINAL_SCRIPTWITNESS and clear every other
    field except the UTXOs, the final scriptSig and unknown pairs."""
    inp = _input(psbt, input_index)
    final = PsbtInput(
        non_witness_utxo=inp.non_witness_utxo,
        witness_utxo=inp.witness_utxo,
        final_script_sig=inp.final_script_sig,
        final_script_witness=tuple(bytes(item) for item in witness),
        unknown=inp.unknown,
        key_order=inp.key_order,
    )
    return _with_input(psbt, input_index, final)


def extract(psbt: Psbt) -> Tx:
    """BIP174 Transaction Extractor: the network transaction, every input finalized."""
    missing = [i for i, inp in enumerate(psbt.inputs) if not inp.is_final]
    if missing:
        raise InputError(f"inputs {missing} are not finalized")
    inputs = tuple(
        replace(
            txin,
            script_sig=inp.final_script_sig or b"",
            witness=inp.final_script_witness or (),
        )
        for txin, inp in zip(psbt.tx.inputs, psbt.inputs, strict=True)
    )
    return replace(psbt.tx, inputs=inputs)

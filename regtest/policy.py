"""Relay policy (standardness) that matters for drills, as Bitcoin Core's
``policy/policy.cpp`` defines it in the version the pinned libbitcoinkernel vendors
(Bitcoin Core 31.99), with the same reject-reason strings and debug details.

Consensus is the kernel's; this module only holds the rules a default node adds on
top (``-acceptnonstdtxn=0``): transaction weight, output script types, dust,
OP_RETURN data, scriptSig push-only, input script types and sigops, witness limits,
and the minimum relay fee.  ``Policy(require_standard=False)`` switches the
standardness part off, like ``-acceptnonstdtxn=1``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from regtest.rules import Reject
from taptrees.errors import InputError
from taptrees.interp.error_strings import script_error_string
from taptrees.opcodes import (
    OP_0,
    OP_1,
    OP_16,
    OP_CHECKMULTISIG,
    OP_CHECKMULTISIGVERIFY,
    OP_CHECKSIG,
    OP_CHECKSIGVERIFY,
    OP_DUP,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_HASH160,
    OP_RETURN,
)
from taptrees.script import ScriptOp, iter_ops
from taptrees.tx import Tx, TxOut

MAX_STANDARD_TX_WEIGHT = 400_000
MIN_STANDARD_TX_NONWITNESS_SIZE = 65
TX_MIN_STANDARD_VERSION = 1
TX_MAX_STANDARD_VERSION = 3
MAX_STANDARD_SCRIPTSIG_SIZE = 1650
#: -datacarriersize default (Core 30 on): all OP_RETURN scripts of a tx together.
MAX_OP_RETURN_RELAY = MAX_STANDARD_TX_WEIGHT // 4
DUST_RELAY_FEERATE = 3000  # sat per 1000 vbytes
DEFAULT_MIN_RELAY_FEERATE = 100  # sat per 1000 vbytes (-minrelaytxfee, Core 30 on)
DEFAULT_INCREMENTAL_RELAY_FEERATE = 100  # sat per 1000 vbytes (-incrementalrelayfee)
#: Only one dust output, and only in a 0-fee transaction (ephemeral dust).
MAX_DUST_OUTPUTS_PER_TX = 1
MAX_BLOCK_SIGOPS_COST = 80_000
MAX_STANDARD_TX_SIGOPS_COST = MAX_BLOCK_SIGOPS_COST // 5
#: BIP54: non-witness sigops of a transaction's inputs (scriptSigs and spent scripts).
MAX_TX_LEGACY_SIGOPS = 2_500
MAX_P2SH_SIGOPS = 15
MAX_PUBKEYS_PER_MULTISIG = 20
WITNESS_SCALE_FACTOR = 4
MAX_SCRIPT_SIZE = 10_000
MAX_STANDARD_P2WSH_STACK_ITEMS = 100
MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80
MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600
MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE = 80
ANNEX_TAG = 0x50
TAPSCRIPT_LEAF_VERSION = 0xC0
PAY_TO_ANCHOR = bytes([OP_1, 0x02, 0x4E, 0x73])


@dataclass(frozen=True)
class Policy:
    """Mempool policy switches (defaults are a default Bitcoin Core 31 node's).

    ``max_datacarrier_bytes``: ``-datacarriersize`` (None: ``-datacarrier=0``, no
    OP_RETURN output relayed); ``permit_bare_multisig``: ``-permitbaremultisig``."""

    require_standard: bool = True
    min_relay_feerate: int = DEFAULT_MIN_RELAY_FEERATE
    incremental_relay_feerate: int = DEFAULT_INCREMENTAL_RELAY_FEERATE
    dust_relay_feerate: int = DUST_RELAY_FEERATE
    max_datacarrier_bytes: int | None = MAX_OP_RETURN_RELAY
    permit_bare_multisig: bool = True


def _ops(script: bytes) -> Iterator[ScriptOp]:
    """Core's ``GetOp`` loop: the operations up to the first unparsable one."""
    try:
        yield from iter_ops(script)
    except InputError:
        return


def _is_push_only(script: bytes) -> bool:
    """CScript::IsPushOnly: every operation is a push or OP_1NEGATE..OP_16 (OP_RESERVED
    included), and the script parses."""
    try:
        return all(op.opcode <= OP_16 for op in iter_ops(script))
    except InputError:
        return False


def _valid_pubkey_size(data: bytes | None) -> bool:
    """CPubKey::ValidSize: 33 bytes after 02/03, 65 bytes after 04/06/07."""
    if not data:
        return False
    if data[0] in (2, 3):
        return len(data) == 33
    return data[0] in (4, 6, 7) and len(data) == 65


def _script_number(op: ScriptOp, low: int, high: int) -> int | None:
    """Solver's GetScriptNumber: OP_1..OP_16, or a minimal push of a minimal number."""
    if OP_1 <= op.opcode <= OP_16:
        value = op.opcode - OP_1 + 1
    elif op.data is not None and op.opcode != OP_0:
        data = op.data
        if len(data) > 4 or op.opcode != len(data) or not data:
            return None  # CheckMinimalPush (data this short goes in a direct push)
        if len(data) == 1 and (1 <= data[0] <= 16 or data[0] == 0x81):
            return None  # CheckMinimalPush: OP_1..OP_16, OP_1NEGATE
        if data[-1] & 0x7F == 0 and (len(data) == 1 or not data[-2] & 0x80):
            return None  # not a minimal number
        value = int.from_bytes(data, "little")
        if data[-1] & 0x80:
            value = -(value & ~(0x80 << (8 * (len(data) - 1))))
    else:
        return None
    return value if low <= value <= high else None


def _multisig(script: bytes) -> tuple[int, int] | None:
    """Solver's MatchMultisig: (required signatures, keys) of a bare multisig script."""
    if not script or script[-1] != OP_CHECKMULTISIG:
        return None
    try:
        ops = list(iter_ops(script[:-1]))
    except InputError:
        return None
    if len(ops) < 2:
        return None
    required = _script_number(ops[0], 1, MAX_PUBKEYS_PER_MULTISIG)
    if required is None:
        return None
    keys = 0
    while 1 + keys < len(ops) and _valid_pubkey_size(ops[1 + keys].data):
        keys += 1
    if 1 + keys != len(ops) - 1:
        return None
    declared = _script_number(ops[-1], required, MAX_PUBKEYS_PER_MULTISIG)
    return (required, keys) if declared == keys else None


def witness_program(script_pubkey: bytes) -> tuple[int, bytes] | None:
    """BIP141: a version opcode then one direct push of 2..40 bytes."""
    n = len(script_pubkey)
    if not 4 <= n <= 42:
        return None
    op = script_pubkey[0]
    if op != OP_0 and not OP_1 <= op <= OP_16:
        return None
    if script_pubkey[1] + 2 != n:
        return None
    return (0 if op == OP_0 else op - OP_1 + 1), script_pubkey[2:]


def is_p2sh(script_pubkey: bytes) -> bool:
    s = script_pubkey
    return len(s) == 23 and s[0] == OP_HASH160 and s[1] == 20 and s[22] == OP_EQUAL


def output_type(script_pubkey: bytes) -> str:
    """Core's ``Solver`` classification (the names ``getrawtransaction`` prints)."""
    s = script_pubkey
    if is_p2sh(s):
        return "scripthash"
    program = witness_program(s)
    if program is not None:
        version, prog = program
        if version == 0 and len(prog) == 20:
            return "witness_v0_keyhash"
        if version == 0 and len(prog) == 32:
            return "witness_v0_scripthash"
        if version == 1 and len(prog) == 32:
            return "witness_v1_taproot"
        if s == PAY_TO_ANCHOR:
            return "anchor"
        if version != 0:
            return "witness_unknown"
        return "nonstandard"
    if s and s[0] == OP_RETURN and _is_push_only(s[1:]):
        return "nulldata"
    if len(s) in (35, 67) and s[0] == len(s) - 2 and s[-1] == OP_CHECKSIG and _valid_pubkey_size(s[1:-1]):
        return "pubkey"
    if len(s) == 25 and s[:3] == bytes([OP_DUP, OP_HASH160, 20]) and s[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG]):
        return "pubkeyhash"
    if _multisig(s) is not None:
        return "multisig"
    return "nonstandard"


def is_standard_output(script_pubkey: bytes) -> bool:
    """IsStandard: any type Solver names, bare multisig only up to 3 keys."""
    kind = output_type(script_pubkey)
    if kind == "nonstandard":
        return False
    if kind == "multisig":
        required, keys = _multisig(script_pubkey) or (0, 0)
        return 1 <= keys <= 3 and 1 <= required <= keys
    return True


def is_unspendable(script_pubkey: bytes) -> bool:
    """CScript::IsUnspendable: starts with OP_RETURN or exceeds 10,000 bytes."""
    return script_pubkey[:1] == bytes([OP_RETURN]) or len(script_pubkey) > MAX_SCRIPT_SIZE


def fee_at(feerate: int, vsize: int) -> int:
    """CFeeRate::GetFee: the fee for ``vsize`` vbytes at ``feerate`` sat per 1000
    vbytes, rounded up (Core 30 on)."""
    return -(-feerate * vsize // 1000)


def dust_threshold(txout: TxOut, dust_relay_feerate: int = DUST_RELAY_FEERATE) -> int:
    """GetDustThreshold: what spending the output would cost at the dust relay fee."""
    if is_unspendable(txout.script_pubkey):
        return 0
    size = len(txout.serialize())
    if witness_program(txout.script_pubkey) is not None:
        size += 32 + 4 + 1 + (107 // WITNESS_SCALE_FACTOR) + 4
    else:
        size += 32 + 4 + 1 + 107 + 4
    return fee_at(dust_relay_feerate, size)


def dust_outputs(tx: Tx, dust_relay_feerate: int = DUST_RELAY_FEERATE) -> list[int]:
    """GetDust: the indexes of the outputs below their dust threshold."""
    return [i for i, out in enumerate(tx.outputs) if out.value < dust_threshold(out, dust_relay_feerate)]


def standard_tx_reason(tx: Tx, policy: Policy) -> str | None:
    """IsStandardTx: None when standard, else the reject reason."""
    if not TX_MIN_STANDARD_VERSION <= tx.version <= TX_MAX_STANDARD_VERSION:
        return "version"
    if tx.weight > MAX_STANDARD_TX_WEIGHT:
        return "tx-size"
    for txin in tx.inputs:
        if len(txin.script_sig) > MAX_STANDARD_SCRIPTSIG_SIZE:
            return "scriptsig-size"
        if not _is_push_only(txin.script_sig):
            return "scriptsig-not-pushonly"
    data_left = policy.max_datacarrier_bytes or 0
    for txout in tx.outputs:
        if not is_standard_output(txout.script_pubkey):
            return "scriptpubkey"
        kind = output_type(txout.script_pubkey)
        if kind == "nulldata":
            if len(txout.script_pubkey) > data_left:
                return "datacarrier"
            data_left -= len(txout.script_pubkey)
        elif kind == "multisig" and not policy.permit_bare_multisig:
            return "bare-multisig"
    if len(dust_outputs(tx, policy.dust_relay_feerate)) > MAX_DUST_OUTPUTS_PER_TX:
        return "dust"
    return None


# --- sigops (consensus/tx_verify.cpp, script/script.cpp) --------------------------------


def sigop_count(script: bytes, accurate: bool) -> int:
    """CScript::GetSigOpCount(fAccurate): CHECKSIG counts 1, CHECKMULTISIG the key
    count before it when ``accurate`` and small, else 20."""
    count, last = 0, 0xFF
    for op in _ops(script):
        if op.opcode in (OP_CHECKSIG, OP_CHECKSIGVERIFY):
            count += 1
        elif op.opcode in (OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY):
            count += last - OP_1 + 1 if accurate and OP_1 <= last <= OP_16 else MAX_PUBKEYS_PER_MULTISIG
        last = op.opcode
    return count


def _push_only_stack(script_sig: bytes) -> list[bytes] | str:
    """EvalScript of a push-only scriptSig without flags: the stack it leaves, or
    Core's error name."""
    stack: list[bytes] = []
    try:
        ops = list(iter_ops(script_sig))
    except InputError:
        return "BAD_OPCODE"
    for op in ops:
        if op.data is not None:
            if len(op.data) > 520:
                return "PUSH_SIZE"
            stack.append(op.data)
        elif op.opcode == 0x4F:  # OP_1NEGATE
            stack.append(b"\x81")
        elif OP_1 <= op.opcode <= OP_16:
            stack.append(bytes([op.opcode - OP_1 + 1]))
        else:
            return "BAD_OPCODE"
    return stack


def _p2sh_sigops(script_pubkey: bytes, script_sig: bytes) -> int:
    """CScript::GetSigOpCount(scriptSig): a P2SH output counts its redeem script."""
    if not is_p2sh(script_pubkey):
        return sigop_count(script_pubkey, True)
    data = b""
    for op in _ops(script_sig):
        if op.opcode > OP_16:
            return 0
        data = op.data or b""
    return sigop_count(data, True)


def _witness_sigops(script_sig: bytes, script_pubkey: bytes, witness: Sequence[bytes]) -> int:
    """CountWitnessSigOps: P2WPKH counts 1, P2WSH its witness script; P2SH-wrapped too."""
    program = witness_program(script_pubkey)
    if program is None and is_p2sh(script_pubkey) and _is_push_only(script_sig):
        stack = _push_only_stack(script_sig)
        if isinstance(stack, list) and stack:
            program = witness_program(stack[-1])
    if program is None:
        return 0
    version, prog = program
    if version == 0 and len(prog) == 20:
        return 1
    if version == 0 and len(prog) == 32 and witness:
        return sigop_count(witness[-1], True)
    return 0


def tx_sigop_cost(tx: Tx, spent: Sequence[TxOut]) -> int:
    """GetTransactionSigOpCost with P2SH and witness counted (standard flags)."""
    legacy = sum(sigop_count(i.script_sig, False) for i in tx.inputs)
    legacy += sum(sigop_count(o.script_pubkey, False) for o in tx.outputs)
    cost = legacy * WITNESS_SCALE_FACTOR
    for txin, out in zip(tx.inputs, spent, strict=True):
        if is_p2sh(out.script_pubkey):
            cost += _p2sh_sigops(out.script_pubkey, txin.script_sig) * WITNESS_SCALE_FACTOR
        cost += _witness_sigops(txin.script_sig, out.script_pubkey, txin.witness)
    return cost


# --- inputs and witnesses ---------------------------------------------------------------


def inputs_nonstandard(tx: Tx, spent: Sequence[TxOut]) -> Reject | None:
    """ValidateInputsStandardness: BIP54's legacy sigop limit, then no spends of
    unknown scripts or undefined witness programs, and P2SH redeem scripts of at most
    15 sigops.  Reason ``bad-txns-nonstandard-inputs`` with Core's detail."""
    legacy = 0
    for txin, out in zip(tx.inputs, spent, strict=True):
        legacy += sigop_count(txin.script_sig, True)
        legacy += _p2sh_sigops(out.script_pubkey, txin.script_sig)
        if legacy > MAX_TX_LEGACY_SIGOPS:
            return Reject("bad-txns-nonstandard-inputs", "non-witness sigops exceed bip54 limit")
    for i, (txin, out) in enumerate(zip(tx.inputs, spent, strict=True)):
        kind = output_type(out.script_pubkey)
        if kind == "nonstandard":
            return Reject("bad-txns-nonstandard-inputs", f"input {i} script unknown")
        if kind == "witness_unknown":
            return Reject("bad-txns-nonstandard-inputs", f"input {i} witness program is undefined")
        if kind == "scripthash":
            stack = _push_only_stack(txin.script_sig)
            if isinstance(stack, str):
                return Reject(
                    "bad-txns-nonstandard-inputs", f"p2sh scriptsig malformed (input {i}: {script_error_string(stack)})"
                )
            if not stack:
                return Reject("bad-txns-nonstandard-inputs", f"input {i} P2SH redeemscript missing")
            sigops = sigop_count(stack[-1], True)
            if sigops > MAX_P2SH_SIGOPS:
                return Reject(
                    "bad-txns-nonstandard-inputs",
                    f"p2sh redeemscript sigops exceed limit (input {i}: {sigops} > {MAX_P2SH_SIGOPS})",
                )
    return None


def witness_standard(tx: Tx, spent: Sequence[TxOut]) -> bool:
    """IsWitnessStandard: no witness on a non-witness or P2A spend; P2WSH limits;
    taproot: no annex, tapscript stack items of at most 80 bytes."""
    for txin, out in zip(tx.inputs, spent, strict=True):
        if not txin.witness:
            continue
        script = out.script_pubkey
        if script == PAY_TO_ANCHOR:
            return False
        p2sh = False
        if is_p2sh(script):
            stack = _push_only_stack(txin.script_sig)
            if isinstance(stack, str) or not stack:
                return False
            script, p2sh = stack[-1], True
        program = witness_program(script)
        if program is None:
            return False
        version, prog = program
        items = list(txin.witness)
        if version == 0 and len(prog) == 32:
            if len(items[-1]) > MAX_STANDARD_P2WSH_SCRIPT_SIZE:
                return False
            if len(items) - 1 > MAX_STANDARD_P2WSH_STACK_ITEMS:
                return False
            if any(len(item) > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE for item in items[:-1]):
                return False
        if version == 1 and len(prog) == 32 and not p2sh:
            if len(items) >= 2 and items[-1] and items[-1][0] == ANNEX_TAG:
                return False
            if len(items) >= 2:
                control = items.pop()
                items.pop()
                if not control:
                    return False
                if control[0] & 0xFE == TAPSCRIPT_LEAF_VERSION and any(
                    len(item) > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE for item in items
                ):
                    return False
    return True


def min_relay_fee(vsize: int, feerate: int) -> int:
    """The fee ``-minrelaytxfee`` asks of ``vsize`` vbytes (CFeeRate::GetFee)."""
    return fee_at(feerate, vsize)

"""Relay policy (standardness) that matters for drills, as Bitcoin Core's
``policy/policy.cpp`` defines it, with the same reject-reason strings.

Consensus is the kernel's; this module only holds the rules a default node adds on
top (``-acceptnonstdtxn=0``): transaction weight, output script types, dust,
OP_RETURN size, scriptSig push-only, witness limits, and the minimum relay fee.
``Policy(require_standard=False)`` switches the standardness part off, like
``-acceptnonstdtxn=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.opcodes import (
    OP_0,
    OP_1,
    OP_16,
    OP_CHECKMULTISIG,
    OP_CHECKSIG,
    OP_DUP,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_HASH160,
    OP_RETURN,
)
from taptrees.script import iter_ops
from taptrees.tx import Tx, TxOut

MAX_STANDARD_TX_WEIGHT = 400_000
MIN_STANDARD_TX_NONWITNESS_SIZE = 65
TX_MIN_STANDARD_VERSION = 1
TX_MAX_STANDARD_VERSION = 3
MAX_STANDARD_SCRIPTSIG_SIZE = 1650
#: -datacarriersize default before Bitcoin Core 30: the whole OP_RETURN script.
MAX_OP_RETURN_RELAY = 83
DUST_RELAY_FEERATE = 3000  # sat per 1000 vbytes
DEFAULT_MIN_RELAY_FEERATE = 1000  # sat per 1000 vbytes
MAX_STANDARD_P2WSH_STACK_ITEMS = 100
MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80
MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600
MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE = 80
ANNEX_TAG = 0x50
TAPSCRIPT_LEAF_VERSION = 0xC0


@dataclass(frozen=True)
class Policy:
    """Mempool policy switches (defaults are a default Bitcoin Core node's)."""

    require_standard: bool = True
    min_relay_feerate: int = DEFAULT_MIN_RELAY_FEERATE
    dust_relay_feerate: int = DUST_RELAY_FEERATE
    max_op_return: int = MAX_OP_RETURN_RELAY


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


def _is_push_only(script: bytes) -> bool:
    try:
        return all(op.is_push or OP_1 <= op.opcode <= OP_16 or op.opcode == 0x4F
                   for op in iter_ops(script))
    except InputError:
        return False


def output_type(script_pubkey: bytes) -> str:
    """Core's ``Solver`` classification (the names ``getrawtransaction`` prints)."""
    s = script_pubkey
    if s and s[0] == OP_RETURN and _is_push_only(s[1:]):
        return "nulldata"
    program = witness_program(s)
    if program is not None:
        version, prog = program
        if version == 0 and len(prog) == 20:
            return "witness_v0_keyhash"
        if version == 0 and len(prog) == 32:
            return "witness_v0_scripthash"
        if version == 0:
            return "nonstandard"
        if version == 1 and len(prog) == 32:
            return "witness_v1_taproot"
        if version == 1 and prog == bytes([0x4E, 0x73]):
            return "anchor"
        return "witness_unknown"
    if len(s) == 23 and s[0] == OP_HASH160 and s[1] == 20 and s[22] == OP_EQUAL:
        return "scripthash"
    if (len(s) == 25 and s[:3] == bytes([OP_DUP, OP_HASH160, 20])
            and s[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG])):
        return "pubkeyhash"
    if (len(s) in (35, 67) and s[0] == len(s) - 2 and s[-1] == OP_CHECKSIG):
        return "pubkey"
    if _is_bare_multisig(s):
        return "multisig"
    return "nonstandard"


def _is_bare_multisig(s: bytes) -> bool:
    if len(s) < 3 or s[-1] != OP_CHECKMULTISIG:
        return False
    if not (OP_1 <= s[0] <= OP_16 and OP_1 <= s[-2] <= OP_16):
        return False
    try:
        keys = list(iter_ops(s[1:-2]))
    except InputError:
        return False
    m, n = s[0] - OP_1 + 1, s[-2] - OP_1 + 1
    return (len(keys) == n and m <= n
            and all(k.data is not None and len(k.data) in (33, 65) for k in keys))


def dust_threshold(txout: TxOut, dust_relay_feerate: int = DUST_RELAY_FEERATE) -> int:
    """GetDustThreshold: what spending the output would cost at the dust relay fee."""
    if output_type(txout.script_pubkey) == "nulldata" or len(txout.script_pubkey) > 10_000:
        return 0
    size = len(txout.serialize())
    if witness_program(txout.script_pubkey) is not None:
        size += 32 + 4 + 1 + (107 // 4) + 4
    else:
        size += 32 + 4 + 1 + 107 + 4
    return size * dust_relay_feerate // 1000


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
    data_outputs = 0
    for txout in tx.outputs:
        kind = output_type(txout.script_pubkey)
        if kind == "nonstandard":
            return "scriptpubkey"
        if kind == "nulldata":
            if len(txout.script_pubkey) > policy.max_op_return:
                return "scriptpubkey"
            data_outputs += 1
        elif txout.value < dust_threshold(txout, policy.dust_relay_feerate):
            return "dust"
    if data_outputs > 1:
        return "multi-op-return"
    return None


def inputs_standard(tx: Tx, spent: Sequence[TxOut]) -> bool:
    """AreInputsStandard: spending nonstandard or unknown-witness outputs is not relayed."""
    return all(
        output_type(out.script_pubkey) not in ("nonstandard", "witness_unknown")
        for out in spent
    )


def witness_standard(tx: Tx, spent: Sequence[TxOut]) -> bool:
    """IsWitnessStandard for native segwit spends: P2WSH limits; taproot: no annex,
    tapscript stack items of at most 80 bytes."""
    for txin, out in zip(tx.inputs, spent, strict=True):
        if not txin.witness:
            continue
        program = witness_program(out.script_pubkey)
        if program is None:
            continue
        version, prog = program
        stack = list(txin.witness)
        if version == 0 and len(prog) == 32:
            script = stack.pop() if stack else b""
            if len(script) > MAX_STANDARD_P2WSH_SCRIPT_SIZE:
                return False
            if len(stack) > MAX_STANDARD_P2WSH_STACK_ITEMS:
                return False
            if any(len(item) > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE for item in stack):
                return False
        elif version == 1 and len(prog) == 32:
            if len(stack) >= 2 and stack[-1] and stack[-1][0] == ANNEX_TAG:
                return False
            if len(stack) >= 2:
                control = stack.pop()
                stack.pop()
                if not control:
                    return False
                if control[0] & 0xFE == TAPSCRIPT_LEAF_VERSION and any(
                    len(item) > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE for item in stack
                ):
                    return False
    return True


def min_relay_fee(vsize: int, feerate: int) -> int:
    """CFeeRate::GetFee: fee for ``vsize`` vbytes at ``feerate`` sat/kvB (rounded up
    to at least one satoshi for a non-zero rate)."""
    fee = vsize * feerate // 1000
    return max(fee, 1) if feerate > 0 and fee == 0 else fee

"""Consensus rules a transaction must meet to enter the next block, as Bitcoin Core's
``consensus/tx_check.cpp``, ``consensus/tx_verify.cpp`` and ``validation.cpp`` state
them (reject-reason strings included).

Scripts are not checked here: the mempool sends every input to the kernel through
:func:`taptrees.verify.verify_inputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from regtest.blocks import COINBASE_MATURITY, MAX_MONEY
from taptrees.tx import SEQUENCE_FINAL, Tx, TxOut

MAX_BLOCK_WEIGHT = 4_000_000
LOCKTIME_THRESHOLD = 500_000_000
#: BIP68 sequence-number fields.
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
SEQUENCE_LOCKTIME_MASK = 0x0000FFFF
SEQUENCE_LOCKTIME_GRANULARITY = 9


@dataclass(frozen=True)
class Reject:
    """A reject reason as Bitcoin Core names it, with its debug detail."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}, {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class Coin:
    """An unspent output with the context the rules need (Core's ``Coin``).
    ``height`` of a mempool output is the next block's height."""

    txout: TxOut
    height: int
    is_coinbase: bool


def check_transaction(tx: Tx) -> str | None:
    """CheckTransaction: context-free consensus checks."""
    if not tx.inputs:
        return "bad-txns-vin-empty"
    if not tx.outputs:
        return "bad-txns-vout-empty"
    if len(tx.serialize(with_witness=False)) * 4 > MAX_BLOCK_WEIGHT:
        return "bad-txns-oversize"
    total = 0
    for txout in tx.outputs:
        if txout.value < 0:
            return "bad-txns-vout-negative"
        if txout.value > MAX_MONEY:
            return "bad-txns-vout-toolarge"
        total += txout.value
        if total > MAX_MONEY:
            return "bad-txns-txouttotal-toolarge"
    if len({txin.prevout for txin in tx.inputs}) != len(tx.inputs):
        return "bad-txns-inputs-duplicate"
    if tx.is_coinbase():
        if not 2 <= len(tx.inputs[0].script_sig) <= 100:
            return "bad-cb-length"
    elif any(txin.prevout.txid == "00" * 32 and txin.prevout.vout == 0xFFFFFFFF for txin in tx.inputs):
        return "bad-txns-prevout-null"
    return None


def is_final(tx: Tx, block_height: int, block_time: int) -> bool:
    """IsFinalTx (BIP113: ``block_time`` is the median time past of the previous block)."""
    if tx.locktime == 0:
        return True
    limit = block_height if tx.locktime < LOCKTIME_THRESHOLD else block_time
    if tx.locktime < limit:
        return True
    return all(txin.sequence == SEQUENCE_FINAL for txin in tx.inputs)


def sequence_locks_met(
    tx: Tx,
    coin_heights: Sequence[int],
    block_height: int,
    median_time_past_at: Callable[[int], int],
) -> bool:
    """BIP68 (CalculateSequenceLocks + EvaluateSequenceLocks) for a tx in a block at
    ``block_height``.  ``median_time_past_at(h)`` is the MTP of the block at height h
    on the active chain; the block's own reference time is that of its parent."""
    if tx.version < 2:
        return True
    min_height, min_time = -1, -1
    for txin, coin_height in zip(tx.inputs, coin_heights, strict=True):
        seq = txin.sequence
        if seq & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            continue
        value = seq & SEQUENCE_LOCKTIME_MASK
        if seq & SEQUENCE_LOCKTIME_TYPE_FLAG:
            coin_time = median_time_past_at(max(coin_height - 1, 0))
            min_time = max(min_time, coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1)
        else:
            min_height = max(min_height, coin_height + value - 1)
    return min_height < block_height and min_time < median_time_past_at(block_height - 1)


def check_tx_inputs(tx: Tx, coins: Sequence[Coin], spend_height: int) -> Reject | int:
    """Consensus::CheckTxInputs: maturity and amounts.  Returns the fee or a Reject."""
    value_in = 0
    for coin in coins:
        if coin.is_coinbase and spend_height - coin.height < COINBASE_MATURITY:
            depth = spend_height - coin.height
            return Reject("bad-txns-premature-spend-of-coinbase", f"tried to spend coinbase at depth {depth}")
        value_in += coin.txout.value
        if not 0 <= coin.txout.value <= MAX_MONEY or value_in > MAX_MONEY:
            return Reject("bad-txns-inputvalues-outofrange")
    value_out = sum(o.value for o in tx.outputs)
    if value_in < value_out:
        return Reject("bad-txns-in-belowout", f"value in ({value_in}) < value out ({value_out})")
    return value_in - value_out

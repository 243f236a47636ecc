"""A small mempool: a transaction gets in only if it would be valid in the next block.

:func:`check_mempool_tx` follows the order of Bitcoin Core's
``MemPoolAccept::PreChecks`` and ``PolicyScriptChecks`` so that the first failing
rule gives the same reject reason a node would.  Scripts go to the kernel
(:func:`taptrees.verify.verify_inputs`, every consensus flag).  No replacement
(RBF): a conflict with a mempool transaction is refused as ``txn-mempool-conflict``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from regtest.policy import (
    MIN_STANDARD_TX_NONWITNESS_SIZE,
    Policy,
    inputs_standard,
    min_relay_fee,
    standard_tx_reason,
    witness_standard,
)
from regtest.rules import (
    Coin,
    Reject,
    check_transaction,
    check_tx_inputs,
    is_final,
    sequence_locks_met,
)
from taptrees.interp.explain import explain_input
from taptrees.tx import OutPoint, Tx
from taptrees.verify import verify_inputs


@dataclass(frozen=True)
class MempoolEntry:
    tx: Tx
    fee: int
    coins: tuple[Coin, ...]  # what each input spends


@dataclass
class Mempool:
    """Accepted transactions in acceptance order (parents before children)."""

    entries: dict[str, MempoolEntry] = field(default_factory=dict)
    spenders: dict[OutPoint, str] = field(default_factory=dict)

    def add(self, entry: MempoolEntry) -> None:
        txid = entry.tx.txid
        self.entries[txid] = entry
        for txin in entry.tx.inputs:
            self.spenders[txin.prevout] = txid

    def clear(self) -> list[Tx]:
        """Empty the pool, returning its transactions in order."""
        txs = [e.tx for e in self.entries.values()]
        self.entries.clear()
        self.spenders.clear()
        return txs

    def output(self, outpoint: OutPoint) -> Coin | None:
        """An output created by a mempool transaction (spent or not)."""
        entry = self.entries.get(outpoint.txid)
        if entry is None or outpoint.vout >= len(entry.tx.outputs):
            return None
        return Coin(entry.tx.outputs[outpoint.vout], -1, False)

    def __iter__(self) -> Iterator[MempoolEntry]:
        return iter(list(self.entries.values()))

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class NextBlock:
    """What the next block looks like to a transaction: its height, the median time
    past of its parent (BIP113), and MTP lookups by height for BIP68."""

    height: int
    median_time_past: int
    median_time_past_at: Callable[[int], int]


def check_mempool_tx(
    tx: Tx,
    pool: Mempool,
    confirmed_coin: Callable[[OutPoint], Coin | None],
    next_block: NextBlock,
    policy: Policy,
) -> Reject | MempoolEntry:
    """Decide whether ``tx`` may enter ``pool``; returns the entry or the rejection."""
    reason = check_transaction(tx)
    if reason:
        return Reject(reason)
    if tx.is_coinbase():
        return Reject("coinbase")
    if policy.require_standard:
        reason = standard_tx_reason(tx, policy)
        if reason:
            return Reject(reason)
    if len(tx.serialize(with_witness=False)) < MIN_STANDARD_TX_NONWITNESS_SIZE:
        return Reject("tx-size-small")
    if not is_final(tx, next_block.height, next_block.median_time_past):
        return Reject("non-final")
    txid = tx.txid
    if txid in pool.entries:
        same = pool.entries[txid].tx.wtxid == tx.wtxid
        return Reject("txn-already-in-mempool" if same else "txn-same-nonwitness-data-in-mempool")
    for txin in tx.inputs:
        if txin.prevout in pool.spenders:
            return Reject("txn-mempool-conflict", f"{txin.prevout} spent by {pool.spenders[txin.prevout]}")

    coins: list[Coin] = []
    for txin in tx.inputs:
        coin = confirmed_coin(txin.prevout)
        if coin is None:
            coin = pool.output(txin.prevout)
            if coin is not None:
                coin = Coin(coin.txout, next_block.height, False)
        if coin is None:
            if any(confirmed_coin(OutPoint(txid, i)) for i in range(len(tx.outputs))):
                return Reject("txn-already-known")
            return Reject("bad-txns-inputs-missingorspent", f"{txin.prevout} is not an unspent output")
        coins.append(coin)

    if not sequence_locks_met(
        tx, [c.height for c in coins], next_block.height, next_block.median_time_past_at
    ):
        return Reject("non-BIP68-final")
    fee = check_tx_inputs(tx, coins, next_block.height)
    if isinstance(fee, Reject):
        return fee
    spent = [c.txout for c in coins]
    if policy.require_standard:
        if not inputs_standard(tx, spent):
            return Reject("bad-txns-nonstandard-inputs")
        if not witness_standard(tx, spent):
            return Reject("bad-witness-nonstandard")
    need = min_relay_fee(tx.vsize, policy.min_relay_feerate)
    if fee < need:
        return Reject("min relay fee not met", f"{fee} < {need}")
    for verdict in verify_inputs(tx, spent):
        if not verdict.ok:
            # libbitcoinkernel answers pass/fail only; the analysis interpreter says why
            why = explain_input(tx, verdict.input_index, spent)
            return Reject(
                "mandatory-script-verify-flag-failed "
                f"(input {verdict.input_index} failed in libbitcoinkernel: {why})",
                verdict.reason,
            )
    return MempoolEntry(tx, fee, tuple(coins))

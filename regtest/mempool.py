"""A small mempool: a transaction gets in only if it would be valid in the next block.

:func:`check_mempool_tx` follows the order of ``MemPoolAccept::PreChecks``,
``ReplacementChecks`` and ``PolicyScriptChecks`` in the Bitcoin Core version the
pinned libbitcoinkernel vendors (31.99), so that the first failing rule gives the
reject reason that node gives, word for word.  Scripts go to the kernel
(:func:`taptrees.verify.verify_inputs`, every consensus flag); when it refuses an
input, the analysis interpreter names Core's script error for the reason
(``mempool-script-verify-flag-failed (<ScriptErrorString>)``).  A conflict with a
mempool transaction is a replacement attempt (full RBF, :mod:`regtest.rbf`).

Packages (``submitpackage``) are modelled for Core's child-with-parents shape:
a parent refused only for its fee is reconsidered with the child, judged by the
package feerate (:func:`check_package`).

Not modelled: TRUC (version 3) topology rules, package RBF, ephemeral-dust
spends, standardness-only script flags on inputs the kernel accepts, and
eviction when the pool is full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from regtest.policy import (
    MAX_STANDARD_TX_SIGOPS_COST,
    MIN_STANDARD_TX_NONWITNESS_SIZE,
    Policy,
    dust_outputs,
    inputs_nonstandard,
    min_relay_fee,
    standard_tx_reason,
    tx_sigop_cost,
    witness_standard,
)
from regtest.rbf import GraphTx, cluster_limit_reject, replacement_reject
from regtest.rules import (
    Coin,
    Reject,
    check_transaction,
    check_tx_inputs,
    is_final,
    sequence_locks_met,
)
from taptrees.interp.error_strings import script_error_string
from taptrees.interp.explain import explain_failure
from taptrees.tx import OutPoint, Tx, TxOut
from taptrees.verify import verify_inputs

#: -bytespersigop: a sigop counts as this many vbytes in the size fees pay for.
DEFAULT_BYTES_PER_SIGOP = 20


def policy_weight(weight: int, sigop_cost: int) -> int:
    """GetSigOpsAdjustedWeight."""
    return max(weight, sigop_cost * DEFAULT_BYTES_PER_SIGOP)


@dataclass(frozen=True)
class MempoolEntry:
    tx: Tx
    fee: int
    coins: tuple[Coin, ...]  # what each input spends
    sigop_cost: int = 0
    replaces: tuple[str, ...] = ()  # mempool txids this one evicts (RBF)

    @property
    def weight(self) -> int:
        """Sigop-adjusted weight, what fees are measured against."""
        return policy_weight(self.tx.weight, self.sigop_cost)

    @property
    def vsize(self) -> int:
        """GetVirtualTransactionSize: the sigop-adjusted weight in vbytes."""
        return -(-self.weight // 4)


@dataclass
class Mempool:
    """Accepted transactions in acceptance order (parents before children)."""

    entries: dict[str, MempoolEntry] = field(default_factory=dict)
    spenders: dict[OutPoint, str] = field(default_factory=dict)

    def add(self, entry: MempoolEntry) -> None:
        """Add ``entry``, evicting the transactions it replaces."""
        self.remove(entry.replaces)
        txid = entry.tx.txid
        self.entries[txid] = entry
        for txin in entry.tx.inputs:
            self.spenders[txin.prevout] = txid

    def remove(self, txids) -> None:
        for txid in txids:
            entry = self.entries.pop(txid, None)
            if entry is None:
                continue
            for txin in entry.tx.inputs:
                if self.spenders.get(txin.prevout) == txid:
                    del self.spenders[txin.prevout]

    def descendants(self, txids) -> set[str]:
        """``txids`` and every mempool transaction spending from them, recursively."""
        found, todo = set(), list(txids)
        while todo:
            txid = todo.pop()
            if txid in found or txid not in self.entries:
                continue
            found.add(txid)
            outputs = len(self.entries[txid].tx.outputs)
            todo.extend(self.spenders[o] for o in (OutPoint(txid, i) for i in range(outputs)) if o in self.spenders)
        return found

    def ancestors(self, tx: Tx) -> set[str]:
        """The mempool transactions ``tx`` spends from, recursively."""
        found, todo = set(), [txin.prevout.txid for txin in tx.inputs]
        while todo:
            txid = todo.pop()
            if txid in found or txid not in self.entries:
                continue
            found.add(txid)
            todo.extend(txin.prevout.txid for txin in self.entries[txid].tx.inputs)
        return found

    def cluster_of(self, txids) -> set[str]:
        """The clusters (connected by spending) that hold any of ``txids``."""
        found, todo = set(), [t for t in txids if t in self.entries]
        while todo:
            txid = todo.pop()
            if txid in found:
                continue
            found.add(txid)
            tx = self.entries[txid].tx
            todo.extend(i.prevout.txid for i in tx.inputs if i.prevout.txid in self.entries)
            todo.extend(
                self.spenders[o] for o in (OutPoint(txid, i) for i in range(len(tx.outputs))) if o in self.spenders
            )
        return found

    def graph(self, txids) -> dict[str, GraphTx]:
        """Fees, sizes and in-pool parents of ``txids`` (whole clusters, for RBF)."""
        return {txid: _graph_tx(self.entries[txid], self) for txid in txids}

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


def _graph_tx(entry: MempoolEntry, pool: Mempool) -> GraphTx:
    parents = frozenset(i.prevout.txid for i in entry.tx.inputs if i.prevout.txid in pool.entries)
    return GraphTx(entry.fee, entry.weight, entry.vsize, parents)


@dataclass(frozen=True)
class NextBlock:
    """What the next block looks like to a transaction: its height, the median time
    past of its parent (BIP113), and MTP lookups by height for BIP68."""

    height: int
    median_time_past: int
    median_time_past_at: Callable[[int], int]


#: The rejection a package may reconsider (Core's TX_RECONSIDERABLE for the relay fee).
FEE_TOO_LOW = "min relay fee not met"


def check_mempool_tx(
    tx: Tx,
    pool: Mempool,
    confirmed_coin: Callable[[OutPoint], Coin | None],
    next_block: NextBlock,
    policy: Policy,
    *,
    fee_check: bool = True,
) -> Reject | MempoolEntry:
    """Decide whether ``tx`` may enter ``pool``; returns the entry or the rejection.
    ``fee_check=False`` leaves the minimum relay fee to a package's feerate."""
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
    conflicts = {pool.spenders[i.prevout] for i in tx.inputs if i.prevout in pool.spenders}

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
            return Reject("bad-txns-inputs-missingorspent")
        coins.append(coin)

    if not sequence_locks_met(tx, [c.height for c in coins], next_block.height, next_block.median_time_past_at):
        return Reject("non-BIP68-final")
    fee = check_tx_inputs(tx, coins, next_block.height)
    if isinstance(fee, Reject):
        return fee
    spent = [c.txout for c in coins]
    if policy.require_standard:
        nonstandard = inputs_nonstandard(tx, spent)
        if nonstandard is not None:
            return nonstandard
        if not witness_standard(tx, spent):
            return Reject("bad-witness-nonstandard")
    entry = MempoolEntry(tx, fee, tuple(coins), tx_sigop_cost(tx, spent))
    if policy.require_standard and fee != 0 and dust_outputs(tx, policy.dust_relay_feerate):
        return Reject("dust", "tx with dust output must be 0-fee")
    if entry.sigop_cost > MAX_STANDARD_TX_SIGOPS_COST:
        return Reject("bad-txns-too-many-sigops", str(entry.sigop_cost))
    need = min_relay_fee(entry.vsize, policy.min_relay_feerate)
    if fee_check and fee < need:
        return Reject(FEE_TOO_LOW, f"{fee} < {need}")

    new = _graph_tx(entry, pool)
    if conflicts:
        evicted = pool.descendants(conflicts)
        graph = pool.graph(pool.cluster_of(conflicts | evicted | new.parents))
        refused = replacement_reject(txid, new, graph, conflicts, evicted, policy.incremental_relay_feerate)
        if refused is not None:
            return refused
        entry = MempoolEntry(tx, fee, entry.coins, entry.sigop_cost, tuple(sorted(evicted)))
        for ancestor in pool.ancestors(tx):
            if ancestor in conflicts:
                return Reject("bad-txns-spends-conflicting-tx", f"{txid} spends conflicting transaction {ancestor}")
    else:
        graph = pool.graph(pool.cluster_of(new.parents))
        refused = cluster_limit_reject(txid, {**graph, txid: new})
        if refused is not None:
            return refused

    for verdict in verify_inputs(tx, spent):
        if not verdict.ok:
            return script_reject(tx, verdict.input_index, spent)
    return entry


def script_reject(tx: Tx, index: int, spent: Sequence[TxOut]) -> Reject:
    """PolicyScriptChecks' rejection of input ``index``: libbitcoinkernel answers
    pass/fail only, so the analysis interpreter (with the standardness flags a
    mempool uses) names Core's script error; "unknown error" when it cannot."""
    error, why = explain_failure(tx, index, spent, policy=True)
    prevout = tx.inputs[index].prevout
    return Reject(
        f"mempool-script-verify-flag-failed ({script_error_string(error)})",
        f"input {index} of {tx.txid} (wtxid {tx.wtxid}), spending {prevout.txid}:{prevout.vout}; analysis: {why}",
    )


def check_package(
    txs: Sequence[Tx],
    pool: Mempool,
    confirmed_coin: Callable[[OutPoint], Coin | None],
    next_block: NextBlock,
    policy: Policy,
) -> tuple[str, list[Reject | MempoolEntry | None]]:
    """Core's AcceptPackage for a child-with-parents package, on ``pool`` (changed
    only when the whole package gets in): each parent on its own first; parents
    refused only for the relay fee are then judged with the child by the feerate of
    the transactions not yet in the pool.  Returns Core's ``package_msg`` and, per
    transaction, its entry, its rejection, or None when it was in the pool already."""
    from regtest.chain import package_shape_reason

    shape = package_shape_reason(txs)
    if shape:
        return shape, [None] * len(txs)
    results: list[Reject | MempoolEntry | None] = []
    added: list[str] = []
    deferred: list[int] = []

    def roll_back() -> None:
        pool.remove(set(added))

    for index, tx in enumerate(txs[:-1]):
        if tx.txid in pool.entries:
            results.append(None)
            continue
        verdict = check_mempool_tx(tx, pool, confirmed_coin, next_block, policy)
        if isinstance(verdict, Reject) and verdict.reason == FEE_TOO_LOW:
            verdict = check_mempool_tx(tx, pool, confirmed_coin, next_block, policy, fee_check=False)
            if not isinstance(verdict, Reject):
                deferred.append(index)
        if not isinstance(verdict, Reject) and verdict.replaces and index in deferred:
            verdict = Reject("package RBF", "a replacement paid for by its child is not modelled")
        results.append(verdict)
        if isinstance(verdict, Reject):
            roll_back()
            return "transaction failed", results + [None]
        pool.add(verdict)
        added.append(tx.txid)
    child = txs[-1]
    verdict = check_mempool_tx(child, pool, confirmed_coin, next_block, policy, fee_check=False)
    if not isinstance(verdict, Reject) and verdict.replaces and deferred:
        verdict = Reject("package RBF", "a replacement paid for by its child is not modelled")
    results.append(verdict)
    if isinstance(verdict, Reject):
        roll_back()
        return "transaction failed", results
    judged = [results[i] for i in deferred] + [verdict]
    fee = sum(e.fee for e in judged)
    vsize = sum(e.vsize for e in judged)
    need = min_relay_fee(vsize, policy.min_relay_feerate)
    if fee < need:
        roll_back()
        refusal = Reject(FEE_TOO_LOW, f"package feerate: {fee} < {need} for {vsize} vbytes")
        return "transaction failed", [refusal if i in (*deferred, len(txs) - 1) else r for i, r in enumerate(results)]
    pool.add(verdict)
    return "success", results

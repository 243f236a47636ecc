"""``KernelChain``: an embedded regtest chain validated by libbitcoinkernel.

The project builds each block (:mod:`regtest.blocks`) and hands it to the kernel's
``ChainstateManager.process_block``; the kernel alone decides validity and which
branch is active.  Alongside, this class keeps a view the kernel API does not offer
(UTXO set, transaction index, mempool) and re-synchronises it with the kernel's
active chain after every block: blocks the kernel disconnects are undone, their
transactions return to the mempool when still valid.

When the kernel rejects a block, its reason is read from the kernel's own log line
(``ConnectBlock <hash> failed, <reason>`` / ``Block validation error: <reason>``),
as ``BlockValidationState`` carries only a category.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pbk

from regtest.blocks import (
    REGTEST_GENESIS_HASH,
    Block,
    build_block,
    median_time,
)
from regtest.chain import (
    NETWORK,
    BlockRejected,
    ChainError,
    PackageSubmission,
    Submission,
    Utxo,
    as_tx,
    check_network,
    check_script_pubkey,
    check_txid,
)
from regtest.mempool import Mempool, MempoolEntry, NextBlock, check_mempool_tx, check_package
from regtest.policy import Policy
from regtest.rules import Coin, Reject
from taptrees.errors import InputError
from taptrees.tx import OutPoint, Tx

DEFAULT_BLOCK_INTERVAL = 600
_REASON_PATTERNS = (
    re.compile(r"ConnectBlock [0-9a-f]{64} failed, (.*)"),
    re.compile(r"Block validation error: (.*)"),
    re.compile(r"AcceptBlock FAILED \((.*)\)"),
    re.compile(r"state=(.*)"),
)


@dataclass(frozen=True)
class BlockRecord:
    """A block on some branch, as this chain knows it."""

    hash: str
    prev_hash: str
    height: int
    time: int
    txs: tuple[Tx, ...]  # coinbase first


@dataclass(frozen=True)
class _Undo:
    spent: tuple[tuple[OutPoint, Coin], ...]
    created: tuple[OutPoint, ...]


class KernelChain:
    """A regtest chain held in this process (see the module docstring).

    ``datadir=None`` keeps everything in memory (block files in a temporary
    directory, removed on :meth:`close`); a ``datadir`` keeps the chain between runs.
    ``policy`` sets the mempool's standardness (``Policy(require_standard=False)``
    is ``-acceptnonstdtxn=1``).  ``block_interval`` is the seconds between
    successive block timestamps, counted from the regtest genesis block (always
    above the median time past, so time-based locks move with the chain).
    """

    network = NETWORK

    def __init__(
        self,
        datadir: str | Path | None = None,
        *,
        policy: Policy | None = None,
        block_interval: int = DEFAULT_BLOCK_INTERVAL,
        network: str = NETWORK,
        worker_threads: int = 0,
    ) -> None:
        check_network(network)
        if block_interval < 1:
            raise InputError(f"block_interval must be at least 1 second, got {block_interval}")
        self.policy = policy or Policy()
        self.block_interval = block_interval
        self._tmp = tempfile.TemporaryDirectory(prefix="kernelchain-") if datadir is None else None
        root = Path(self._tmp.name if self._tmp else datadir).absolute()
        root.mkdir(parents=True, exist_ok=True)

        self._checked: dict[str, tuple[pbk.ValidationMode, pbk.BlockValidationResult]] = {}
        self._log: list[str] | None = None
        self._log_connection = pbk.LoggingConnection(self._on_log)
        callbacks = pbk.ValidationInterfaceCallbacks(block_checked=self._on_block_checked)
        self._context = pbk.make_context(pbk.ChainType.REGTEST, callbacks)
        options = pbk.ChainstateManagerOptions(self._context, str(root), str(root / "blocks"))
        options.set_worker_threads_num(worker_threads)
        in_memory = datadir is None
        options.update_block_tree_db_in_memory(in_memory)
        options.update_chainstate_db_in_memory(in_memory)
        try:
            self._chainman = pbk.ChainstateManager(options)
        except RuntimeError as exc:
            raise ChainError(f"libbitcoinkernel could not open {root}: {exc}") from None
        self._kchain = self._chainman.get_active_chain()

        self._records: dict[str, BlockRecord] = {}
        self._active: list[str] = []
        self._times: list[int] = []
        self._coins: dict[OutPoint, Coin] = {}
        self._undo: dict[str, _Undo] = {}
        self._tx_index: dict[str, tuple[Tx, int]] = {}  # txid -> (tx, height)
        self._mempool = Mempool()
        self._extra_nonce = 0
        genesis = self._kchain.block_tree_entries[0]
        if str(genesis.block_hash) != REGTEST_GENESIS_HASH:
            raise ChainError(f"kernel genesis {genesis.block_hash} is not regtest's")
        self._sync_to_kernel()

    # --- kernel callbacks -----------------------------------------------------------

    def _on_log(self, message: str) -> None:
        if self._log is not None:
            self._log.append(message)

    def _on_block_checked(self, _user_data: object, block: pbk.Block, state) -> None:
        self._checked[str(block.block_hash)] = (state.validation_mode, state.block_validation_result)

    # --- reading ----------------------------------------------------------------------

    def height(self) -> int:
        return len(self._active) - 1

    def tip_hash(self) -> str:
        return self._active[-1]

    def block_hash(self, height: int) -> str:
        if not 0 <= height < len(self._active):
            raise InputError(f"no block at height {height} (tip is {self.height()})")
        return self._active[height]

    def median_time_past(self) -> int:
        return self._mtp_at(self.height())

    def _mtp_at(self, height: int) -> int:
        return median_time(self._times[max(0, height - 10) : height + 1])

    def get_output(self, outpoint: OutPoint) -> Utxo | None:
        if not isinstance(outpoint, OutPoint):
            raise InputError(f"expected an OutPoint, got {type(outpoint).__name__}")
        if outpoint in self._mempool.spenders:
            return None
        coin = self._coins.get(outpoint)
        if coin is not None:
            return Utxo(outpoint, coin.txout, coin.height, coin.is_coinbase, self.height() - coin.height + 1)
        pending = self._mempool.output(outpoint)
        if pending is not None:
            return Utxo(outpoint, pending.txout, None, False, 0)
        return None

    def confirmations(self, txid: str) -> int | None:
        txid = check_txid(txid)
        if txid in self._mempool.entries:
            return 0
        found = self._tx_index.get(txid)
        return None if found is None else self.height() - found[1] + 1

    def get_tx(self, txid: str) -> Tx | None:
        txid = check_txid(txid)
        entry = self._mempool.entries.get(txid)
        if entry is not None:
            return entry.tx
        found = self._tx_index.get(txid)
        return None if found is None else found[0]

    def mempool(self) -> list[str]:
        return list(self._mempool.entries)

    def get_block(self, block_hash: str) -> BlockRecord | None:
        return self._records.get(check_txid(block_hash, "block hash"))

    def block_txids(self, block_hash: str) -> list[str]:
        record = self.get_block(block_hash)
        if record is None:
            raise InputError(f"unknown block {block_hash}")
        return [tx.txid for tx in record.txs]

    # --- transactions -----------------------------------------------------------------

    def _next_block(self) -> NextBlock:
        return NextBlock(self.height() + 1, self.median_time_past(), self._mtp_at)

    def _check(self, tx: Tx) -> Reject | MempoolEntry:
        return check_mempool_tx(tx, self._mempool, self._coins.get, self._next_block(), self.policy)

    def test_accept(self, tx: Tx | str | bytes) -> Submission:
        tx = as_tx(tx)
        verdict = self._check(tx)
        if isinstance(verdict, Reject):
            return Submission(False, tx.txid, verdict.reason, verdict.detail)
        return Submission(True, tx.txid)

    def submit_package(self, txs: Sequence[Tx | str | bytes]) -> PackageSubmission:
        """Like ``submitpackage``: Core's child-with-parents packages, a parent short
        of the relay fee paid for by its child (:func:`regtest.mempool.check_package`)."""
        txs = [as_tx(tx) for tx in txs]
        message, verdicts = check_package(txs, self._mempool, self._coins.get, self._next_block(), self.policy)
        results = []
        for tx, verdict in zip(txs, verdicts, strict=True):
            if isinstance(verdict, Reject):
                results.append(Submission(False, tx.txid, verdict.reason, verdict.detail))
            else:
                ok = verdict is not None or tx.txid in self._mempool.entries
                results.append(Submission(ok, tx.txid, "" if ok else message))
        return PackageSubmission(message, tuple(results))

    def submit(self, tx: Tx | str | bytes) -> Submission:
        """Like ``sendrawtransaction``: a transaction whose txid is already in the
        mempool is accepted as it stands (Core rebroadcasts the mempool's copy)."""
        tx = as_tx(tx)
        if tx.txid in self._mempool.entries:
            return Submission(True, tx.txid)
        verdict = self._check(tx)
        if isinstance(verdict, Reject):
            return Submission(False, tx.txid, verdict.reason, verdict.detail)
        self._mempool.add(verdict)
        return Submission(True, tx.txid)

    # --- mining -----------------------------------------------------------------------

    def mine(self, n: int, script_pubkey: bytes, txs: Sequence[Tx] | None = None) -> list[str]:
        if not isinstance(n, int) or n < 0:
            raise InputError(f"number of blocks must be a non-negative integer, got {n!r}")
        script_pubkey = check_script_pubkey(script_pubkey)
        explicit = None if txs is None else [as_tx(tx) for tx in txs]
        hashes = []
        for i in range(n):
            if explicit is None:
                block_txs = [entry.tx for entry in self._mempool]
            else:
                block_txs = explicit if i == 0 else []
            block = self._build_on(self.tip_hash(), script_pubkey, block_txs)
            self._process(block)
            hashes.append(block.hash)
        return hashes

    def _fees(self, txs: Sequence[Tx]) -> int:
        """Fees of ``txs`` as a block on the tip: inputs from the UTXO set or earlier
        txs of the block; unknown inputs count nothing (the kernel will refuse)."""
        created: dict[OutPoint, int] = {}
        total = 0
        for tx in txs:
            value_in = 0
            known = True
            for txin in tx.inputs:
                coin = self._coins.get(txin.prevout)
                if coin is not None:
                    value_in += coin.txout.value
                elif txin.prevout in created:
                    value_in += created[txin.prevout]
                else:
                    known = False
            if known:
                total += max(0, value_in - sum(o.value for o in tx.outputs))
            for vout, out in enumerate(tx.outputs):
                created[OutPoint(tx.txid, vout)] = out.value
        return total

    def _build_on(
        self,
        prev_hash: str,
        script_pubkey: bytes,
        txs: Sequence[Tx],
        branch_times: Sequence[int] | None = None,
    ) -> Block:
        prev = self._records[prev_hash]
        times = list(branch_times) if branch_times is not None else self._times
        time = max(median_time(times[-11:]) + 1, prev.time + self.block_interval)
        self._extra_nonce += 1
        fees = self._fees(txs) if prev_hash == self.tip_hash() else 0
        return build_block(
            prev_hash=prev_hash,
            height=prev.height + 1,
            time=time,
            script_pubkey=script_pubkey,
            txs=txs,
            fees=fees,
            extra_nonce=self._extra_nonce,
        )

    def _process(self, block: Block) -> None:
        """Hand ``block`` to the kernel; raise BlockRejected with its reason."""
        height = self._records[block.header.prev_hash].height + 1
        self._records[block.hash] = BlockRecord(
            block.hash, block.header.prev_hash, height, block.header.time, block.txs
        )
        self._log = []
        self._checked.clear()
        try:
            self._chainman.process_block(pbk.Block(block.raw))
            failure = None
        except pbk.ProcessBlockException as exc:
            failure = f"process_block failed: {exc}"
        finally:
            log, self._log = self._log, None
        invalid = [h for h, (mode, _) in self._checked.items() if mode != pbk.ValidationMode.VALID]
        self._checked.clear()
        if failure is None and invalid:
            failure = _kernel_reason(log, invalid[0]) or "refused by the kernel"
            if invalid[0] != block.hash:
                failure = f"ancestor {invalid[0]} invalid: {failure}"
        if failure is not None:
            del self._records[block.hash]
            self._sync_to_kernel()
            raise BlockRejected(block.hash, height, failure)
        self._sync_to_kernel()

    # --- reorganisations --------------------------------------------------------------

    def reorg(self, fork_height: int, n_blocks: int, script_pubkey: bytes) -> list[str]:
        """Mine ``n_blocks`` empty blocks on the block at ``fork_height``; the kernel
        switches to them when the branch is longer than the active chain (it must be).
        Transactions of the blocks left behind return to the mempool when still valid."""
        script_pubkey = check_script_pubkey(script_pubkey)
        if not 0 <= fork_height <= self.height():
            raise InputError(f"fork height {fork_height} is not on the chain (tip {self.height()})")
        if fork_height + n_blocks <= self.height():
            raise InputError(
                f"a branch of {n_blocks} blocks from height {fork_height} does not outgrow "
                f"the active chain at height {self.height()}"
            )
        prev = self._active[fork_height]
        times = self._times[: fork_height + 1]
        hashes = []
        for _ in range(n_blocks):
            block = self._build_on(prev, script_pubkey, [], times)
            self._process(block)
            hashes.append(block.hash)
            prev = block.hash
            times.append(block.header.time)
        return hashes

    def invalidate(self, block_hash: str) -> None:
        """libbitcoinkernel has no ``invalidateblock``: reorganise with :meth:`reorg`."""
        check_txid(block_hash, "block hash")
        raise ChainError(
            "KernelChain cannot invalidate a block (libbitcoinkernel offers no "
            "invalidateblock); use reorg(fork_height, n_blocks, script_pubkey)"
        )

    # --- keeping the view on the kernel's active chain --------------------------------

    def _sync_to_kernel(self) -> None:
        tip_height = self._kchain.height
        entry = self._kchain.block_tree_entries[tip_height]
        if tip_height == self.height() and str(entry.block_hash) == self._active[-1]:
            return
        new_entries = []
        while entry.height >= len(self._active) or str(entry.block_hash) != self._active[entry.height]:
            new_entries.append(entry)
            if entry.height == 0:
                break
            entry = entry.previous
        fork = entry.height if not new_entries or new_entries[-1].height > 0 else -1
        returned: list[Tx] = []
        while self.height() > fork:
            returned = list(self._disconnect_tip()) + returned
        for new in reversed(new_entries):
            self._connect(self._record_of(new))
        self._refresh_mempool(returned)

    def _record_of(self, entry: pbk.BlockTreeEntry) -> BlockRecord:
        """Our record of a block, read back from the kernel's block files when it was
        built by an earlier run on the same datadir."""
        block_hash = str(entry.block_hash)
        record = self._records.get(block_hash)
        if record is None:
            kblock = self._chainman.blocks[entry]
            header = kblock.block_header
            txs = tuple(Tx.parse(bytes(t)) for t in kblock.transactions)
            prev = str(header.prev_hash) if entry.height else "00" * 32
            record = BlockRecord(block_hash, prev, entry.height, int(header.timestamp.timestamp()), txs)
            self._records[block_hash] = record
        return record

    def _connect(self, record: BlockRecord) -> None:
        spent: list[tuple[OutPoint, Coin]] = []
        created: list[OutPoint] = []
        for index, tx in enumerate(record.txs):
            coinbase = index == 0
            if record.height > 0:
                if not coinbase:
                    for txin in tx.inputs:
                        spent.append((txin.prevout, self._coins.pop(txin.prevout)))
                txid = tx.txid
                for vout, txout in enumerate(tx.outputs):
                    if txout.script_pubkey[:1] == b"\x6a":  # OP_RETURN: provably unspendable
                        continue
                    outpoint = OutPoint(txid, vout)
                    self._coins[outpoint] = Coin(txout, record.height, coinbase)
                    created.append(outpoint)
                self._tx_index[txid] = (tx, record.height)
        self._undo[record.hash] = _Undo(tuple(spent), tuple(created))
        self._active.append(record.hash)
        self._times.append(record.time)

    def _disconnect_tip(self) -> tuple[Tx, ...]:
        block_hash = self._active.pop()
        self._times.pop()
        record = self._records[block_hash]
        undo = self._undo.pop(block_hash)
        for outpoint in undo.created:
            del self._coins[outpoint]
        for outpoint, coin in undo.spent:
            self._coins[outpoint] = coin
        for tx in record.txs:
            self._tx_index.pop(tx.txid, None)
        return record.txs[1:]

    def _refresh_mempool(self, returned: Sequence[Tx]) -> None:
        """After the tip moved: drop what was mined or now conflicts, and re-admit
        what is still valid (transactions of disconnected blocks first)."""
        if not returned and not self._mempool:
            return
        for tx in [*returned, *self._mempool.clear()]:
            if tx.txid in self._tx_index:
                continue
            verdict = self._check(tx)
            if isinstance(verdict, MempoolEntry):
                self._mempool.add(verdict)

    # --- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Release the kernel (flushing a datadir) and remove temporary files."""
        if getattr(self, "_chainman", None) is None:
            return
        self._kchain = None
        self._chainman = None
        self._context = None
        self._log_connection = None
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> KernelChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<KernelChain height={self.height()} mempool={len(self._mempool)}>"


def _kernel_reason(log: Sequence[str], block_hash: str) -> str | None:
    """The kernel's reject reason for ``block_hash`` from its log lines."""
    for pattern in _REASON_PATTERNS:
        for line in log:
            if pattern is _REASON_PATTERNS[3] and block_hash not in line:
                continue
            match = pattern.search(line)
            if match:
                return match.group(1).strip()
    return None

"""The ``Chain`` protocol: what a drill needs from a regtest chain, whichever backend
runs it (the embedded :class:`regtest.kernel.KernelChain` or a real
``bitcoind -regtest`` through :class:`regtest.bitcoind.BitcoindChain`).

Transactions and outputs are :mod:`taptrees.tx` values; txids and block hashes are
display hex.  Rejections carry Bitcoin Core's reject-reason strings
(``bad-txns-inputs-missingorspent``, ``non-BIP68-final``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from taptrees.errors import InputError
from taptrees.tx import OutPoint, Tx, TxOut

NETWORK = "regtest"


class ChainError(RuntimeError):
    """The chain backend failed (node unreachable, kernel internal error, ...)."""


class BlockRejected(ChainError):
    """A block the project built was refused by consensus validation."""

    def __init__(self, block_hash: str, height: int, reason: str) -> None:
        self.block_hash = block_hash
        self.height = height
        self.reason = reason
        super().__init__(f"block {block_hash} at height {height} rejected: {reason}")


@dataclass(frozen=True)
class Submission:
    """The answer to submitting (or test-accepting) a transaction."""

    accepted: bool
    txid: str
    reason: str = ""  # the reject reason alone, e.g. "non-BIP68-final"
    detail: str = ""  # the node's debug message, when it gives one

    def __bool__(self) -> bool:
        return self.accepted


@dataclass(frozen=True)
class PackageSubmission:
    """The answer to submitting a child-with-parents package (``submitpackage``):
    Core's ``package_msg`` ("success" when every transaction is in the mempool) and
    one :class:`Submission` per transaction, in package order."""

    message: str
    results: tuple[Submission, ...]

    @property
    def accepted(self) -> bool:
        return self.message == "success"

    def __bool__(self) -> bool:
        return self.accepted


#: The shape Core's package relay accepts (BIP331 "ancestor package", v28 on).
NOT_CHILD_WITH_PARENTS = "package-not-child-with-parents"


def package_shape_reason(txs: Sequence[Tx]) -> str:
    """Why ``txs`` is not a child-with-parents package (every transaction but the last
    is a parent of the last, none spends another parent; Core's IsChildWithParents and
    IsConsistentPackage), or "" when it is."""
    if len(txs) < 2:
        return NOT_CHILD_WITH_PARENTS
    child = txs[-1]
    spent = {i.prevout.txid for i in child.inputs}
    parents = [tx.txid for tx in txs[:-1]]
    if len(set(parents)) != len(parents) or child.txid in parents:
        return "package-contains-duplicates"
    if any(p not in spent for p in parents):
        return NOT_CHILD_WITH_PARENTS
    ids = set(parents)
    if any(i.prevout.txid in ids for tx in txs[:-1] for i in tx.inputs):
        return NOT_CHILD_WITH_PARENTS
    return ""


@dataclass(frozen=True)
class Utxo:
    """An unspent output: ``height`` is None while its transaction is in the mempool."""

    outpoint: OutPoint
    txout: TxOut
    height: int | None
    is_coinbase: bool
    confirmations: int


@runtime_checkable
class Chain(Protocol):
    """One regtest chain, embedded or behind RPC."""

    network: str

    def height(self) -> int: ...

    def tip_hash(self) -> str: ...

    def block_hash(self, height: int) -> str:
        """Hash of the active chain's block at ``height``."""
        ...

    def median_time_past(self) -> int: ...

    def mine(self, n: int, script_pubkey: bytes, txs: Sequence[Tx] | None = None) -> list[str]:
        """Mine ``n`` blocks paying ``script_pubkey``; the first carries ``txs`` (in
        order) or, when None, the whole valid mempool.  Returns the block hashes."""
        ...

    def submit(self, tx: Tx) -> Submission: ...

    def submit_package(self, txs: Sequence[Tx]) -> PackageSubmission:
        """``submitpackage``: parents below the minimum relay fee get in with a child
        that pays for them (CPFP), judged by the package's feerate."""
        ...

    def test_accept(self, tx: Tx) -> Submission: ...

    def get_output(self, outpoint: OutPoint) -> Utxo | None: ...

    def confirmations(self, txid: str) -> int | None: ...

    def get_tx(self, txid: str) -> Tx | None: ...

    def mempool(self) -> list[str]: ...

    def block_txids(self, block_hash: str) -> list[str]:
        """The txids of a block (coinbase first)."""
        ...

    def invalidate(self, block_hash: str) -> None: ...

    def reorg(self, fork_height: int, n_blocks: int, script_pubkey: bytes) -> list[str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Chain: ...

    def __exit__(self, *exc: object) -> None: ...


def check_txid(txid: str, what: str = "txid") -> str:
    """A txid or block hash must be 64 hex characters."""
    if not isinstance(txid, str) or len(txid) != 64:
        raise InputError(f"{what} must be 64 hex characters, got {txid!r}")
    try:
        bytes.fromhex(txid)
    except ValueError:
        raise InputError(f"{what} is not hex: {txid!r}") from None
    return txid.lower()


def check_script_pubkey(script_pubkey: bytes) -> bytes:
    if not isinstance(script_pubkey, bytes | bytearray):
        raise InputError(f"script_pubkey must be bytes, got {type(script_pubkey).__name__}")
    if len(script_pubkey) > 10_000:
        raise InputError(f"script_pubkey of {len(script_pubkey)} bytes exceeds 10,000")
    return bytes(script_pubkey)


def check_network(network: str) -> str:
    """Only regtest is supported: a drill must never touch a real network."""
    if network != NETWORK:
        raise InputError(f"network {network!r} is not supported here; only {NETWORK!r}")
    return network


def as_tx(tx: Tx | str | bytes) -> Tx:
    """Accept a :class:`Tx`, its hex or its bytes (malformed input -> InputError)."""
    if isinstance(tx, Tx):
        return tx
    if isinstance(tx, str):
        return Tx.from_hex(tx)
    if isinstance(tx, bytes | bytearray):
        return Tx.parse(bytes(tx))
    raise InputError(f"expected a transaction, got {type(tx).__name__}")

"""``BitcoindChain``: the :class:`regtest.chain.Chain` protocol over JSON-RPC to a real
``bitcoind -regtest``.

With no URL, a node is started in a temporary datadir on a free loopback port with
cookie authentication and stopped cleanly on :meth:`BitcoindChain.close` (RPC
``stop``, wait, kill only on timeout).  No wallet is used: blocks come from
``generateblock``/``generatetodescriptor`` with a ``raw(<hex>)`` descriptor,
transactions go through ``sendrawtransaction``/``testmempoolaccept``, outputs are
read with ``gettxout``.  The client is ``bitcoin-core-rpc`` (stdlib-only, cookie
auth, Decimal amounts).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from bitcoin_core_rpc import BitcoinCoreRpcClient
from bitcoin_core_rpc.errors import FetchError, RpcError

from regtest.chain import (
    NETWORK,
    BlockRejected,
    ChainError,
    PackageSubmission,
    Submission,
    Utxo,
    as_tx,
    check_script_pubkey,
    check_txid,
    package_shape_reason,
)
from taptrees.descriptors import raw_descriptor
from taptrees.errors import InputError
from taptrees.tx import OutPoint, Tx, TxOut

COIN = Decimal(100_000_000)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
RPC_IN_WARMUP = -28
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_DESERIALIZATION_ERROR = -22
RPC_VERIFY_ALREADY_IN_UTXO_SET = -27
#: sendrawtransaction's ``maxburnamount``: the whole money supply, so burns (OP_RETURN
#: outputs with value, as Slash and Disprove make) are relayed like any output.
MAX_BURN_BTC = Decimal(21_000_000)
#: A default Bitcoin Core node's relay policy (what KernelChain's ``Policy()`` models),
#: except that regtest's default of accepting non-standard transactions is turned off.
NODE_ARGS = (
    "-server=1",
    "-listen=0",
    "-connect=0",
    "-dnsseed=0",
    "-fixedseeds=0",
    "-disablewallet=1",
    "-txindex=1",
    "-acceptnonstdtxn=0",
    "-printtoconsole=0",
    "-rpcbind=127.0.0.1",
    "-rpcallowip=127.0.0.1",
)


def cached_bitcoind() -> Path | None:
    """The bitcoind ``scripts/bitcoind.sh`` built from the sdist of the installed
    (pinned) py-bitcoinkernel and cached under ``$OCP_CACHE_DIR`` (else
    ``$XDG_CACHE_HOME/ocp`` or ``~/.cache/ocp``) as
    ``bitcoind-<pin>-core<Core version>/bin/bitcoind``; None when not built."""
    root = os.environ.get("OCP_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ocp"
    )
    try:
        pin = metadata.version("py-bitcoinkernel")
    except metadata.PackageNotFoundError:
        return None
    for found in sorted(Path(root).glob(f"bitcoind-{pin}-core*/bin/bitcoind")):
        if os.access(found, os.X_OK):
            return found
    return None


def find_bitcoind() -> str | None:
    """The ``bitcoind`` binary named by ``$BITCOIND`` (None when that is not an
    executable file), else the one on ``PATH``, else the one ``scripts/bitcoind.sh``
    built and cached (:func:`cached_bitcoind`)."""
    named = os.environ.get("BITCOIND")
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    on_path = shutil.which("bitcoind")
    if on_path:
        return on_path
    cached = cached_bitcoind()
    return str(cached) if cached else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sats(amount: Decimal) -> int:
    return int((Decimal(amount) * COIN).to_integral_value())


def _last_line(text: str) -> str:
    """The last non-empty line of a node's output (where Core writes its error)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _node_message(exc: RpcError) -> str:
    """What the node said, without the client's ``"<method> at <url>: "`` prefix (the
    endpoint is the chain's, not part of any reason)."""
    text = str(exc.args[0])
    where, sep, message = text.partition(": ")
    return message if sep and " at " in where else text


def split_reason(message: str) -> tuple[str, str]:
    """Core's ``ValidationState::ToString`` is ``reason`` or ``reason, debug``."""
    reason, _, detail = message.partition(", ")
    return reason, detail


class BitcoindNode:
    """A ``bitcoind`` process owned by this object: ``-regtest`` unless ``chain``
    names another (tests start a signet node, offline, to see it refused)."""

    def __init__(self, binary: str, extra_args: Sequence[str] = (), *, chain: str = NETWORK) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix=f"bitcoind-{chain}-")
        self.datadir = Path(self._tmp.name)
        self.rpc_port = _free_port()
        self.url = f"http://127.0.0.1:{self.rpc_port}"
        self.cookie_path = self.datadir / ("" if chain == "main" else chain) / ".cookie"
        self._log = open(self.datadir / "stdout.log", "wb")  # noqa: SIM115 - closed in stop()
        args = [
            binary,
            f"-datadir={self.datadir}",
            f"-rpcport={self.rpc_port}",
            f"-chain={chain}",
            *NODE_ARGS,
            *extra_args,
        ]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        except OSError as exc:
            self._cleanup()
            raise ChainError(f"cannot start {binary}: {exc.strerror or exc}") from None
        try:
            self.client = self._wait_for_rpc()
        except BaseException:
            self.stop()
            raise

    def _output(self) -> str:
        """The last line the node printed (its error, when it failed to start)."""
        self._log.flush()
        return _last_line((self.datadir / "stdout.log").read_text(errors="replace"))

    def _wait_for_rpc(self) -> BitcoinCoreRpcClient:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChainError(f"bitcoind exited with status {self.process.returncode} at startup: {self._output()}")
            if self.cookie_path.exists():
                client = BitcoinCoreRpcClient(self.url, cookie_path=self.cookie_path)
                try:
                    client.call("getblockchaininfo")
                    return client
                except RpcError as exc:
                    if exc.code != RPC_IN_WARMUP:
                        raise ChainError(f"bitcoind RPC error at startup: {_node_message(exc)}") from None
                except FetchError:
                    pass
            time.sleep(0.1)
        raise ChainError(f"bitcoind did not answer RPC within {START_TIMEOUT:.0f} s (is it bitcoind?)")

    def stop(self) -> None:
        """RPC ``stop``, wait for the process; kill it only when it does not exit."""
        if self.process.poll() is None:
            try:
                BitcoinCoreRpcClient(self.url, cookie_path=self.cookie_path).call("stop")
            except (FetchError, OSError, ValueError):
                self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        self._log.close()
        self._tmp.cleanup()


class BitcoindChain:
    """A regtest chain behind a bitcoind node, started here or attached by URL."""

    network = NETWORK

    def __init__(
        self,
        url: str | None = None,
        *,
        cookie_path: str | Path | None = None,
        user: str | None = None,
        password: str | None = None,
        binary: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self._node: BitcoindNode | None = None
        if url is None:
            binary = binary or find_bitcoind()
            if binary is None:
                raise ChainError("no bitcoind found: set $BITCOIND or put bitcoind on PATH")
            self._node = BitcoindNode(binary, extra_args)
            self._rpc = self._node.client
        else:
            try:
                self._rpc = BitcoinCoreRpcClient(url, cookie_path=cookie_path, user=user, password=password)
            except ValueError as exc:
                raise InputError(f"bad bitcoind RPC settings: {exc}") from None
        self.url = self._node.url if self._node else url
        try:
            chain = self._call("getblockchaininfo")["chain"]
        except RpcError as exc:
            self.close()
            raise ChainError(f"bitcoind at {self.url}: {_node_message(exc)}") from None
        except ChainError:
            self.close()
            raise
        if chain != NETWORK:
            self.close()
            raise InputError(
                f"the node at {self.url} runs chain {chain!r}, not {NETWORK!r}: drills only ever touch a regtest chain"
            )

    @property
    def cookie_path(self) -> Path | None:
        """The cookie file of a node started here (None when attached by URL):
        other processes attach to it with ``BitcoindChain(url, cookie_path=...)``."""
        return self._node.cookie_path if self._node is not None else None

    def rpc(self, method: str, *params):
        """Any JSON-RPC call on the node (for tools and tests that talk to Core
        directly: finalizepsbt, deriveaddresses, ...)."""
        return self._call(method, *params)

    def _call(self, method: str, *params):
        try:
            return self._rpc.call(method, list(params))
        except RpcError:
            raise
        except FetchError as exc:
            raise ChainError(f"bitcoind RPC {method} failed: {exc}") from None

    # --- reading ----------------------------------------------------------------------

    def height(self) -> int:
        return int(self._call("getblockcount"))

    def tip_hash(self) -> str:
        return self._call("getbestblockhash")

    def block_hash(self, height: int) -> str:
        try:
            return self._call("getblockhash", height)
        except RpcError as exc:
            raise InputError(f"no block at height {height}: {exc}") from None

    def median_time_past(self) -> int:
        return int(self._call("getblockchaininfo")["mediantime"])

    def get_output(self, outpoint: OutPoint) -> Utxo | None:
        if not isinstance(outpoint, OutPoint):
            raise InputError(f"expected an OutPoint, got {type(outpoint).__name__}")
        info = self._call("gettxout", outpoint.txid, outpoint.vout, True)
        if info is None:
            return None
        confirmations = int(info["confirmations"])
        txout = TxOut(_sats(info["value"]), bytes.fromhex(info["scriptPubKey"]["hex"]))
        height = self.height() - confirmations + 1 if confirmations else None
        return Utxo(outpoint, txout, height, bool(info["coinbase"]), confirmations)

    def confirmations(self, txid: str) -> int | None:
        txid = check_txid(txid)
        try:
            info = self._call("getrawtransaction", txid, True)
        except RpcError as exc:
            if exc.code == RPC_INVALID_ADDRESS_OR_KEY:
                return None
            raise ChainError(f"getrawtransaction {txid}: {exc}") from None
        return int(info.get("confirmations", 0))

    def get_tx(self, txid: str) -> Tx | None:
        txid = check_txid(txid)
        try:
            return Tx.from_hex(self._call("getrawtransaction", txid, False))
        except RpcError as exc:
            if exc.code == RPC_INVALID_ADDRESS_OR_KEY:
                return None
            raise ChainError(f"getrawtransaction {txid}: {exc}") from None

    def mempool(self) -> list[str]:
        return list(self._call("getrawmempool"))

    def block_txids(self, block_hash: str) -> list[str]:
        block_hash = check_txid(block_hash, "block hash")
        try:
            return list(self._call("getblock", block_hash, 1)["tx"])
        except RpcError as exc:
            raise InputError(f"unknown block {block_hash}: {exc}") from None

    # --- transactions -----------------------------------------------------------------

    def submit(self, tx: Tx | str | bytes) -> Submission:
        """``sendrawtransaction`` with no fee ceiling and no burn ceiling (Core refuses
        OP_RETURN outputs with value by default).  A rejection carries Core's bare
        reason; its debug message is the detail."""
        tx = as_tx(tx)
        try:
            # maxfeerate 0: no fee ceiling; maxburnamount: every burn allowed
            self._call("sendrawtransaction", tx.hex(), 0, MAX_BURN_BTC)
        except RpcError as exc:
            message = _node_message(exc)
            if exc.code == RPC_DESERIALIZATION_ERROR:
                raise InputError(f"bitcoind cannot decode transaction {tx.txid}: {message}") from None
            if exc.code == RPC_VERIFY_ALREADY_IN_UTXO_SET:
                # checked before the mempool; the mempool's name for the same case
                return Submission(False, tx.txid, "txn-already-known", message)
            reason, detail = split_reason(message)
            return Submission(False, tx.txid, reason, detail)
        return Submission(True, tx.txid)

    def submit_package(self, txs: Sequence[Tx | str | bytes]) -> PackageSubmission:
        """``submitpackage`` (no fee or burn ceiling): Core's package_msg and each
        transaction's result, its error split into Core's reason and detail."""
        txs = [as_tx(tx) for tx in txs]
        shape = package_shape_reason(txs)
        if shape:  # Core answers these with an RPC error; keep the Chain protocol's shape
            return PackageSubmission(shape, tuple(Submission(False, tx.txid, shape) for tx in txs))
        try:
            answer = self._call("submitpackage", [tx.hex() for tx in txs], 0, MAX_BURN_BTC)
        except RpcError as exc:
            message = _node_message(exc)
            reason, detail = split_reason(message)
            return PackageSubmission(reason, tuple(Submission(False, tx.txid, reason, detail) for tx in txs))
        by_wtxid = answer.get("tx-results", {})
        results = []
        for tx in txs:
            entry = by_wtxid.get(tx.wtxid, {})
            error = entry.get("error")
            if error:
                reason, detail = split_reason(str(error))
                results.append(Submission(False, tx.txid, reason, detail))
            else:
                results.append(Submission(bool(entry), tx.txid))
        return PackageSubmission(str(answer.get("package_msg", "")), tuple(results))

    def test_accept(self, tx: Tx | str | bytes) -> Submission:
        tx = as_tx(tx)
        result = self._call("testmempoolaccept", [tx.hex()], 0)[0]
        if result.get("allowed"):
            return Submission(True, tx.txid)
        reason = result.get("reject-reason", "")
        if reason == "missing-inputs":  # sendrawtransaction's name for the same rejection
            reason = "bad-txns-inputs-missingorspent"
        # reject-details is the whole ``reason, debug`` (ValidationState::ToString)
        details = str(result.get("reject-details", ""))
        _, detail = split_reason(details) if details.startswith(f"{reason}, ") else ("", "")
        return Submission(False, tx.txid, reason, detail)

    # --- mining -----------------------------------------------------------------------

    def mine(self, n: int, script_pubkey: bytes, txs: Sequence[Tx] | None = None) -> list[str]:
        if not isinstance(n, int) or n < 0:
            raise InputError(f"number of blocks must be a non-negative integer, got {n!r}")
        descriptor = raw_descriptor(check_script_pubkey(script_pubkey))
        if txs is None:
            return list(self._call("generatetodescriptor", n, descriptor))
        raws = [as_tx(tx).hex() for tx in txs]
        hashes = []
        for i in range(n):
            hashes.append(self._generate_block(descriptor, raws if i == 0 else []))
        return hashes

    def _generate_block(self, descriptor: str, raw_txs: list[str]) -> str:
        try:
            return self._call("generateblock", descriptor, raw_txs)["hash"]
        except RpcError as exc:
            message = _node_message(exc).removeprefix("TestBlockValidity failed: ")
            raise BlockRejected("(not built)", self.height() + 1, message) from None

    # --- reorganisations --------------------------------------------------------------

    def invalidate(self, block_hash: str) -> None:
        self._call("invalidateblock", check_txid(block_hash, "block hash"))

    def reorg(self, fork_height: int, n_blocks: int, script_pubkey: bytes) -> list[str]:
        """Replace the blocks above ``fork_height`` with ``n_blocks`` empty ones (more
        than were there): invalidate, mine the branch, reconsider the old blocks so
        the node keeps them as a shorter branch, as KernelChain does."""
        descriptor = raw_descriptor(check_script_pubkey(script_pubkey))
        height = self.height()
        if not 0 <= fork_height <= height:
            raise InputError(f"fork height {fork_height} is not on the chain (tip {height})")
        if fork_height + n_blocks <= height:
            raise InputError(
                f"a branch of {n_blocks} blocks from height {fork_height} does not outgrow "
                f"the active chain at height {height}"
            )
        first_replaced = self.block_hash(fork_height + 1) if fork_height < height else None
        if first_replaced:
            self.invalidate(first_replaced)
        hashes = [self._generate_block(descriptor, []) for _ in range(n_blocks)]
        if first_replaced:
            self._call("reconsiderblock", first_replaced)
        return hashes

    # --- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        if self._node is not None:
            node, self._node = self._node, None
            node.stop()

    def __enter__(self) -> BitcoindChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BitcoindChain {'owned node' if self._node else 'attached'} at {self.url}>"

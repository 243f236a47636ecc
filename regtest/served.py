"""The embedded chain served to several processes: a :class:`regtest.kernel.KernelChain`
behind the subset of Bitcoin Core's JSON-RPC that :class:`regtest.bitcoind.BitcoindChain`
speaks, so the same client talks to the embedded chain or to a real node.

libbitcoinkernel holds its datadir for one process; watchers, a miner and a drill
harness are several.  :class:`ChainServer` owns the chain and answers JSON-RPC 2.0
(and 1.1) over HTTP on a loopback port with cookie authentication, as bitcoind
does (``<datadir>/.cookie``, ``__cookie__:<random>``, 0600, removed on exit).
Requests are served one at a time (a lock): a KernelChain is used by one thread
at a time.

Methods, answered in Core's shapes and with Core's error codes:
``getblockchaininfo``, ``getnetworkinfo``, ``getblockcount``, ``getbestblockhash``,
``getblockhash``, ``getblock`` (verbosity 1), ``getrawtransaction``,
``getrawmempool``, ``gettxout``, ``sendrawtransaction``, ``testmempoolaccept``,
``submitpackage``, ``generatetodescriptor``, ``generateblock`` (``raw()``
descriptors), ``invalidateblock``/``reconsiderblock`` (refused, as
:meth:`KernelChain.invalidate` is), ``stop``, and one method that is not Core's:
``ocpreorg fork_height n_blocks descriptor`` (:meth:`KernelChain.reorg`), which
:class:`ServedChain` (the client) calls for :meth:`reorg`.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

from bitcoin_core_rpc.errors import RpcError

from regtest.bitcoind import COIN, BitcoindChain, _node_message
from regtest.chain import NETWORK, BlockRejected, ChainError, check_script_pubkey, check_txid
from regtest.kernel import KernelChain
from taptrees.descriptors import descriptor_checksum
from taptrees.errors import InputError
from taptrees.tx import OutPoint, Tx

COOKIE_USER = "__cookie__"
COOKIE_NAME = ".cookie"
#: What ``getnetworkinfo.subversion`` starts with, so a client can tell this server
#: from a bitcoind.
SUBVERSION_PREFIX = "/ocp-kernelchain:"
MAX_REQUEST_BYTES = 32 * 1024 * 1024
# Bitcoin Core's RPC error codes (src/rpc/protocol.h)
RPC_MISC_ERROR = -1
RPC_INVALID_PARAMETER = -8
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_DESERIALIZATION_ERROR = -22
RPC_VERIFY_ERROR = -25
RPC_VERIFY_REJECTED = -26
RPC_VERIFY_ALREADY_IN_UTXO_SET = -27
RPC_METHOD_NOT_FOUND = -32601
RPC_INVALID_PARAMS = -32602
RPC_PARSE_ERROR = -32700
RPC_INVALID_REQUEST = -32600


class RpcFailure(Exception):
    """An RPC error answered to the client (Core's code and message)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _btc(sats: int) -> Decimal:
    return Decimal(sats) / COIN


def _script_of(descriptor: object) -> bytes:
    """The scriptPubKey of a ``raw(<hex>)[#checksum]`` descriptor (BIP385; what
    :func:`taptrees.descriptors.raw_descriptor` writes), the checksum checked."""
    if not isinstance(descriptor, str):
        raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, "descriptor must be a string")
    body, _, checksum = descriptor.partition("#")
    if checksum and checksum != descriptor_checksum(body):
        raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, f"Provided checksum '{checksum}' does not match computed checksum")
    if not (body.startswith("raw(") and body.endswith(")")):
        raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, "only raw(<hex>) descriptors are served here")
    try:
        return check_script_pubkey(bytes.fromhex(body[4:-1]))
    except (ValueError, InputError) as exc:
        raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, f"raw(): {exc}") from None


def _tx_of(raw: object) -> Tx:
    if not isinstance(raw, str):
        raise RpcFailure(RPC_DESERIALIZATION_ERROR, "TX decode failed: not a hex string")
    try:
        return Tx.from_hex(raw)
    except InputError as exc:
        raise RpcFailure(RPC_DESERIALIZATION_ERROR, f"TX decode failed. {exc}") from None


def _txid_of(value: object, what: str = "txid") -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise RpcFailure(RPC_INVALID_PARAMETER, f"{what} must be of length 64 (not {len(str(value))})")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise RpcFailure(RPC_INVALID_PARAMETER, f"{what} must be hexadecimal string (not '{value}')") from None
    return value.lower()


def _int_of(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RpcFailure(RPC_INVALID_PARAMS, f"{what} must be an integer")
    return value


def _reason_text(reason: str, detail: str) -> str:
    """Core's ``ValidationState::ToString``: ``reason`` or ``reason, debug``."""
    return f"{reason}, {detail}" if detail else reason


class ChainMethods:
    """The JSON-RPC methods over one chain; every call holds the chain's lock."""

    def __init__(self, chain: KernelChain, on_stop: Callable[[], None]) -> None:
        self.chain = chain
        self.lock = threading.Lock()
        self._on_stop = on_stop
        self.stop_requested = False
        self.table: dict[str, Callable[..., object]] = {
            "getblockchaininfo": self.getblockchaininfo,
            "getnetworkinfo": self.getnetworkinfo,
            "getblockcount": lambda: self.chain.height(),
            "getbestblockhash": lambda: self.chain.tip_hash(),
            "getblockhash": self.getblockhash,
            "getblock": self.getblock,
            "getrawtransaction": self.getrawtransaction,
            "getrawmempool": lambda: self.chain.mempool(),
            "gettxout": self.gettxout,
            "sendrawtransaction": self.sendrawtransaction,
            "testmempoolaccept": self.testmempoolaccept,
            "submitpackage": self.submitpackage,
            "generatetodescriptor": self.generatetodescriptor,
            "generateblock": self.generateblock,
            "invalidateblock": self.invalidateblock,
            "reconsiderblock": self.invalidateblock,
            "ocpreorg": self.ocpreorg,
            "stop": self.stop,
        }

    def call(self, method: object, params: object) -> object:
        if not isinstance(method, str) or method not in self.table:
            raise RpcFailure(RPC_METHOD_NOT_FOUND, "Method not found")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise RpcFailure(RPC_INVALID_PARAMS, "only positional parameters are served here")
        with self.lock:
            try:
                return self.table[method](*params)
            except TypeError as exc:
                raise RpcFailure(RPC_INVALID_PARAMS, f"{method}: {exc}") from None
            except InputError as exc:
                raise RpcFailure(RPC_INVALID_PARAMETER, str(exc)) from None

    # --- reading ----------------------------------------------------------------------

    def getblockchaininfo(self) -> dict:
        height = self.chain.height()
        return {
            "chain": NETWORK,
            "blocks": height,
            "headers": height,
            "bestblockhash": self.chain.tip_hash(),
            "mediantime": self.chain.median_time_past(),
            "initialblockdownload": False,
        }

    def getnetworkinfo(self) -> dict:
        try:
            version = metadata.version("py-bitcoinkernel")
        except metadata.PackageNotFoundError:  # pragma: no cover - always installed with regtest
            version = "unknown"
        return {"subversion": f"{SUBVERSION_PREFIX}{version}/", "connections": 0, "networkactive": False}

    def getblockhash(self, height: object) -> str:
        height = _int_of(height, "height")
        if not 0 <= height <= self.chain.height():
            raise RpcFailure(RPC_INVALID_PARAMETER, "Block height out of range")
        return self.chain.block_hash(height)

    def getblock(self, block_hash: object, verbosity: object = 1) -> dict:
        if verbosity not in (1, True):
            raise RpcFailure(RPC_INVALID_PARAMETER, "only verbosity 1 is served here")
        record = self.chain.get_block(_txid_of(block_hash, "blockhash"))
        if record is None:
            raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        active = record.height <= self.chain.height() and self.chain.block_hash(record.height) == record.hash
        return {
            "hash": record.hash,
            "height": record.height,
            "confirmations": self.chain.height() - record.height + 1 if active else -1,
            "previousblockhash": record.prev_hash,
            "time": record.time,
            "tx": [tx.txid for tx in record.txs],
        }

    def getrawtransaction(self, txid: object, verbose: object = False, _blockhash: object = None) -> object:
        txid = _txid_of(txid)
        tx = self.chain.get_tx(txid)
        if tx is None:
            raise RpcFailure(
                RPC_INVALID_ADDRESS_OR_KEY,
                "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.",
            )
        if not verbose:
            return tx.hex()
        info: dict = {"txid": tx.txid, "hash": tx.wtxid, "hex": tx.hex(), "vsize": tx.vsize, "weight": tx.weight}
        confirmations = self.chain.confirmations(txid)
        if confirmations:
            info["confirmations"] = confirmations
            info["blockhash"] = self.chain.block_hash(self.chain.height() - confirmations + 1)
        return info

    def gettxout(self, txid: object, n: object, include_mempool: object = True) -> dict | None:
        outpoint = OutPoint(_txid_of(txid), _int_of(n, "n"))
        utxo = self.chain.get_output(outpoint)
        if utxo is None or (not include_mempool and utxo.height is None):
            return None
        return {
            "bestblock": self.chain.tip_hash(),
            "confirmations": utxo.confirmations,
            "value": _btc(utxo.txout.value),
            "scriptPubKey": {"hex": utxo.txout.script_pubkey.hex()},
            "coinbase": utxo.is_coinbase,
        }

    # --- transactions -----------------------------------------------------------------

    def sendrawtransaction(self, raw: object, _maxfeerate: object = None, _maxburn: object = None) -> str:
        tx = _tx_of(raw)
        result = self.chain.submit(tx)
        if result.accepted:
            return tx.txid
        if result.reason == "txn-already-known":
            raise RpcFailure(RPC_VERIFY_ALREADY_IN_UTXO_SET, "Transaction outputs already in utxo set")
        code = RPC_VERIFY_ERROR if result.reason == "bad-txns-inputs-missingorspent" else RPC_VERIFY_REJECTED
        raise RpcFailure(code, _reason_text(result.reason, result.detail))

    def testmempoolaccept(self, raws: object, _maxfeerate: object = None) -> list[dict]:
        if not isinstance(raws, list) or len(raws) != 1:
            raise RpcFailure(RPC_INVALID_PARAMETER, "only one transaction is tested at a time here")
        tx = _tx_of(raws[0])
        result = self.chain.test_accept(tx)
        entry: dict = {"txid": tx.txid, "wtxid": tx.wtxid, "allowed": result.accepted}
        if not result.accepted:
            entry["reject-reason"] = result.reason
            entry["reject-details"] = _reason_text(result.reason, result.detail)
        return [entry]

    def submitpackage(self, raws: object, _maxfeerate: object = None, _maxburn: object = None) -> dict:
        if not isinstance(raws, list) or not raws:
            raise RpcFailure(RPC_INVALID_PARAMETER, "package must be a non-empty array of transactions")
        txs = [_tx_of(raw) for raw in raws]
        answer = self.chain.submit_package(txs)
        results = {}
        for tx, result in zip(txs, answer.results, strict=True):
            entry: dict = {"txid": tx.txid}
            if not result.accepted:
                entry["error"] = _reason_text(result.reason, result.detail)
            results[tx.wtxid] = entry
        return {"package_msg": answer.message, "tx-results": results, "replaced-transactions": []}

    # --- mining and reorganisations ---------------------------------------------------

    def generatetodescriptor(self, n: object, descriptor: object, _maxtries: object = None) -> list[str]:
        return self._mine(_int_of(n, "nblocks"), _script_of(descriptor), None)

    def generateblock(self, descriptor: object, txs: object, _submit: object = True) -> dict:
        if not isinstance(txs, list):
            raise RpcFailure(RPC_INVALID_PARAMETER, "transactions must be an array")
        chosen = []
        for item in txs:
            if isinstance(item, str) and len(item) == 64:  # a txid of the mempool, as Core takes
                tx = self.chain.get_tx(_txid_of(item))
                if tx is None or self.chain.confirmations(item) != 0:
                    raise RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, f"Transaction {item} not in mempool.")
                chosen.append(tx)
            else:
                chosen.append(_tx_of(item))
        return {"hash": self._mine(1, _script_of(descriptor), chosen)[0]}

    def _mine(self, n: int, script_pubkey: bytes, txs: Sequence[Tx] | None) -> list[str]:
        try:
            return self.chain.mine(n, script_pubkey, txs)
        except BlockRejected as exc:
            raise RpcFailure(RPC_VERIFY_ERROR, f"TestBlockValidity failed: {exc.reason}") from None

    def invalidateblock(self, block_hash: object) -> None:
        try:
            self.chain.invalidate(_txid_of(block_hash, "blockhash"))
        except ChainError as exc:
            raise RpcFailure(RPC_MISC_ERROR, str(exc)) from None

    def ocpreorg(self, fork_height: object, n_blocks: object, descriptor: object) -> list[str]:
        """Not Core's: :meth:`KernelChain.reorg` (a longer branch of empty blocks)."""
        script_pubkey = _script_of(descriptor)
        try:
            return self.chain.reorg(_int_of(fork_height, "fork_height"), _int_of(n_blocks, "n_blocks"), script_pubkey)
        except BlockRejected as exc:
            raise RpcFailure(RPC_VERIFY_ERROR, f"TestBlockValidity failed: {exc.reason}") from None

    def stop(self) -> str:
        self.stop_requested = True  # acted on once the reply is sent (after_reply)
        return "ocp regtest serve stopping"

    def after_reply(self) -> None:
        """Called by the server once a reply is written: a requested stop happens now,
        so the caller of ``stop`` gets its answer before the server goes away."""
        if self.stop_requested:
            self._on_stop()


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # requests are not logged (a watcher polls many times a second)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if not self._authorized():
            self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="jsonrpc"'})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_REQUEST_BYTES:
            self._reply(413 if length else 400, b"")
            return
        body = self.rfile.read(length)
        try:
            request = json.loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            self._send_json(
                500, {"result": None, "error": {"code": RPC_PARSE_ERROR, "message": "Parse error"}, "id": None}
            )
            return
        if isinstance(request, list):
            self._send_json(200, [self._answer(item)[1] for item in request])
            self.wfile.flush()
            self.server.methods.after_reply()
            return
        status, reply = self._answer(request)
        self._send_json(status, reply)
        self.wfile.flush()
        self.server.methods.after_reply()

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{COOKIE_USER}:{self.server.cookie_secret}".encode()).decode()
        return hmac.compare_digest(given.encode(), expected.encode())

    def _answer(self, request: object) -> tuple[int, dict]:
        """(HTTP status, reply): JSON-RPC 2.0 when the request says so (errors with
        status 200, as Core), else Core's legacy 1.1 (errors with status 500)."""
        if not isinstance(request, dict):
            error = {"code": RPC_INVALID_REQUEST, "message": "Invalid Request object"}
            return 200, {"jsonrpc": "2.0", "error": error, "id": None}
        v2 = request.get("jsonrpc") == "2.0"
        ident = request.get("id")
        try:
            result = self.server.methods.call(request.get("method"), request.get("params"))
        except RpcFailure as exc:
            error = {"code": exc.code, "message": exc.message}
            if v2:
                return 200, {"jsonrpc": "2.0", "error": error, "id": ident}
            return 500, {"result": None, "error": error, "id": ident}
        if v2:
            return 200, {"jsonrpc": "2.0", "result": result, "id": ident}
        return 200, {"result": result, "error": None, "id": ident}

    def _send_json(self, status: int, obj: object) -> None:
        self._reply(status, json.dumps(obj, default=_json_default).encode(), {"Content-Type": "application/json"})

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # amounts: a client rounds BTC x 1e8 to whole satoshis
    raise TypeError(f"cannot encode {type(value).__name__}")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    methods: ChainMethods
    cookie_secret: str


class ChainServer:
    """Serve ``chain`` on ``host:port`` (port 0: a free one) until :meth:`close` or the
    RPC ``stop``.  The cookie file goes to ``cookie_path`` (0600) and is removed on
    close.  Use :meth:`serve_forever` in the process that owns the chain, or
    :meth:`start` for a background thread (tests)."""

    def __init__(self, chain: KernelChain, cookie_path: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.chain = chain
        self.cookie_path = Path(cookie_path)
        self._stopped = threading.Event()
        try:
            self._http = _HttpServer((host, port), _Handler)
        except OSError as exc:
            raise ChainError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
        self._http.methods = ChainMethods(chain, self.stop)
        self._http.cookie_secret = secrets.token_hex(32)
        _write_private(self.cookie_path, f"{COOKIE_USER}:{self._http.cookie_secret}")
        self.host, self.port = self._http.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self, poll_interval: float = 0.1) -> None:
        try:
            self._http.serve_forever(poll_interval)
        finally:
            self._cleanup()

    def start(self) -> ChainServer:
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def mine_every(self, seconds: float, script_pubkey: bytes) -> threading.Thread:
        """A thread that mines one block every ``seconds`` (the whole mempool) until
        the server stops."""

        def loop() -> None:
            while not self._stopped.wait(seconds):
                with self._http.methods.lock:
                    self.chain.mine(1, script_pubkey)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Make :meth:`serve_forever` return (safe from a signal handler or a request)."""
        self._stopped.set()
        threading.Thread(target=self._http.shutdown, daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join()
            self._thread = None
            self._cleanup()

    def _cleanup(self) -> None:
        self._stopped.set()
        self._http.server_close()
        self.cookie_path.unlink(missing_ok=True)

    def __enter__(self) -> ChainServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_private(path: Path, text: str) -> None:
    """A 0600 file written whole (a temporary file renamed over ``path``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class ServedChain(BitcoindChain):
    """The client of a :class:`ChainServer`: a :class:`BitcoindChain` attached by URL
    (same RPC, same answers) whose :meth:`reorg` and :meth:`invalidate` behave as the
    embedded chain's (libbitcoinkernel has no ``invalidateblock``)."""

    def __init__(self, url: str, *, cookie_path: str | Path) -> None:
        super().__init__(url, cookie_path=cookie_path)
        subversion = str(self.rpc("getnetworkinfo").get("subversion", ""))
        if not subversion.startswith(SUBVERSION_PREFIX):
            self.close()
            raise InputError(f"the node at {url} is {subversion or 'unknown'}, not an `ocp regtest serve` chain")

    def reorg(self, fork_height: int, n_blocks: int, script_pubkey: bytes) -> list[str]:
        from taptrees.descriptors import raw_descriptor

        descriptor = raw_descriptor(check_script_pubkey(script_pubkey))
        try:
            return list(self.rpc("ocpreorg", fork_height, n_blocks, descriptor))
        except RpcError as exc:
            message = _node_message(exc)
            if exc.code == RPC_VERIFY_ERROR:
                raise BlockRejected(
                    "(not built)", self.height() + 1, message.removeprefix("TestBlockValidity failed: ")
                ) from None
            raise InputError(message) from None

    def invalidate(self, block_hash: str) -> None:
        try:
            self.rpc("invalidateblock", check_txid(block_hash, "block hash"))
        except RpcError as exc:
            raise ChainError(_node_message(exc)) from None

    def __repr__(self) -> str:
        return f"<ServedChain at {self.url}>"

"""PSBT serialization: decode and encode version 0 PSBTs (BIP174, BIP371).

``<magic "psbt" 0xff> <global map> <input map>* <output map>*``; each map is
``<key-value pair>* 0x00`` and each pair ``<compact size keylen> <key> <compact size
valuelen> <value>``.  Decoding is strict, as Bitcoin Core is: non-canonical compact
sizes, duplicate keys, keys of the wrong length, values that are not exactly the
size their content says, an unsigned transaction with scriptSigs or witnesses,
map counts that differ from the transaction and trailing bytes are all refused
with an :class:`InputError` naming the map and field.  Values are re-encoded from
their typed form; because decoding admits only canonical encodings and keeps the
key order, ``encode(decode(b)) == b``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from taptrees.errors import InputError
from taptrees.psbt import fields as F
from taptrees.psbt.model import (
    Psbt,
    PsbtInput,
    PsbtOutput,
    RawPair,
    TapKeyOrigin,
    TapLeafScript,
    TapScriptSig,
    TapTreeLeaf,
)
from taptrees.tx import OutPoint, Tx, TxIn, TxOut, compact_size, parse_tx, ser_bytes


class _Reader:
    """Bytes read front to back; every shortfall names what was being read."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def read(self, n: int, field: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise InputError(
                f"{self.what} truncated at byte {self.pos}: {field} needs {n} bytes, {len(self.data) - self.pos} left"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.read(n, field), "little")

    def compact(self, field: str) -> int:
        """A canonical compact size (Bitcoin Core refuses non-canonical ones)."""
        first = self.uint(1, field)
        if first < 0xFD:
            return first
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = self.uint(width, field)
        if value < (0xFD, 0x10000, 0x100000000)[(0xFD, 0xFE, 0xFF).index(first)]:
            raise InputError(f"{self.what}: non-canonical compact size for {field}")
        return value

    def var_bytes(self, field: str) -> bytes:
        return self.read(self.compact(field), field)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos

    def end(self, field: str) -> None:
        if self.left:
            raise InputError(f"{field} has {self.left} bytes beyond its content")


# ---------------------------------------------------------------- value parsers


def parse_unsigned_tx(data: bytes) -> Tx:
    """The global transaction, always in the non-witness serialization (BIP174)."""
    r = _Reader(data, "PSBT_GLOBAL_UNSIGNED_TX")
    version = int.from_bytes(r.read(4, "version"), "little", signed=True)
    inputs = []
    for i in range(r.compact("input count")):
        txid = r.read(32, f"input {i} txid")[::-1].hex()
        vout = r.uint(4, f"input {i} vout")
        script_sig = r.var_bytes(f"input {i} scriptSig")
        sequence = r.uint(4, f"input {i} sequence")
        inputs.append(TxIn(OutPoint(txid, vout), script_sig, sequence))
    outputs = []
    for i in range(r.compact("output count")):
        outputs.append(_read_txout(r, f"output {i}"))
    locktime = r.uint(4, "locktime")
    r.end("PSBT_GLOBAL_UNSIGNED_TX (it must use the non-witness serialization)")
    return Tx(version, tuple(inputs), tuple(outputs), locktime)


def _read_txout(r: _Reader, what: str) -> TxOut:
    value = int.from_bytes(r.read(8, f"{what} amount"), "little", signed=True)
    return TxOut(value, r.var_bytes(f"{what} scriptPubKey"))


def parse_witness_utxo(data: bytes) -> TxOut:
    r = _Reader(data, "PSBT_IN_WITNESS_UTXO")
    out = _read_txout(r, "output")
    r.end("PSBT_IN_WITNESS_UTXO")
    return out


def parse_witness_stack(data: bytes, what: str) -> tuple[bytes, ...]:
    r = _Reader(data, what)
    items = tuple(r.var_bytes(f"witness item {n}") for n in range(r.compact("item count")))
    r.end(what)
    return items


def encode_witness_stack(items: tuple[bytes, ...]) -> bytes:
    return compact_size(len(items)) + b"".join(ser_bytes(item) for item in items)


def parse_uint32(data: bytes, what: str) -> int:
    if len(data) != 4:
        raise InputError(f"{what} must be 4 bytes, got {len(data)}")
    return int.from_bytes(data, "little")


def parse_key_origin(xonly: bytes, data: bytes, what: str) -> TapKeyOrigin:
    """BIP371: <compact size n> <32-byte leaf hash>*n <4-byte fingerprint> <uint32 path>*."""
    r = _Reader(data, what)
    count = r.compact("leaf hash count")
    hashes = tuple(r.read(32, f"leaf hash {n}") for n in range(count))
    fingerprint = r.read(4, "key fingerprint")
    if r.left % 4:
        raise InputError(f"{what} derivation path is {r.left} bytes, not a multiple of 4")
    path = tuple(r.uint(4, "path step") for _ in range(r.left // 4))
    return TapKeyOrigin(xonly, hashes, fingerprint, path)


def encode_key_origin(origin: TapKeyOrigin) -> bytes:
    return (
        compact_size(len(origin.leaf_hashes))
        + b"".join(origin.leaf_hashes)
        + origin.fingerprint
        + b"".join(step.to_bytes(4, "little") for step in origin.path)
    )


def parse_tap_tree(data: bytes) -> tuple[TapTreeLeaf, ...]:
    """BIP371: {<depth> <leaf version> <compact size scriptlen> <script>}*."""
    r = _Reader(data, "PSBT_OUT_TAP_TREE")
    leaves = []
    while r.left:
        n = len(leaves)
        depth = r.uint(1, f"leaf {n} depth")
        version = r.uint(1, f"leaf {n} version")
        leaves.append(TapTreeLeaf(depth, version, r.var_bytes(f"leaf {n} script")))
    return tuple(leaves)


def encode_tap_tree(leaves: tuple[TapTreeLeaf, ...]) -> bytes:
    return b"".join(bytes([leaf.depth, leaf.leaf_version]) + ser_bytes(leaf.script) for leaf in leaves)


# ---------------------------------------------------------------- maps


def _read_map(r: _Reader, where: str) -> list[tuple[int, bytes, bytes, bytes]]:
    """(key type, keydata, key, value) for every pair of one map, in order."""
    pairs = []
    seen: set[bytes] = set()
    while True:
        keylen = r.compact(f"{where} key length")
        if keylen == 0:
            return pairs
        key = r.read(keylen, f"{where} key")
        value = r.var_bytes(f"{where} value of key {key.hex()}")
        if key in seen:
            raise InputError(f"{where}: duplicate key {key.hex()}")
        seen.add(key)
        kr = _Reader(key, f"{where} key {key.hex()}")
        key_type = kr.compact("key type")
        pairs.append((key_type, key[kr.pos :], key, value))


def _check_key(scope: str, where: str, key_type: int, keydata: bytes) -> None:
    v2_name = F.V2_ONLY_KEYS[scope].get(key_type)
    if v2_name is not None:
        raise InputError(f"{where}: {v2_name} is a version 2 field (BIP370), not allowed in a version 0 PSBT")
    problem = F.keydata_error(scope, key_type, keydata)
    if problem is not None:
        raise InputError(f"{where}: {problem}")


def _build(cls: Callable[..., Any], where: str, **kwargs: Any) -> Any:
    try:
        return cls(**kwargs)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _parse_global(r: _Reader) -> tuple[Tx, int | None, tuple[RawPair, ...], tuple[bytes, ...]]:
    tx: Tx | None = None
    version: int | None = None
    unknown: list[RawPair] = []
    order = []
    for key_type, keydata, key, value in _read_map(r, "global map"):
        _check_key("global", "global map", key_type, keydata)
        order.append(key)
        if key_type == F.PSBT_GLOBAL_UNSIGNED_TX:
            tx = parse_unsigned_tx(value)
        elif key_type == F.PSBT_GLOBAL_VERSION:
            version = parse_uint32(value, "PSBT_GLOBAL_VERSION")
        else:
            unknown.append((key, value))
    if tx is None:
        raise InputError("global map has no PSBT_GLOBAL_UNSIGNED_TX (required in version 0)")
    return tx, version, tuple(unknown), tuple(order)


def _parse_input(r: _Reader, index: int, txin: TxIn) -> PsbtInput:
    where = f"input {index}"
    kw: dict[str, Any] = {}
    script_sigs, leaf_scripts, origins = [], [], []
    unknown: list[RawPair] = []
    order = []
    for key_type, keydata, key, value in _read_map(r, where):
        _check_key("input", where, key_type, keydata)
        order.append(key)
        try:
            if key_type == F.PSBT_IN_NON_WITNESS_UTXO:
                _check_non_witness_utxo(value, txin)
                kw["non_witness_utxo"] = value
            elif key_type == F.PSBT_IN_WITNESS_UTXO:
                kw["witness_utxo"] = parse_witness_utxo(value)
            elif key_type == F.PSBT_IN_SIGHASH_TYPE:
                kw["sighash_type"] = parse_uint32(value, "PSBT_IN_SIGHASH_TYPE")
            elif key_type == F.PSBT_IN_FINAL_SCRIPTSIG:
                kw["final_script_sig"] = value
            elif key_type == F.PSBT_IN_FINAL_SCRIPTWITNESS:
                kw["final_script_witness"] = parse_witness_stack(value, "PSBT_IN_FINAL_SCRIPTWITNESS")
            elif key_type == F.PSBT_IN_TAP_KEY_SIG:
                kw["tap_key_sig"] = value
            elif key_type == F.PSBT_IN_TAP_SCRIPT_SIG:
                script_sigs.append(TapScriptSig(keydata[:32], keydata[32:], value))
            elif key_type == F.PSBT_IN_TAP_LEAF_SCRIPT:
                if not value:
                    raise InputError("PSBT_IN_TAP_LEAF_SCRIPT value must hold a leaf version")
                leaf_scripts.append(TapLeafScript(keydata, value[:-1], value[-1]))
            elif key_type == F.PSBT_IN_TAP_BIP32_DERIVATION:
                origins.append(parse_key_origin(keydata, value, "PSBT_IN_TAP_BIP32_DERIVATION"))
            elif key_type == F.PSBT_IN_TAP_INTERNAL_KEY:
                kw["tap_internal_key"] = value
            elif key_type == F.PSBT_IN_TAP_MERKLE_ROOT:
                kw["tap_merkle_root"] = value
            else:
                unknown.append((key, value))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return _build(
        PsbtInput,
        where,
        tap_script_sigs=tuple(script_sigs),
        tap_leaf_scripts=tuple(leaf_scripts),
        tap_bip32_derivations=tuple(origins),
        unknown=tuple(unknown),
        key_order=tuple(order),
        **kw,
    )


def _check_non_witness_utxo(value: bytes, txin: TxIn) -> None:
    """Bitcoin Core: the previous transaction must be the one the input spends."""
    prev = parse_tx(value)
    if prev.txid != txin.prevout.txid:
        raise InputError(
            f"PSBT_IN_NON_WITNESS_UTXO is transaction {prev.txid}, but the input spends {txin.prevout.txid}"
        )
    if txin.prevout.vout >= len(prev.outputs):
        raise InputError(f"PSBT_IN_NON_WITNESS_UTXO has no output {txin.prevout.vout} (it has {len(prev.outputs)})")


def _parse_output(r: _Reader, index: int) -> PsbtOutput:
    where = f"output {index}"
    kw: dict[str, Any] = {}
    origins = []
    unknown: list[RawPair] = []
    order = []
    for key_type, keydata, key, value in _read_map(r, where):
        _check_key("output", where, key_type, keydata)
        order.append(key)
        try:
            if key_type == F.PSBT_OUT_TAP_INTERNAL_KEY:
                kw["tap_internal_key"] = value
            elif key_type == F.PSBT_OUT_TAP_TREE:
                kw["tap_tree"] = parse_tap_tree(value)
            elif key_type == F.PSBT_OUT_TAP_BIP32_DERIVATION:
                origins.append(parse_key_origin(keydata, value, "PSBT_OUT_TAP_BIP32_DERIVATION"))
            else:
                unknown.append((key, value))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return _build(
        PsbtOutput,
        where,
        tap_bip32_derivations=tuple(origins),
        unknown=tuple(unknown),
        key_order=tuple(order),
        **kw,
    )


# ---------------------------------------------------------------- top level


def parse_psbt(data: bytes) -> Psbt:
    """Decode the binary form of a version 0 PSBT."""
    if not data.startswith(F.PSBT_MAGIC):
        raise InputError("not a PSBT: it does not start with the magic bytes 'psbt' 0xff")
    r = _Reader(bytes(data), "PSBT")
    r.read(len(F.PSBT_MAGIC), "magic")
    tx, version, unknown, order = _parse_global(r)
    if version not in (None, 0):
        raise InputError(f"PSBT version {version} is not supported (only version 0, BIP174)")
    inputs = tuple(_parse_input(r, i, txin) for i, txin in enumerate(tx.inputs))
    outputs = tuple(_parse_output(r, i) for i in range(len(tx.outputs)))
    if r.left:
        raise InputError(
            f"{r.left} bytes after the last output map (the transaction has "
            f"{len(tx.inputs)} inputs and {len(tx.outputs)} outputs)"
        )
    return _build(
        Psbt, "PSBT", tx=tx, inputs=inputs, outputs=outputs, version=version, unknown=unknown, key_order=order
    )


def decode_psbt(data: str | bytes) -> Psbt:
    """Decode a PSBT given as base64 text or as raw bytes (starting with the magic)."""
    if isinstance(data, bytes | bytearray) and bytes(data).startswith(F.PSBT_MAGIC):
        return parse_psbt(bytes(data))
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("ascii")
        except UnicodeDecodeError:
            raise InputError("not a PSBT: neither the magic bytes nor base64 text") from None
    text = "".join(data.split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("PSBT is not valid base64") from None
    return parse_psbt(raw)


def _key(key_type: int, keydata: bytes = b"") -> bytes:
    return compact_size(key_type) + keydata


def _ordered(pairs: list[RawPair], order: tuple[bytes, ...]) -> bytes:
    """Pairs in the order they were read; new keys after, sorted by key."""
    rank = {key: n for n, key in enumerate(order)}
    pairs.sort(key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    out = bytearray()
    for key, value in pairs:
        out += ser_bytes(key) + ser_bytes(value)
    return bytes(out + b"\x00")


def input_pairs(inp: PsbtInput) -> list[RawPair]:
    pairs: list[RawPair] = []
    if inp.non_witness_utxo is not None:
        pairs.append((_key(F.PSBT_IN_NON_WITNESS_UTXO), inp.non_witness_utxo))
    if inp.witness_utxo is not None:
        pairs.append((_key(F.PSBT_IN_WITNESS_UTXO), inp.witness_utxo.serialize()))
    if inp.sighash_type is not None:
        pairs.append((_key(F.PSBT_IN_SIGHASH_TYPE), inp.sighash_type.to_bytes(4, "little")))
    if inp.final_script_sig is not None:
        pairs.append((_key(F.PSBT_IN_FINAL_SCRIPTSIG), inp.final_script_sig))
    if inp.final_script_witness is not None:
        pairs.append((_key(F.PSBT_IN_FINAL_SCRIPTWITNESS), encode_witness_stack(inp.final_script_witness)))
    if inp.tap_key_sig is not None:
        pairs.append((_key(F.PSBT_IN_TAP_KEY_SIG), inp.tap_key_sig))
    for s in inp.tap_script_sigs:
        pairs.append((_key(F.PSBT_IN_TAP_SCRIPT_SIG, s.key), s.sig))
    for leaf in inp.tap_leaf_scripts:
        pairs.append(
            (
                _key(F.PSBT_IN_TAP_LEAF_SCRIPT, leaf.control_block),
                leaf.script + bytes([leaf.leaf_version]),
            )
        )
    for origin in inp.tap_bip32_derivations:
        pairs.append((_key(F.PSBT_IN_TAP_BIP32_DERIVATION, origin.xonly), encode_key_origin(origin)))
    if inp.tap_internal_key is not None:
        pairs.append((_key(F.PSBT_IN_TAP_INTERNAL_KEY), inp.tap_internal_key))
    if inp.tap_merkle_root is not None:
        pairs.append((_key(F.PSBT_IN_TAP_MERKLE_ROOT), inp.tap_merkle_root))
    return pairs + list(inp.unknown)


def output_pairs(out: PsbtOutput) -> list[RawPair]:
    pairs: list[RawPair] = []
    if out.tap_internal_key is not None:
        pairs.append((_key(F.PSBT_OUT_TAP_INTERNAL_KEY), out.tap_internal_key))
    if out.tap_tree is not None:
        pairs.append((_key(F.PSBT_OUT_TAP_TREE), encode_tap_tree(out.tap_tree)))
    for origin in out.tap_bip32_derivations:
        pairs.append((_key(F.PSBT_OUT_TAP_BIP32_DERIVATION, origin.xonly), encode_key_origin(origin)))
    return pairs + list(out.unknown)


def serialize_psbt(psbt: Psbt) -> bytes:
    """The binary form of ``psbt`` (keys in the order they were read, new ones sorted)."""
    pairs: list[RawPair] = [(_key(F.PSBT_GLOBAL_UNSIGNED_TX), psbt.tx.serialize(False))]
    if psbt.version is not None:
        pairs.append((_key(F.PSBT_GLOBAL_VERSION), psbt.version.to_bytes(4, "little")))
    out = bytearray(F.PSBT_MAGIC)
    out += _ordered(pairs + list(psbt.unknown), psbt.key_order)
    for inp in psbt.inputs:
        out += _ordered(input_pairs(inp), inp.key_order)
    for output in psbt.outputs:
        out += _ordered(output_pairs(output), output.key_order)
    return bytes(out)


def encode_psbt(psbt: Psbt) -> str:
    """The base64 form of ``psbt``."""
    return base64.b64encode(serialize_psbt(psbt)).decode("ascii")


def without_key_order(psbt: Psbt) -> Psbt:
    """The same PSBT with its remembered key order dropped (keys sorted on encoding)."""
    return replace(
        psbt,
        key_order=(),
        inputs=tuple(replace(i, key_order=()) for i in psbt.inputs),
        outputs=tuple(replace(o, key_order=()) for o in psbt.outputs),
    )

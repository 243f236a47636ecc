"""The transaction model: outpoints, inputs, outputs, witness serialization (BIP141/144).

Transactions are frozen dataclasses; "changing" one returns a new one
(``dataclasses.replace`` or :meth:`Tx.with_witness`).  txids are shown in the
usual reversed-hex display order; :attr:`OutPoint.txid` holds the display hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from io import BytesIO

from taptrees.errors import InputError
from taptrees.hashes import hash256
from taptrees.hexstr import parse_hex

SEQUENCE_FINAL = 0xFFFFFFFF
#: BIP68: a relative lock applies unless this bit is set.
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
WITNESS_SCALE_FACTOR = 4


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def ser_bytes(data: bytes) -> bytes:
    return compact_size(len(data)) + data


@dataclass(frozen=True)
class OutPoint:
    txid: str  # display (big-endian) hex
    vout: int

    def __post_init__(self) -> None:
        if len(self.txid) != 64:
            raise InputError(f"txid must be 64 hex characters, got {len(self.txid)}")
        try:
            bytes.fromhex(self.txid)
        except ValueError:
            raise InputError(f"txid is not hex: {self.txid!r}") from None
        if not 0 <= self.vout <= 0xFFFFFFFF:
            raise InputError(f"output index {self.vout} out of range")

    def serialize(self) -> bytes:
        return bytes.fromhex(self.txid)[::-1] + self.vout.to_bytes(4, "little")

    def __str__(self) -> str:
        return f"{self.txid}:{self.vout}"


NULL_OUTPOINT_TXID = "00" * 32


@dataclass(frozen=True)
class TxIn:
    prevout: OutPoint
    script_sig: bytes = b""
    sequence: int = SEQUENCE_FINAL
    witness: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.sequence <= 0xFFFFFFFF:
            raise InputError(f"nSequence {self.sequence} is not a uint32")

    def serialize(self) -> bytes:
        return self.prevout.serialize() + ser_bytes(self.script_sig) + self.sequence.to_bytes(4, "little")


@dataclass(frozen=True)
class TxOut:
    value: int  # satoshis
    script_pubkey: bytes

    def __post_init__(self) -> None:
        # an int64 as serialized; negative or excessive amounts are consensus errors,
        # but they must stay representable (Core's tx_invalid.json has them)
        if not -(2**63) <= self.value < 2**63:
            raise InputError(f"output value {self.value} does not fit in an int64")

    def serialize(self) -> bytes:
        return self.value.to_bytes(8, "little", signed=True) + ser_bytes(self.script_pubkey)


@dataclass(frozen=True)
class Tx:
    version: int = 2
    inputs: tuple[TxIn, ...] = ()
    outputs: tuple[TxOut, ...] = ()
    locktime: int = 0

    def __post_init__(self) -> None:
        if not -(2**31) <= self.version < 2**31:
            raise InputError(f"transaction version {self.version} is not an int32")
        if not 0 <= self.locktime <= 0xFFFFFFFF:
            raise InputError(f"nLockTime {self.locktime} is not a uint32")

    @property
    def has_witness(self) -> bool:
        return any(txin.witness for txin in self.inputs)

    def serialize(self, with_witness: bool = True) -> bytes:
        return self._full_bytes if with_witness else self._base_bytes

    @cached_property
    def _full_bytes(self) -> bytes:
        return self._serialize(with_witness=True)

    @cached_property
    def _base_bytes(self) -> bytes:
        return self._serialize(with_witness=False)

    def _serialize(self, with_witness: bool) -> bytes:
        witness = with_witness and self.has_witness
        out = bytearray(self.version.to_bytes(4, "little", signed=True))
        if witness:
            out += b"\x00\x01"
        out += compact_size(len(self.inputs))
        for txin in self.inputs:
            out += txin.serialize()
        out += compact_size(len(self.outputs))
        for txout in self.outputs:
            out += txout.serialize()
        if witness:
            for txin in self.inputs:
                out += compact_size(len(txin.witness))
                for item in txin.witness:
                    out += ser_bytes(item)
        out += self.locktime.to_bytes(4, "little")
        return bytes(out)

    def hex(self) -> str:
        return self.serialize().hex()

    @property
    def txid(self) -> str:
        return hash256(self.serialize(with_witness=False))[::-1].hex()

    @property
    def wtxid(self) -> str:
        return hash256(self.serialize())[::-1].hex()

    @property
    def weight(self) -> int:
        """BIP141 weight: base size * 3 + total size."""
        return len(self.serialize(False)) * (WITNESS_SCALE_FACTOR - 1) + len(self.serialize())

    @property
    def vsize(self) -> int:
        return (self.weight + WITNESS_SCALE_FACTOR - 1) // WITNESS_SCALE_FACTOR

    def is_coinbase(self) -> bool:
        return (
            len(self.inputs) == 1
            and self.inputs[0].prevout.txid == NULL_OUTPOINT_TXID
            and self.inputs[0].prevout.vout == 0xFFFFFFFF
        )

    def outpoint(self, vout: int) -> OutPoint:
        if not 0 <= vout < len(self.outputs):
            raise InputError(f"transaction {self.txid} has no output {vout}")
        return OutPoint(self.txid, vout)

    def with_witness(self, index: int, witness: Sequence[bytes]) -> Tx:
        inputs = list(self.inputs)
        inputs[index] = replace(inputs[index], witness=tuple(bytes(w) for w in witness))
        return replace(self, inputs=tuple(inputs))

    def without_witness(self) -> Tx:
        return replace(self, inputs=tuple(replace(i, witness=()) for i in self.inputs))

    @classmethod
    def parse(cls, data: bytes) -> Tx:
        return parse_tx(data)

    @classmethod
    def from_hex(cls, text: str) -> Tx:
        return parse_tx(parse_hex(text, "transaction hex"))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.buf = BytesIO(data)
        self.size = len(data)

    def read(self, n: int, what: str) -> bytes:
        pos = self.buf.tell()
        chunk = self.buf.read(n)
        if len(chunk) != n:
            raise InputError(f"transaction truncated at byte {pos}: {what} needs {n} bytes")
        return chunk

    def uint(self, n: int, what: str) -> int:
        return int.from_bytes(self.read(n, what), "little")

    def compact(self, what: str) -> int:
        first = self.uint(1, what)
        if first < 0xFD:
            return first
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = self.uint(width, what)
        if value < (0xFD if width == 2 else 1 << (8 * width // 2)):
            raise InputError(f"non-canonical compact size for {what}")
        return value

    def var_bytes(self, what: str) -> bytes:
        n = self.compact(what)
        if n > self.size:
            raise InputError(f"{what} length {n} exceeds the transaction size")
        return self.read(n, what)

    def at_end(self) -> bool:
        return self.buf.tell() == self.size


def parse_tx(data: bytes) -> Tx:
    """Parse a serialized transaction (with or without BIP144 witness)."""
    r = _Reader(data)
    version = int.from_bytes(r.read(4, "version"), "little", signed=True)
    n_in = r.compact("input count")
    flag = False
    if n_in == 0:
        marker_flag = r.uint(1, "segwit flag")
        if marker_flag != 1:
            raise InputError("transaction has no inputs (or an unknown segwit flag)")
        flag = True
        n_in = r.compact("input count")
    inputs = []
    for i in range(n_in):
        txid = r.read(32, f"input {i} txid")[::-1].hex()
        vout = r.uint(4, f"input {i} vout")
        script_sig = r.var_bytes(f"input {i} scriptSig")
        sequence = r.uint(4, f"input {i} sequence")
        inputs.append(TxIn(OutPoint(txid, vout), script_sig, sequence))
    n_out = r.compact("output count")
    outputs = []
    for i in range(n_out):
        value = int.from_bytes(r.read(8, f"output {i} value"), "little", signed=True)
        outputs.append(TxOut(value, r.var_bytes(f"output {i} scriptPubKey")))
    if flag:
        for i in range(n_in):
            items = tuple(r.var_bytes(f"input {i} witness item") for _ in range(r.compact("witness count")))
            inputs[i] = replace(inputs[i], witness=items)
        if not any(txin.witness for txin in inputs):
            raise InputError("segwit flag set but every witness is empty")
    locktime = r.uint(4, "locktime")
    if not r.at_end():
        raise InputError(f"{r.size - r.buf.tell()} trailing bytes after the transaction")
    return Tx(version, tuple(inputs), tuple(outputs), locktime)

"""Bitcoin Script: build from ops, parse, disassemble and assemble, byte-exact.

A :class:`Script` is an immutable byte string with helpers.  It is built from
opcodes, Python ints (pushed as minimal script numbers) and bytes (pushed with
the minimal push opcode, Core's ``CheckMinimalPush``), and it never rewrites the
bytes it was given: parsing and re-serialising any script, non-minimal pushes
and ``OP_SUCCESSn`` included, returns the same bytes.

ASM format (both ways): opcodes by name (``OP_DUP``, ``OP_1``, ``OP_SUCCESS187``),
data pushes as lowercase hex using the shortest push opcode for their length;
a push that uses a longer opcode than needed is written with that opcode
(``OP_PUSHDATA1 05``) so that the round trip is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Union

from taptrees.errors import InputError
from taptrees.opcodes import (
    ALIASES,
    Opcode,
    is_op_success,
    opcode_from_name,
    opcode_name,
)

OP_0 = Opcode.OP_0
OP_1NEGATE = Opcode.OP_1NEGATE
OP_1 = Opcode.OP_1
OP_PUSHDATA1 = Opcode.OP_PUSHDATA1
OP_PUSHDATA2 = Opcode.OP_PUSHDATA2
OP_PUSHDATA4 = Opcode.OP_PUSHDATA4

#: Script-number limit of arithmetic operands (Core: CScriptNum nDefaultMaxNumSize).
MAX_SCRIPT_NUM_SIZE = 4


# --- script numbers ---------------------------------------------------------------


def encode_num(value: int) -> bytes:
    """Minimal script-number encoding: little-endian sign-magnitude (CScriptNum::serialize)."""
    if value == 0:
        return b""
    negative = value < 0
    magnitude = -value if negative else value
    out = bytearray()
    while magnitude:
        out.append(magnitude & 0xFF)
        magnitude >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if negative else 0x00)
    elif negative:
        out[-1] |= 0x80
    return bytes(out)


def decode_num(data: bytes, max_size: int = MAX_SCRIPT_NUM_SIZE, minimal: bool = True) -> int:
    """Decode a script number; refuse oversize or (when ``minimal``) non-minimal encodings."""
    if len(data) > max_size:
        raise InputError(f"script number of {len(data)} bytes exceeds {max_size}")
    if not data:
        return 0
    if minimal and data[-1] & 0x7F == 0 and (len(data) == 1 or not data[-2] & 0x80):
        raise InputError(f"non-minimal script number {data.hex()}")
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(value & ~(0x80 << (8 * (len(data) - 1))))
    return value


# --- pushes -----------------------------------------------------------------------


def push_data(data: bytes) -> bytes:
    """Minimal push of ``data`` (Core's CheckMinimalPush): OP_0, OP_1..OP_16, OP_1NEGATE,
    a direct push, or OP_PUSHDATA1/2/4 by length."""
    n = len(data)
    if n == 0:
        return bytes([OP_0])
    if n == 1 and 1 <= data[0] <= 16:
        return bytes([OP_1 + data[0] - 1])
    if n == 1 and data[0] == 0x81:
        return bytes([OP_1NEGATE])
    return push_bytes(data)


def push_bytes(data: bytes) -> bytes:
    """Push ``data`` as data with the shortest push opcode for its length (no OP_n)."""
    n = len(data)
    if n <= 75:
        return bytes([n]) + data
    if n <= 0xFF:
        return bytes([OP_PUSHDATA1, n]) + data
    if n <= 0xFFFF:
        return bytes([OP_PUSHDATA2]) + n.to_bytes(2, "little") + data
    return bytes([OP_PUSHDATA4]) + n.to_bytes(4, "little") + data


def push_int(value: int) -> bytes:
    """Minimal push of a script number (OP_0, OP_1NEGATE, OP_1..OP_16 or its encoding)."""
    if value == 0:
        return bytes([OP_0])
    if value == -1:
        return bytes([OP_1NEGATE])
    if 1 <= value <= 16:
        return bytes([OP_1 + value - 1])
    return push_bytes(encode_num(value))


# --- parsed operations ------------------------------------------------------------


@dataclass(frozen=True)
class ScriptOp:
    """One parsed operation: its opcode byte, pushed data (None for non-pushes), offset."""

    opcode: int
    data: bytes | None
    offset: int

    @property
    def is_push(self) -> bool:
        return self.data is not None

    def asm(self) -> str:
        if self.data is None:
            return opcode_name(self.opcode)
        if self.opcode == OP_0:
            return "OP_0"
        hexdata = self.data.hex() or "0x"
        if push_bytes(self.data)[0] == self.opcode:
            return hexdata
        return (
            f"{opcode_name(self.opcode)} {hexdata}"
            if self.opcode > 75
            else (f"OP_PUSHBYTES_{self.opcode} {hexdata}")
        )


def iter_ops(raw: bytes) -> Iterator[ScriptOp]:
    """Parse raw script bytes into operations (Core's GetScriptOp).

    Raises :class:`InputError` naming the offset when a push runs past the end.
    """
    i, n = 0, len(raw)
    while i < n:
        start, op = i, raw[i]
        i += 1
        if op > OP_PUSHDATA4 or op == OP_0:
            yield ScriptOp(op, b"" if op == OP_0 else None, start)
            continue
        if op < OP_PUSHDATA1:
            size = op
        else:
            width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
            if i + width > n:
                raise InputError(
                    f"truncated push at offset {start}: {opcode_name(op)} needs a "
                    f"{width}-byte length, {n - i} left"
                )
            size = int.from_bytes(raw[i : i + width], "little")
            i += width
        if i + size > n:
            raise InputError(
                f"truncated push at offset {start}: {size} bytes announced, {n - i} left"
            )
        yield ScriptOp(op, raw[i : i + size], start)
        i += size


# --- the Script type --------------------------------------------------------------

ScriptItem = Union[Opcode, int, bytes, "Script", Iterable["ScriptItem"]]


class Script:
    """An immutable script.

    ``Script([OP_2, 3, OP_ADD, b"\\x05", OP_EQUAL])`` builds from items:
    :class:`Opcode` -> that byte; ``int`` -> minimal number push; ``bytes`` ->
    minimal data push; ``Script`` -> its bytes; nested lists are flattened.
    """

    __slots__ = ("raw",)
    raw: bytes

    def __init__(self, items: Iterable[ScriptItem] = ()) -> None:
        object.__setattr__(self, "raw", _assemble_items(items))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Script is immutable")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Script:
        """Wrap raw bytes as they are (nothing is re-encoded)."""
        script = cls.__new__(cls)
        object.__setattr__(script, "raw", bytes(raw))
        return script

    @classmethod
    def from_hex(cls, text: str) -> Script:
        try:
            return cls.from_bytes(bytes.fromhex(text.strip()))
        except ValueError as exc:
            raise InputError(f"script hex is malformed: {exc}") from None

    @classmethod
    def from_asm(cls, text: str) -> Script:
        """Assemble the ASM written by :meth:`asm` (and Core's names and aliases)."""
        return cls.from_bytes(assemble(text))

    # views
    def ops(self) -> list[ScriptOp]:
        return list(iter_ops(self.raw))

    def asm(self) -> str:
        return " ".join(op.asm() for op in iter_ops(self.raw))

    def hex(self) -> str:
        return self.raw.hex()

    @property
    def size(self) -> int:
        return len(self.raw)

    def op_count(self) -> int:
        """Non-push opcodes (those counted by the legacy 201-op limit)."""
        return sum(1 for op in iter_ops(self.raw) if op.opcode > 0x60)

    def has_op_success(self) -> bool:
        return any(not op.is_push and is_op_success(op.opcode) for op in iter_ops(self.raw))

    # value semantics
    def __bytes__(self) -> bytes:
        return self.raw

    def __len__(self) -> int:
        return len(self.raw)

    def __add__(self, other: ScriptItem) -> Script:
        return Script([self, other])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Script) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        text = self.asm() if len(self.raw) <= 200 else f"{len(self.raw)} bytes"
        return f"Script({text!r})"


def _assemble_items(items: Iterable[ScriptItem]) -> bytes:
    out = bytearray()
    stack: list[Iterator[ScriptItem]] = [iter(items)]
    while stack:
        try:
            item = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(item, Opcode):
            if item in (OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4):
                # it would swallow the bytes after it as a length and data
                raise InputError(f"a bare {item.name} is not a script item; push bytes instead")
            out.append(int(item))
        elif isinstance(item, bool):
            raise InputError("booleans are ambiguous in scripts; push 0/1 or use OP_0/OP_1")
        elif isinstance(item, int):
            out += push_int(item)
        elif isinstance(item, bytes | bytearray | memoryview):
            out += push_data(bytes(item))
        elif isinstance(item, Script):
            out += item.raw
        elif isinstance(item, Iterable) and not isinstance(item, str):
            stack.append(iter(item))
        else:
            raise InputError(f"cannot put {type(item).__name__} {item!r} in a script")
    return bytes(out)


def assemble(text: str) -> bytes:
    """ASM to bytes.  Tokens: opcode names, hex data (pushed with the shortest push
    opcode for its length), ``OP_PUSHDATAn <hex>``/``OP_PUSHBYTES_n <hex>`` for explicit
    push forms, and script numbers written ``<n>`` (decimal or 0x-hex)."""
    tokens = text.split()
    out = bytearray()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        upper = tok.upper()
        if upper in ("OP_PUSHDATA1", "OP_PUSHDATA2", "OP_PUSHDATA4") or upper.startswith(
            "OP_PUSHBYTES_"
        ):
            if i + 1 >= len(tokens):
                raise InputError(f"ASM token {i}: {tok} needs a hex operand")
            data = _hex_token(tokens[i + 1], i + 1, allow_empty=True)
            if upper.startswith("OP_PUSHBYTES_"):
                n = int(upper[13:]) if upper[13:].isdigit() else -1
                if n != len(data) or not 1 <= n <= 75:
                    raise InputError(f"ASM token {i}: {tok} does not match {len(data)} bytes")
                out += bytes([n]) + data
            else:
                width = {"OP_PUSHDATA1": 1, "OP_PUSHDATA2": 2, "OP_PUSHDATA4": 4}[upper]
                if len(data) >= 1 << (8 * width):
                    raise InputError(f"ASM token {i}: {len(data)} bytes too long for {tok}")
                out += bytes([opcode_from_name(upper)]) + len(data).to_bytes(width, "little")
                out += data
            i += 2
            continue
        if tok.startswith("<") and tok.endswith(">"):
            try:
                out += push_int(int(tok[1:-1], 0))
            except ValueError:
                raise InputError(f"ASM token {i}: {tok} is not a number") from None
        elif upper.startswith("OP_") or upper in _BARE_NAMES:
            try:
                out.append(opcode_from_name(upper))
            except KeyError:
                raise InputError(f"ASM token {i}: unknown opcode {tok}") from None
        else:
            out += push_bytes(_hex_token(tok, i))
        i += 1
    return bytes(out)


#: Names accepted without ``OP_`` (opcodes and Core's aliases such as NOP2, CSV); names
#: starting with a digit are left out, as ``1ADD`` or ``10`` would be hex data.
_BARE_NAMES = frozenset(
    name[3:] for name in (*Opcode.__members__, *ALIASES) if not name[3].isdigit()
)


def _hex_token(tok: str, index: int, allow_empty: bool = False) -> bytes:
    text = tok[2:] if tok.lower().startswith("0x") else tok
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise InputError(f"ASM token {index}: {tok!r} is neither an opcode nor hex data") from None
    if not data and not allow_empty:
        raise InputError(f"ASM token {index}: empty data; write OP_0")
    return data

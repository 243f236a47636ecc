"""Bitcoin Script: build from ops, parse, disassemble and assemble, byte-exact.

A :class:`Script` is an immutable byte string with helpers.  It is built from
opcodes, Python ints (pushed as minimal script numbers) and bytes (pushed with
the minimal push opcode, Core's ``CheckMinimalPush``), and it never rewrites the
bytes it was given: parsing and re-serialising any script, non-minimal pushes
and ``OP_SUCCESSn`` included, returns the same bytes.

ASM format (both ways), Bitcoin Core's ``ScriptToAsmStr`` made exact:

* numbers in decimal: ``OP_0``/``OP_1NEGATE``/``OP_1``..``OP_16`` are written
  ``0``/``-1``/``1``..``16``, and a push of up to 4 bytes that is exactly what
  Core's ``CScript << n`` emits (a minimal script number in the shortest push)
  is written as that number (``144`` is ``02 9000``);
* every other push is data, written ``0x<hex>`` (on input ``<hex>`` too), using
  the shortest push opcode for its length; a push that uses a longer opcode
  than needed is written with that opcode (``OP_PUSHDATA1 0x05``), so the
  round trip is exact where Core's ASM is lossy (it prints ``5`` for ``OP_5``
  and for a one-byte push of 0x05);
* opcodes by name (``OP_DUP``, ``OP_SUCCESS187``; on input also Core's aliases
  and names without ``OP_``).

On input, a bare token that could be read two ways (``10``-style digits with a
leading zero, or hex digits without ``0x``) is refused rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Union

from taptrees.errors import InputError
from taptrees.hexstr import HEX_DIGITS, parse_hex
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
OP_16 = Opcode.OP_16
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
            if OP_1 <= self.opcode <= OP_16:
                return str(self.opcode - OP_1 + 1)
            if self.opcode == OP_1NEGATE:
                return "-1"
            return opcode_name(self.opcode)
        if self.opcode == OP_0:
            return "0"
        number = number_of_push(self.opcode, self.data)
        if number is not None:
            return str(number)
        hexdata = "0x" + self.data.hex()
        if push_bytes(self.data)[0] == self.opcode:
            return hexdata
        return (
            f"{opcode_name(self.opcode)} {hexdata}" if self.opcode > 75 else (f"OP_PUSHBYTES_{self.opcode} {hexdata}")
        )


def number_of_push(opcode: int, data: bytes) -> int | None:
    """The script number a push stands for in ASM, or None when it is data: a push
    of 1..4 bytes that is exactly ``push_int`` of its value (a minimal number in
    the shortest push, and not one OP_1NEGATE/OP_1..OP_16 would push)."""
    if not 1 <= len(data) <= MAX_SCRIPT_NUM_SIZE:
        return None
    try:
        value = decode_num(data)
    except InputError:
        return None
    return value if push_int(value) == bytes([opcode]) + data else None


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
                    f"truncated push at offset {start}: {opcode_name(op)} needs a {width}-byte length, {n - i} left"
                )
            size = int.from_bytes(raw[i : i + width], "little")
            i += width
        if i + size > n:
            raise InputError(f"truncated push at offset {start}: {size} bytes announced, {n - i} left")
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
        return cls.from_bytes(parse_hex(text, "script hex"))

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


#: Core's ParseScript accepts decimal numbers in this range (larger ones are not
#: valid script numbers anywhere).
MAX_ASM_NUMBER = 0xFFFFFFFF
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")


def assemble(text: str) -> bytes:
    """ASM to bytes (the format of :meth:`Script.asm`, see the module docstring).

    Tokens: decimal numbers (pushed as ``push_int``, as Core's ``ParseScript``
    does, within +-0xffffffff), data as ``0x<hex>`` or ``<hex>`` (pushed with the
    shortest push opcode for its length), ``OP_PUSHDATAn``/``OP_PUSHBYTES_n``
    followed by data for explicit push forms, and opcode names.  Ambiguous bare
    tokens (``010``, ``ab``) are refused with what to write instead.
    """
    tokens = text.split()
    out = bytearray()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        upper = tok.upper()
        if upper in ("OP_PUSHDATA1", "OP_PUSHDATA2", "OP_PUSHDATA4") or upper.startswith("OP_PUSHBYTES_"):
            if i + 1 >= len(tokens):
                raise InputError(f"ASM token {i}: {tok} needs data (0x<hex> or <hex>)")
            data = _data_token(tokens[i + 1], i + 1, allow_empty=True)
            if data is None:
                raise InputError(f"ASM token {i + 1}: {tok} needs data written 0x<hex> or <hex>, got {tokens[i + 1]!r}")
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
        data = _data_token(tok, i)
        if data is not None:
            out += push_bytes(data)
        elif _DECIMAL.fullmatch(tok):
            value = int(tok)
            if abs(value) > MAX_ASM_NUMBER:
                raise InputError(
                    f"ASM token {i}: number {tok} is outside +-{MAX_ASM_NUMBER} (write larger values as data, 0x<hex>)"
                )
            out += push_int(value)
        elif upper.startswith("OP_") or upper in _BARE_NAMES:
            try:
                out.append(opcode_from_name(upper))
            except KeyError:
                raise InputError(f"ASM token {i}: unknown opcode {tok}") from None
        elif tok.lstrip("-").isdigit():
            raise InputError(
                f"ASM token {i}: {tok!r} is ambiguous: write the number {int(tok)} without "
                "leading zeros, or data as 0x<hex>"
            )
        elif set(tok) <= HEX_DIGITS:
            data_form = f"0x{tok}" if len(tok) % 2 == 0 else "0x<hex>"
            raise InputError(
                f"ASM token {i}: {tok!r} is ambiguous: write data as {data_form} (or <hex>) and numbers in decimal"
            )
        else:
            raise InputError(f"ASM token {i}: {tok!r} is neither an opcode, a number nor data")
        i += 1
    return bytes(out)


#: Names accepted without ``OP_`` (opcodes and Core's aliases such as NOP2, CSV); names
#: starting with a digit are left out, as ``1ADD`` would read as a number.
_BARE_NAMES = frozenset(name[3:] for name in (*Opcode.__members__, *ALIASES) if not name[3].isdigit())


def _data_token(tok: str, index: int, allow_empty: bool = False) -> bytes | None:
    """The bytes of a data token ``0x<hex>`` or ``<hex>``; None for other tokens."""
    if tok.startswith("<") and tok.endswith(">") and len(tok) >= 2:
        text, shown = tok[1:-1], tok
    elif tok[:2].lower() == "0x":
        text, shown = tok[2:], tok
    else:
        return None
    hint = ""
    if tok.startswith("<") and _DECIMAL.fullmatch(text):
        hint = f" (<hex> is data; numbers are written bare: {int(text)})"
    if not set(text) <= HEX_DIGITS:
        raise InputError(f"ASM token {index}: {shown!r} is not hex data{hint}")
    if len(text) % 2:
        raise InputError(f"ASM token {index}: {shown!r} has an odd number of hex digits{hint}")
    if not text and not allow_empty:
        raise InputError(f"ASM token {index}: empty data; write 0 (OP_0)")
    return bytes.fromhex(text)

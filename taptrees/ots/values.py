"""The inputs of a check leaf: values committed under one-time keys, or given bare.

A check leaf (a dispute's final challenge, a search move) is a *prefix* that
depends on the keys and a *body* that does not (BitVM's split of a leaf into a
graph-independent script and its key-dependent part):

1. the prefix verifies each committed value with its Winternitz key (4-bit
   digits, ``keep="digits"``), the last value first because its signature lies
   on top of the witness, and parks the digits on the altstack; a *bare* value
   (one the spender supplies without a signature, e.g. a challenger's copy of a
   hash the operator signed elsewhere) is a run of limb items, each checked to be
   in 0..15 and parked the same way;
2. the body finds every kept field on the altstack, the first one's most
   significant limb on top, so ``OP_FROMALTSTACK`` once per limb lays them on the
   main stack first field deepest, each most significant limb deepest, exactly
   as :mod:`taptrees.arith` and :mod:`taptrees.blake3` expect.

A value the leaf fixes when it is built (``Value(..., constant=c)``: the leaf
only spends when the signer signed exactly ``c``) is verified against ``c``
directly (:func:`taptrees.ots.winternitz.known_value_script`: each signature item
hashed to its chain end, no digit items, no checksum arithmetic, nothing kept):
about half the script of a full verifier, and a witness of signatures only.

A value may be a *group* of fields signed under one key (``parts``: the fields
concatenated, the first most significant): one checksum for all of them instead
of one per field (a u32 alone carries 2 checksum digits for 8, five record fields
together 3 for 34).  A part may be a build-time constant (its digits are
witnessed by their signatures alone, :func:`taptrees.ots.winternitz_script.partial`)
or not kept (its digits are checked and dropped).

:class:`ValueLayout` also builds the witness from signatures and reads the
values back out of a witness (what a watcher does with a spend it sees).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.opcodes import OP_0, OP_DUP, OP_TOALTSTACK, OP_VERIFY, OP_WITHIN
from taptrees.ots import winternitz_script
from taptrees.ots.derive import CHAIN_VALUE_SIZE
from taptrees.ots.winternitz import (
    WinternitzParams,
    WinternitzPublicKey,
    known_value_script,
    recover_value,
    verifier_script,
)
from taptrees.script import Script, decode_num, encode_num

DIGIT_BITS = 4


def _check_bits(name: str, bits: object) -> None:
    if not isinstance(bits, int) or isinstance(bits, bool) or bits <= 0 or bits % DIGIT_BITS:
        raise InputError(f"value {name!r}: width {bits!r} is not a positive multiple of 4")


def _limb_stack(name: str, bits: int, value: int) -> list[int]:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise InputError(f"value {name!r} = {value!r} does not fit in {bits} bits")
    return [(value >> (4 * i)) & 15 for i in reversed(range(bits // DIGIT_BITS))]


@dataclass(frozen=True)
class Part:
    """One field of a group value: its name, width, and whether the leaf fixes it
    (``constant``) or keeps its limbs for the body (``kept``)."""

    name: str
    bits: int
    constant: int | None = None
    kept: bool = True
    number: bool = False  #: one script number 0 <= n < 2**bits instead of limbs (bare values)

    def __post_init__(self) -> None:
        _check_bits(self.name, self.bits)
        if self.constant is not None:
            _limb_stack(self.name, self.bits, self.constant)
            object.__setattr__(self, "kept", False)

    @property
    def limbs(self) -> int:
        """Stack items of the field: its limbs, or one number."""
        return 1 if self.number else self.bits // DIGIT_BITS

    def items(self, value: int) -> list[int]:
        """The field's stack items, most significant limb first (or the number)."""
        if self.number:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << self.bits:
                raise InputError(f"value {self.name!r} = {value!r} is not a number in 0..2**{self.bits}")
            return [value]
        return _limb_stack(self.name, self.bits, value)


@dataclass(frozen=True)
class Value:
    """One input of a check leaf: a name, a width in bits (a multiple of 4), and
    whether it is committed under a one-time key or given bare; a group value lists
    its fields in ``parts`` (then ``bits`` is their sum and the other flags are the
    parts')."""

    name: str
    bits: int
    signed: bool = True
    kept: bool = True  #: False: only its signature is checked, no limbs reach the body
    constant: int | None = None  #: the value the signature must sign (then nothing is kept)
    parts: tuple[Part, ...] = ()
    #: a bare value given as one script number, not range-checked: a computation hint
    #: (a product's carry) that the body's checks hold right whatever its value
    number: bool = False

    def __post_init__(self) -> None:
        _check_bits(self.name, self.bits)
        if self.number and self.signed:
            raise InputError(f"value {self.name!r}: only bare values can be numbers")
        if self.parts:
            object.__setattr__(self, "parts", tuple(self.parts))
            if sum(p.bits for p in self.parts) != self.bits:
                raise InputError(f"group {self.name!r}: parts do not add up to {self.bits} bits")
            if not self.signed or self.constant is not None:
                raise InputError(f"group {self.name!r} must be signed, its constants are per part")
            names = [p.name for p in self.parts]
            if len(set(names)) != len(names):
                raise InputError(f"group {self.name!r} has repeated part names: {names}")
            object.__setattr__(self, "kept", any(p.kept for p in self.parts))
            return
        if not self.kept and not self.signed:
            raise InputError(f"bare value {self.name!r} must be kept (nothing else checks it)")
        if self.constant is not None:
            if not self.signed:
                raise InputError(f"constant value {self.name!r} must be signed")
            if self.kept:
                object.__setattr__(self, "kept", False)
            self.limb_stack(self.constant)  # range check

    @property
    def fields(self) -> tuple[Part, ...]:
        """The value's fields: its parts, or the value itself as one field."""
        return self.parts or (Part(self.name, self.bits, self.constant, self.kept, self.number),)

    @property
    def limbs(self) -> int:
        """Stack items of a bare value (its limbs, or one number)."""
        return 1 if self.number else self.bits // DIGIT_BITS

    @property
    def params(self) -> WinternitzParams:
        return WinternitzParams(DIGIT_BITS, self.bits)

    def limb_stack(self, value: int) -> list[int]:
        """The value's limbs, most significant first."""
        return _limb_stack(self.name, self.bits, value)

    def message(self, values: Mapping[str, int]) -> int:
        """The integer signed for this value: its fields concatenated (a constant field
        may be left out of ``values``)."""
        out = 0
        for p in self.fields:
            x = values.get(p.name, p.constant)
            if x is None:
                raise InputError(f"no value for {p.name!r}")
            _limb_stack(p.name, p.bits, x)  # range check
            out = (out << p.bits) | x
        return out

    def split(self, message: int) -> dict[str, int]:
        """The fields of a signed integer."""
        out, at = {}, self.bits
        for p in self.fields:
            at -= p.bits
            out[p.name] = (message >> at) & ((1 << p.bits) - 1)
        return out

    @property
    def known_digits(self) -> dict[int, int]:
        """Message digit position (least significant first) -> digit, for the
        constant fields."""
        out, at = {}, self.bits
        for p in self.fields:
            at -= p.bits
            if p.constant is not None:
                for i in range(p.bits // DIGIT_BITS):
                    out[at // DIGIT_BITS + i] = (p.constant >> (DIGIT_BITS * i)) & 15
        return out

    @property
    def kept_digits(self) -> set[int]:
        out, at = set(), self.bits
        for p in self.fields:
            at -= p.bits
            if p.kept and p.constant is None:
                out.update(range(at // DIGIT_BITS, (at + p.bits) // DIGIT_BITS))
        return out


@dataclass(frozen=True)
class ValueLayout:
    """The witness inputs of one leaf kind, in witness order (first deepest)."""

    values: tuple[Value, ...]
    strategy: str = "small_script"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        names = [p.name for v in self.values for p in v.fields]
        if len(set(names)) != len(names):
            raise InputError(f"leaf inputs have repeated names: {names}")
        if self.strategy != "small_script" and any(v.parts for v in self.values):
            raise InputError("group values need the small_script strategy")

    @property
    def names(self) -> tuple[str, ...]:
        """Every field the leaf takes (a group's parts, in order)."""
        return tuple(p.name for v in self.values for p in v.fields)

    @property
    def signed(self) -> tuple[Value, ...]:
        return tuple(v for v in self.values if v.signed)

    @property
    def kept(self) -> tuple[Part, ...]:
        """The fields whose limbs reach the body, in order."""
        return tuple(p for v in self.values for p in v.fields if p.kept and p.constant is None)

    @property
    def total_limbs(self) -> int:
        return sum(p.limbs for p in self.kept)

    def kept_limbs(self, values: Mapping[str, int]) -> list[int]:
        """The items the body finds (what the prefix leaves), first field's MS limb first."""
        return [x for p in self.kept for x in p.items(values[p.name])]

    def messages(self, values: Mapping[str, int]) -> dict[str, int]:
        """Value name -> the integer its one-time key signs."""
        return {v.name: v.message(values) for v in self.signed}

    def value(self, name: str) -> Value:
        for v in self.values:
            if v.name == name:
                return v
        raise InputError(f"no leaf input named {name!r}")

    def _check_key(self, v: Value, keys: Mapping[str, WinternitzPublicKey]) -> WinternitzPublicKey:
        key = keys.get(v.name)
        if key is None:
            raise InputError(f"no one-time key for committed value {v.name!r}")
        if key.params != v.params:
            raise InputError(
                f"key for {v.name!r} signs {key.params.message_bits} bits in {key.params.digit_bits}-bit "
                f"digits; the leaf needs {v.bits} bits in 4-bit digits"
            )
        return key

    def _verifier(self, v: Value, key: WinternitzPublicKey) -> Script:
        known = v.known_digits
        if len(known) == v.params.message_digits:
            return known_value_script(key, v.message({}))
        if not known and v.kept_digits in (set(), set(range(v.params.message_digits))):
            return verifier_script(key, self.strategy, keep="digits" if v.kept_digits else "drop")
        return winternitz_script.partial(key.params, key.chain_ends, known, v.kept_digits)

    def prefix(self, keys: Mapping[str, WinternitzPublicKey]) -> Script:
        """Verify every input (last first) and park its kept limbs on the altstack."""
        items: list = []
        for v in reversed(self.values):
            if v.signed:
                items.append(self._verifier(v, self._check_key(v, keys)))
                items += [OP_TOALTSTACK] * len(v.kept_digits)
            elif v.number:  # any script number: the body's own checks decide (a hint)
                items.append(OP_TOALTSTACK)
            else:
                items += [OP_DUP, OP_0, 16, OP_WITHIN, OP_VERIFY, OP_TOALTSTACK] * v.limbs
        return Script(items)

    def _known_items(self, v: Value) -> set[int]:
        """Witness items of ``v``'s full ``small_script`` signature that a known digit
        leaves out (the digit item after its signature)."""
        known = v.known_digits
        if len(known) == v.params.message_digits:
            known = dict(enumerate(v.params.digits(v.message({}))))
        order = v.params.witness_positions()
        return {2 * k + 1 for k, p in enumerate(order) if p in known}

    def witness(self, signatures: Mapping[str, Sequence[bytes]], bare: Mapping[str, int] | None = None) -> list[bytes]:
        """Witness stack (bottom first): each signed value's signature items
        (:meth:`WinternitzKey.sign` with this layout's strategy; the digit items of
        known digits are left out), each bare value's limbs."""
        bare = bare or {}
        out: list[bytes] = []
        for v in self.values:
            if v.signed:
                if v.name not in signatures:
                    raise InputError(f"no signature for committed value {v.name!r}")
                items = list(signatures[v.name])
                drop = self._known_items(v)
                if drop and self.strategy == "small_script":
                    if len(items) != 2 * v.params.total_digits:
                        raise InputError(
                            f"signature of {v.name!r} has {len(items)} items, expected {2 * v.params.total_digits}"
                        )
                    items = [x for k, x in enumerate(items) if k not in drop]
                out += items
            else:
                if v.name not in bare:
                    raise InputError(f"no value given for bare input {v.name!r}")
                out += [encode_num(x) for x in v.fields[0].items(bare[v.name])]
        return out

    def items_of(self, v: Value) -> int:
        if not v.signed:
            return v.limbs
        if self.strategy != "small_script":
            return v.params.total_digits
        return 2 * v.params.total_digits - len(self._known_items(v))

    def max_item_sizes(self, v: Value) -> list[int]:
        """The largest size in bytes of each of ``v``'s witness items as :meth:`witness`
        lays them out (what a fee is paid for): a digit's signature is a chain value,
        a digit item (``small_script``) and a limb the script number of their largest
        value, a bare number that of ``2**bits - 1``."""
        if not v.signed:
            if v.number:
                return [len(encode_num((1 << v.bits) - 1))]
            return [len(encode_num((1 << DIGIT_BITS) - 1))] * v.limbs
        if self.strategy != "small_script":
            return [CHAIN_VALUE_SIZE] * v.params.total_digits
        digit = len(encode_num(v.params.max_digit))
        drop = self._known_items(v)
        return [CHAIN_VALUE_SIZE if k % 2 == 0 else digit for k in range(2 * v.params.total_digits) if k not in drop]

    @property
    def witness_items(self) -> int:
        return sum(self.items_of(v) for v in self.values)

    def _full_signature(self, v: Value, chunk: Sequence[bytes]) -> list[bytes]:
        """``v``'s witness items with the digit items of its known digits put back: the
        whole signature :meth:`WinternitzKey.sign` made."""
        dropped = self._known_items(v)
        if not dropped or self.strategy != "small_script":
            return list(chunk)
        full, it = [], iter(chunk)
        digits = v.params.digits(v.message({p.name: 0 for p in v.fields if p.constant is None}))
        order = v.params.witness_positions()
        for k in range(2 * v.params.total_digits):
            full.append(encode_num(digits[order[k // 2]]) if k in dropped else next(it))
        return full

    def signatures(self, items: Sequence[bytes]) -> dict[str, list[bytes]]:
        """Each signed value's whole one-time signature in a witness stack (bottom
        first, the leaf's inputs only), unchecked (:meth:`parse_witness` checks them):
        what another leaf verifying the same key takes again."""
        items = list(items)
        if len(items) != self.witness_items:
            raise InputError(f"witness has {len(items)} items, the leaf takes {self.witness_items}")
        out, at = {}, 0
        for v in self.values:
            n = self.items_of(v)
            if v.signed:
                out[v.name] = self._full_signature(v, items[at : at + n])
            at += n
        return out

    def parse_witness(self, items: Sequence[bytes], keys: Mapping[str, WinternitzPublicKey]) -> dict[str, int]:
        """The fields a witness stack carries (bottom first, the leaf's inputs only),
        each signature checked against its key; raises naming the first bad one."""
        items = list(items)
        if len(items) != self.witness_items:
            raise InputError(f"witness has {len(items)} items, the leaf takes {self.witness_items}")
        out: dict[str, int] = {}
        at = 0
        for v in self.values:
            n = self.items_of(v)
            chunk = items[at : at + n]
            at += n
            if v.signed:
                chunk = self._full_signature(v, chunk)
                value = recover_value(self._check_key(v, keys), chunk)
                if value is None:
                    raise InputError(f"witness does not carry a valid signature of {v.name!r}")
                fields = v.split(value)
                for p in v.fields:
                    if p.constant is not None and fields[p.name] != p.constant:
                        raise InputError(f"witness signs {p.name!r} = {fields[p.name]}, the leaf needs {p.constant}")
                out.update(fields)
            else:
                try:
                    limbs = [decode_num(x) for x in chunk]
                except InputError:
                    raise InputError(f"bare input {v.name!r} has a malformed limb") from None
                if v.number:
                    if not 0 <= limbs[0] < 1 << v.bits:
                        raise InputError(f"bare input {v.name!r} is outside 0..2**{v.bits}")
                    out[v.name] = limbs[0]
                    continue
                if any(not 0 <= x < 16 for x in limbs):
                    raise InputError(f"bare input {v.name!r} has a limb outside 0..15")
                value = 0
                for x in limbs:
                    value = value * 16 + x
                out[v.name] = value
        return out

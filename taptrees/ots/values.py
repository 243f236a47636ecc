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
2. the body finds every kept value on the altstack, the first value's most
   significant limb on top, so ``OP_FROMALTSTACK`` once per limb lays them on the
   main stack first value deepest, each most significant limb deepest, exactly
   as :mod:`taptrees.arith` and :mod:`taptrees.blake3` expect.

A value the leaf fixes when it is built (``Value(..., constant=c)``: the leaf
only spends when the signer signed exactly ``c``) is verified against ``c``
directly (:func:`taptrees.ots.winternitz.known_value_script`: each signature item
hashed to its chain end, no digit items, no checksum arithmetic, nothing kept):
about half the script of a full verifier, and a witness of signatures only.

:class:`ValueLayout` also builds the witness from signatures and reads the
values back out of a witness (what a watcher does with a spend it sees).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.opcodes import OP_0, OP_DUP, OP_TOALTSTACK, OP_VERIFY, OP_WITHIN
from taptrees.ots.winternitz import (
    WinternitzParams,
    WinternitzPublicKey,
    known_value_script,
    recover_value,
    verifier_script,
)
from taptrees.script import Script, decode_num, encode_num

DIGIT_BITS = 4


@dataclass(frozen=True)
class Value:
    """One input of a check leaf: a name, a width in bits (a multiple of 4), and
    whether it is committed under a one-time key or given bare."""

    name: str
    bits: int
    signed: bool = True
    kept: bool = True  #: False: only its signature is checked, no limbs reach the body
    constant: int | None = None  #: the value the signature must sign (then nothing is kept)

    def __post_init__(self) -> None:
        if not isinstance(self.bits, int) or self.bits <= 0 or self.bits % DIGIT_BITS:
            raise InputError(f"value {self.name!r}: width {self.bits!r} is not a positive multiple of 4")
        if not self.kept and not self.signed:
            raise InputError(f"bare value {self.name!r} must be kept (nothing else checks it)")
        if self.constant is not None:
            if not self.signed:
                raise InputError(f"constant value {self.name!r} must be signed")
            if self.kept:
                object.__setattr__(self, "kept", False)
            self.limb_stack(self.constant)  # range check

    @property
    def limbs(self) -> int:
        return self.bits // DIGIT_BITS

    @property
    def params(self) -> WinternitzParams:
        return WinternitzParams(DIGIT_BITS, self.bits)

    def limb_stack(self, value: int) -> list[int]:
        """The value's limbs, most significant first."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << self.bits:
            raise InputError(f"value {self.name!r} = {value!r} does not fit in {self.bits} bits")
        return [(value >> (4 * i)) & 15 for i in reversed(range(self.limbs))]


@dataclass(frozen=True)
class ValueLayout:
    """The witness inputs of one leaf kind, in witness order (first deepest)."""

    values: tuple[Value, ...]
    strategy: str = "small_script"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        names = [v.name for v in self.values]
        if len(set(names)) != len(names):
            raise InputError(f"leaf inputs have repeated names: {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)

    @property
    def signed(self) -> tuple[Value, ...]:
        return tuple(v for v in self.values if v.signed)

    @property
    def kept(self) -> tuple[Value, ...]:
        """The values whose limbs reach the body, in order."""
        return tuple(v for v in self.values if v.kept)

    @property
    def total_limbs(self) -> int:
        return sum(v.limbs for v in self.kept)

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

    def prefix(self, keys: Mapping[str, WinternitzPublicKey]) -> Script:
        """Verify every input (last first) and park its limbs on the altstack."""
        items: list = []
        for v in reversed(self.values):
            if v.constant is not None:
                items.append(known_value_script(self._check_key(v, keys), v.constant))
            elif v.signed and not v.kept:
                items.append(verifier_script(self._check_key(v, keys), self.strategy, keep="drop"))
            elif v.signed:
                items.append(verifier_script(self._check_key(v, keys), self.strategy, keep="digits"))
                items += [OP_TOALTSTACK] * v.limbs
            else:
                items += [OP_DUP, OP_0, 16, OP_WITHIN, OP_VERIFY, OP_TOALTSTACK] * v.limbs
        return Script(items)

    def witness(
        self, signatures: Mapping[str, Sequence[bytes]], bare: Mapping[str, int] | None = None
    ) -> list[bytes]:
        """Witness stack (bottom first): each signed value's signature items
        (:meth:`WinternitzKey.sign` with this layout's strategy; for a constant value
        the digit items are left out), each bare value's limbs."""
        bare = bare or {}
        out: list[bytes] = []
        for v in self.values:
            if v.signed:
                if v.name not in signatures:
                    raise InputError(f"no signature for committed value {v.name!r}")
                items = list(signatures[v.name])
                if v.constant is not None and self.strategy == "small_script":
                    if len(items) != 2 * v.params.total_digits:
                        raise InputError(f"signature of {v.name!r} has {len(items)} items, "
                                         f"expected {2 * v.params.total_digits}")
                    items = items[0::2]  # [sig, digit] pairs: keep the signatures
                out += items
            else:
                if v.name not in bare:
                    raise InputError(f"no value given for bare input {v.name!r}")
                out += [encode_num(x) for x in v.limb_stack(bare[v.name])]
        return out

    def items_of(self, v: Value) -> int:
        if not v.signed:
            return v.limbs
        per_digit = 2 if self.strategy == "small_script" and v.constant is None else 1
        return per_digit * v.params.total_digits

    @property
    def witness_items(self) -> int:
        return sum(self.items_of(v) for v in self.values)

    def parse_witness(
        self, items: Sequence[bytes], keys: Mapping[str, WinternitzPublicKey]
    ) -> dict[str, int]:
        """The values a witness stack carries (bottom first, the leaf's inputs only),
        each signature checked against its key; raises naming the first bad one."""
        items = list(items)
        if len(items) != self.witness_items:
            raise InputError(f"witness has {len(items)} items, the leaf takes {self.witness_items}")
        out: dict[str, int] = {}
        at = 0
        for v in self.values:
            n = self.items_of(v)
            chunk = items[at: at + n]
            at += n
            if v.signed:
                value = recover_value(self._check_key(v, keys), chunk)
                if value is None:
                    raise InputError(f"witness does not carry a valid signature of {v.name!r}")
                if v.constant is not None and value != v.constant:
                    raise InputError(f"witness signs {v.name!r} = {value}, the leaf needs {v.constant}")
            else:
                try:
                    limbs = [decode_num(x) for x in chunk]
                except InputError:
                    raise InputError(f"bare input {v.name!r} has a malformed limb") from None
                if any(not 0 <= x < 16 for x in limbs):
                    raise InputError(f"bare input {v.name!r} has a limb outside 0..15")
                value = 0
                for x in limbs:
                    value = value * 16 + x
            out[v.name] = value
        return out

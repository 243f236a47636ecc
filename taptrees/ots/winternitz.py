"""Winternitz one-time signatures over hash160 chains, verified in tapscript.

Parameters (:class:`WinternitzParams`): a message of ``message_bits`` bits is cut
into ``w = digit_bits`` bit digits, least significant first (digit ``i`` is bits
``w*i .. w*i+w-1`` of the value).  With ``d = 2^w - 1`` the checksum is
``sum(d - digit)`` over the message digits, written in base ``2^w`` (least
significant digit first) with as many digits as its maximum ``d * message_digits``
needs.  Each digit position ``p`` (message digits ``0..M-1``, then checksum digits
``M..M+C-1``) has its own chain: secret ``s_p``, public key ``H^d(s_p)``; the
signature of digit value ``v`` is ``H^v(s_p)``, and the verifier hashes it ``d - v``
more times.  Showing one message and its checksum binds the signer: any other
message raises some message digit or lowers the checksum, and either needs an
inverse of ``H``.

Witness order (bottom first): the digits in the order
``m[M-1] .. m[0], c[C-1] .. c[0]``; the verifier consumes the top first.  With
strategy ``small_script`` each digit is two items ``[signature, digit]`` (digit as
a minimal script number); with ``small_witness`` it is the signature alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from taptrees.errors import InputError
from taptrees.ots import winternitz_script
from taptrees.ots.chains import chain, chain_ends, chains
from taptrees.ots.derive import CHAIN_VALUE_SIZE, chain_start
from taptrees.script import Script, decode_num, encode_num

MIN_DIGIT_BITS = 2
MAX_DIGIT_BITS = 8
MAX_MESSAGE_BITS = 8192
PUBKEY_FORMAT = "ocp-wots-pubkey/1"

#: Verifier strategies (see :mod:`taptrees.ots.winternitz_script` and docs/ots.md).
STRATEGIES = ("small_script", "small_witness")
#: What a verifier leaves on the stack: the message digits, or nothing.
KEEP_MODES = ("digits", "drop")


@dataclass(frozen=True)
class WinternitzParams:
    """Digit width and message length of a Winternitz key."""

    digit_bits: int
    message_bits: int

    def __post_init__(self) -> None:
        for name in ("digit_bits", "message_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"Winternitz {name} must be an integer, got {value!r}")
        if not MIN_DIGIT_BITS <= self.digit_bits <= MAX_DIGIT_BITS:
            raise InputError(f"Winternitz digit_bits must be {MIN_DIGIT_BITS}..{MAX_DIGIT_BITS}, got {self.digit_bits}")
        if not 1 <= self.message_bits <= MAX_MESSAGE_BITS:
            raise InputError(f"Winternitz message_bits must be 1..{MAX_MESSAGE_BITS}, got {self.message_bits}")

    @property
    def max_digit(self) -> int:
        """``d = 2^w - 1``: the largest digit and the length of every chain."""
        return (1 << self.digit_bits) - 1

    @property
    def base(self) -> int:
        return 1 << self.digit_bits

    @property
    def message_digits(self) -> int:
        return -(-self.message_bits // self.digit_bits)

    @property
    def checksum_max(self) -> int:
        """The checksum of the all-zero message: ``d * message_digits``."""
        return self.max_digit * self.message_digits

    @property
    def checksum_digits(self) -> int:
        """Base-``2^w`` digits needed to write every checksum ``0..checksum_max``."""
        count, top = 1, self.base
        while top <= self.checksum_max:
            count, top = count + 1, top * self.base
        return count

    @property
    def total_digits(self) -> int:
        return self.message_digits + self.checksum_digits

    @property
    def name(self) -> str:
        """Short name used in derivation paths: ``wots<w>x<bits>``."""
        return f"wots{self.digit_bits}x{self.message_bits}"

    def check_value(self, value: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"Winternitz message must be an integer, got {type(value).__name__}")
        if not 0 <= value < 1 << self.message_bits:
            raise InputError(f"Winternitz message {value} does not fit in {self.message_bits} bits")
        return value

    def message_to_digits(self, value: int) -> tuple[int, ...]:
        """Message digits of ``value``, least significant first."""
        self.check_value(value)
        w, mask = self.digit_bits, self.max_digit
        return tuple((value >> (w * i)) & mask for i in range(self.message_digits))

    def checksum_of(self, message_digits: tuple[int, ...]) -> int:
        return sum(self.max_digit - v for v in message_digits)

    def digits(self, value: int) -> tuple[int, ...]:
        """All digits by position: message digits then checksum digits, each LS first."""
        message = self.message_to_digits(value)
        checksum = self.checksum_of(message)
        w, mask = self.digit_bits, self.max_digit
        return message + tuple((checksum >> (w * i)) & mask for i in range(self.checksum_digits))

    def value_of(self, message_digits: tuple[int, ...]) -> int:
        return sum(v << (self.digit_bits * i) for i, v in enumerate(message_digits))

    def witness_positions(self) -> tuple[int, ...]:
        """Digit positions in witness order (bottom first): ``m[M-1]..m[0], c[C-1]..c[0]``."""
        m, n = self.message_digits, self.total_digits
        return tuple(range(m - 1, -1, -1)) + tuple(range(n - 1, m - 1, -1))

    def to_json(self) -> dict:
        return {"digit_bits": self.digit_bits, "message_bits": self.message_bits}


def _check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise InputError(f"unknown Winternitz strategy {strategy!r}; choose one of {STRATEGIES}")
    return strategy


@dataclass(frozen=True)
class WinternitzPublicKey:
    """Chain ends ``H^d(s_p)`` by digit position (message digits, then checksum)."""

    params: WinternitzParams
    chain_ends: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.params, WinternitzParams):
            raise InputError("Winternitz public key needs WinternitzParams")
        ends = tuple(self.chain_ends)
        if len(ends) != self.params.total_digits:
            raise InputError(
                f"Winternitz public key for {self.params.name} needs "
                f"{self.params.total_digits} chain ends, got {len(ends)}"
            )
        for i, end in enumerate(ends):
            if not isinstance(end, bytes) or len(end) != CHAIN_VALUE_SIZE:
                raise InputError(f"Winternitz chain end {i} must be {CHAIN_VALUE_SIZE} bytes")
        object.__setattr__(self, "chain_ends", ends)

    def to_json(self) -> dict:
        return {
            "format": PUBKEY_FORMAT,
            "digit_bits": self.params.digit_bits,
            "message_bits": self.params.message_bits,
            "chain_ends": [end.hex() for end in self.chain_ends],
        }

    @classmethod
    def from_json(cls, obj: object) -> WinternitzPublicKey:
        if not isinstance(obj, dict):
            raise InputError("Winternitz public key must be a JSON object")
        if obj.get("format") != PUBKEY_FORMAT:
            raise InputError(f"Winternitz public key format must be {PUBKEY_FORMAT!r}, got {obj.get('format')!r}")
        for name in ("digit_bits", "message_bits", "chain_ends"):
            if name not in obj:
                raise InputError(f"Winternitz public key lacks {name!r}")
        params = WinternitzParams(obj["digit_bits"], obj["message_bits"])
        ends = obj["chain_ends"]
        if not isinstance(ends, list) or not all(isinstance(e, str) for e in ends):
            raise InputError("Winternitz chain_ends must be a list of hex strings")
        try:
            raw = tuple(bytes.fromhex(e) for e in ends)
        except ValueError:
            raise InputError("Winternitz chain_ends holds malformed hex") from None
        return cls(params, raw)


@dataclass(frozen=True)
class WinternitzKey:
    """The secret side: chain starts by digit position (never printed)."""

    params: WinternitzParams
    chain_starts: tuple[bytes, ...] = field(repr=False)

    @classmethod
    def derive(cls, secret: bytes, path: str, params: WinternitzParams) -> WinternitzKey:
        """Chain ``p`` starts at ``chain_start(secret, f"{path}/{params.name}/{p}")``."""
        starts = tuple(chain_start(secret, f"{path}/{params.name}/{p}") for p in range(params.total_digits))
        return cls(params, starts)

    @cached_property
    def _public(self) -> WinternitzPublicKey:
        ends = chain_ends(self.chain_starts, self.params.max_digit)
        if len(set(ends)) != len(ends):  # pragma: no cover - needs a hash160 collision
            raise InputError("Winternitz chains collide; derive with another path")
        return WinternitzPublicKey(self.params, ends)

    def public_key(self) -> WinternitzPublicKey:
        return self._public

    def digit_signatures(self, value: int) -> tuple[bytes, ...]:
        """``H^v(s_p)`` for every position ``p`` (position order)."""
        return chains(self.chain_starts, self.params.digits(value))

    def sign(self, value: int, strategy: str = "small_script") -> tuple[bytes, ...]:
        """Witness stack items (bottom first) for the verifier of ``strategy``."""
        _check_strategy(strategy)
        sigs = self.digit_signatures(value)
        digits = self.params.digits(value)
        out: list[bytes] = []
        for p in self.params.witness_positions():
            out.append(sigs[p])
            if strategy == "small_script":
                out.append(encode_num(digits[p]))
        return tuple(out)


def witness_digits(pubkey: WinternitzPublicKey, witness: tuple[bytes, ...] | list[bytes]) -> tuple[int, ...] | None:
    """Digits by position that ``witness`` signs under ``pubkey``, or None if it is not a
    valid signature (either strategy's layout).  Digits are read as consensus reads
    them: any script number of up to 4 bytes, minimal or not (MINIMALDATA is only
    policy), so a miner's non-minimal encoding cannot hide a revealed value."""
    params = pubkey.params
    n, d = params.total_digits, params.max_digit
    items = list(witness)
    if len(items) == 2 * n:
        pairs = [(items[2 * k], items[2 * k + 1]) for k in range(n)]
    elif len(items) == n:
        pairs = [(item, None) for item in items]
    else:
        return None
    digits = [0] * n
    for p, (sig, raw_digit) in zip(params.witness_positions(), pairs, strict=True):
        if not isinstance(sig, bytes) or len(sig) != CHAIN_VALUE_SIZE:
            return None
        if raw_digit is None:
            v = _find_position(sig, pubkey.chain_ends[p], d)
            if v is None:
                return None
        else:
            try:
                v = decode_num(raw_digit, 4, minimal=False)
            except InputError:
                return None
            if not 0 <= v <= d or chain(sig, d - v) != pubkey.chain_ends[p]:
                return None
        digits[p] = v
    m = params.message_digits
    message = tuple(digits[:m])
    if params.value_of(message) >> params.message_bits:
        return None
    if tuple(digits) != params.digits(params.value_of(message)):
        return None
    return tuple(digits)


def _find_position(sig: bytes, end: bytes, d: int) -> int | None:
    x = sig
    for k in range(d + 1):
        if x == end:
            return d - k
        x = chain(x, 1)
    return None


def recover_value(pubkey: WinternitzPublicKey, witness) -> int | None:
    """The message a valid witness signs (what anyone reads from a revealed signature)."""
    digits = witness_digits(pubkey, witness)
    if digits is None:
        return None
    return pubkey.params.value_of(digits[: pubkey.params.message_digits])


def verify(pubkey: WinternitzPublicKey, value: int, witness) -> bool:
    """Python verifier: does ``witness`` (either strategy's layout) sign ``value``?"""
    return recover_value(pubkey, witness) == value


def known_value_script(pubkey: WinternitzPublicKey, value: int) -> Script:
    """Tapscript that verifies a signature of ``value``, a constant of the script: the
    witness is the ``small_witness`` layout (one signature item per digit, from
    :meth:`WinternitzKey.sign` with ``strategy="small_witness"``); nothing is left on
    the stack.  Cheaper than :func:`verifier_script` (no digit lookups, no checksum
    arithmetic) for a value the script would only compare with a constant."""
    return winternitz_script.known_value(pubkey.params, pubkey.chain_ends, pubkey.params.digits(value))


def verifier_script(pubkey: WinternitzPublicKey, strategy: str = "small_script", keep: str = "digits") -> Script:
    """Tapscript that verifies a signature under ``pubkey`` (witness from
    :meth:`WinternitzKey.sign` with the same strategy).

    ``keep="digits"``: leaves the ``message_digits`` message digits as script
    numbers, most significant deepest, least significant (bits 0..w-1) on top.
    ``keep="drop"``: leaves nothing.  Either way the altstack is as it was.
    """
    _check_strategy(strategy)
    if keep not in KEEP_MODES:
        raise InputError(f"unknown keep mode {keep!r}; choose one of {KEEP_MODES}")
    # a key's verifier is built once and kept on the (immutable) key: a game commits one
    # value in many leaves, and each leaf's script starts with the same verifier
    built = pubkey.__dict__.setdefault("_verifiers", {})
    script = built.get((strategy, keep))
    if script is None:
        script = built[(strategy, keep)] = winternitz_script.build(pubkey.params, pubkey.chain_ends, strategy, keep)
    return script

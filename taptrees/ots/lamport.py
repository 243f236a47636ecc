"""Lamport bit commitments: two hash160 preimages per bit.

Bit ``i`` of a key has two 20-byte secrets, ``x[i][0]`` and ``x[i][1]``, derived
from one secret at ``f"{path}/lamport{n}/{i}/{b}"`` (:mod:`taptrees.ots.derive`);
the public key holds their hash160 images.  Committing to bit value ``b`` reveals
``x[i][b]``.  Revealing both preimages of one bit is an equivocation, and the
equivocation leaf lets whoever shows them spend.

Witness order (bottom first): preimages of bits ``n-1 .. 0`` (bit 0 on top).
The verifier leaves, by ``keep``: nothing (``"drop"``), the bits with bit ``n-1``
deepest and bit 0 on top (``"bits"``), or the value as one script number
(``"value"``, up to 31 bits: larger values are no script number).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taptrees.errors import InputError
from taptrees.hashes import hash160
from taptrees.opcodes import (
    OP_ADD,
    OP_BOOLOR,
    OP_CHECKSIG,
    OP_DUP,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_FROMALTSTACK,
    OP_HASH160,
    OP_OVER,
    OP_SWAP,
    OP_TOALTSTACK,
    OP_VERIFY,
)
from taptrees.ots.derive import CHAIN_VALUE_SIZE, chain_start
from taptrees.script import Script

MAX_BITS = 1024
MAX_VALUE_BITS = 31
PUBKEY_FORMAT = "ocp-lamport-pubkey/1"
KEEP_MODES = ("drop", "bits", "value")


def _check_bits(n_bits: int) -> int:
    if isinstance(n_bits, bool) or not isinstance(n_bits, int) or not 1 <= n_bits <= MAX_BITS:
        raise InputError(f"Lamport n_bits must be an integer 1..{MAX_BITS}, got {n_bits!r}")
    return n_bits


def _check_value(value: int, n_bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << n_bits:
        raise InputError(f"Lamport value {value!r} is not an unsigned {n_bits}-bit integer")
    return value


@dataclass(frozen=True)
class LamportPublicKey:
    """``hashes[i] = (hash160(x[i][0]), hash160(x[i][1]))`` for each bit ``i``."""

    hashes: tuple[tuple[bytes, bytes], ...]

    def __post_init__(self) -> None:
        pairs = tuple(tuple(p) for p in self.hashes)
        _check_bits(len(pairs))
        for i, pair in enumerate(pairs):
            if len(pair) != 2 or any(not isinstance(h, bytes) or len(h) != CHAIN_VALUE_SIZE for h in pair):
                raise InputError(f"Lamport bit {i} needs two 20-byte hashes")
            if pair[0] == pair[1]:
                raise InputError(f"Lamport bit {i} has equal hashes for 0 and 1")
        object.__setattr__(self, "hashes", pairs)

    @property
    def n_bits(self) -> int:
        return len(self.hashes)

    def to_json(self) -> dict:
        return {
            "format": PUBKEY_FORMAT,
            "hashes": [[h0.hex(), h1.hex()] for h0, h1 in self.hashes],
        }

    @classmethod
    def from_json(cls, obj: object) -> LamportPublicKey:
        if not isinstance(obj, dict) or obj.get("format") != PUBKEY_FORMAT:
            raise InputError(f"Lamport public key must be a JSON object of format {PUBKEY_FORMAT!r}")
        pairs = obj.get("hashes")
        if not isinstance(pairs, list):
            raise InputError("Lamport public key lacks a 'hashes' list")
        try:
            return cls(tuple((bytes.fromhex(a), bytes.fromhex(b)) for a, b in pairs))
        except (TypeError, ValueError) as exc:
            raise InputError(f"Lamport hashes are malformed: {exc}") from None


@dataclass(frozen=True)
class LamportKey:
    """The secret preimages ``x[i][b]`` (never printed)."""

    preimages: tuple[tuple[bytes, bytes], ...] = field(repr=False)

    @classmethod
    def derive(cls, secret: bytes, path: str, n_bits: int) -> LamportKey:
        _check_bits(n_bits)
        return cls(
            tuple(
                (
                    chain_start(secret, f"{path}/lamport{n_bits}/{i}/0"),
                    chain_start(secret, f"{path}/lamport{n_bits}/{i}/1"),
                )
                for i in range(n_bits)
            )
        )

    @property
    def n_bits(self) -> int:
        return len(self.preimages)

    def public_key(self) -> LamportPublicKey:
        return LamportPublicKey(tuple((hash160(a), hash160(b)) for a, b in self.preimages))

    def sign(self, value: int) -> tuple[bytes, ...]:
        """Witness items, bottom first: preimages of bits ``n-1 .. 0``."""
        _check_value(value, self.n_bits)
        return tuple(self.preimages[i][(value >> i) & 1] for i in range(self.n_bits - 1, -1, -1))

    def equivocation_witness(self, bit: int) -> tuple[bytes, bytes]:
        """Both preimages of ``bit`` in the order :func:`equivocation_script` wants."""
        if not 0 <= bit < self.n_bits:
            raise InputError(f"Lamport bit {bit} out of range 0..{self.n_bits - 1}")
        return self.preimages[bit]


def verify(pubkey: LamportPublicKey, value: int, witness) -> bool:
    """Python verifier: does ``witness`` reveal exactly the preimages of ``value``?"""
    items = list(witness)
    if len(items) != pubkey.n_bits:
        return False
    _check_value(value, pubkey.n_bits)
    for k, item in enumerate(items):
        i = pubkey.n_bits - 1 - k
        if not isinstance(item, bytes) or hash160(item) != pubkey.hashes[i][(value >> i) & 1]:
            return False
    return True


def bit_script(hashes: tuple[bytes, bytes]) -> Script:
    """Check the preimage on top against either hash; leave the bit (1 if it opens
    ``hashes[1]``)."""
    h0, h1 = hashes
    return Script([OP_HASH160, OP_DUP, h1, OP_EQUAL, OP_SWAP, h0, OP_EQUAL, OP_OVER, OP_BOOLOR, OP_VERIFY])


def verifier_script(pubkey: LamportPublicKey, keep: str = "drop") -> Script:
    """Verify a commitment to ``pubkey.n_bits`` bits (witness from :meth:`LamportKey.sign`)."""
    if keep not in KEEP_MODES:
        raise InputError(f"unknown Lamport keep mode {keep!r}; choose one of {KEEP_MODES}")
    n = pubkey.n_bits
    if keep == "value" and n > MAX_VALUE_BITS:
        raise InputError(f"keep='value' needs at most {MAX_VALUE_BITS} bits, key has {n}")
    items: list = []
    for i in range(n):
        h0, h1 = pubkey.hashes[i]
        if keep == "drop":
            items.append(Script([OP_HASH160, OP_DUP, h1, OP_EQUAL, OP_SWAP, h0, OP_EQUAL, OP_BOOLOR, OP_VERIFY]))
        else:
            items += [bit_script(pubkey.hashes[i]), OP_TOALTSTACK]
    if keep == "bits":
        items += [OP_FROMALTSTACK] * n
    elif keep == "value":
        items.append(OP_FROMALTSTACK)
        items += [[OP_DUP, OP_ADD, OP_FROMALTSTACK, OP_ADD] for _ in range(n - 1)]
    return Script(items)


def equivocation_script(pubkey: LamportPublicKey, bit: int, beneficiary: bytes | None = None) -> Script:
    """Leaf spendable by whoever shows both preimages of ``bit`` (witness
    ``[x0, x1]`` bottom first, plus a signature below them when ``beneficiary``, an
    x-only key, is given, so the reward cannot be taken by a copier in the mempool)."""
    if not 0 <= bit < pubkey.n_bits:
        raise InputError(f"Lamport bit {bit} out of range 0..{pubkey.n_bits - 1}")
    h0, h1 = pubkey.hashes[bit]
    items: list = [OP_HASH160, h1, OP_EQUALVERIFY, OP_HASH160, h0]
    if beneficiary is None:
        items.append(OP_EQUAL)
    else:
        if not isinstance(beneficiary, bytes) or len(beneficiary) != 32:
            raise InputError("equivocation beneficiary must be a 32-byte x-only key")
        items += [OP_EQUALVERIFY, beneficiary, OP_CHECKSIG]
    return Script(items)


def equivocation_scripts(pubkey: LamportPublicKey) -> tuple[Script, ...]:
    """One equivocation leaf per bit."""
    return tuple(equivocation_script(pubkey, i) for i in range(pubkey.n_bits))

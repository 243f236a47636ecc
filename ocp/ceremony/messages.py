"""The messages of the signing ceremony, typed, as JSON, and signed by their senders.

Every message a signer sends is signed (BIP340) with its role key over a tagged
hash of its canonical JSON body (``ocp/ceremony/<kind>``), so the coordinator,
a relay or anyone on the wire cannot substitute a signer's nonces or partial
signatures, and a faulty contribution is *provably* the signer's (blame with
evidence).  The coordinator signs nothing: signers trust nothing it says that
they cannot check themselves (each computes every sighash from its own checked
graph).

============================  ==========================  ===========================
message                       from -> to                  what
============================  ==========================  ===========================
:class:`RoundOpen`            coordinator -> members      a round id and its inputs
:class:`NonceCommit`          member -> coordinator       one public nonce per input
:class:`NonceAggregate`       coordinator -> members      one aggregate nonce per input
:class:`PartialSigs`          member -> coordinator       one partial signature per input
:class:`Burned`               member -> coordinator       "I restarted: I cannot sign
                                                          this round" (start a new one)
:class:`PlainSigs`            any signer -> coordinator   ordinary BIP340 signatures
                                                          (operators, depositor, chain
                                                          members)
============================  ==========================  ===========================

Inputs travel as their labels (``Assert_3@2:0``), listed once in the
:class:`RoundOpen`; the other messages of a round list values in that order and
name the round by the digest of its :class:`RoundOpen`.  Labels are looked up in
the receiver's own graph, never parsed (:func:`input_of`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from ocp.errors import UserError
from ocp.ids import Role, TxName, role_of
from ocp.keyfile import RoleKey
from taptrees.hashes import tagged_hash
from taptrees.keys import schnorr_sign, schnorr_verify

#: A round id: the coordinator's fresh random token (hex).
_ROUND_ID = re.compile(r"[0-9a-f]{16,64}")


class MessageError(UserError):
    """A message that is malformed or whose signature does not verify."""


@dataclass(frozen=True, order=True)
class InputRef:
    """Input ``index`` of graph transaction ``tx``."""

    tx: TxName
    index: int

    def __str__(self) -> str:
        return f"{self.tx}:{self.index}"


def input_of(inputs_by_label: Mapping[str, InputRef], label: object, what: str) -> InputRef:
    """The input labelled ``label`` among those a graph has (a lookup, not a parse)."""
    ref = inputs_by_label.get(label) if isinstance(label, str) else None
    if ref is None:
        raise MessageError(f"{what}: {label!r} is not an input of this graph")
    return ref


def _hex(value: object, size: int | None, what: str) -> bytes:
    if not isinstance(value, str):
        raise MessageError(f"{what} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MessageError(f"{what} is not hex") from None
    if size is not None and len(raw) != size:
        raise MessageError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def _hex_list(value: object, size: int, what: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise MessageError(f"{what} must be a list")
    return tuple(_hex(v, size, f"{what}[{i}]") for i, v in enumerate(value))


def _round_id(value: object) -> str:
    if not isinstance(value, str) or not _ROUND_ID.fullmatch(value):
        raise MessageError(f"round id {value!r} must be 16-64 lowercase hex digits")
    return value


def _field(obj: Mapping, name: str, kind: str) -> object:
    if name not in obj:
        raise MessageError(f"{kind} message: field {name!r} is missing")
    return obj[name]


def _object(obj: object, kind: str, fields: Sequence[str]) -> Mapping:
    if not isinstance(obj, dict):
        raise MessageError(f"{kind} message must be a JSON object")
    unknown = sorted(set(obj) - set(fields))
    if unknown:
        raise MessageError(f"{kind} message: unknown field {unknown[0]!r}")
    return obj


def canonical(body: Mapping) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


# --- the coordinator's (unsigned) messages ----------------------------------------------


@dataclass(frozen=True)
class RoundOpen:
    """A round of the committee's MuSig2 signing: its id (fresh per round, never
    reused, so every session id a member's nonce store sees is new) and the inputs
    to sign, in order."""

    graph_id: bytes
    round_id: str
    inputs: tuple[InputRef, ...]

    @property
    def digest(self) -> bytes:
        """What every other message of the round names it by."""
        return tagged_hash("ocp/ceremony/round", canonical(self.to_json()))

    def to_json(self) -> dict:
        return {"graph_id": self.graph_id.hex(), "round": self.round_id, "inputs": [str(ref) for ref in self.inputs]}

    @classmethod
    def from_json(cls, obj: object, inputs_by_label: Mapping[str, InputRef]) -> RoundOpen:
        obj = _object(obj, "round", ("graph_id", "round", "inputs"))
        labels = _field(obj, "inputs", "round")
        if not isinstance(labels, list) or not labels:
            raise MessageError("round message: 'inputs' must be a non-empty list")
        inputs = tuple(input_of(inputs_by_label, label, "round input") for label in labels)
        if len(set(inputs)) != len(inputs):
            raise MessageError("round message lists an input twice")
        return cls(
            _hex(_field(obj, "graph_id", "round"), 32, "graph_id"), _round_id(_field(obj, "round", "round")), inputs
        )


@dataclass(frozen=True)
class NonceAggregate:
    """The aggregate nonce of every input of a round (BIP327 NonceAgg of every
    member's public nonce), and the digest of each member's :class:`NonceCommit`
    it was made from: a member refuses to sign if its own commit is not the one
    aggregated (the coordinator cannot swap a member's nonces)."""

    graph_id: bytes
    round_id: str
    round_digest: bytes
    aggnonces: tuple[bytes, ...]
    commits: Mapping[bytes, bytes]  # member x-only key -> digest of its NonceCommit

    def to_json(self) -> dict:
        return {
            "graph_id": self.graph_id.hex(),
            "round": self.round_id,
            "round_digest": self.round_digest.hex(),
            "aggnonces": [a.hex() for a in self.aggnonces],
            "commits": {pk.hex(): d.hex() for pk, d in sorted(self.commits.items())},
        }

    @classmethod
    def from_json(cls, obj: object) -> NonceAggregate:
        kind = "aggregate"
        obj = _object(obj, kind, ("graph_id", "round", "round_digest", "aggnonces", "commits"))
        commits = _field(obj, "commits", kind)
        if not isinstance(commits, dict):
            raise MessageError("aggregate message: 'commits' must be an object")
        return cls(
            _hex(_field(obj, "graph_id", kind), 32, "graph_id"),
            _round_id(_field(obj, "round", kind)),
            _hex(_field(obj, "round_digest", kind), 32, "round_digest"),
            _hex_list(_field(obj, "aggnonces", kind), 66, "aggnonces"),
            {_hex(k, 32, "commits key"): _hex(v, 32, f"commits[{k}]") for k, v in commits.items()},
        )


# --- the signers' (signed) messages -----------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """Base of the signed messages: ``signer`` (an x-only role key) signs
    ``tagged_hash("ocp/ceremony/" + KIND, canonical JSON of the body)``."""

    KIND: ClassVar[str] = ""
    signer: bytes
    sig: bytes

    def body(self) -> dict:
        raise NotImplementedError

    @property
    def digest(self) -> bytes:
        """What the signature signs (and what a :class:`NonceAggregate` names)."""
        return tagged_hash(f"ocp/ceremony/{self.KIND}", canonical(self.body()))

    def signed_by(self, key: RoleKey):
        """This message with ``key``'s signature (``key`` must be ``signer``)."""
        if key.pubkey != self.signer:
            raise UserError(f"{key} is not the signer {self.signer.hex()} of this message")
        return replace(self, sig=schnorr_sign(key.secret, self.digest))

    def verify(self) -> None:
        """Refuse a message whose signature is not ``signer``'s."""
        if not schnorr_verify(self.signer, self.digest, self.sig):
            raise MessageError(
                f"{self.KIND} message: the signature does not verify for {self.signer.hex()} "
                "(forged or altered on the way)"
            )

    def to_json(self) -> dict:
        return {**self.body(), "sig": self.sig.hex()}


def _round_fields(obj: Mapping, kind: str) -> dict:
    return {
        "graph_id": _hex(_field(obj, "graph_id", kind), 32, "graph_id"),
        "round_id": _round_id(_field(obj, "round", kind)),
        "round_digest": _hex(_field(obj, "round_digest", kind), 32, "round_digest"),
        "signer": _hex(_field(obj, "signer", kind), 32, "signer"),
        "sig": _hex(_field(obj, "sig", kind), 64, "sig"),
    }


@dataclass(frozen=True)
class NonceCommit(Signed):
    """A member's public nonces (BIP327 PubNonce, 66 bytes), one per input of the
    round, each from fresh randomness and its own session."""

    KIND: ClassVar[str] = "nonces"
    graph_id: bytes = b""
    round_id: str = ""
    round_digest: bytes = b""
    pubnonces: tuple[bytes, ...] = ()

    def body(self) -> dict:
        return {
            "graph_id": self.graph_id.hex(),
            "round": self.round_id,
            "round_digest": self.round_digest.hex(),
            "signer": self.signer.hex(),
            "pubnonces": [p.hex() for p in self.pubnonces],
        }

    @classmethod
    def from_json(cls, obj: object) -> NonceCommit:
        obj = _object(obj, cls.KIND, ("graph_id", "round", "round_digest", "signer", "pubnonces", "sig"))
        return cls(
            **_round_fields(obj, cls.KIND), pubnonces=_hex_list(_field(obj, "pubnonces", cls.KIND), 66, "pubnonces")
        )


@dataclass(frozen=True)
class PartialSigs(Signed):
    """A member's BIP327 partial signatures (32 bytes), one per input of the round."""

    KIND: ClassVar[str] = "psigs"
    graph_id: bytes = b""
    round_id: str = ""
    round_digest: bytes = b""
    psigs: tuple[bytes, ...] = ()

    def body(self) -> dict:
        return {
            "graph_id": self.graph_id.hex(),
            "round": self.round_id,
            "round_digest": self.round_digest.hex(),
            "signer": self.signer.hex(),
            "psigs": [p.hex() for p in self.psigs],
        }

    @classmethod
    def from_json(cls, obj: object) -> PartialSigs:
        obj = _object(obj, cls.KIND, ("graph_id", "round", "round_digest", "signer", "psigs", "sig"))
        return cls(**_round_fields(obj, cls.KIND), psigs=_hex_list(_field(obj, "psigs", cls.KIND), 32, "psigs"))


@dataclass(frozen=True)
class Burned(Signed):
    """A member cannot sign a round: its nonces of the round were handed out by an
    earlier process (a crash and restart) or were used.  The coordinator abandons
    the round and opens a new one with fresh nonces from everyone."""

    KIND: ClassVar[str] = "burned"
    graph_id: bytes = b""
    round_id: str = ""
    round_digest: bytes = b""

    def body(self) -> dict:
        return {
            "graph_id": self.graph_id.hex(),
            "round": self.round_id,
            "round_digest": self.round_digest.hex(),
            "signer": self.signer.hex(),
        }

    @classmethod
    def from_json(cls, obj: object) -> Burned:
        obj = _object(obj, cls.KIND, ("graph_id", "round", "round_digest", "signer", "sig"))
        return cls(**_round_fields(obj, cls.KIND))


@dataclass(frozen=True)
class PlainSigs(Signed):
    """Ordinary BIP340 signatures of one key of one role (an operator, the
    depositor, or a member of a chain committee), by input label."""

    KIND: ClassVar[str] = "signatures"
    graph_id: bytes = b""
    role: Role = Role.OPERATOR
    signatures: Mapping[str, bytes] = field(default_factory=dict)

    def body(self) -> dict:
        return {
            "graph_id": self.graph_id.hex(),
            "role": self.role.value,
            "signer": self.signer.hex(),
            "signatures": {label: s.hex() for label, s in sorted(self.signatures.items())},
        }

    @classmethod
    def from_json(cls, obj: object) -> PlainSigs:
        kind = cls.KIND
        obj = _object(obj, kind, ("graph_id", "role", "signer", "signatures", "sig"))
        sigs = _field(obj, "signatures", kind)
        if not isinstance(sigs, dict):
            raise MessageError("signatures message: 'signatures' must be an object")
        parsed = {}
        for label, sig in sigs.items():
            raw = _hex(sig, None, f"signature of {label}")
            if len(raw) not in (64, 65):
                raise MessageError(f"signature of {label} must be 64 or 65 bytes")
            parsed[str(label)] = raw
        return cls(
            signer=_hex(_field(obj, "signer", kind), 32, "signer"),
            sig=_hex(_field(obj, "sig", kind), 64, "sig"),
            graph_id=_hex(_field(obj, "graph_id", kind), 32, "graph_id"),
            role=role_of(_field(obj, "role", kind), "signatures message: role"),
            signatures=parsed,
        )

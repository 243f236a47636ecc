"""The operator's one-time keys for the trace values of one graph.

Value ``i`` of the graph is ``x[i+1]`` of the computation (``x[0]`` is the public
input); the last value is the claim.  Each value has a Winternitz key for u32
messages with 4-bit digits (``taptrees.ots.winternitz``), derived from the
operator's secret and a path that names the graph, so the operator can
regenerate every key from one secret and nobody else can sign.

The same key commits a value in Kickoff/Assert (verifier that drops it) and in
the Disprove leaves (verifier that keeps its digits for script arithmetic), so
signatures revealed on chain can be replayed by anyone in a disprove witness.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from ocp.errors import UserError
from taptrees.errors import InputError
from taptrees.ots.winternitz import (
    WinternitzKey,
    WinternitzParams,
    WinternitzPublicKey,
    recover_value,
    verifier_script,
)
from taptrees.script import Script

VALUE_PARAMS = WinternitzParams(digit_bits=4, message_bits=32)
#: Verifier used in every leaf of the graph (see docs/ots.md for the trade-off).
STRATEGY = "small_script"


def value_path(params_id: bytes, index: int) -> str:
    return f"ocp/v1/{params_id.hex()}/value/{index}"


@dataclass(frozen=True)
class ValueKeys:
    """Public keys of every trace value (no secrets)."""

    pubkeys: tuple[WinternitzPublicKey, ...]

    @property
    def n_values(self) -> int:
        return len(self.pubkeys)

    @cached_property
    def _sizes(self) -> list[list[int]]:
        # witness item sizes are value-independent up to the digit encoding; take the
        # upper bound: every digit non-zero (one byte)
        bounds: dict[WinternitzParams, list[int]] = {}
        for pk in self.pubkeys:
            if pk.params not in bounds:
                bounds[pk.params] = _witness_size_bound(pk.params)
        return [bounds[pk.params] for pk in self.pubkeys]

    def witness_sizes(self) -> list[list[int]]:
        return self._sizes

    def public_json_bytes(self, index: int) -> bytes:
        return json.dumps(self.pubkeys[index].to_json(), sort_keys=True).encode()

    def to_json(self) -> list:
        return [pk.to_json() for pk in self.pubkeys]

    @classmethod
    def from_json(cls, obj: object) -> ValueKeys:
        if not isinstance(obj, list) or not obj:
            raise UserError("graph: 'ots' must be a non-empty list of Winternitz public keys")
        try:
            return cls(tuple(WinternitzPublicKey.from_json(x) for x in obj))
        except (InputError, KeyError, TypeError, ValueError) as exc:
            raise UserError(f"graph: a Winternitz public key is malformed: {exc}") from None


@dataclass(frozen=True)
class ValueSigner:
    """The operator's secret side: signs trace values (never printed)."""

    secret: bytes = field(repr=False)
    params_id: bytes  # names the graph (ocp.graph.params_id)
    n_values: int

    def key(self, index: int) -> WinternitzKey:
        return WinternitzKey.derive(self.secret, value_path(self.params_id, index), VALUE_PARAMS)

    def public(self) -> ValueKeys:
        return ValueKeys(tuple(self.key(i).public_key() for i in range(self.n_values)))

    def sign(self, index: int, value: int) -> tuple[bytes, ...]:
        return tuple(self.key(index).sign(value, strategy=STRATEGY))


def value_verifier(keys: ValueKeys, index: int, keep: str = "drop") -> Script:
    return verifier_script(keys.pubkeys[index], strategy=STRATEGY, keep=keep)


def read_value(keys: ValueKeys, index: int, witness: list[bytes] | tuple[bytes, ...]) -> int | None:
    """The value a revealed witness signs under key ``index`` (None if it signs nothing)."""
    return recover_value(keys.pubkeys[index], tuple(witness))


def _witness_size_bound(params: WinternitzParams) -> list[int]:
    """Witness item sizes of any key with ``params``, digit items at their largest."""
    probe = WinternitzKey.derive(b"\x01" * 32, "size-probe", params)
    sample = probe.sign(0xFFFFFFFF, strategy=STRATEGY)
    return [max(1, len(item)) for item in sample]

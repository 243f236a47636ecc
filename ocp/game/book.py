"""What a game's transactions have revealed so far, as each party keeps it.

Every value of a game is signed once under its own one-time key
(:mod:`ocp.game.keys`); a later leaf that needs the value verifies the *same*
signature again (a challenger leaf re-verifies the operator's hashes and
record; the operator's next reveal re-verifies the challenger's choice).  So a
party keeps, per key name, the whole signature it saw in a witness or made
itself, and builds any leaf's witness from them: it never needs the other
party's secret, and it cannot present a value nobody signed.

Names: a leaf's value ``v`` under key prefix ``p`` (``w_`` for an execute leaf of
the read search, :class:`ocp.game.layout.DataOutput`) is key ``p + v``; its
fields are kept under ``p + field`` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ocp.errors import UserError
from ocp.stepleaves.base import CheckLeaf
from taptrees.errors import InputError
from taptrees.ots.winternitz import WinternitzKey, WinternitzPublicKey


@dataclass
class SignatureBook:
    """The signatures and values of one game (the claim's included)."""

    keys: Mapping[str, WinternitzPublicKey]  # the game's public one-time keys, by key name
    signatures: dict[str, tuple[bytes, ...]] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)  # field name (key prefix applied) -> value

    def _keys_of(self, leaf: CheckLeaf, prefix: str) -> dict[str, WinternitzPublicKey]:
        out = {}
        for v in leaf.layout.signed:
            key = self.keys.get(prefix + v.name)
            if key is None:
                raise UserError(f"the game has no one-time key {prefix + v.name!r}")
            out[v.name] = key
        return out

    def read(self, leaf: CheckLeaf, items: Sequence[bytes], prefix: str = "") -> dict[str, int]:
        """Learn what a spend of ``leaf`` carried (its inputs' witness items, bottom
        first): every signature is checked against the game's key first.  Returns the
        fields it carried (unprefixed)."""
        try:
            fields = leaf.parse_witness(items, self._keys_of(leaf, prefix))
            signatures = leaf.layout.signatures(items)
        except InputError as exc:
            raise UserError(f"a spend of {leaf.kind} does not carry what the leaf takes: {exc}") from None
        for name, sig in signatures.items():
            self.signatures[prefix + name] = tuple(sig)
        signed = {p.name for v in leaf.layout.signed for p in v.fields}
        for name, value in fields.items():
            if name in signed:
                self.values[prefix + name] = value
        return fields

    def sign(
        self, leaf: CheckLeaf, secrets: Mapping[str, WinternitzKey], values: Mapping[str, int], prefix: str = ""
    ) -> None:
        """Sign the values of ``leaf`` that ``secrets`` (key name -> secret key) holds
        and nobody has signed yet; ``values`` by unprefixed field name.  A key already
        used for another message is refused: signing it twice would hand anyone two
        signatures to forge between."""
        layout = leaf.layout
        for v in layout.signed:
            name = prefix + v.name
            if name not in secrets:
                continue
            message = v.message(values)
            known = self.signatures.get(name)
            if known is not None:
                if v.message({p.name: self.values.get(prefix + p.name, p.constant) for p in v.fields}) != message:
                    raise UserError(f"one-time key {name!r} already signed another value")
                continue
            self.signatures[name] = secrets[name].sign(message, layout.strategy)
            for p, x in v.split(message).items():
                self.values[prefix + p] = x

    def witness(self, leaf: CheckLeaf, prefix: str = "", bare: Mapping[str, int] | None = None) -> list[bytes]:
        """The witness items of a spend of ``leaf`` (bottom first) from the signatures
        known here and ``bare`` values (unprefixed names)."""
        layout = leaf.layout
        sigs = {}
        for v in layout.signed:
            sig = self.signatures.get(prefix + v.name)
            if sig is None:
                raise UserError(f"{leaf.kind} needs {prefix + v.name!r}, which nobody has signed in this game")
            sigs[v.name] = sig
        bare = dict(bare or {})
        return layout.witness(sigs, {v.name: bare[v.name] for v in layout.values if not v.signed})

    def has(self, leaf: CheckLeaf, prefix: str = "") -> bool:
        """Are all of ``leaf``'s signed values known?"""
        return all(prefix + v.name in self.signatures for v in leaf.layout.signed)

    def fields_of(self, leaf: CheckLeaf, prefix: str = "") -> dict[str, int]:
        """The known values of ``leaf``'s fields, by unprefixed name."""
        return {n: self.values[prefix + n] for n in leaf.layout.names if prefix + n in self.values}

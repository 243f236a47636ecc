"""One-time keys of a version-2 graph: every value a game reveals has its own key.

* an operator's **claim keys** (``claim_n``, ``claim_h``, ``input_len``,
  ``input{k}``): one set per operator, revealed in its Kickoff and re-verified by
  every game's challenger leaves;
* an operator's **game keys**, one set per challenger it may face: the search's
  hashes, the disputed step and its record, the read search's values;
* a challenger's **choice keys**, one set per operator it may challenge.

Keys are derived from the party's secret and a path naming the graph (its params
id), the game and the value, so each party regenerates them from one secret and
nobody else can sign; the public halves are published (``ocp graph ots-keys``)
and stored in graph.json.  Widths (hence Winternitz parameters: 4-bit digits) come
from the game layout (:attr:`ocp.game.layout.GameLayout.value_bits`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from ocp.errors import UserError
from ocp.game.layout import GameLayout, is_claim_value, owner
from ocp.ids import Role
from taptrees.errors import InputError
from taptrees.ots.winternitz import WinternitzKey, WinternitzParams, WinternitzPublicKey

DIGIT_BITS = 4


def value_params(bits: int) -> WinternitzParams:
    return WinternitzParams(DIGIT_BITS, bits)


@dataclass(frozen=True)
class KeySet:
    """Public one-time keys by value name (no secrets)."""

    keys: Mapping[str, WinternitzPublicKey]

    def __getitem__(self, name: str) -> WinternitzPublicKey:
        try:
            return self.keys[name]
        except KeyError:
            raise UserError(f"no one-time key for value {name!r}") from None

    def to_json(self) -> dict:
        return {name: key.to_json() for name, key in sorted(self.keys.items())}

    @classmethod
    def from_json(cls, obj: object, what: str) -> KeySet:
        if not isinstance(obj, dict):
            raise UserError(f"{what} must be an object of one-time public keys by value name")
        try:
            return cls({str(n): WinternitzPublicKey.from_json(k) for n, k in obj.items()})
        except (InputError, KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{what}: a one-time public key is malformed: {exc}") from None

    def check_names(self, expected: Mapping[str, int], what: str) -> None:
        """The set holds exactly ``expected`` (name -> width), each key of that width."""
        missing = sorted(set(expected) - set(self.keys))
        extra = sorted(set(self.keys) - set(expected))
        if missing or extra:
            raise UserError(f"{what}: one-time keys missing {missing[:3]} / unknown {extra[:3]}")
        for name, bits in expected.items():
            if self.keys[name].params != value_params(bits):
                raise UserError(f"{what}: the key of {name} is not for {bits}-bit values")


def names_of(layout: GameLayout, role: Role, claim: bool) -> dict[str, int]:
    """The value names (-> widths) ``role`` signs: the claim's, or a game's."""
    return {n: b for n, b in layout.value_bits.items() if owner(n) is role and is_claim_value(n) == claim}


@dataclass(frozen=True)
class PartyKeys:
    """A party's secret side for one graph: derives any of its one-time keys."""

    secret: bytes = field(repr=False)
    params_id: bytes

    def key(self, path: str, name: str, bits: int) -> WinternitzKey:
        return WinternitzKey.derive(self.secret, f"ocp/v2/{self.params_id.hex()}/{path}/{name}", value_params(bits))

    def secret_set(self, path: str, names: Mapping[str, int]) -> dict[str, WinternitzKey]:
        return {n: self.key(path, n, b) for n, b in names.items()}

    def public_set(self, path: str, names: Mapping[str, int]) -> KeySet:
        return KeySet({n: k.public_key() for n, k in self.secret_set(path, names).items()})


def claim_path() -> str:
    return "claim"


def game_path(challenger: int) -> str:
    """An operator's keys for its game against challenger ``challenger`` (0-based)."""
    return f"game/{challenger}"


def choice_path(operator: int) -> str:
    """A challenger's keys for its game against operator ``operator`` (0-based)."""
    return f"operator/{operator}"


@dataclass(frozen=True, eq=False)
class GameKeys:
    """Every public one-time key of a version-2 graph: per operator its claim keys and
    one game set per challenger, per challenger one choice set per operator."""

    claims: tuple[KeySet, ...]  # [operator]
    operator_games: tuple[tuple[KeySet, ...], ...]  # [operator][challenger]
    challenger_games: tuple[tuple[KeySet, ...], ...]  # [challenger][operator]

    def game(self, operator: int, challenger: int) -> dict[str, WinternitzPublicKey]:
        """Every key of one game by value name: the operator's claim and game keys and
        the challenger's choice keys."""
        return {
            **self.claims[operator].keys,
            **self.operator_games[operator][challenger].keys,
            **self.challenger_games[challenger][operator].keys,
        }

    def check(self, layout: GameLayout, operators: int, challengers: int) -> None:
        if len(self.claims) != operators or len(self.operator_games) != operators:
            raise UserError(f"one-time keys: {len(self.claims)} operators' keys for {operators} operators")
        if len(self.challenger_games) != challengers:
            raise UserError(f"one-time keys: {len(self.challenger_games)} challengers' keys for {challengers}")
        claim, game = names_of(layout, Role.OPERATOR, True), names_of(layout, Role.OPERATOR, False)
        choices = names_of(layout, Role.CHALLENGER, False)
        for o in range(operators):
            self.claims[o].check_names(claim, f"operator {o + 1}'s claim keys")
            if len(self.operator_games[o]) != challengers:
                raise UserError(f"operator {o + 1} has keys for {len(self.operator_games[o])} games, not {challengers}")
            for k, keys in enumerate(self.operator_games[o]):
                keys.check_names(game, f"operator {o + 1}'s keys for challenger {k + 1}")
        for k in range(challengers):
            if len(self.challenger_games[k]) != operators:
                raise UserError(f"challenger {k + 1} has keys for {len(self.challenger_games[k])} operators")
            for o, keys in enumerate(self.challenger_games[k]):
                keys.check_names(choices, f"challenger {k + 1}'s keys for operator {o + 1}")

    def to_json(self) -> dict:
        return {
            "claims": [c.to_json() for c in self.claims],
            "operator_games": [[g.to_json() for g in games] for games in self.operator_games],
            "challenger_games": [[g.to_json() for g in games] for games in self.challenger_games],
        }

    @classmethod
    def from_json(cls, obj: object) -> GameKeys:
        if not isinstance(obj, dict):
            raise UserError("graph: 'game_keys' must be an object")

        def rows(name: str) -> list:
            value = obj.get(name)
            if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
                raise UserError(f"graph: game_keys.{name} must be a list of lists")
            return value

        claims = obj.get("claims")
        if not isinstance(claims, list):
            raise UserError("graph: game_keys.claims must be a list")
        return cls(
            tuple(KeySet.from_json(c, "a claim key set") for c in claims),
            tuple(tuple(KeySet.from_json(g, "a game key set") for g in r) for r in rows("operator_games")),
            tuple(tuple(KeySet.from_json(g, "a choice key set") for g in r) for r in rows("challenger_games")),
        )


@dataclass(frozen=True)
class OperatorSigner:
    """Operator ``index``'s one-time signing keys for a graph (never printed)."""

    party: PartyKeys
    index: int
    layout: GameLayout = field(repr=False, compare=False)

    @cached_property
    def claim(self) -> dict[str, WinternitzKey]:
        return self.party.secret_set(claim_path(), names_of(self.layout, Role.OPERATOR, True))

    def game(self, challenger: int) -> dict[str, WinternitzKey]:
        return self.party.secret_set(game_path(challenger), names_of(self.layout, Role.OPERATOR, False))

    def public(self, challengers: int) -> tuple[KeySet, tuple[KeySet, ...]]:
        claim = KeySet({n: k.public_key() for n, k in self.claim.items()})
        games = tuple(KeySet({n: k.public_key() for n, k in self.game(c).items()}) for c in range(challengers))
        return claim, games


@dataclass(frozen=True)
class ChallengerSigner:
    """Challenger ``index``'s one-time signing keys (its choices) for a graph."""

    party: PartyKeys
    index: int
    layout: GameLayout = field(repr=False, compare=False)

    def game(self, operator: int) -> dict[str, WinternitzKey]:
        return self.party.secret_set(choice_path(operator), names_of(self.layout, Role.CHALLENGER, False))

    def public(self, operators: int) -> tuple[KeySet, ...]:
        return tuple(KeySet({n: k.public_key() for n, k in self.game(o).items()}) for o in range(operators))

"""Every party's one-time public keys of a version-2 graph: deriving them from a
party's secret, publishing them as a file (no secrets), collecting them for
``ocp graph build`` and checking that a graph's keys are one's own.

In version 2 each operator signs its claim and, per challenger, the values of that
game; each registered challenger signs its choices, per operator
(:mod:`ocp.game.keys`).  Each party runs ``ocp graph ots-keys`` with its own key
file and hands the result to whoever builds the graph::

    {"format": "ocp-game-keys/1", "params_id": "<hex>", "role": "operator",
     "pubkey": "<x-only hex>", "claim": {<value>: <key>}, "games": [{...} per challenger]}
    {"format": "ocp-game-keys/1", "params_id": "<hex>", "role": "challenger",
     "pubkey": "<x-only hex>", "games": [{...} per operator]}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.game.keys import ChallengerSigner, GameKeys, KeySet, OperatorSigner, PartyKeys
from ocp.game.layout import GameLayout
from ocp.graph import Graph, params_id
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.params import Params

GAME_KEYS_FORMAT = "ocp-game-keys/1"
#: The roles that sign one-time values in a game.
GAME_ROLES = (Role.OPERATOR, Role.CHALLENGER)


@dataclass(frozen=True, eq=False)
class PartyPublicKeys:
    """One party's public one-time keys: an operator's claim keys and one set per
    challenger, or a challenger's one set per operator."""

    role: Role
    pubkey: bytes
    claim: KeySet | None
    games: tuple[KeySet, ...]

    def to_json(self) -> dict:
        return {
            "role": self.role.value,
            "pubkey": self.pubkey.hex(),
            **({"claim": self.claim.to_json()} if self.claim is not None else {}),
            "games": [g.to_json() for g in self.games],
        }


def party_index(params: Params, key: RoleKey, source: str = "key") -> int:
    """Which operator or registered challenger of ``params`` holds ``key``."""
    if key.role not in GAME_ROLES:
        raise UserError(f"{source} is a {key.role} key: one-time keys are an operator's or a challenger's")
    keys = params.operators if key.role is Role.OPERATOR else params.challengers
    if key.pubkey not in keys:
        raise UserError(
            f"{source} is not {'an operator' if key.role is Role.OPERATOR else 'a challenger'} key of these params"
        )
    return keys.index(key.pubkey)


def operator_signer(params: Params, layout: GameLayout, key: RoleKey, source: str = "key") -> OperatorSigner:
    if key.role is not Role.OPERATOR:
        raise UserError(f"{source} is not an operator key")
    return OperatorSigner(PartyKeys(key.secret, params_id(params)), party_index(params, key, source), layout)


def challenger_signer(params: Params, layout: GameLayout, key: RoleKey, source: str = "key") -> ChallengerSigner:
    if key.role is not Role.CHALLENGER:
        raise UserError(f"{source} is not a challenger key")
    return ChallengerSigner(PartyKeys(key.secret, params_id(params)), party_index(params, key, source), layout)


def derive_public(params: Params, layout: GameLayout, key: RoleKey, source: str = "key") -> PartyPublicKeys:
    """The public one-time keys ``key``'s holder publishes for the graph of ``params``."""
    if key.role is Role.OPERATOR:
        claim, games = operator_signer(params, layout, key, source).public(len(params.challengers))
        return PartyPublicKeys(Role.OPERATOR, key.pubkey, claim, games)
    games = challenger_signer(params, layout, key, source).public(len(params.operators))
    return PartyPublicKeys(key.role, key.pubkey, None, games)


def save_game_keys(params: Params, keys: PartyPublicKeys, path: str | Path) -> None:
    write_json(path, {"format": GAME_KEYS_FORMAT, "params_id": params_id(params).hex(), **keys.to_json()})


def load_game_keys(params: Params, path: str | Path) -> PartyPublicKeys:
    """A published key file for the graph of ``params`` (its params id, a party of
    the params, the right number of key sets; each key's shape is checked when the
    graph is built)."""
    obj = read_json(path, "one-time keys file")
    if obj.get("format") != GAME_KEYS_FORMAT:
        hint = " (a version-1 operator's keys: these params are a zkVM graph's)" if "keys" in obj else ""
        raise UserError(f"{path}: format is not {GAME_KEYS_FORMAT!r}{hint}")
    if obj.get("params_id") != params_id(params).hex():
        raise UserError(f"{path}: made for another graph (its params differ)")
    role = obj.get("role")
    if role not in (r.value for r in GAME_ROLES):
        raise UserError(f"{path}: role {role!r} is not operator or challenger")
    role = Role(role)
    known = {k.hex(): k for k in (params.operators if role is Role.OPERATOR else params.challengers)}
    pubkey = obj.get("pubkey")
    if pubkey not in known:
        raise UserError(
            f"{path}: {role} {pubkey!r} is not {'an operator' if role is Role.OPERATOR else 'a challenger'}"
            " of these params"
        )
    games = obj.get("games")
    opponents = len(params.challengers) if role is Role.OPERATOR else len(params.operators)
    if not isinstance(games, list) or len(games) != opponents:
        raise UserError(
            f"{path}: 'games' must list {opponents} key sets (one per "
            f"{'challenger' if role is Role.OPERATOR else 'operator'})"
        )
    sets = tuple(KeySet.from_json(g, f"{path}: games[{i}]") for i, g in enumerate(games))
    claim = None
    if role is Role.OPERATOR:
        claim = KeySet.from_json(obj.get("claim"), f"{path}: claim")
    elif "claim" in obj:
        raise UserError(f"{path}: a challenger makes no claim ('claim' is an operator's)")
    return PartyPublicKeys(role, known[pubkey], claim, sets)


def collect_game_keys(
    params: Params, layout: GameLayout, keys: Sequence[tuple[RoleKey, str]], published: Sequence[PartyPublicKeys]
) -> GameKeys:
    """Every party's one-time public keys in params order, from key files (derived
    here) and published key files; refuses a party given twice or missing."""
    found: dict[tuple[Role, bytes], PartyPublicKeys] = {}

    def add(party: PartyPublicKeys) -> None:
        if (party.role, party.pubkey) in found:
            raise UserError(f"one-time keys of {party.role} {party.pubkey.hex()} given twice")
        found[party.role, party.pubkey] = party

    for key, source in keys:
        add(derive_public(params, layout, key, source))
    for party in published:
        add(party)
    for role, flag in ((Role.OPERATOR, "--operator-key"), (Role.CHALLENGER, "--challenger-key")):
        missing = [k.hex() for k in params.keys_of(role) if (role, k) not in found]
        if missing:
            raise UserError(f"no one-time keys for {role}(s) {', '.join(missing)}: give {flag} or --ots-keys")
    operators = [found[Role.OPERATOR, k] for k in params.operators]
    challengers = [found[Role.CHALLENGER, k] for k in params.challengers]
    return GameKeys(
        tuple(o.claim for o in operators),  # type: ignore[misc]
        tuple(o.games for o in operators),
        tuple(c.games for c in challengers),
    )


def check_own_game_keys(graph: Graph, key: RoleKey, source: str = "key") -> None:
    """Refuse a graph whose one-time keys for ``key``'s holder are not derived from
    its secret (someone replaced them: its claim or moves would then be refused on
    chain; the version-2 counterpart of :func:`ocp.otsfile.check_own_ots`)."""
    keys = graph.game_keys
    if not isinstance(keys, GameKeys) or not isinstance(graph.layout, GameLayout):
        raise UserError("not a version-2 graph (it has no game keys)")
    mine = derive_public(graph.params, graph.layout, key, source)
    k = party_index(graph.params, key, source)
    if key.role is Role.OPERATOR:
        theirs = PartyPublicKeys(key.role, key.pubkey, keys.claims[k], keys.operator_games[k])
    else:
        theirs = PartyPublicKeys(key.role, key.pubkey, None, keys.challenger_games[k])
    if mine.to_json() != theirs.to_json():
        raise UserError(
            f"the graph's one-time keys of {key.role} {key.pubkey.hex()} are not derived from {source}: "
            "someone replaced them; do not sign this graph"
        )

"""Each operator's one-time keys: deriving them, checking a graph's are one's
own, and publishing the public half as a file (no secrets) so anyone can build
the graph::

    {"format": "ocp-ots-keys/2", "params_id": "<hex>", "operator": "<x-only hex>",
     "keys": [<Winternitz public keys>]}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.graph import Graph, params_id
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.ots import ValueKeys, ValueSigner
from ocp.params import Params

OTS_FORMAT = "ocp-ots-keys/2"


def operator_index(params: Params, operator: RoleKey, source: str = "key") -> int:
    """Which operator of ``params`` holds ``operator`` (refusing any other key)."""
    if operator.role is not Role.OPERATOR or operator.pubkey not in params.operators:
        raise UserError(f"{source} is not an operator key of these params")
    return params.operators.index(operator.pubkey)


def operator_signer(params: Params, operator: RoleKey, source: str = "key") -> ValueSigner:
    """The operator's one-time signer for the graph of ``params``."""
    operator_index(params, operator, source)
    return ValueSigner(operator.secret, params_id(params), params.computation.n_steps)


def check_own_ots(graph: Graph, operator: RoleKey, source: str = "key") -> ValueSigner:
    """Refuse a graph whose one-time keys for this operator are not derived from
    its secret (a relayer swapped them: the operator's Kickoff would then be
    refused on chain and the deposit locked; issue 11 item 2)."""
    k = operator_index(graph.params, operator, source)
    signer = operator_signer(graph.params, operator, source)
    if signer.public() != graph.ots[k]:
        raise UserError(
            f"the graph's one-time keys of operator {operator.pubkey.hex()} are not derived from "
            f"{source}: someone replaced them; do not sign this graph"
        )
    return signer


def save_ots_keys(params: Params, operator: bytes, keys: ValueKeys, path: str | Path) -> None:
    write_json(
        path,
        {
            "format": OTS_FORMAT,
            "params_id": params_id(params).hex(),
            "operator": operator.hex(),
            "keys": keys.to_json(),
        },
    )


def load_ots_keys(params: Params, path: str | Path) -> tuple[bytes, ValueKeys]:
    obj = read_json(path, "one-time keys file")
    if obj.get("format") != OTS_FORMAT:
        raise UserError(f"{path}: format is not {OTS_FORMAT!r}")
    if obj.get("params_id") != params_id(params).hex():
        raise UserError(f"{path}: made for another graph (its params differ)")
    operator = obj.get("operator")
    known = {k.hex(): k for k in params.operators}
    if operator not in known:
        raise UserError(f"{path}: operator {operator!r} is not an operator of these params")
    return known[operator], ValueKeys.from_json(obj.get("keys"))


def collect_ots(
    params: Params, operator_keys: Sequence[RoleKey], published: Sequence[tuple[bytes, ValueKeys]]
) -> list[ValueKeys]:
    """Every operator's one-time public keys, in params order, from operator key
    files (derived) and published key files; refuses gaps and duplicates."""
    found: dict[bytes, ValueKeys] = {}
    for key in operator_keys:
        found[key.pubkey] = operator_signer(params, key).public()
    for pubkey, keys in published:
        if pubkey in found:
            raise UserError(f"one-time keys of operator {pubkey.hex()} given twice")
        found[pubkey] = keys
    missing = [k.hex() for k in params.operators if k not in found]
    if missing:
        raise UserError(f"no one-time keys for operator(s) {', '.join(missing)}: give --operator-key or --ots-keys")
    return [found[k] for k in params.operators]

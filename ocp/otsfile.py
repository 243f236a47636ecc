"""The operator's one-time public keys as a file (no secrets), so anyone can
build the graph without the operator's key::

    {"format": "ocp-ots-keys/1", "graph_id": "<hex>", "keys": [<Winternitz public keys>]}
"""

from __future__ import annotations

from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.graph import graph_id_of
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.ots import ValueKeys, ValueSigner
from ocp.params import Params

OTS_FORMAT = "ocp-ots-keys/1"


def operator_signer(params: Params, operator: RoleKey, source: str = "key") -> ValueSigner:
    """The operator's one-time signer for the graph of ``params``."""
    if operator.role is not Role.OPERATOR or operator.pubkey != params.operator:
        raise UserError(f"{source} is not the operator key of these params")
    return ValueSigner(operator.secret, graph_id_of(params), params.computation.n_steps)


def save_ots_keys(params: Params, keys: ValueKeys, path: str | Path) -> None:
    write_json(path, {"format": OTS_FORMAT, "graph_id": graph_id_of(params).hex(), "keys": keys.to_json()})


def load_ots_keys(params: Params, path: str | Path) -> ValueKeys:
    obj = read_json(path, "one-time keys file")
    if obj.get("format") != OTS_FORMAT:
        raise UserError(f"{path}: format is not {OTS_FORMAT!r}")
    if obj.get("graph_id") != graph_id_of(params).hex():
        raise UserError(f"{path}: made for another graph (its params differ)")
    return ValueKeys.from_json(obj.get("keys"))

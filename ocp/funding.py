"""What each role must fund before the graph can be built: the address, the
output descriptor, and the least amount the coin must hold.

The depositor's Deposit and the operator's Prepare each spend one coin of the
role's own key by key path: a BIP86 output, i.e. the role's x-only key tweaked
with no script tree (BIP341 ``taproot_tweak_pubkey(P, b"")``).  Its descriptor is
``tr(<x-only key>)`` (BIP386) with the BIP380 checksum.

The minimum is what the graph builder asks of the coin: Deposit pays
``deposit_amount`` plus its fee; Prepare pays the stake, the Challenge connector
and Kickoff's fee, plus its own fee.  It is computed by building the graph with
placeholder coins and one-time keys of the right shape (sizes, hence fees, do
not depend on the key material), so it always agrees with ``ocp graph build``.
A coin of exactly the minimum leaves no change (a change output would be dust).

Nothing here looks the coins up on a chain: the params file's ``[funding]`` is
taken at its word (``ocp regtest coins`` checks it against the embedded chain).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ocp.builder import build_graph
from ocp.graph import graph_id_of
from ocp.ids import Role, TxKind, TxName
from ocp.ots import ValueSigner
from ocp.params import MAX_MONEY, Funding, Params
from regtest.descriptors import descriptor_checksum
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint

FUNDED_ROLES = (Role.DEPOSITOR, Role.OPERATOR)
#: The transaction that spends each role's coin.
SPENT_BY = {Role.DEPOSITOR: TxName(TxKind.DEPOSIT), Role.OPERATOR: TxName(TxKind.PREPARE)}


@dataclass(frozen=True)
class RoleFunding:
    role: Role
    pubkey: bytes
    address: str
    descriptor: str
    script_pubkey: bytes
    minimum: int  # satoshis
    spent_by: TxName


def key_path_output(pubkey: bytes) -> TaprootOutput:
    """The BIP86 output of an x-only key (no script tree)."""
    return TaprootOutput(pubkey)


def tr_descriptor(pubkey: bytes) -> str:
    """``tr(<x-only hex>)#<checksum>`` (BIP386, checksum per BIP380)."""
    body = f"tr({pubkey.hex()})"
    return f"{body}#{descriptor_checksum(body)}"


def minimum_amounts(params: Params) -> dict[Role, int]:
    """The least amount each role's coin must hold for ``ocp graph build`` to accept it."""
    placeholder = {
        role: Funding(OutPoint(f"{i + 1:064x}", 0), MAX_MONEY // 4)
        for i, role in enumerate(FUNDED_ROLES)
    }
    probe = replace(
        params,
        depositor_funding=placeholder[Role.DEPOSITOR],
        operator_funding=placeholder[Role.OPERATOR],
    )
    # one-time keys of the right shape; a fixed, public secret: they are thrown away
    ots = ValueSigner(b"\x02" * 32, graph_id_of(probe), params.computation.n_steps).public()
    graph = build_graph(probe, ots)
    minimum = {}
    for role, name in SPENT_BY.items():
        gtx = graph.tx(name)
        change = sum(o.value for o in gtx.tx.outputs[1:])  # pay is output 0
        minimum[role] = placeholder[role].amount - change
    return minimum


def role_funding(params: Params) -> list[RoleFunding]:
    """Address, descriptor and minimum amount of each role that funds the graph."""
    minimum = minimum_amounts(params)
    keys = {Role.DEPOSITOR: params.depositor, Role.OPERATOR: params.operator}
    out = []
    for role in FUNDED_ROLES:
        output = key_path_output(keys[role])
        out.append(
            RoleFunding(
                role=role,
                pubkey=keys[role],
                address=output.address(params.network),
                descriptor=tr_descriptor(keys[role]),
                script_pubkey=output.script_pubkey,
                minimum=minimum[role],
                spent_by=SPENT_BY[role],
            )
        )
    return out

"""What each role must fund before the graph can be built: the address, the
output descriptor, and the least amount the coin must hold.

The depositor's Deposit and the operator's Prepare each spend one coin of the
role's own key by key path: a BIP86 output, i.e. the role's x-only key tweaked
with no script tree (BIP341 ``taproot_tweak_pubkey(P, b"")``).  Its descriptor is
``tr(<x-only key>)`` (BIP386) with the BIP380 checksum.

The minimum is what the graph builder asks of the coin: Deposit pays
``deposit_amount`` plus its fee; Prepare pays the stake, the Challenge connector,
the operator's anchor and Kickoff's fee, plus its own fee; each keeps at least a
330-sat change output (the role's own way to bump the fee by CPFP).  It is
computed by building the graph with placeholder coins and one-time keys of the
right shape (sizes, hence fees, do not depend on the key material), so it always
agrees with ``ocp graph build``.  A coin of exactly the minimum leaves 330 sat of
change.

Nothing here looks the coins up on a chain: the params file's ``[funding]`` is
taken at its word (``ocp regtest coins`` checks it against the embedded chain).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ocp.builder import build_graph
from ocp.graph import P2TR_DUST, params_id
from ocp.ids import Role, TxKind, TxName
from ocp.ots import ValueSigner
from ocp.params import MAX_MONEY, Funding, Params
from taptrees.descriptors import with_checksum
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint


@dataclass(frozen=True)
class RoleFunding:
    role: Role
    operator: int | None  # the operator's number when the graph has several
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
    return with_checksum(f"tr({pubkey.hex()})")


def funded_by(params: Params) -> list[tuple[Role, int | None, bytes, TxName]]:
    """Every coin the graph spends: (role, operator number, key, the transaction)."""
    several = len(params.operators) > 1
    out = [(Role.DEPOSITOR, None, params.depositor, TxName(TxKind.DEPOSIT))]
    for k, key in enumerate(params.operators):
        number = k + 1 if several else None
        out.append((Role.OPERATOR, number, key, TxName(TxKind.PREPARE, None, number)))
    return out


def minimum_amounts(params: Params) -> dict[TxName, int]:
    """The least amount each coin must hold for ``ocp graph build`` to accept it, by
    the transaction that spends it."""
    big = MAX_MONEY // (4 * (1 + len(params.operators)))
    probe = replace(
        params,
        depositor_funding=Funding(OutPoint(f"{1:064x}", 0), big),
        operator_funding=tuple(Funding(OutPoint(f"{2:064x}", k), big) for k in range(len(params.operators))),
    )
    # one-time keys of the right shape; a fixed, public secret: they are thrown away
    ots = ValueSigner(b"\x02" * 32, params_id(probe), params.computation.n_steps).public()
    graph = build_graph(probe, [ots] * len(params.operators))
    minimum = {}
    for _, _, _, name in funded_by(params):
        gtx = graph.tx(name)
        change = sum(o.value for o in gtx.tx.outputs[1:])  # pay is output 0
        minimum[name] = big - change + P2TR_DUST
    return minimum


def role_funding(params: Params) -> list[RoleFunding]:
    """Address, descriptor and minimum amount of each coin that funds the graph."""
    minimum = minimum_amounts(params)
    out = []
    for role, number, key, name in funded_by(params):
        output = key_path_output(key)
        out.append(
            RoleFunding(
                role=role,
                operator=number,
                pubkey=key,
                address=output.address(params.network),
                descriptor=tr_descriptor(key),
                script_pubkey=output.script_pubkey,
                minimum=minimum[name],
                spent_by=name,
            )
        )
    return out

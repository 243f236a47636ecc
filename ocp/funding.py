"""What each role must fund before the graph can be built: the address, the
output descriptor, and the least amount the coin must hold.

The depositor's Deposit and the operator's Prepare each spend one coin of the
role's own key by key path: a BIP86 output, i.e. the role's x-only key tweaked
with no script tree (BIP341 ``taproot_tweak_pubkey(P, b"")``).  Its descriptor is
``tr(<x-only key>)`` (BIP386) with the BIP380 checksum.

A version-2 graph (a zkVM program) also spends each registered challenger's bond
coins, by key path, one in the Open of each of its games (one game per operator,
so one coin per challenger and operator).

The minimum is what the graph builder asks of the coin: Deposit pays
``deposit_amount`` plus its fee; Prepare pays the stake, the Challenge connector
(version 2: the game connectors), the operator's anchor and Kickoff's fee, plus
its own fee; a challenger's Open pays the bond, the game's first data outputs and
its fee; each keeps at least a 330-sat change output (the role's own way to bump
the fee by CPFP).  It is computed by building the graph with placeholder coins
and one-time keys of the right shape (sizes, hence fees, do not depend on the key
material), so it always agrees with ``ocp graph build``.  A coin of exactly the
minimum leaves 330 sat of change.

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
    number: int | None  # the operator's number when the graph has several; a challenger's number
    pubkey: bytes
    address: str
    descriptor: str
    script_pubkey: bytes
    minimum: int  # satoshis
    spent_by: TxName

    @property
    def against(self) -> int | None:
        """A challenger's bond coin: the number of the operator whose game it opens
        (None when the graph has one operator)."""
        return self.spent_by.operator if self.role is Role.CHALLENGER else None


def key_path_output(pubkey: bytes) -> TaprootOutput:
    """The BIP86 output of an x-only key (no script tree)."""
    return TaprootOutput(pubkey)


def tr_descriptor(pubkey: bytes) -> str:
    """``tr(<x-only hex>)#<checksum>`` (BIP386, checksum per BIP380)."""
    return with_checksum(f"tr({pubkey.hex()})")


def funded_by(params: Params) -> list[tuple[Role, int | None, bytes, TxName]]:
    """Every coin the graph spends: (role, number, key, the transaction); the
    depositor's, each operator's (numbered when there are several), and in a
    version-2 graph each registered challenger's bond coins (numbered), one per
    operator, challenger-major (the order of ``Params.challenger_bonds``)."""
    several = len(params.operators) > 1
    out = [(Role.DEPOSITOR, None, params.depositor, TxName(TxKind.DEPOSIT))]
    for k, key in enumerate(params.operators):
        number = k + 1 if several else None
        out.append((Role.OPERATOR, number, key, TxName(TxKind.PREPARE, None, number)))
    if params.games:
        for k, key in enumerate(params.challengers):
            for o in range(len(params.operators)):
                number = o + 1 if several else None
                out.append((Role.CHALLENGER, k + 1, key, TxName(TxKind.OPEN, None, number, k + 1)))
    return out


def given_coins(params: Params) -> list[Funding | None]:
    """The params' ``[funding]`` coins in :func:`funded_by`'s order (None: not given)."""
    operators = params.operator_funding or (None,) * len(params.operators)
    n_bonds = len(params.challengers) * len(params.operators)
    bonds = (params.challenger_bonds or (None,) * n_bonds) if params.games else ()
    return [params.depositor_funding, *operators, *bonds]


def with_coins(params: Params, coins: list[Funding]) -> Params:
    """``params`` with ``coins`` (in :func:`funded_by`'s order) as its ``[funding]``."""
    ops = len(params.operators)
    return replace(
        params,
        depositor_funding=coins[0],
        operator_funding=tuple(coins[1 : 1 + ops]),
        challenger_bonds=tuple(coins[1 + ops :]) if params.games else params.challenger_bonds,
    )


def minimum_amounts(params: Params) -> dict[TxName, int]:
    """The least amount each coin must hold for ``ocp graph build`` to accept it, by
    the transaction that spends it."""
    roles = funded_by(params)
    big = MAX_MONEY // (4 * len(roles))
    probe = with_coins(params, [Funding(OutPoint(f"{i + 1:064x}", 0), big) for i in range(len(roles))])
    if params.games:
        from ocp.builder.games import assemble_graph_v2, placeholder_keys
        from ocp.game.layout import GameLayout

        keys = placeholder_keys(GameLayout(params.computation), len(params.operators), len(params.challengers))
        graph = assemble_graph_v2(probe, keys)  # the bond rule is the params' own business
    else:
        # one-time keys of the right shape; a fixed, public secret: they are thrown away
        ots = ValueSigner(b"\x02" * 32, params_id(probe), params.computation.n_steps).public()
        graph = build_graph(probe, [ots] * len(params.operators))
    minimum = {}
    for role, _, _, name in roles:
        gtx = graph.tx(name)
        # the change: the last output of a challenger's Open, else every output but the pay (output 0)
        outs = gtx.tx.outputs[-1:] if role is Role.CHALLENGER else gtx.tx.outputs[1:]
        minimum[name] = big - sum(o.value for o in outs) + P2TR_DUST
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
                number=number,
                pubkey=key,
                address=output.address(params.network),
                descriptor=tr_descriptor(key),
                script_pubkey=output.script_pubkey,
                minimum=minimum[name],
                spent_by=name,
            )
        )
    return out

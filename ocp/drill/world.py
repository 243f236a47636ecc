"""Everything a drill sets up before its scenario: keys, funding, a fully
pre-signed graph, and a log of what the chain accepted and refused."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ocp.builder import build_graph
from ocp.drill import defaults
from ocp.graph import Graph, graph_id_of
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.ots import ValueSigner
from ocp.params import Funding, Params, Windows
from ocp.program import U32Program
from ocp.signing import invalid_signatures, missing_signatures, presign
from regtest.chain import Chain
from regtest.faucet import Faucet
from taptrees.hashes import tagged_hash
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint, Tx, TxOut

DRILL_WINDOWS = defaults.DRILL_WINDOWS


def drill_key(seed: bytes, who: str, role: Role, index: int = 0) -> RoleKey:
    """Deterministic drill keys: the same drill always builds the same graph."""
    secret = tagged_hash("ocp/drill-key", seed + f"{who}/{index}".encode())
    return RoleKey(role, f"{who}-{index}", secret)


@dataclass
class Actors:
    committee: list[RoleKey]
    operator: RoleKey
    depositor: RoleKey
    challenger: RoleKey
    faucet: RoleKey

    @classmethod
    def make(cls, seed: bytes, n_committee: int) -> Actors:
        return cls(
            [drill_key(seed, "committee", Role.COMMITTEE, i) for i in range(n_committee)],
            drill_key(seed, "operator", Role.OPERATOR),
            drill_key(seed, "depositor", Role.DEPOSITOR),
            drill_key(seed, "challenger", Role.CHALLENGER),
            drill_key(seed, "faucet", Role.CHALLENGER),
        )

    def key(self, role: Role) -> RoleKey:
        """The drill's key of a single-key role."""
        return {Role.OPERATOR: self.operator, Role.DEPOSITOR: self.depositor,
                Role.CHALLENGER: self.challenger}[role]  # fmt: skip

    def spk(self, role: Role) -> bytes:
        return TaprootOutput(self.key(role).pubkey).script_pubkey


@dataclass(frozen=True)
class Event:
    height: int
    label: str
    who: str
    accepted: bool
    expected: bool  # what the drill expected: True = should be accepted
    reason: str = ""
    txid: str = ""

    @property
    def as_expected(self) -> bool:
        return self.accepted == self.expected


@dataclass
class World:
    """A chain with funded roles and a fully pre-signed graph."""

    chain: Chain
    actors: Actors
    faucet: Faucet
    params: Params
    graph: Graph
    signer: ValueSigner
    funding: dict[Role, OutPoint]
    funded: list[tuple[Role, OutPoint, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    broadcast: list[Tx] = field(default_factory=list)  # accepted, in order
    spent_by_tx: dict[str, list[TxOut]] = field(default_factory=dict)

    def submit(self, label: str, who: str, tx: Tx, spent: list[TxOut], expect: bool) -> bool:
        """Submit ``tx`` and record what the chain said against what was expected."""
        result = self.chain.submit(tx)
        self.events.append(
            Event(self.chain.height(), label, who, result.accepted, expect, result.reason, tx.txid)
        )
        if result.accepted:
            self.broadcast.append(tx)
            self.spent_by_tx[tx.txid] = list(spent)
        return result.accepted

    def mine(self, n: int = 1) -> None:
        self.chain.mine(n, self.faucet.script_pubkey)

    def new_deposit(self) -> None:
        """A second deposit by the same depositor: fund a new coin, rebuild the graph
        for it and pre-sign it again (the old graph's transactions stay on chain)."""
        amount = defaults.FUNDING["depositor"]
        coin = self.faucet.fund(self.actors.spk(Role.DEPOSITOR), amount)
        self.funded.append((Role.DEPOSITOR, coin, amount))
        self.funding[Role.DEPOSITOR] = coin
        params = replace(self.params, depositor_funding=Funding(coin, amount))
        self.params, self.graph, self.signer = _signed_graph(self.actors, params)


def setup_world(
    chain: Chain,
    *,
    seed: bytes = defaults.SEED,
    n_committee: int = defaults.COMMITTEE,
    program: U32Program | None = None,
    windows: Windows = defaults.DRILL_WINDOWS,
) -> World:
    actors = Actors.make(seed, n_committee)
    faucet = Faucet(chain, actors.faucet.secret)
    faucet.mine_coins(2)
    program = program or U32Program.sample(defaults.STEPS)
    amounts = {Role(r): a for r, a in defaults.FUNDING.items()}
    outpoints = faucet.fund_many([(actors.spk(r), a) for r, a in amounts.items()])
    funding = dict(zip(amounts, outpoints, strict=True))
    funded = [(role, outpoints[i], amounts[role]) for i, role in enumerate(amounts)]
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operator=actors.operator.pubkey,
        depositor=actors.depositor.pubkey,
        deposit_amount=defaults.DEPOSIT,
        operator_stake=defaults.STAKE,
        challenge_fee=defaults.CHALLENGE_FEE,
        fee_rate=defaults.FEE_RATE,
        windows=windows,
        computation=program,
        depositor_funding=Funding(funding[Role.DEPOSITOR], amounts[Role.DEPOSITOR]),
        operator_funding=Funding(funding[Role.OPERATOR], amounts[Role.OPERATOR]),
    )
    params, graph, signer = _signed_graph(actors, params)
    return World(chain, actors, faucet, params, graph, signer, funding, funded)


def _signed_graph(actors: Actors, params: Params) -> tuple[Params, Graph, ValueSigner]:
    """Build the graph and run the whole ceremony: every committee member, the
    operator, then the depositor (who signs Confirm only on a complete graph)."""
    signer = ValueSigner(actors.operator.secret, graph_id_of(params), params.computation.n_steps)
    graph = build_graph(params, signer.public())
    for key in [*actors.committee, actors.operator, actors.depositor]:
        graph, _ = presign(graph, key)
    problems = missing_signatures(graph) + invalid_signatures(graph)
    if problems:
        raise AssertionError(f"graph not fully pre-signed: {problems[:3]}")
    return params, graph, signer

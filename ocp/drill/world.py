"""Everything a drill sets up before its scenario: keys, funding, a fully
pre-signed graph, and a log of what the chain accepted and refused.

The graph is signed by a :data:`GraphSigner`: by default every party in this
process (:func:`sign_in_process`: each committee member with ``presign`` for a key
chain, or all of them together in MuSig2 rounds, each with its own nonce store;
then each operator, and the depositor last); the ``ceremony`` drill signs it with
a coordinator and signer processes instead (:mod:`ocp.drill.ceremony`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ocp.builder import build_graph, minimum_challenge_fee
from ocp.committee import CommitteeForm
from ocp.drill import defaults
from ocp.drill.refusal import Refusal
from ocp.graph import Graph, params_id
from ocp.ids import SHARED_KINDS, Role, TxKind, TxName
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


def drill_key(seed: bytes, who: str, role: Role, index: int = 0) -> RoleKey:
    """Deterministic drill keys: the same drill always builds the same graph."""
    secret = tagged_hash("ocp/drill-key", seed + f"{who}/{index}".encode())
    return RoleKey(role, f"{who}-{index}", secret)


@dataclass
class Actors:
    committee: list[RoleKey]
    operators: list[RoleKey]
    depositor: RoleKey
    challenger: RoleKey
    faucet: RoleKey

    @classmethod
    def make(cls, seed: bytes, n_committee: int, n_operators: int = 1) -> Actors:
        return cls(
            [drill_key(seed, "committee", Role.COMMITTEE, i) for i in range(n_committee)],
            [drill_key(seed, "operator", Role.OPERATOR, i) for i in range(n_operators)],
            drill_key(seed, "depositor", Role.DEPOSITOR),
            drill_key(seed, "challenger", Role.CHALLENGER),
            drill_key(seed, "faucet", Role.CHALLENGER),
        )

    @property
    def operator(self) -> RoleKey:
        """The first operator (the only one in most drills)."""
        return self.operators[0]

    def spk(self, role: Role, operator: int = 0) -> bytes:
        key = {
            Role.OPERATOR: self.operators[operator],
            Role.DEPOSITOR: self.depositor,
            Role.CHALLENGER: self.challenger,
        }[role]
        return TaprootOutput(key.pubkey).script_pubkey


#: Signs a freshly built graph completely: ``sign(actors, graph) -> signed graph``.
GraphSigner = Callable[[Actors, Graph], Graph]


def sign_in_process(actors: Actors, graph: Graph) -> Graph:
    """The whole ceremony in this process: the committee (each member with
    ``presign``, or together in MuSig2 rounds, each with its own nonce store in a
    temporary folder), each operator, then the depositor (who signs Confirm only
    on a complete graph)."""
    from ocp.ceremony.session import sign_committee_with_keys

    if graph.params.committee_form is CommitteeForm.MUSIG2:
        with tempfile.TemporaryDirectory(prefix="ocp-nonces-") as folder:
            graph = sign_committee_with_keys(graph, actors.committee, folder)
        parties = [*actors.operators, actors.depositor]
    else:
        parties = [*actors.committee, *actors.operators, actors.depositor]
    for key in parties:
        graph, _ = presign(graph, key)
    return graph


@dataclass(frozen=True)
class Event:
    height: int
    label: str
    who: str
    accepted: bool
    expected: bool  # what the drill expected: True = should be accepted
    reason: str = ""
    txid: str = ""
    refusal: Refusal | None = None  # for a forbidden move: the reason it must be refused for

    @property
    def as_expected(self) -> bool:
        if self.expected:
            return self.accepted
        return not self.accepted and (self.refusal is None or self.refusal.matches(self.reason))


@dataclass
class World:
    """A chain with funded roles and a fully pre-signed graph."""

    chain: Chain
    actors: Actors
    faucet: Faucet
    params: Params
    graph: Graph
    signers: list[ValueSigner]  # each operator's one-time signer
    funding: dict[tuple[Role, int], OutPoint]  # (role, operator index or 0) -> coin
    funded: list[tuple[bytes, OutPoint, int]] = field(default_factory=list)  # (pays to, coin, sat)
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    broadcast: list[Tx] = field(default_factory=list)  # accepted, in order
    spent_by_tx: dict[str, list[TxOut]] = field(default_factory=dict)
    sign: GraphSigner = sign_in_process
    #: outcomes the drill checks besides the chain's answers (who won a game, ...)
    checks: dict[str, bool] = field(default_factory=dict)
    #: scriptPubKey -> party, for parties the actors do not name (v2's challengers)
    extra_parties: dict[bytes, str] = field(default_factory=dict)

    @property
    def signer(self) -> ValueSigner:
        return self.signers[0]

    def name(self, kind: TxKind, index: int | None = None, operator: int = 0) -> TxName:
        """The graph's name of a transaction of operator ``operator`` (0-based)."""
        several = len(self.params.operators) > 1 and kind not in SHARED_KINDS
        return TxName(kind, index, operator + 1 if several else None)

    def submit(self, label: str, who: str, tx: Tx, spent: list[TxOut], expect: bool | Refusal) -> bool:
        """Submit ``tx`` and record what the chain said against what was expected:
        ``True`` (accepted) or the :class:`Refusal` a forbidden move must get."""
        result = self.chain.submit(tx)
        refusal = expect if isinstance(expect, Refusal) else None
        self.events.append(
            Event(
                self.chain.height(),
                label,
                who,
                result.accepted,
                expect is True,
                result.reason,
                tx.txid,
                refusal,
            )
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
        self.funded.append((self.actors.spk(Role.DEPOSITOR), coin, amount))
        self.funding[(Role.DEPOSITOR, 0)] = coin
        params = replace(self.params, depositor_funding=Funding(coin, amount))
        self.params, self.graph, self.signers = _signed_graph(self.actors, params, self.sign)


def setup_world(
    chain: Chain,
    *,
    seed: bytes = defaults.SEED,
    n_committee: int = defaults.COMMITTEE,
    n_operators: int = 1,
    program: U32Program | None = None,
    windows: Windows | None = None,
    faucet_feerate: int | None = None,
    committee_form: CommitteeForm = CommitteeForm.CHAIN,
    sign: GraphSigner | None = None,
) -> World:
    """A fresh chain with the roles funded and the graph fully signed by ``sign``
    (default :func:`sign_in_process`)."""
    actors = Actors.make(seed, n_committee, n_operators)
    faucet = Faucet(chain, actors.faucet.secret, **({"feerate": faucet_feerate} if faucet_feerate else {}))
    faucet.mine_coins(2)
    program = program or U32Program.sample(defaults.STEPS)
    wants = [(Role.DEPOSITOR, 0), *((Role.OPERATOR, k) for k in range(n_operators)), (Role.CHALLENGER, 0)]
    amounts = [defaults.FUNDING[role.value] for role, _ in wants]
    spks = [actors.spk(r, k) for r, k in wants]
    outpoints = faucet.fund_many(list(zip(spks, amounts, strict=True)))
    funding = dict(zip(wants, outpoints, strict=True))
    funded = list(zip(spks, outpoints, amounts, strict=True))
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=tuple(k.pubkey for k in actors.operators),
        depositor=actors.depositor.pubkey,
        deposit_amount=defaults.DEPOSIT,
        operator_stake=defaults.STAKE,
        challenge_fee=defaults.CHALLENGE_FEE,
        fee_rate=defaults.FEE_RATE,
        windows=windows or defaults.drill_windows(program),
        computation=program,
        depositor_funding=Funding(funding[(Role.DEPOSITOR, 0)], defaults.FUNDING["depositor"]),
        operator_funding=tuple(
            Funding(funding[(Role.OPERATOR, k)], defaults.FUNDING["operator"]) for k in range(n_operators)
        ),
        committee_form=committee_form,
    )
    sign = sign or sign_in_process
    params, graph, signers = _signed_graph(actors, params, sign)
    return World(chain, actors, faucet, params, graph, signers, funding, funded, sign=sign)


def _signed_graph(actors: Actors, params: Params, sign: GraphSigner) -> tuple[Params, Graph, list[ValueSigner]]:
    """Build the graph and have ``sign`` run the whole ceremony."""
    signers = [ValueSigner(op.secret, params_id(params), params.computation.n_steps) for op in actors.operators]
    ots = [s.public() for s in signers]
    need = minimum_challenge_fee(params, ots)
    if params.challenge_fee < need:  # long programs: the honest response costs more
        params = replace(params, challenge_fee=need)
        signers = [ValueSigner(op.secret, params_id(params), params.computation.n_steps) for op in actors.operators]
        ots = [s.public() for s in signers]
    graph = sign(actors, build_graph(params, ots))
    problems = missing_signatures(graph) + invalid_signatures(graph)
    if problems:
        raise AssertionError(f"graph not fully pre-signed: {problems[:3]}")
    return params, graph, signers

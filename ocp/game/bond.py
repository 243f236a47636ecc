"""What one game of a version-2 graph costs, and the bond that pays for it (issue
16, "Bond and rewards"; ARCHITECTURE.md section 4, Fees).

A game's token output carries the challenger's bond.  Every move spends the
token and creates the next one, less the move's fee at the graph's fee floor
(``amounts.fee_rate``), less the data outputs (330 sat) and the mover's keyed
anchor it creates, plus the data outputs it spends
(:mod:`ocp.builder.games`).  The fee floor is fixed when the committee signs; a
party whose move must be mined when blocks cost more bumps it by CPFP: a child
spending its anchor and a coin of its own, paying for both transactions at the
market rate.  The game ends when one party wins: the operator takes what is left
of the token (ChallengerSilent, BeyondN); the challenger takes the token and
the unburned half of the stake (Catch, OperatorSilent).

**Who pays the honest operator's game.**  A challenger may open a game against
a true claim (a mistaken or a griefing challenger), and the operator must then
answer every move until the challenger stops, up to the read search's last
state.  The bond pays for that: along every path on which the operator wins,

* every token stays at least dust (the builder's floor: every move's fee at
  the fee floor, every data output and anchor created, the closing sweep), and
* the operator ends with no loss at the **maximum fee rate**
  (``amounts.dispute_fee_rate``, by default ten times the floor): what it takes
  from the token, plus its anchors, covers the CPFP children that get its
  moves and the closing sweep mined at that rate.

So the minimum bond is, over the operator's winning paths, the largest of
``(what the token pays up to state i) + dust`` and ``(what the token pays to the
end) + max(dust, the operator's CPFP outlay at the maximum rate)``.  Each cost
is computed from the built transactions with the largest witness each input may
carry (every leaf of a data output is tried: :func:`ocp.fees.graph_tx_weight`),
the way the builder computes their fees.

**Rewards.**  A challenger that wins gets, at its registered key, the token's
remainder and the stake less the half that is burned; the rules check that this
is more than its bond plus what its own moves cost it at the maximum rate (its
CPFP children and its opening transaction's fee), on every path it can win.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from ocp.fees import fee_for, graph_tx_weight, key_spend_weight, tx_weight
from ocp.graph import P2TR_DUST, GraphOutput, GraphTx
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.params import Params
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

#: Moves that create the game's next state (their output 0 is the next token).
NEXT_KINDS = frozenset({TxKind.REVEAL, TxKind.CHOOSE, TxKind.EXECUTE, TxKind.START_READ})
#: Game ends: the operator takes the token's remainder.
OPERATOR_WINS = frozenset({TxKind.CHALLENGER_SILENT, TxKind.BEYOND_N})
#: Game ends: the challenger takes the token and half the stake.
CHALLENGER_WINS = frozenset({TxKind.CATCH, TxKind.OPERATOR_SILENT})
#: A P2TR output (a CPFP child's change, a winner's payout).
P2TR_SCRIPT_SIZE = 34
#: The bond ``ocp params init --program`` and the drills take: the minimum times
#: BOND_MARGIN, rounded up to BOND_ROUNDING sat (room for fee-rate drift, a
#: program or geometry changed later).
BOND_MARGIN = 1.25
BOND_ROUNDING = 10_000


def default_bond(minimum: int) -> int:
    """The bond to propose for a game whose minimum bond is ``minimum``."""
    return -(-int(minimum * BOND_MARGIN) // BOND_ROUNDING) * BOND_ROUNDING


@cache
def child_weight(inputs: int) -> int:
    """Weight of a CPFP child: ``inputs`` key-path inputs (the anchor or the payout,
    and a coin of the party's own), one P2TR output."""
    ins = tuple(TxIn(OutPoint("00" * 32, i)) for i in range(inputs))
    return tx_weight(Tx(2, ins, (TxOut(0, bytes(P2TR_SCRIPT_SIZE)),)), inputs * key_spend_weight())


@dataclass(frozen=True)
class PathTx:
    """One transaction of a game path, as the token sees it."""

    name: TxName
    mover: Role  # who gets it mined (and bumps it)
    weight: int  # BIP141 weight with the largest witness its inputs may carry
    fee: int  # what it pays: the fee floor's fee for ``weight``
    anchor: int  # the mover's keyed anchor (0: none; a winner bumps through its payout)
    token_in: int  # the token it spends
    token_out: int  # the next token, or what the winner is paid

    @property
    def vbytes(self) -> int:
        return -(-self.weight // 4)

    def bump(self, rate: float) -> int:
        """What the mover's CPFP child pays to get this mined at ``rate``: the package
        fee at that rate less what this transaction already pays (0 when it pays
        enough).  The child spends the anchor and a coin of its own, or, without an
        anchor, the winner's payout alone."""
        inputs = 2 if self.anchor else 1
        package = fee_for(self.weight + child_weight(inputs), rate)
        return max(0, package - self.fee)


@dataclass(frozen=True)
class GamePath:
    """The transactions from a game's Open to one of its ends."""

    open: PathTx
    txs: tuple[PathTx, ...]  # the moves, then the end

    @property
    def end(self) -> PathTx:
        return self.txs[-1]

    @property
    def winner(self) -> Role:
        return Role.OPERATOR if self.end.name.kind in OPERATOR_WINS else Role.CHALLENGER

    @property
    def moves(self) -> int:
        """Transactions after the Open, the end included."""
        return len(self.txs)

    @property
    def vbytes(self) -> int:
        """Every transaction of the path, the Open included."""
        return self.open.vbytes + sum(t.vbytes for t in self.txs)

    @property
    def fees(self) -> int:
        """What the path pays at the fee floor, the Open included."""
        return self.open.fee + sum(t.fee for t in self.txs)

    def party_vbytes(self, role: Role) -> int:
        return sum(t.vbytes for t in (self.open, *self.txs) if t.mover is role)

    def spent_by_token(self, upto: int) -> int:
        """What the token pays for the first ``upto`` moves (fees, data outputs,
        anchors), independent of the bond."""
        return self.open.token_out - self.txs[upto - 1].token_out if upto else 0

    def outlay(self, role: Role, rate: float) -> int:
        """What ``role`` pays from its own coins to get its transactions of the path
        mined at ``rate`` (CPFP children), less the anchors it takes."""
        mine = [t for t in (self.open, *self.txs) if t.mover is role]
        open_fee = self.open.fee if role is Role.CHALLENGER else 0  # the Open pays from its own coin
        return open_fee + sum(t.bump(rate) for t in mine) - sum(t.anchor for t in mine)

    def minimum_bond(self, rate: float) -> int:
        """The smallest bond with every token of the path at least dust, and, on a
        path the operator wins, the operator not out of pocket at ``rate``."""
        tokens = [self.spent_by_token(i) + P2TR_DUST for i in range(1, len(self.txs))]
        if self.winner is Role.OPERATOR:
            tokens.append(self.spent_by_token(len(self.txs)) + max(P2TR_DUST, self.outlay(Role.OPERATOR, rate)))
        return max(tokens, default=P2TR_DUST)


@dataclass(frozen=True)
class GameCost:
    """Every path of one game (operator ``operator``, challenger ``game``)."""

    open: TxName
    paths: tuple[GamePath, ...]
    fee_rate: float
    max_fee_rate: float

    @property
    def label(self) -> str:
        """``game k`` (``game k of operator o`` with several operators)."""
        of = f" of operator {self.open.operator}" if self.open.operator is not None else ""
        return f"game {self.open.game}{of}"

    @property
    def minimum_bond(self) -> int:
        return max(p.minimum_bond(self.max_fee_rate) for p in self.paths)

    @property
    def worst_operator_path(self) -> GamePath:
        """The path that needs the largest bond (the honest operator's worst case)."""
        return max(self.paths, key=lambda p: p.minimum_bond(self.max_fee_rate))

    @property
    def longest(self) -> GamePath:
        """The path with the most vbytes (ties: the most moves)."""
        return max(self.paths, key=lambda p: (p.vbytes, p.moves))

    def operator_cost(self, path: GamePath | None = None) -> int:
        """The honest operator's cost of ``path`` (default: its worst) at the maximum
        rate: its transactions and their CPFP children at that rate."""
        p = path or self.worst_operator_path
        return sum(
            fee_for(t.weight + child_weight(2 if t.anchor else 1), self.max_fee_rate)
            for t in p.txs
            if t.mover is Role.OPERATOR
        )

    def smallest_reward(self, bond: int) -> tuple[GamePath, int] | None:
        """The challenger's win that leaves it least beyond its bond and its own costs
        at the maximum rate: (path, reward); None when it cannot win."""
        wins = [
            (p, p.end.token_out - bond - p.outlay(Role.CHALLENGER, self.max_fee_rate))
            for p in self.paths
            if p.winner is Role.CHALLENGER
        ]
        return min(wins, key=lambda w: w[1], default=None)


def game_costs(
    params: Params, txs: Mapping[TxName, GraphTx], outputs: Mapping[OutputRef, GraphOutput]
) -> list[GameCost]:
    """The cost of every game of a version-2 graph, from its transactions."""
    spenders: dict[OutputRef, list[GraphTx]] = {}
    for gtx in txs.values():
        for spend in gtx.spends:
            if isinstance(spend.source, OutputRef):
                spenders.setdefault(spend.source, []).append(gtx)
    weights: dict[TxName, int] = {}

    def path_tx(gtx: GraphTx, token_in: int) -> PathTx:
        if gtx.name not in weights:
            weights[gtx.name] = graph_tx_weight(gtx, outputs)
        fee = sum(o.value for o in gtx.spent) - sum(o.value for o in gtx.tx.outputs)
        mover_key = _key_of(params, gtx.name, gtx.role)
        anchor = 0
        if gtx.name.kind in NEXT_KINDS:
            anchor = sum(o.value for o in gtx.tx.outputs[1:] if o.script_pubkey == _pays(mover_key))
        return PathTx(gtx.name, gtx.role, weights[gtx.name], fee, anchor, token_in, gtx.tx.outputs[0].value)

    def walk(token: OutputRef, value: int, before: tuple[PathTx, ...]) -> Iterator[tuple[PathTx, ...]]:
        for gtx in spenders.get(token, []):
            step = path_tx(gtx, value)
            if gtx.name.kind in NEXT_KINDS:
                yield from walk(OutputRef(gtx.name, 0), step.token_out, (*before, step))
            elif gtx.name.kind in OPERATOR_WINS | CHALLENGER_WINS:
                yield (*before, step)

    costs = []
    for name, gtx in txs.items():
        if name.kind is not TxKind.OPEN:
            continue
        opened = path_tx(gtx, 0)
        paths = tuple(GamePath(opened, p) for p in walk(OutputRef(name, 0), opened.token_out, ()))
        costs.append(GameCost(name, paths, params.fee_rate, params.punish_fee_rate))
    return costs


def _key_of(params: Params, name: TxName, role: Role) -> bytes:
    if role is Role.CHALLENGER:
        return params.challengers[(name.game or 1) - 1]
    return params.operators[(name.operator or 1) - 1]


def _pays(key: bytes) -> bytes:
    """A party's own key-path output (:func:`ocp.builder.context.pays`)."""
    return TaprootOutput(key).script_pubkey

"""Graph version 2: an operator's claim about a zkVM program and one game per
registered challenger (docs/protocol-v2.md, ARCHITECTURE.md sections 4-5).

Per operator:

* Prepare, Kickoff: P (``claim``: the claim's values + committee + operator) ->
  **S** (the stake: ``take1``, ``take2`` after T_max, ``win``), one gate **G_k**
  per challenger (``open`` after 1 block, ``take1``), OP_RETURN, the operator's
  anchor.
* per challenger k, a game (:mod:`ocp.game.layout`): Open (G_k + the challenger's
  registered bond coin for this operator, :meth:`Params.bond_coin`) creates state
  0; every state is a **token** T (the bond: ``move``, ``win`` in catch states,
  ``timeout`` after ``move_window``; every leaf the committee's) and **data**
  outputs D (330 sat: the mover's check leaves, without the committee).  A move
  spends T and the D it reveals through; the committee's one SIGHASH_ALL
  signature on T fixes the D outpoints, not their leaves (the co-input pattern),
  so only the mover completes it.
* a silent mover loses its game: OperatorSilent (S + T, the challenger wins the
  stake and its bond back, half the stake burned) or ChallengerSilent (T, the bond
  to the operator); Catch (S + T + a challenger leaf of D) and BeyondN (T + D:
  TranslateBeyondN) end a game the same ways.
* Take1 (V + S + every G after the challenge window), Take2 (V + S after T_max),
  StakeBack1 (S + every G), StakeBack2 (S after T_max).

T_max = challenge window + (states + 1) x move window + margin: every game ends
before Take2 can be mined.

The bond must cover the honest operator's worst game (:mod:`ocp.game.bond`);
:func:`build_graph_v2` refuses params below :func:`minimum_bond`, naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.context import BuildContext, OperatorContext, pays
from ocp.builder.deposit import PAYOUT, build_confirm, build_deposit, build_refund
from ocp.errors import UserError
from ocp.fees import fee_for, key_spend_weight, leaf_spend_weight, sweep, tx_weight
from ocp.game.bond import GameCost, game_costs
from ocp.game.keys import GameKeys, KeySet, names_of, value_params
from ocp.game.layout import GameLayout, MoveKind, State, move_kind, silent_kind
from ocp.graph import (
    ANCHOR_AMOUNT,
    P2TR_DUST,
    Graph,
    GraphOutput,
    GraphTx,
    InputSpend,
    graph_id,
    params_id,
)
from ocp.ids import FundingRef, Role, TxKind, TxName
from ocp.leaves import KeysLeaf, LeafKind, LeafName
from ocp.leaves.checked import CheckedLeaf
from ocp.params import MAX_MONEY, RESPONSE_MARGIN, Funding, Params
from ocp.rules import enforce, graph_rules
from taptrees.hashes import sha256
from taptrees.opcodes import OP_RETURN
from taptrees.ots.winternitz import WinternitzPublicKey
from taptrees.script import Script
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

CLAIM = LeafName(LeafKind.CLAIM)
OPEN = LeafName(LeafKind.OPEN)
TAKE1 = LeafName(LeafKind.TAKE1)
TAKE2 = LeafName(LeafKind.TAKE2)
MOVE = LeafName(LeafKind.MOVE)
TIMEOUT = LeafName(LeafKind.TIMEOUT)
WIN = LeafName(LeafKind.WIN)
#: Gates and data outputs carry the smallest standard amount.
DATA_AMOUNT = P2TR_DUST
BURN_SCRIPT = Script([OP_RETURN, b"ocp:burn"]).raw
#: The bond a measuring build locks (:func:`game_cost`): costs do not depend on it.
PROBE_BOND = 100_000_000
#: Blocks after the Kickoff before a game may open (nothing but the anchor hangs off it).
OPEN_CSV = 1


def check_name(i: int) -> LeafName:
    return LeafName(LeafKind.CHECK, i)


def t_max(params: Params, layout: GameLayout) -> int:
    """Blocks after the Kickoff when every game has ended: a game opens within the
    challenge window and each of its states lasts at most the move window."""
    return params.windows.challenge + (len(layout.states) + 1) * params.windows.move + RESPONSE_MARGIN


@dataclass(frozen=True)
class GameContext:
    """One game: operator ``op`` against challenger ``k`` (0-based)."""

    ctx: BuildContext
    op: OperatorContext
    k: int
    layout: GameLayout
    keys: dict  # value name -> WinternitzPublicKey (the claim's, the operator's, the challenger's)

    @property
    def params(self) -> Params:
        return self.ctx.params

    def name(self, kind: TxKind, index: int | None = None) -> TxName:
        return TxName(kind, index, self.op.number, self.k + 1)

    @property
    def label(self) -> str:
        return f"{self.op.label}/c{self.k + 1}"

    def mover(self, state: State) -> tuple[Role, bytes]:
        if state.mover is Role.OPERATOR:
            return Role.OPERATOR, self.op.key
        return Role.CHALLENGER, self.params.challengers[self.k]

    def token(self, state: State) -> GraphOutput:
        committee = self.params.n_of_n.signers
        leaves = []
        if any(m.kind in (MoveKind.NEXT, MoveKind.READ, MoveKind.BEYOND_N) for m in state.moves):
            leaves.append(KeysLeaf(MOVE, committee, None, f"{state.label}: the {state.mover}'s move"))
        if state.catching:
            leaves.append(KeysLeaf(WIN, committee, None, "Catch: the challenger's win"))
        leaves.append(
            KeysLeaf(TIMEOUT, committee, self.params.windows.move, f"{state.label}: the {state.mover} was silent")
        )
        return GraphOutput.build(f"T{state.index}{self.label}", leaves)

    def data(self, state: State) -> list[GraphOutput]:
        by = (self.mover(state),)
        outs = []
        for j, data in enumerate(state.data):
            leaves = []
            for i, check in enumerate(data.leaves):
                keys = {v.name: self.keys[data.key_prefix + v.name] for v in check.values() if v.signed}
                leaves.append(CheckedLeaf(check_name(i), check, keys, by, check.kind))
            outs.append(GraphOutput.build(f"D{state.index}.{j}{self.label}", leaves))
        return outs


def _data_input(src: Created) -> tuple[TxIn, InputSpend, int]:
    """A data output spent by whichever of its leaves the mover picks: the first leaf
    names the spend, the largest witness bounds the fee."""
    out = src.output
    assert out is not None
    txin = TxIn(src.outpoint)
    spend = InputSpend(src.ref, out.leaves[0].name, out.leaves[0].signing_keys, any_leaf=True)
    weight = max(leaf_spend_weight(out, leaf.name) for leaf in out.leaves)
    return txin, spend, weight


def _move_weight_and_inputs(inputs: Sequence[tuple[TxIn, InputSpend, int]]):
    return [i[0] for i in inputs], [i[1] for i in inputs], sum(i[2] for i in inputs)


class GameBuilder:
    """Adds one game's transactions to the assembler."""

    def __init__(self, g: GameContext, asm: GraphAssembler, stake: Created, gate: Created) -> None:
        self.g, self.asm, self.stake, self.gate = g, asm, stake, gate
        self.created: dict[int, tuple[Created, list[Created]]] = {}

    # --- helpers ------------------------------------------------------------------------
    def _outputs_of(self, state: State, value: int) -> tuple[list[TxOut], dict[int, GraphOutput]]:
        token = self.g.token(state)
        data = self.g.data(state)
        outs = [TxOut(value, token.output.script_pubkey)] + [TxOut(DATA_AMOUNT, d.output.script_pubkey) for d in data]
        return outs, {0: token, **{1 + j: d for j, d in enumerate(data)}}

    def _with_fee(self, inputs: list[TxIn], spent: list[TxOut], witness: int, rest: list[TxOut]) -> list[TxOut]:
        """Output 0 gets what ``spent`` leaves after ``rest`` and the fee (at fee_rate).
        A bond too small for the game leaves a token below dust here (even a negative
        amount): the bond rule (:mod:`ocp.game.bond`, :func:`ocp.rules.bond_findings`)
        then refuses the params, naming the minimum."""
        total = sum(o.value for o in spent)
        draft = Tx(2, tuple(inputs), (TxOut(total, b"\x51\x20" + bytes(32)), *rest))
        fee = fee_for(tx_weight(draft, witness), self.g.params.fee_rate)
        return [TxOut(total - sum(o.value for o in rest) - fee, b""), *rest]

    # --- open ---------------------------------------------------------------------------
    def open(self) -> None:
        g = self.g
        p = g.params
        state = g.layout.states[0]
        coin = p.bond_coin(g.op.index, g.k)
        owner = pays(p.challengers[g.k])
        gate_in, gate_spend = leaf_input(self.gate, OPEN, sequence=OPEN_CSV, presigned=True)
        bond_in = TxIn(coin.outpoint)
        ref = FundingRef(Role.CHALLENGER, g.k + 1, g.op.number)  # one coin per (challenger, operator)
        bond_spend = InputSpend(ref, None, ((Role.CHALLENGER, p.challengers[g.k]),))
        outs, attach = self._outputs_of(state, p.bond)
        change = coin.amount + DATA_AMOUNT - p.bond - sum(o.value for o in outs[1:])
        witness = leaf_spend_weight(self.gate.output, OPEN) + key_spend_weight()
        draft = Tx(2, (gate_in, bond_in), (*outs, TxOut(change, owner)))
        fee = fee_for(tx_weight(draft, witness), p.fee_rate)
        change -= fee
        if change < P2TR_DUST:
            raise UserError(
                f"{ref.field} ({coin.amount} sat) does not cover the bond ({p.bond} sat), "
                f"the game's first data outputs, the Open fee ({fee} sat) and 330 sat of change"
            )
        tx = Tx(2, (gate_in, bond_in), (*outs, TxOut(change, owner)))
        gtx = GraphTx(
            g.name(TxKind.OPEN),
            Role.CHALLENGER,
            "opens the game with the challenger's bond",
            tx,
            (gate_spend, bond_spend),
            (self.gate.txout, TxOut(coin.amount, owner)),
        )
        made = self.asm.add(gtx, attach)
        self.created[0] = (made[0], made[1 : 1 + len(state.data)])

    # --- moves --------------------------------------------------------------------------
    def moves(self) -> None:
        for state in self.g.layout.states:
            if state.index not in self.created:
                continue
            for move in state.moves:
                if move.kind in (MoveKind.NEXT, MoveKind.READ):
                    self._next(state, move)
                elif move.kind is MoveKind.BEYOND_N:
                    self._beyond_n(state, move)
                else:
                    self._catch(state, move)
            self._timeout(state)

    def _next(self, state: State, move) -> None:
        g = self.g
        token, data = self.created[state.index]
        nxt = g.layout.states[move.next_state]
        t_in, t_spend = leaf_input(token, MOVE, presigned=True)
        ins = [(t_in, t_spend, leaf_spend_weight(token.output, MOVE))] + [_data_input(data[j]) for j in move.data]
        inputs, spends, witness = _move_weight_and_inputs(ins)
        spent = [token.txout] + [data[j].txout for j in move.data]
        outs, attach = self._outputs_of(nxt, 0)
        mover = g.mover(state)
        anchor = TxOut(ANCHOR_AMOUNT, pays(mover[1]))
        name = g.name(move_kind(state, move), state.index)
        fixed = self._with_fee(inputs, spent, witness, [*outs[1:], anchor])
        fixed[0] = TxOut(fixed[0].value, outs[0].script_pubkey)
        tx = Tx(2, tuple(inputs), tuple(fixed))
        gtx = GraphTx(name, mover[0], f"{state.label}: the {mover[0]} moves on", tx, tuple(spends), tuple(spent))
        made = self.asm.add(gtx, attach)
        self.created[nxt.index] = (made[0], made[1 : 1 + len(nxt.data)])

    def _beyond_n(self, state: State, move) -> None:
        g = self.g
        token, data = self.created[state.index]
        t_in, t_spend = leaf_input(token, MOVE, presigned=True)
        ins = [(t_in, t_spend, leaf_spend_weight(token.output, MOVE))] + [_data_input(data[j]) for j in move.data]
        inputs, spends, witness = _move_weight_and_inputs(ins)
        spent = [token.txout] + [data[j].txout for j in move.data]
        tx = sweep(inputs, spent, pays(g.op.key), witness, g.params.fee_rate)
        g_tx = GraphTx(
            g.name(move_kind(state, move), state.index),
            Role.OPERATOR,
            "the search ended past the claimed N: the game closes, the bond to the operator",
            tx,
            tuple(spends),
            tuple(spent),
        )
        self.asm.add(g_tx)

    def _win_outputs(self, inputs, spent, witness) -> list[TxOut]:
        """Half the stake burned, the rest and the bond to the challenger."""
        g = self.g
        burn = TxOut(self.stake.txout.value // 2, BURN_SCRIPT)
        fixed = self._with_fee(inputs, spent, witness, [burn])
        return [TxOut(fixed[0].value, pays(g.params.challengers[g.k])), burn]

    def _catch(self, state: State, move) -> None:
        g = self.g
        token, data = self.created[state.index]
        s_in, s_spend = leaf_input(self.stake, WIN, presigned=True)
        t_in, t_spend = leaf_input(token, WIN, presigned=True)
        ins = [
            (s_in, s_spend, leaf_spend_weight(self.stake.output, WIN)),
            (t_in, t_spend, leaf_spend_weight(token.output, WIN)),
        ] + [_data_input(data[j]) for j in move.data]
        inputs, spends, witness = _move_weight_and_inputs(ins)
        spent = [self.stake.txout, token.txout] + [data[j].txout for j in move.data]
        name = g.name(move_kind(state, move), state.index)
        tx = Tx(2, tuple(inputs), tuple(self._win_outputs(inputs, spent, witness)))
        self.asm.add(
            GraphTx(
                name,
                Role.CHALLENGER,
                f"{state.label}: a challenger leaf holds: the stake is taken",
                tx,
                tuple(spends),
                tuple(spent),
            )
        )

    def _timeout(self, state: State) -> None:
        g = self.g
        token, _ = self.created[state.index]
        w = g.params.windows.move
        t_in, t_spend = leaf_input(token, TIMEOUT, sequence=w, presigned=True)
        t_weight = leaf_spend_weight(token.output, TIMEOUT)
        if state.mover is Role.OPERATOR:
            s_in, s_spend = leaf_input(self.stake, WIN, presigned=True)
            inputs = [s_in, t_in]
            spent = [self.stake.txout, token.txout]
            name = g.name(silent_kind(state), state.index)
            weight = leaf_spend_weight(self.stake.output, WIN) + t_weight
            tx = Tx(2, tuple(inputs), tuple(self._win_outputs(inputs, spent, weight)))
            self.asm.add(
                GraphTx(
                    name,
                    Role.CHALLENGER,
                    f"{state.label}: the operator was silent: the stake is taken",
                    tx,
                    (s_spend, t_spend),
                    tuple(spent),
                )
            )
            return
        tx = sweep([t_in], [token.txout], pays(g.op.key), t_weight, g.params.fee_rate)
        self.asm.add(
            GraphTx(
                g.name(silent_kind(state), state.index),
                Role.OPERATOR,
                f"{state.label}: the challenger was silent: its bond to the operator",
                tx,
                (t_spend,),
                (token.txout,),
            )
        )


def stake_output(params: Params, layout: GameLayout, label: str) -> GraphOutput:
    committee = params.n_of_n.signers
    return GraphOutput.build(
        f"S{label}",
        [
            KeysLeaf(TAKE1, committee, params.windows.challenge, "Take1 or StakeBack1"),
            KeysLeaf(TAKE2, committee, t_max(params, layout), "Take2 or StakeBack2"),
            KeysLeaf(WIN, committee, None, "a challenger's win (OperatorSilent, Catch)"),
        ],
    )


def gate_output(params: Params, k: int, label: str) -> GraphOutput:
    committee = params.n_of_n.signers
    return GraphOutput.build(
        f"G{label}/c{k + 1}",
        [
            KeysLeaf(OPEN, committee, OPEN_CSV, f"challenger {k + 1} opens its game (with its bond coin)"),
            KeysLeaf(TAKE1, committee, params.windows.challenge, "Take1 or StakeBack1: no game opened"),
        ],
    )


def build_claim_v2(
    ctx: BuildContext, asm: GraphAssembler, op: OperatorContext, layout: GameLayout, keys: GameKeys
) -> tuple[Created, list[Created]]:
    """Prepare and Kickoff; returns S and the gates."""
    p = ctx.params
    claim_keys = keys.claims[op.index].keys
    claim = layout.claim_leaf
    by = (*p.n_of_n.signers, (Role.OPERATOR, op.key))
    leaf = CheckedLeaf(CLAIM, claim, {v.name: claim_keys[v.name] for v in claim.values()}, by, "Claim")
    p_out = GraphOutput.build(f"P{op.label}", [leaf])
    s_out = stake_output(p, layout, op.label)
    gates = [gate_output(p, k, op.label) for k in range(len(p.challengers))]
    digest = sha256(repr(sorted(keys.claims[op.index].to_json().items())).encode())
    kickoff_outs = (
        TxOut(p.operator_stake, s_out.output.script_pubkey),
        *(TxOut(DATA_AMOUNT, g.output.script_pubkey) for g in gates),
        TxOut(0, Script([OP_RETURN, params_id(p) + digest]).raw),
        TxOut(ANCHOR_AMOUNT, pays(op.key)),
    )
    draft = Tx(2, (TxIn(OutPoint("00" * 32, 0)),), kickoff_outs)
    kickoff_fee = fee_for(tx_weight(draft, leaf_spend_weight(p_out, CLAIM)), p.fee_rate)
    prepare = ctx.funding_tx(
        op.name(TxKind.PREPARE),
        Role.OPERATOR,
        op.key,
        op.funding_ref,
        "funds the claim output P with the stake",
        op.funding,
        TxOut(sum(o.value for o in kickoff_outs) + kickoff_fee, p_out.output.script_pubkey),
        "the stake, the gates, the anchor and Kickoff's fee",
    )
    p_created = asm.add(prepare, {0: p_out})[0]
    txin, spend = leaf_input(p_created, CLAIM, presigned=True)
    kickoff = GraphTx(
        op.name(TxKind.KICKOFF),
        Role.OPERATOR,
        "claims the program halts with exit 0 at step N on the input (one-time-signed)",
        Tx(2, (txin,), kickoff_outs),
        (spend,),
        (p_created.txout,),
    )
    made = asm.add(kickoff, {0: s_out, **{1 + k: g for k, g in enumerate(gates)}})
    return made[0], made[1 : 1 + len(gates)]


def build_payouts_v2(
    ctx: BuildContext,
    asm: GraphAssembler,
    op: OperatorContext,
    layout: GameLayout,
    v: Created,
    s: Created,
    gates: list[Created],
) -> None:
    p = ctx.params
    w, tmax = p.windows.challenge, t_max(p, layout)
    vault = ((v, PAYOUT, None),)
    unchallenged = ((s, TAKE1, w), *((g, TAKE1, w) for g in gates))
    answered = ((s, TAKE2, tmax),)
    for kind, purpose, spends in (
        (TxKind.TAKE1, "pays the unchallenged operator: deposit and stake back", vault + unchallenged),
        (TxKind.TAKE2, "pays the operator no challenger beat by T_max", vault + answered),
        (TxKind.STAKEBACK1, "returns the stake of an unchallenged operator the vault no longer pays", unchallenged),
        (TxKind.STAKEBACK2, "returns the stake of an operator the vault no longer pays, after T_max", answered),
    ):
        ins, how, spent, weight = [], [], [], 0
        for src, leaf, csv in spends:
            seq = {} if csv is None else {"sequence": csv}
            txin, spend = leaf_input(src, leaf, presigned=True, **seq)
            ins.append(txin)
            how.append(spend)
            spent.append(src.txout)
            weight += leaf_spend_weight(src.output, leaf)
        tx = sweep(ins, spent, pays(op.key), weight, p.fee_rate)
        asm.add(GraphTx(op.name(kind), Role.OPERATOR, purpose, tx, tuple(how), tuple(spent)))


def build_graph_v2(params: Params, keys: GameKeys, layout: GameLayout | None = None) -> Graph:
    """Every transaction of a version-2 graph, unsigned, from params and every party's
    one-time public keys (``layout``: the computation's, if the caller has it); params
    whose graph breaks a rule of :mod:`ocp.rules` (a bond below the minimum, among
    others) are refused."""
    graph = assemble_graph_v2(params, keys, layout)
    enforce(graph_rules(params, graph.txs, graph.outputs, 0))
    return graph


def assemble_graph_v2(params: Params, keys: GameKeys, layout: GameLayout | None = None) -> Graph:
    """The transactions of :func:`build_graph_v2` before the rules are checked (what
    :func:`minimum_bond` measures)."""
    _, funding = params.require_funding()
    if not params.challenger_bonds:
        raise UserError("funding.challengers is missing: each registered challenger's bond coin")
    if layout is None or layout.comp is not params.computation:
        layout = GameLayout(params.computation)
    keys.check(layout, len(params.operators), len(params.challengers))
    if t_max(params, layout) > 0xFFFF:
        raise UserError(f"windows.move_window: T_max = {t_max(params, layout)} blocks exceeds a BIP68 lock")
    ctx = BuildContext(params)
    asm = GraphAssembler()
    d = build_deposit(ctx, asm)
    v = build_confirm(ctx, asm, d)
    several = len(params.operators) > 1
    for o, (key, coin) in enumerate(zip(params.operators, funding, strict=True)):
        op = OperatorContext(o, key, None, coin, o + 1 if several else None)  # type: ignore[arg-type]
        s, gates = build_claim_v2(ctx, asm, op, layout, keys)
        for k, gate in enumerate(gates):
            g = GameContext(ctx, op, k, layout, keys.game(o, k))
            builder = GameBuilder(g, asm, s, gate)
            builder.open()
            builder.moves()
        build_payouts_v2(ctx, asm, op, layout, v, s, gates)
    build_refund(ctx, asm, d)
    txs, outputs = dict(asm.txs), dict(asm.outputs)
    return Graph(params, graph_id(params, (), txs, keys), (), txs, outputs, (), game_keys=keys, layout=layout)


def game_cost(params: Params, keys: GameKeys | None = None, layout: GameLayout | None = None) -> GameCost:
    """The cost of one game of ``params``' graph (every game costs the same: one
    layout, keys of one shape), built with placeholder coins and, without ``keys``,
    placeholder one-time keys of the right widths (sizes do not depend on a key's
    value), so params without funding or keys yet can be measured (``layout``: the
    computation's, if the caller has it)."""
    if layout is None or layout.comp is not params.computation:
        layout = GameLayout(params.computation)
    probe_coin = MAX_MONEY // 100
    probe = replace(params, bond=PROBE_BOND)
    if keys is None:
        probe = replace(
            probe,
            operators=params.operators[:1],
            challengers=params.challengers[:1],
            operator_funding=params.operator_funding[:1],
            challenger_bonds=params.challenger_bonds[:1],
        )
        keys = placeholder_keys(layout, 1, 1)
    coins = (Funding(OutPoint(sha256(b"ocp/placeholder coin %d" % i).hex(), 0), probe_coin) for i in range(1 << 16))
    if probe.depositor_funding is None:
        probe = replace(probe, depositor_funding=next(coins))
    if not probe.operator_funding:
        probe = replace(probe, operator_funding=tuple(next(coins) for _ in probe.operators))
    probe = replace(
        probe, challenger_bonds=tuple(next(coins) for _ in range(len(probe.challengers) * len(probe.operators)))
    )
    graph = assemble_graph_v2(probe, keys, layout)
    return game_costs(probe, graph.txs, graph.outputs)[0]


def minimum_bond(params: Params, keys: GameKeys | None = None, layout: GameLayout | None = None) -> int:
    """The smallest ``amounts.bond`` the rules accept for these params (:mod:`ocp.game.bond`)."""
    return game_cost(params, keys, layout).minimum_bond


def placeholder_keys(layout: GameLayout, operators: int, challengers: int) -> GameKeys:
    """One-time public keys of the right widths whose chain ends nobody can sign for
    (hashes of the value's name): for measuring a graph, never for signing one."""

    def key_set(path: str, role: Role, claim: bool) -> KeySet:
        out = {}
        for name, bits in names_of(layout, role, claim).items():
            wp = value_params(bits)
            ends = tuple(sha256(f"ocp/placeholder/{path}/{name}/{i}".encode())[:20] for i in range(wp.total_digits))
            out[name] = WinternitzPublicKey(wp, ends)
        return KeySet(out)

    return GameKeys(
        tuple(key_set(f"claim/{o}", Role.OPERATOR, True) for o in range(operators)),
        tuple(
            tuple(key_set(f"game/{o}/{k}", Role.OPERATOR, False) for k in range(challengers)) for o in range(operators)
        ),
        tuple(
            tuple(key_set(f"choice/{k}/{o}", Role.CHALLENGER, False) for o in range(operators))
            for k in range(challengers)
        ),
    )

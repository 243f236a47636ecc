"""Version-2 drills: a claim about a Go guest, disputed by games on a chain.

The guest is ``go/examples/selfcheck`` built here with the Go compiler; its input
is a digest line and data, and it exits 0 only when the digest is right.  The
operator claims "selfcheck halts with exit 0 at step N on this input"
(:mod:`ocp.game`), each registered challenger runs the guest itself and plays its
game against the claim from what the chain shows it
(:mod:`ocp.game.players`).  Every move is a pre-signed graph transaction completed
with one-time signatures; the kernel (or bitcoind) judges every leaf.

Drills (``ocp drill run <name>``):

* ``zkvm-fraud`` (``--fault KIND``, :data:`ocp.zkvm.dispute.FAULT_KINDS`): the
  operator lies once in its trace; the challenger steers the search to the lie and
  spends the leaf that catches it (or the operator, unable to show the step, times
  out); the stake is taken.  Forbidden moves on the way are refused for their
  reason.
* ``zkvm-answered``: the claim is true; a challenger that disputes it anyway (one
  that chooses at random) plays to the end and loses its bond; the operator is
  paid with Take2 after T_max.
* ``zkvm-silent-operator`` / ``zkvm-silent-challenger``: the mover stops; the
  other side ends the game after the move window.
* ``zkvm-bribed``: two challengers; the first is bribed and stops after opening,
  the second wins.
* ``zkvm-reassign`` / ``zkvm-stakeback``: two operators on one vault (the
  challenger bonds a coin per operator).  One lies and loses its stake in its game
  while the other's Take1 pays it the vault; or both are honest: the first takes
  the vault, the second gets its stake back with StakeBack1.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from ocp.builder.games import build_graph_v2, minimum_bond, t_max
from ocp.committee import CommitteeForm
from ocp.drill import defaults
from ocp.drill.refusal import BAD_SIGNATURE, SPENT, TIMELOCK, Refusal, script_fails
from ocp.drill.world import Actors, World, drill_key, sign_in_process
from ocp.errors import UserError
from ocp.game.bond import default_bond
from ocp.game.computation import ZkvmComputation
from ocp.game.keys import ChallengerSigner, GameKeys, OperatorSigner, PartyKeys
from ocp.game.layout import GameLayout, Phase, State
from ocp.game.play import GameRef, data_leaf, move_tx, read_tx
from ocp.game.players import ChallengerPlayer, OperatorPlayer
from ocp.graph import Graph, params_id
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.params import MIN_MOVE_WINDOW, Funding, Params, Windows
from ocp.signing import invalid_signatures, missing_signatures
from ocp.zkvm import dispute as zd
from ocp.zkvm.claim import Claim
from ocp.zkvm.elf import load_elf
from ocp.zkvm.guest import build_example, selfcheck_input
from ocp.zkvm.search import NArySearch
from ocp.zkvm.trace import ExecutionTrace
from regtest.chain import Chain
from regtest.faucet import Faucet
from taptrees.tree import TaprootOutput

GUEST = "selfcheck"
DATA = b"ocp drill: a rollup's new state root is 7f3a...; the guest checks its digest\n"
NARY = 8
#: A drill's guest runs at most this many micro-steps (the search covers the next power of two).
MAX_GUEST_STEPS = 1 << 26
#: Each challenger's bond coin holds the bond (``ocp.game.bond.default_bond``: the
#: minimum the rules accept for the world's params, plus a margin) and this much more
#: (the Open's fee, the game's first data outputs, change).
BOND_COIN_EXTRA = 1_000_000
#: A leaf whose body leaves false: the value it checks is right.
LEAF_FAILS = replace(
    script_fails("EVAL_FALSE", "the leaf's condition does not hold on the revealed values"),
    also=(script_fails("VERIFY", "").reason,),
)


@dataclass(frozen=True, eq=False)
class Guest:
    """The guest, its input and the honest run (shared by every party that runs it)."""

    elf: Path
    tape: bytes
    trace: ExecutionTrace
    nary: int = NARY  #: the search's parts per round
    #: signed graphs of this guest by params id: a world set up the same way again (same
    #: seed, same chain history, so the same coins) reuses its ceremony
    signed: dict[bytes, Graph] = field(default_factory=dict, repr=False)
    #: the bond of a world's params, by the id of its params without coins or bond
    bonds: dict[bytes, int] = field(default_factory=dict, repr=False)

    @classmethod
    def selfcheck(cls, build_dir: Path | None = None, arch: str = "mipsle", nary: int = NARY) -> Guest:
        folder = build_dir or Path(tempfile.gettempdir()) / "ocp-guests"
        elf = build_example(GUEST, arch, folder)
        return cls.of(elf, selfcheck_input(DATA), nary)

    @classmethod
    def of(cls, elf: Path, tape: bytes = b"", nary: int = NARY, max_steps: int = MAX_GUEST_STEPS) -> Guest:
        """Any Go guest (a static MIPS ELF) and its input: the honest run, which must
        halt with exit 0 -- the claim every game drill makes -- within ``max_steps``."""
        trace = ExecutionTrace.of(load_elf(elf), tape, max_steps=max_steps).run()
        if not trace.halted:
            raise UserError(f"{elf}: did not halt within {max_steps:,} micro-steps; a drill needs a halting run")
        if trace.exit_code != 0:
            raise UserError(
                f"{elf}: exits {trace.exit_code} on this input, not 0: an operator cannot honestly claim it "
                "(give the input it accepts)"
            )
        return cls(elf, tape, trace, nary)

    @cached_property
    def search(self) -> NArySearch:
        return NArySearch.covering(self.trace.steps + 1, self.nary)

    @cached_property
    def computation(self) -> ZkvmComputation:
        words = (len(self.tape) + 3) // 4 + 1
        return ZkvmComputation.of(self.elf, max_steps=self.search.max_steps, nary=self.search.n, input_words=words)

    @cached_property
    def layout(self) -> GameLayout:
        return GameLayout(self.computation)

    def run(self, claim: Claim) -> ExecutionTrace:
        """The challenger's own run on the claimed input (the honest run when it is ours)."""
        if claim.input == self.tape:
            return self.trace
        return ExecutionTrace.of(load_elf(self.elf), claim.input).run()


@dataclass
class GameWorld(World):
    """A drill world for version 2: the challengers, their game keys, the guest."""

    guest: Guest | None = None
    challengers: list[RoleKey] = field(default_factory=list)
    layout: GameLayout | None = None
    operator_keys: list[OperatorSigner] = field(default_factory=list)
    challenger_keys: list[ChallengerSigner] = field(default_factory=list)

    def game(self, k: int, op: int = 0) -> GameRef:
        return GameRef(self.graph, op, k)

    def operator_player(self, party: zd.HonestOperator, k: int, op: int = 0) -> OperatorPlayer:
        keys = self.operator_keys[op]
        return OperatorPlayer(self.game(k, op), self.actors.operators[op], {**keys.claim, **keys.game(k)}, party)

    def challenger_player(
        self, k: int, party_for: Callable[[Claim], zd.HonestChallenger] | None = None, op: int = 0
    ) -> ChallengerPlayer:
        guest = self.guest
        assert guest is not None

        def honest(claim: Claim) -> zd.HonestChallenger:
            return zd.HonestChallenger(guest.run(claim), claim.search)

        return ChallengerPlayer(
            self.game(k, op), self.challengers[k], self.challenger_keys[k].game(op), party_for or honest
        )

    def try_move(self, label: str, who: Role | str, built, expect: bool | Refusal) -> bool:
        tx, spent = built
        return self.submit(label, who, tx, spent, expect)


def setup_game_world(
    chain: Chain,
    guest: Guest,
    *,
    n_challengers: int = 1,
    n_operators: int = 1,
    seed: bytes = defaults.SEED,
    n_committee: int = defaults.COMMITTEE,
    move_window: int = MIN_MOVE_WINDOW,
    committee_form: CommitteeForm = CommitteeForm.CHAIN,
    faucet_feerate: int | None = None,
) -> GameWorld:
    """A chain with every role funded and the version-2 graph of ``guest`` fully signed
    (a world set up the same way again reuses the guest's signed graph):
    ``n_operators`` operators on one vault, ``n_challengers`` challengers, each with a
    bond coin per operator (one game against each).
    ``faucet_feerate`` (sat/vB) pays the funding transactions more than the faucet's
    default (a chain with a raised relay fee)."""
    actors = Actors.make(seed, n_committee, n_operators)
    challengers = [drill_key(seed, "challenger", Role.CHALLENGER, k) for k in range(n_challengers)]
    faucet = Faucet(chain, actors.faucet.secret, **({"feerate": faucet_feerate} if faucet_feerate else {}))
    faucet.mine_coins(2)
    # the depositor's coin, each operator's, then each challenger's bond coins, one per
    # operator (challenger-major, the order of Params.challenger_bonds)
    spks = [
        actors.spk(Role.DEPOSITOR),
        *(actors.spk(Role.OPERATOR, o) for o in range(n_operators)),
        *(TaprootOutput(c.pubkey).script_pubkey for c in challengers for _ in range(n_operators)),
    ]
    comp = guest.computation
    layout = guest.layout
    windows = Windows(defaults.CHALLENGE_WINDOW, None, None, defaults.REFUND_TIMEOUT, move_window)
    unfunded = Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=tuple(o.pubkey for o in actors.operators),
        depositor=actors.depositor.pubkey,
        deposit_amount=defaults.DEPOSIT,
        operator_stake=defaults.STAKE,
        challenge_fee=0,
        fee_rate=defaults.FEE_RATE,
        windows=windows,
        computation=comp,
        challengers=tuple(c.pubkey for c in challengers),
        bond=0,
        committee_form=committee_form,
    )
    bond = drill_bond(guest, unfunded)
    n_bonds = n_challengers * n_operators
    amounts = [
        defaults.FUNDING["depositor"],
        *([defaults.FUNDING["operator"]] * n_operators),
        *([bond + BOND_COIN_EXTRA] * n_bonds),
    ]
    coins = faucet.fund_many(list(zip(spks, amounts, strict=True)))
    bonds_at = 1 + n_operators
    params = replace(
        unfunded,
        depositor_funding=Funding(coins[0], amounts[0]),
        operator_funding=tuple(Funding(c, a) for c, a in zip(coins[1:bonds_at], amounts[1:bonds_at], strict=True)),
        challenger_bonds=tuple(Funding(c, a) for c, a in zip(coins[bonds_at:], amounts[bonds_at:], strict=True)),
        bond=bond,
    )
    pid = params_id(params)
    op_keys = [OperatorSigner(PartyKeys(o.secret, pid), i, layout) for i, o in enumerate(actors.operators)]
    ch_keys = [ChallengerSigner(PartyKeys(c.secret, pid), k, layout) for k, c in enumerate(challengers)]
    claims, games = zip(*(o.public(n_challengers) for o in op_keys), strict=True)
    keys = GameKeys(tuple(claims), tuple(games), tuple(c.public(n_operators) for c in ch_keys))
    graph = guest.signed.get(pid)
    if graph is None:
        graph = sign_in_process(actors, build_graph_v2(params, keys, layout))
        problems = missing_signatures(graph) + invalid_signatures(graph)
        if problems:
            raise AssertionError(f"graph not fully pre-signed: {problems[:3]}")
        guest.signed[pid] = graph
    funded = list(zip(spks, coins, amounts, strict=True))
    funding = {(Role.DEPOSITOR, 0): coins[0], **{(Role.OPERATOR, o): coins[1 + o] for o in range(n_operators)}}
    world = GameWorld(
        chain,
        actors,
        faucet,
        params,
        graph,
        [],
        funding,
        funded,
        guest=guest,
        challengers=challengers,
        layout=layout,
        operator_keys=op_keys,
        challenger_keys=ch_keys,
    )
    world.extra_parties = {
        TaprootOutput(c.pubkey).script_pubkey: f"challenger {k + 1}" for k, c in enumerate(challengers)
    }
    return world


def drill_bond(guest: Guest, params: Params) -> int:
    """The bond of a drill's params (coins not needed): the minimum the rules accept
    (:func:`ocp.builder.games.minimum_bond`, the honest operator's worst game at
    ``amounts.dispute_fee_rate``) plus a margin, measured once per guest and params."""
    probe = replace(params, challengers=params.challengers[:1], bond=0)  # every game costs the same
    key = params_id(probe)
    if key not in guest.bonds:
        guest.bonds[key] = default_bond(minimum_bond(probe, layout=guest.layout))
    return guest.bonds[key]


# ----------------------------------------------------------------------------- steps
def _graph_tx(world: GameWorld, name: TxName, who: Role, expect: bool | Refusal, note: str = "") -> bool:
    from ocp.drill.moves import graph_move

    return world.try_move(str(name) + (f" ({note})" if note else ""), who, graph_move(world, name), expect)


def open_vault_and_claim(
    world: GameWorld, op: OperatorPlayer, readers: list[ChallengerPlayer | OperatorPlayer]
) -> None:
    """Deposit, Confirm, Prepare; the Kickoff with the operator's claim; each reader
    learns the claim from the mined Kickoff."""
    open_vault_and_claims(world, [op], readers)


def open_vault_and_claims(
    world: GameWorld, ops: list[OperatorPlayer], readers: list[ChallengerPlayer | OperatorPlayer]
) -> None:
    """Deposit, Confirm, each operator's Prepare; each operator's Kickoff with its
    claim (in one block); each reader learns the claim of its game's operator from
    the mined Kickoff."""
    _graph_tx(world, TxName(TxKind.DEPOSIT), Role.DEPOSITOR, True)
    world.mine()
    _graph_tx(world, TxName(TxKind.CONFIRM), Role.DEPOSITOR, True)
    for op in ops:
        _graph_tx(world, world.name(TxKind.PREPARE, None, op.ref.operator), Role.OPERATOR, True)
    world.mine()
    for op in ops:
        claim = op.claim
        who = f"operator {op.ref.operator + 1}" if len(world.params.operators) > 1 else "operator"
        world.notes.append(
            f"{who} claims: {world.guest.elf.name if world.guest else GUEST} halts with exit 0 at step N = {claim.steps}, "
            f"h_N = {claim.final_hash.hex()[:16]}..., on a {len(claim.input)}-byte input"
        )
        world.try_move(str(op.ref.kickoff), Role.OPERATOR, op.kickoff(), True)
    world.mine()
    for reader in readers:
        txid = world.graph.tx(reader.ref.kickoff).txid  # fixed: the claim's signatures are witness data
        read_tx(reader.ref, reader.ref.kickoff, world.chain.get_tx(txid), reader.book)


@dataclass
class GameEnd:
    winner: Role
    tx: TxName
    how: str


@dataclass
class GameRun:
    """One game played on the drill's chain, a block at a time (several games run side
    by side: every game of a Kickoff must be open before Take1 could be mined).

    ``stop``: that party stops moving from state ``stop_at`` on; a party whose move
    its leaves refuse (a cheating operator's Execute) is stuck the same way.  The
    other party then ends the game once the move window has passed.  With
    ``probes``, forbidden moves are tried on the way."""

    world: GameWorld
    op: OperatorPlayer
    ch: ChallengerPlayer
    stop: Role | None = None
    stop_at: int = 0
    probes: bool = True
    state: State | None = None
    since: int = 0  # height of the block that made the state's outputs
    stuck: bool = False
    pending: tuple[TxName, str] | None = None  # submitted, to read once mined
    end: GameEnd | None = None

    @property
    def ref(self) -> GameRef:
        return self.ch.ref

    @property
    def who(self) -> str:
        return f"challenger {self.ref.challenger + 1}"

    def open(self) -> None:
        self.world.try_move(str(self.ref.open), self.who, self.ch.open(), True)
        self.pending = (self.ref.open, self.world.graph.tx(self.ref.open).txid)

    def mined(self) -> None:
        """After a block: learn what the pending move revealed and go to its state."""
        if self.pending is None:
            return
        name, txid = self.pending
        self.pending = None
        tx = self.world.chain.get_tx(txid)
        if tx is None or not self.world.chain.confirmations(txid):
            raise AssertionError(f"{name} was accepted but not mined")
        states = self.ref.layout.states
        if name == self.ref.open:
            read_tx(self.ref, name, tx, self.op.book)
            self.state, self.since = states[0], self.world.chain.height()
            return
        for party in (self.op, self.ch):
            read_tx(self.ref, name, tx, party.book)
        assert self.state is not None
        move = next((m for m in self.state.moves if self.ref.move_name(self.state, m) == name), None)
        if move is None:  # a timeout
            return
        if move.next_state is None:
            winner = Role.CHALLENGER if name.kind is TxKind.CATCH else Role.OPERATOR
            how = self.ch.last_leaves[0] if name.kind is TxKind.CATCH else str(name.kind)
            self.end = GameEnd(winner, name, how)
            return
        self.state, self.since = states[move.next_state], self.world.chain.height()

    def act(self) -> None:
        """The mover's move in the current state, or the other party's timeout once the
        window has passed."""
        if self.end is not None or self.state is None or self.pending is not None:
            return
        world, state, ref = self.world, self.state, self.ref
        mover_is_op = state.mover is Role.OPERATOR
        player = self.op if mover_is_op else self.ch
        who = Role.OPERATOR if mover_is_op else self.who
        if self.probes and state.index == 0 and world.chain.height() == self.since:
            silent = ref.silent_name(state)
            world.try_move(f"{silent} (before the move window)", self.who, _template(world, silent), TIMELOCK)
        if self.probes and state.phase is Phase.CHOICE and state.index == 1 and world.chain.height() == self.since:
            _probe_foreign_data(world, ref, self.op, state)
        silent = self.stuck or (self.stop is state.mover and state.index >= self.stop_at)
        if not silent and world.chain.height() == self.since:
            if self.probes and state.phase is Phase.CATCH:
                _probe_false_leaf(world, self.ch, state)
            played = player.move(state)
            if played is not None:
                name, built = played
                expect = True if player.twin_ok else LEAF_FAILS
                label = str(name) + (f" ({player.last_leaves[0]})" if state.phase is Phase.CATCH else "")
                if world.try_move(label, who, built, expect):
                    self.pending = (name, built[0].txid)
                    return
            self.stuck = True
            world.notes.append(
                f"game {ref.challenger + 1}: the {'operator' if mover_is_op else self.who} has no "
                f"move its leaves accept in state {state.label}"
            )
        if world.chain.height() + 1 >= self.since + world.params.windows.move:
            name = ref.silent_name(state)
            other = self.who if mover_is_op else Role.OPERATOR
            if world.try_move(str(name), other, _template(world, name), True):
                self.pending = (name, world.graph.tx(name).txid)
                self.end = GameEnd(Role.CHALLENGER if mover_is_op else Role.OPERATOR, name, "timeout")
                world.notes.append(
                    f"game {ref.challenger + 1}: {name} after the {world.params.windows.move}-block "
                    f"move window of state {state.label}"
                )


def run_games(world: GameWorld, runs: list[GameRun]) -> None:
    """Open every game, then play them side by side, a block at a time."""
    for run in runs:
        run.open()
    for _ in range(100_000):
        world.mine()
        for run in runs:
            run.mined()
        if all(run.end is not None and run.pending is None for run in runs):
            return
        for run in runs:
            run.act()
    raise AssertionError("the games did not end")


def _template(world: GameWorld, name: TxName):
    """A fully pre-signed graph transaction (timeouts, payouts)."""
    from ocp.drill.moves import graph_move

    return graph_move(world, name)


def _probe_foreign_data(world: GameWorld, ref: GameRef, op: OperatorPlayer, state: State) -> None:
    """The operator tries to make the challenger's choice itself (its own signature on
    the data input, any one-time items): every leaf of that output needs the
    challenger's key first."""
    check = state.data[0].leaves[0]
    move = state.moves[0]
    name = ref.move_name(state, move)
    filler = [b""] * check.layout.witness_items
    built = move_tx(ref, name, {1: (data_leaf(ref, state, 0, check), filler)}, op.key)
    world.try_move(f"{name} (by the operator)", Role.OPERATOR, built, BAD_SIGNATURE)


def _probe_false_leaf(world: GameWorld, ch: ChallengerPlayer, state: State) -> None:
    """Before its real catch, the challenger tries a challenger leaf whose condition
    does not hold on what the game revealed: refused by the leaf."""
    _, fails, _ = ch.usable_leaves(state)
    if not fails:
        return
    leaf = fails[0]
    name, built = ch.catch_with(state, leaf)
    world.try_move(
        f"{name} ({leaf.kind}, which does not hold)", f"challenger {ch.ref.challenger + 1}", built, LEAF_FAILS
    )


def _expect(world: GameWorld, what: str, ok: bool) -> None:
    """A drill outcome the report checks (a wrong winner fails the drill)."""
    world.checks[what] = ok
    if not ok:
        world.notes.append(f"UNEXPECTED: {what}")


#: The trace half's challenge names (``ocp.zkvm.dispute``) -> the leaf kinds that implement them.
LEAF_CLASSES = {"Opcode": "OpcodeChunk", "Initialized": "InitializedChunk"}


def _end_note(world: GameWorld, run: GameRun) -> None:
    assert run.end is not None
    world.notes.append(f"game {run.ref.challenger + 1} ended by {run.end.tx} ({run.end.how}): the {run.end.winner} won")


def _payouts_after_loss(world: GameWorld) -> None:
    """The operator lost its stake: neither payout can take the vault any more."""
    _graph_tx(world, TxName(TxKind.TAKE1), Role.OPERATOR, SPENT, "after the games opened and the stake was taken")
    _graph_tx(world, TxName(TxKind.TAKE2), Role.OPERATOR, SPENT, "after the stake was taken")


def _take2_after_t_max(world: GameWorld, kickoff_height: int) -> None:
    """Take2 refused before T_max, accepted after it (the games all ended)."""
    tmax = t_max(world.params, world.layout)
    _graph_tx(world, TxName(TxKind.TAKE2), Role.OPERATOR, TIMELOCK, "before T_max")
    left = kickoff_height + tmax - 1 - world.chain.height()
    if left > 0:
        world.mine(left)
    _graph_tx(world, TxName(TxKind.TAKE2), Role.OPERATOR, True, f"T_max = {tmax} blocks after the Kickoff")
    world.mine()


def zkvm_fraud(world: GameWorld, fault: str = "write") -> None:
    """The operator lies once (``fault``) and defends the lie; the challenger wins."""
    guest = world.guest
    assert guest is not None
    at = guest.trace.steps if fault == "halt-early" else guest.trace.steps // 2
    party = zd.FaultyOperator(guest.trace, world.layout.comp.search, fault, at)
    world.notes.append(
        f"fault {fault!r} at step {party.fault.at}; the trace half expects {zd.expected_challenge(party)} to catch it"
    )
    op, ch = world.operator_player(party, 0), world.challenger_player(0)
    open_vault_and_claim(world, op, [ch])
    _expect(world, "the challenger disputes the claim", ch.disputes())
    run = GameRun(world, op, ch)
    run_games(world, [run])
    _end_note(world, run)
    _expect(world, "the challenger wins", run.end is not None and run.end.winner is Role.CHALLENGER)
    expected = zd.expected_challenge(party)
    how = run.end.how if run.end is not None else ""
    caught = how == "timeout" if expected == "Execute" else how == LEAF_CLASSES.get(expected, expected)
    _expect(world, f"the leaf the trace half names catches the lie ({expected})", caught)
    _payouts_after_loss(world)


def zkvm_answered(world: GameWorld) -> None:
    """A true claim disputed by a challenger that chooses at random: the game ends
    without a successful challenge, the operator is paid by Take2 after T_max."""
    guest = world.guest
    assert guest is not None
    op = world.operator_player(zd.HonestOperator(guest.trace, world.layout.comp.search), 0)
    ch = world.challenger_player(0, lambda c: zd.FaultyChallenger(guest.run(c), c.search, "random", seed=1))
    open_vault_and_claim(world, op, [ch])
    kickoff = world.chain.height()  # the block that mined the Kickoff
    _expect(world, "the (random) challenger disputes the claim", ch.disputes())
    run = GameRun(world, op, ch)
    run_games(world, [run])
    _end_note(world, run)
    _expect(world, "the operator wins", run.end is not None and run.end.winner is Role.OPERATOR)
    _graph_tx(world, TxName(TxKind.TAKE1), Role.OPERATOR, SPENT, "the game spent its gate")
    _take2_after_t_max(world, kickoff)


def zkvm_silent_operator(world: GameWorld) -> None:
    """A false claim; the operator stops answering after its first reveal."""
    guest = world.guest
    assert guest is not None
    party = zd.FaultyOperator(guest.trace, world.layout.comp.search, "hash", guest.trace.steps // 3)
    op, ch = world.operator_player(party, 0), world.challenger_player(0)
    open_vault_and_claim(world, op, [ch])
    _expect(world, "the challenger disputes the claim", ch.disputes())
    run = GameRun(world, op, ch, stop=Role.OPERATOR, stop_at=2)
    run_games(world, [run])
    _end_note(world, run)
    _expect(
        world, "the silent operator loses by timeout", run.end is not None and run.end.tx.kind is TxKind.OPERATOR_SILENT
    )
    _payouts_after_loss(world)


def zkvm_silent_challenger(world: GameWorld) -> None:
    """A true claim disputed by a challenger that stops after opening: its bond goes to
    the operator, who is paid after T_max."""
    guest = world.guest
    assert guest is not None
    op = world.operator_player(zd.HonestOperator(guest.trace, world.layout.comp.search), 0)
    ch = world.challenger_player(0, lambda c: zd.FaultyChallenger(guest.run(c), c.search, "random", seed=2))
    open_vault_and_claim(world, op, [ch])
    kickoff = world.chain.height()  # the block that mined the Kickoff
    _expect(world, "the challenger disputes the claim", ch.disputes())
    run = GameRun(world, op, ch, stop=Role.CHALLENGER, stop_at=1)
    run_games(world, [run])
    _end_note(world, run)
    _expect(
        world,
        "the silent challenger loses by timeout",
        run.end is not None and run.end.tx.kind is TxKind.CHALLENGER_SILENT,
    )
    _take2_after_t_max(world, kickoff)


def zkvm_bribed(world: GameWorld) -> None:
    """Two challengers against a false claim: the first is bribed and stops after its
    first choice; the second plays and wins.  One honest live challenger is enough."""
    guest = world.guest
    assert guest is not None
    party = zd.FaultyOperator(guest.trace, world.layout.comp.search, "write", guest.trace.steps // 2)
    op1, op2 = world.operator_player(party, 0), world.operator_player(party, 1)
    bribed, honest = world.challenger_player(0), world.challenger_player(1)
    open_vault_and_claim(world, op1, [bribed, honest, op2])
    _expect(world, "both challengers dispute the claim", bribed.disputes() and honest.disputes())
    runs = [GameRun(world, op1, bribed, stop=Role.CHALLENGER, stop_at=3), GameRun(world, op2, honest)]
    run_games(world, runs)
    for run in runs:
        _end_note(world, run)
    _expect(
        world, "the bribed challenger loses its game", runs[0].end is not None and runs[0].end.winner is Role.OPERATOR
    )
    _expect(world, "the honest challenger wins", runs[1].end is not None and runs[1].end.winner is Role.CHALLENGER)
    _payouts_after_loss(world)


def zkvm_reassign(world: GameWorld) -> None:
    """Two operators on one vault: operator 1 lies in its claim and the challenger's
    game against it takes its stake; operator 2's true claim is not disputed (its
    game never opens) and Take1 pays it the vault.  Operator 1's payouts are refused:
    its stake (and the gate the game opened) are spent."""
    guest = world.guest
    assert guest is not None
    search = world.layout.comp.search
    liar = world.operator_player(zd.FaultyOperator(guest.trace, search, "write", guest.trace.steps // 2), 0, op=0)
    honest = world.operator_player(zd.HonestOperator(guest.trace, search), 0, op=1)
    ch1, ch2 = world.challenger_player(0, op=0), world.challenger_player(0, op=1)
    open_vault_and_claims(world, [liar, honest], [ch1, ch2])
    _expect(world, "the challenger disputes operator 1's claim", ch1.disputes())
    _expect(world, "the challenger does not dispute operator 2's true claim", not ch2.disputes())
    run = GameRun(world, liar, ch1)
    run_games(world, [run])
    _end_note(world, run)
    _expect(world, "the challenger wins against operator 1", run.end is not None and run.end.winner is Role.CHALLENGER)
    take1 = [world.name(TxKind.TAKE1, None, o) for o in (0, 1)]
    _graph_tx(world, take1[0], Role.OPERATOR, SPENT, "its game opened and its stake was taken")
    _graph_tx(world, world.name(TxKind.TAKE2, None, 0), Role.OPERATOR, SPENT, "its stake was taken")
    _graph_tx(world, take1[1], Role.OPERATOR, True, "no game opened against it")
    world.mine()
    _graph_tx(world, world.name(TxKind.STAKEBACK1, None, 0), Role.OPERATOR, SPENT, "its stake was taken")
    world.notes.append("operator 1 lost its stake; operator 2 was paid the deposit from the same vault")


def zkvm_stakeback(world: GameWorld) -> None:
    """Two operators on one vault, both claims true and undisputed: operator 1 takes
    the vault with Take1; operator 2's Take1 is refused (the vault is spent) and
    StakeBack1 returns its stake (refused before the challenge window)."""
    guest = world.guest
    assert guest is not None
    ops = [world.operator_player(zd.HonestOperator(guest.trace, world.layout.comp.search), 0, op=o) for o in (0, 1)]
    chs = [world.challenger_player(0, op=o) for o in (0, 1)]
    open_vault_and_claims(world, ops, chs)
    _expect(world, "the challenger disputes neither true claim", not any(ch.disputes() for ch in chs))
    take1 = [world.name(TxKind.TAKE1, None, o) for o in (0, 1)]
    stakeback = world.name(TxKind.STAKEBACK1, None, 1)
    _graph_tx(world, take1[0], Role.OPERATOR, TIMELOCK, "before the challenge window")
    _graph_tx(world, stakeback, Role.OPERATOR, TIMELOCK, "before the challenge window")
    world.mine(world.params.windows.challenge - 1)
    _graph_tx(world, take1[0], Role.OPERATOR, True)
    world.mine()
    _graph_tx(world, take1[1], Role.OPERATOR, SPENT, "the vault is spent")
    _graph_tx(world, stakeback, Role.OPERATOR, True, "the vault is spent: the stake back")
    world.mine()
    world.try_move(f"{chs[1].ref.open} (after StakeBack1)", "challenger 1", chs[1].open(), SPENT)
    world.notes.append("operator 1 was paid the deposit; operator 2, too late for the vault, recovered its stake")


GAME_SCENARIOS: dict[str, Callable[..., None]] = {
    "zkvm-fraud": zkvm_fraud,
    "zkvm-answered": zkvm_answered,
    "zkvm-silent-operator": zkvm_silent_operator,
    "zkvm-silent-challenger": zkvm_silent_challenger,
    "zkvm-bribed": zkvm_bribed,
    "zkvm-reassign": zkvm_reassign,
    "zkvm-stakeback": zkvm_stakeback,
}
CHALLENGERS = {"zkvm-bribed": 2}
#: Drills with several operators on the vault.
OPERATORS = {"zkvm-reassign": 2, "zkvm-stakeback": 2}


def run_game_drill(name: str, chain: Chain, guest: Guest, fault: str | None = None, **options) -> GameWorld:
    """Set up a world for drill ``name`` on ``chain`` and run it."""
    options.setdefault("n_operators", OPERATORS.get(name, 1))
    world = setup_game_world(chain, guest, n_challengers=CHALLENGERS.get(name, 1), **options)
    if name == "zkvm-fraud":
        zkvm_fraud(world, fault or "write")
    elif fault is not None:
        raise UserError(f"--fault is for zkvm-fraud, not {name}")
    else:
        GAME_SCENARIOS[name](world)
    return world

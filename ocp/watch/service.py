"""The watcher loop: follow the chain, fold each party's machine, log every
transition, and broadcast what is due.

Each :meth:`WatchService.step`:

1. polls the :class:`ocp.watch.follower.Follower` (blocks in and out of the
   active chain, graph transactions recognised in them);
2. (operator) picks up a claim request: the whole trace it will defend is
   journaled before anything is signed;
3. folds the role's machine over each operator's claim (:mod:`ocp.watch.operator`,
   :mod:`ocp.watch.challenger`) and logs what changed -- new transitions, and
   transitions a reorganisation took back -- in one human line and one JSON line
   (the journal's ``transition`` entries);
4. on a new tip or a new state, performs every due :class:`ocp.watch.game.Duty`
   not yet confirmed: a transaction is journaled (``broadcast``, with its hex)
   before it is submitted, its answer after (``result``); one already in the
   mempool is left alone;
5. (operator) bumps its own moves by CPFP on their keyed output (anchor, change or
   payout): at once when the chain refuses one for its fee, and again, at twice
   the feerate, whenever one lingers unconfirmed for ``bump_after`` blocks.

After a restart the same steps rebuild everything from the chain (the follower
rescans from the graph's first confirmed transaction) and the journal (the
operator's committed trace, what was broadcast, bump children and coins), so a
crash loses nothing and nothing is signed or revealed twice.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from typing import TextIO

from bitcoin_core_rpc.errors import FetchError, RpcError

from ocp.errors import UserError
from ocp.graph import Graph, params_id
from ocp.ids import Role, TxKind, TxName, tx_by_label
from ocp.keyfile import RoleKey
from ocp.leaves import RevealLeaf
from ocp.moves import (
    Move,
    at_feerate,
    bump,
    complete_challenge,
    complete_punish,
    disprove_values,
    keyed_output,
    operator_trace,
    revealed_in,
)
from ocp.ots import ValueSigner, read_value
from ocp.watch.challenger import (
    CHALLENGER,
    ChallengerPhase,
    Policy,
    Verdict,
    challenger_duties,
    challenger_run,
    verdict_of,
)
from ocp.watch.events import BlockConnected, BlockDisconnected, ChainEvent
from ocp.watch.follower import Follower
from ocp.watch.game import Claim, Duty, claims, operator_numbers
from ocp.watch.journal import Journal, StateDir
from ocp.watch.machine import Run, Step
from ocp.watch.operator import KEPT_STAKE, OPERATOR, operator_duties, operator_run
from ocp.witness import operator_values, signed_tx
from regtest.chain import Chain, ChainError
from taptrees.errors import InputError
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint, Tx

#: Core's reasons for a transaction paying too little to enter the mempool.
FEE_REASONS = frozenset({"min relay fee not met", "mempool min fee not met"})
EXIT_DONE, EXIT_LOST = 0, 1


@dataclass(frozen=True)
class WatchOptions:
    policy: Policy = Policy.FALSE_CLAIMS  # when the challenger opens a dispute
    poll_interval: float = 1.0  # seconds between polls
    feerate: float = 10.0  # sat/vB: the challenger's completions, the operator's first bump
    max_feerate: float = 1_000.0  # sat/vB: bumps double up to this
    bump_after: int = 2  # blocks a move may linger unconfirmed before it is bumped
    coins: tuple[OutPoint, ...] = ()  # the party's own key-path coins (the challenger's Challenge input)
    exit_when_done: bool = False


@dataclass
class Game:
    """One operator's claim as this party sees it now."""

    claim: Claim
    run: Run
    verdict: Verdict | None = None
    duties: list[Duty] = field(default_factory=list)


class Reporter:
    """Every record in one line a person reads (or, with ``as_json``, one JSON line)
    on ``stream``, and -- unless ``journal=False`` -- in the journal."""

    def __init__(self, journal: Journal, stream: TextIO, as_json: bool, who: str) -> None:
        self.journal = journal
        self.stream = stream
        self.as_json = as_json
        self.who = who

    def __call__(self, kind: str, text: str, *, height: int | None, journal: bool = True, **fields: object) -> None:
        record = {"height": height, **fields}
        entry = self.journal.append(kind, **record) if journal else {"kind": kind, **record}
        if self.as_json:
            print(json.dumps({**entry, "role": self.who, "text": text}, separators=(",", ":")),
                  file=self.stream, flush=True)  # fmt: skip
        else:
            where = f"[{height}]" if height is not None else "[-]"
            print(f"{where} {self.who}: {text}", file=self.stream, flush=True)


class WatchService:
    """One party (operator or challenger) watching one graph (module docstring)."""

    def __init__(self, graph: Graph, key: RoleKey, chain: Chain, state: StateDir,
                 options: WatchOptions = WatchOptions(), stream: TextIO = sys.stdout,
                 as_json: bool = False) -> None:  # fmt: skip
        if key.role not in (Role.OPERATOR, Role.CHALLENGER):
            raise UserError(f"a watcher runs for an operator or a challenger, not a {key.role}")
        self.graph = graph
        self.key = key
        self.role = key.role
        self.chain = chain
        self.state = state
        self.options = options
        self.journal = state.journal()
        self.numbers = operator_numbers(graph)
        self.own_spk = TaprootOutput(key.pubkey).script_pubkey
        self.mine: int | None = None  # the operator's number in the graph's names
        if self.role is Role.OPERATOR:
            if key.pubkey not in graph.params.operators:
                raise UserError(f"{key} is not an operator of this graph")
            self.mine = self.numbers[graph.params.operators.index(key.pubkey)]
        label = "" if self.mine is None else f"@{self.mine}"
        self.report = Reporter(self.journal, stream, as_json, f"{self.role.value}{label}")
        self.honest = operator_trace(graph.params.computation)
        self.follower = Follower(chain, graph)
        self.games: dict[int | None, Game] = {}
        self._steps: dict[int | None, tuple[Step, ...]] = {}
        self._refused: set[tuple] = set()
        self._attempted: dict[TxName, int] = {}
        self._verdicts: dict[tuple, Verdict | None] = {}
        self._last_tip: int | None = None
        self._known = {(e.get("operator"), e.get("n"), e.get("txid")) for e in self.journal.of_kind("transition")}
        self._started = False
        self._done_reported = self.journal.last("done") is not None

    # --- the loop ---------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> int:
        """Poll until ``stop`` is set (or, with ``exit_when_done``, the game is over);
        returns :data:`EXIT_DONE`, or :data:`EXIT_LOST` for an operator that lost
        its stake."""
        stop = stop or threading.Event()
        failing = False
        while not stop.is_set():
            try:
                done = self.step()
                failing = False
            except (ChainError, FetchError, RpcError, InputError) as exc:
                if not failing:
                    self.report("chain-error", f"the chain did not answer ({exc}); retrying",
                                height=self._last_tip, journal=False)  # fmt: skip
                failing = True
                done = False
            if done and self.options.exit_when_done:
                break
            stop.wait(self.options.poll_interval)
        return self.exit_code()

    def exit_code(self) -> int:
        if self.role is Role.OPERATOR and self.mine in self.games:
            phase = self.games[self.mine].run.phase
            if phase in OPERATOR.terminal and phase not in KEPT_STAKE:
                return EXIT_LOST
        return EXIT_DONE

    def step(self) -> bool:
        """One poll (module docstring); returns whether this party's game is over."""
        if not self._started:
            self._start()
        events = self.follower.poll()
        tip = self.follower.tip.height if self.follower.tip else self.chain.height()
        self._report_blocks(events)
        changed = bool(events) or tip != self._last_tip
        if self.role is Role.OPERATOR:
            changed |= self._pick_up_claim(tip)
        self._fold(tip)
        if changed:
            for game in self.games.values():
                for duty in game.duties:
                    if duty.due(tip):
                        self._perform(duty, tip)
            if self.role is Role.OPERATOR:
                self._bump_lingering(tip)
        self._last_tip = tip
        done = self._done()
        if done and not self._done_reported:
            outcome = {self._label(op): g.run.phase.value for op, g in self.games.items()}
            self.report("done", "the game is over: " + ", ".join(f"{who} {p}" for who, p in outcome.items()),
                        height=tip, outcome=outcome)  # fmt: skip
            self._done_reported = True
        return done

    def _start(self) -> None:
        self._started = True
        resumed = len(self.journal.entries) > 0
        self.report("start", ("resuming from the journal and the chain" if resumed else "starting")
                    + f", following from height {self.follower.start_height}",
                    height=self.chain.height(), graph_id=self.graph.graph_id.hex(),
                    pubkey=self.key.pubkey.hex(), resumed=resumed,
                    repaired_journal=self.journal.repaired)  # fmt: skip

    def _terminal(self) -> frozenset:
        return OPERATOR.terminal if self.role is Role.OPERATOR else CHALLENGER.terminal

    def _done(self) -> bool:
        terminal = self._terminal()
        if self.role is Role.OPERATOR:
            return self.games[self.mine].run.phase in terminal
        phases = [g.run.phase for g in self.games.values()]
        if all(p in terminal for p in phases):
            return True
        vault_gone = any(g.claim.vault_taken_by is not None for g in self.games.values())
        return vault_gone and all(p in terminal or p is ChallengerPhase.WATCHING for p in phases)

    def _label(self, op: int | None) -> str:
        """Whose game a line is about (the operator's own lines need no label)."""
        if self.role is Role.OPERATOR:
            return "claim"
        return "operator" if op is None else f"operator {op}"

    # --- what the chain says ------------------------------------------------------------

    def _report_blocks(self, events: list[ChainEvent]) -> None:
        gone = [e for e in events if isinstance(e, BlockDisconnected)]
        if gone:
            low, high = min(e.height for e in gone), max(e.height for e in gone)
            self.report("reorg", f"reorganisation: blocks {low}-{high} left the active chain",
                        height=low - 1, disconnected=[e.hash for e in gone])  # fmt: skip
        for e in events:
            if isinstance(e, BlockConnected):
                for c in e.confirmations:
                    self.report("confirmed", f"{c.name} confirmed ({c.txid})", height=e.height,
                                journal=False, tx=str(c.name), txid=c.txid, block=c.block_hash)  # fmt: skip

    def _fold(self, tip: int) -> None:
        n_chunks = self.graph.n_chunks
        claimed = self.journal.claim() is not None
        for op, claim in claims(self.graph, self.follower.confirmed).items():
            if self.role is Role.OPERATOR:
                if op != self.mine:
                    continue
                run = operator_run(claim, n_chunks, claimed)
                game = Game(claim, run, None, operator_duties(run, claim, self.graph))
            else:
                run = challenger_run(claim, n_chunks)
                verdict = self._verdict(op, claim)
                game = Game(claim, run, verdict, challenger_duties(run, claim, self.graph, self.options.policy, verdict))
            self._report_steps(op, game, tip)
            self.games[op] = game

    def _verdict(self, op: int | None, claim: Claim) -> Verdict | None:
        reveals = tuple(c.txid for c in claim.confirmations if c.name.kind in (TxKind.KICKOFF, TxKind.ASSERT))
        key = (op, reveals)
        if key not in self._verdicts:
            index = 0 if op is None else op - 1
            self._verdicts[key] = verdict_of(self.graph, claim, index, self.honest[-1])
        return self._verdicts[key]

    def _report_steps(self, op: int | None, game: Game, tip: int) -> None:
        old = self._steps.get(op, ())
        new = game.run.steps
        common = 0
        while common < min(len(old), len(new)) and old[common] == new[common]:
            common += 1
        for n in range(len(old) - 1, common - 1, -1):
            step = old[n]
            self._known.discard((op, n, step.event.txid))
            self.report("rollback", f"{self._label(op)}: {step.after} -> {step.before}: {step.event.tx} left the "
                        "active chain", height=tip, operator=op, **_fields(step))  # fmt: skip
        for n, step in enumerate(new[common:], common):
            known = (op, n, step.event.txid)
            if known in self._known:
                continue
            self._known.add(known)
            note = self._step_note(game, step)
            text = f"{self._label(op)}: {step.before} -> {step.after} on {step.event.tx or step.event.trigger.value}"
            self.report("transition", text + (f" ({note})" if note else ""),
                        height=step.event.height if step.event.height is not None else tip,
                        operator=op, n=n, **_fields(step),
                        **({"verdict": game.verdict.to_json()} if game.verdict else {}))  # fmt: skip
        for refused in game.run.refused:
            key = (op, refused.event.trigger, refused.event.txid)
            if key not in self._refused:
                self._refused.add(key)
                self.report("refused", f"{self._label(op)}: {refused.event.tx} confirmed, which the "
                            f"{self.role.value} machine forbids in {refused.phase}; ignored",
                            height=refused.event.height, operator=op, phase=refused.phase,
                            tx=str(refused.event.tx), txid=refused.event.txid)  # fmt: skip
        self._steps[op] = new

    def _step_note(self, game: Game, step: Step) -> str:
        v = game.verdict
        if v is None:
            return ""
        if step.after == ChallengerPhase.CLAIMED.value:
            truth = "false" if v.claim_is_false else "true"
            return f"claim {v.claimed} is {truth}: the program gives {v.honest}"
        if step.after == ChallengerPhase.ANSWERED.value and v.complete:
            return "every step checks out" if v.wrong_step is None else f"step {v.wrong_step} is wrong"
        return ""

    # --- the operator's claim -------------------------------------------------------------

    def _pick_up_claim(self, tip: int) -> bool:
        if self.journal.claim() is not None:
            return False
        request = self.state.claim_request()
        if request is None:
            return False
        wrong = request.get("wrong_step")
        n_steps = self.graph.params.computation.n_steps
        if wrong is not None and not 0 <= wrong < n_steps:
            self.report("claim-refused", f"claim request: wrong_step {wrong} is not a step (0..{n_steps - 1})",
                        height=tip, journal=False)  # fmt: skip
            return False
        self._commit_trace(operator_trace(self.graph.params.computation, wrong), tip, "requested", wrong)
        return True

    def _commit_trace(self, trace: tuple[int, ...], tip: int, source: str, wrong: int | None = None) -> None:
        """Journal the trace the operator will defend, before any of it is signed."""
        honest = trace == self.honest
        what = "the honest trace" if honest else f"a trace wrong from step {wrong}"
        self.report("claim", f"claim committed: x[{len(trace) - 1}] = {trace[-1]} ({what}, {source})",
                    height=tip, trace=list(trace), wrong_step=wrong, source=source)  # fmt: skip

    def _trace(self, tip: int) -> tuple[int, ...]:
        claim = self.journal.claim()
        if claim is None:  # a Kickoff mined before this state dir: defend what it claimed
            game = self.games[self.mine]
            kickoff = game.claim.of_kind(TxKind.KICKOFF)[0]
            n = self.graph.params.computation.n_steps
            index = self.graph.params.operators.index(self.key.pubkey)
            items = revealed_in(self.graph, kickoff.name, kickoff.tx)[n - 1]
            value = read_value(self.graph.ots[index], n - 1, items)
            trace = (*self.honest[:-1], value)
            self._commit_trace(trace, tip, "read from the mined Kickoff")
            claim = self.journal.claim()
        return tuple(claim["trace"])

    # --- broadcasting ---------------------------------------------------------------------

    def _name(self, label: str) -> TxName:
        """The graph transaction a journal entry names (looked up, never parsed)."""
        return tx_by_label(self.graph.txs, label)

    def _confirmed(self, name: TxName) -> bool:
        return any(c.name == name for c in self.follower.confirmed)

    def _perform(self, duty: Duty, tip: int) -> None:
        name = duty.tx
        if self._confirmed(name) or self._attempted.get(name) == tip:
            return
        self._attempted[name] = tip
        prior = self.journal.last("broadcast", tx=str(name))
        if prior is not None and self.chain.confirmations(prior["txid"]) == 0:
            return  # in the mempool: a lingering move is bumped, not rebuilt
        try:
            tx = self._build(name, prior, tip)
        except UserError as exc:
            self.report("cannot", f"cannot make {name}: {exc}", height=tip, tx=str(name), journal=False)
            return
        self.report("broadcast", f"broadcast {name} {tx.txid}: {duty.why}", height=tip, tx=str(name),
                    txid=tx.txid, why=duty.why, hex=tx.hex())  # fmt: skip
        result = self.chain.submit(tx)
        reason = f"{result.reason} {result.detail}".strip()
        self.report("result", f"{name} {'accepted' if result.accepted else 'refused: ' + reason}",
                    height=tip, tx=str(name), txid=tx.txid, accepted=result.accepted,
                    reason=result.reason, detail=result.detail)  # fmt: skip
        if (self.role is Role.OPERATOR and not result.accepted and result.reason in FEE_REASONS
                and self._parents_confirmed(name)):
            failed = self.journal.last("bump", tx=str(name))
            again = failed is not None and not failed["accepted"]
            self._bump(name, tx, tip, min(2 * failed["feerate"], self.options.max_feerate) if again
                       else self.options.feerate)  # fmt: skip

    def _build(self, name: TxName, prior: dict | None, tip: int) -> Tx:
        gtx = self.graph.tx(name)
        if gtx.template and prior is not None:
            old = Tx.from_hex(prior["hex"])
            if all(self.chain.get_output(txin.prevout) is not None for txin in old.inputs):
                return old  # the same completion again: never two different ones in flight
        if self.role is Role.OPERATOR:
            if name.kind in (TxKind.KICKOFF, TxKind.ASSERT):
                return self._reveal(name, tip)
            return signed_tx(self.graph, name, [self.key])
        tx, _ = self._complete(name)
        return tx

    def _reveal(self, name: TxName, tip: int) -> Tx:
        """Kickoff or Assert_j: the journaled trace's values, checked against every
        value already committed and journaled before they are signed."""
        trace = self._trace(tip)
        index = self.graph.params.operators.index(self.key.pubkey)
        signer = ValueSigner(self.key.secret, params_id(self.graph.params), self.graph.params.computation.n_steps)
        values_by_input = operator_values(self.graph, name, signer, trace)
        indices = sorted(i for spend in self.graph.tx(name).spends if spend.leaf is not None
                         for leaf in [self.graph.spend_leaf(spend)[1]] if isinstance(leaf, RevealLeaf)
                         for i in leaf.indices)  # fmt: skip
        values = {i: trace[i + 1] for i in indices}
        self.journal.check_reveal(values)
        if self.journal.last("reveal", tx=str(name)) is None:
            self.report("reveal", f"revealing {name}: values {indices[0]}..{indices[-1]} under one-time keys",
                        height=tip, tx=str(name), values={str(i): v for i, v in values.items()},
                        keys=self.graph.ots[index].n_values, journal=True)  # fmt: skip
        return signed_tx(self.graph, name, [self.key], values_by_input)

    def _complete(self, name: TxName) -> Move:
        """The challenger's completion of a template at its feerate."""
        feerate = self.options.feerate
        if name.kind is TxKind.CHALLENGE:
            coin = self._coin()
            if coin is None:
                raise UserError("no coin to pay the challenge fee with (give --coin TXID:VOUT)")
            utxo = self.chain.get_output(coin)
            assert utxo is not None
            return at_feerate(lambda fee: complete_challenge(self.graph, name, coin, utxo.txout, self.key,
                                                             self.own_spk, fee), feerate)  # fmt: skip
        values: list[bytes] = []
        if name.kind is TxKind.DISPROVE:
            revealed: dict[int, tuple[bytes, ...]] = {}
            for c in self.games[name.operator].claim.confirmations:
                if c.name.kind in (TxKind.KICKOFF, TxKind.ASSERT):
                    revealed.update(revealed_in(self.graph, c.name, c.tx))
            values = disprove_values(self.graph, name, revealed)
        return at_feerate(lambda fee: complete_punish(self.graph, name, values, self.own_spk, fee), feerate)

    def _coin(self) -> OutPoint | None:
        """The challenger's coin: the change of its latest Challenge still on chain or
        in the mempool, else the first given coin still unspent."""
        candidates = [OutPoint(e["txid"], 1) for e in reversed(list(self.journal.of_kind("broadcast")))
                      if self._name(e["tx"]).kind is TxKind.CHALLENGE]  # fmt: skip
        for coin in [*candidates, *self.options.coins]:
            utxo = self.chain.get_output(coin)
            if utxo is not None and utxo.txout.script_pubkey == self.own_spk:
                return coin
        return None

    # --- CPFP (the operator) --------------------------------------------------------------

    def _bump_lingering(self, tip: int) -> None:
        """Bump every own move that has been in the mempool for ``bump_after``
        blocks since it was accepted or last bumped (oldest first)."""
        latest: dict[str, dict] = {}
        for entry in self.journal.of_kind("result"):
            if entry.get("accepted"):
                latest[entry["tx"]] = entry
        for label, entry in latest.items():
            name = self._name(label)
            if self._confirmed(name) or self.chain.confirmations(entry["txid"]) != 0:
                continue
            last = self.journal.last("bump", tx=label, accepted=True)
            since = max(entry["height"], last["height"] if last else entry["height"])
            if tip - since < self.options.bump_after or not self._parents_confirmed(name):
                continue
            feerate = min(2 * last["feerate"], self.options.max_feerate) if last else self.options.feerate
            parent = self.chain.get_tx(entry["txid"])
            if parent is not None:
                self._bump(name, parent, tip, feerate)

    def _parents_confirmed(self, name: TxName) -> bool:
        """Whether every graph transaction ``name`` spends from is confirmed: a move
        is bumped only then (its ancestors first), so that one child never has to pay
        for a chain of unconfirmed moves it does not count."""
        by_txid = self.follower.index.by_txid
        parents = {by_txid.get(txin.prevout.txid) for txin in self.graph.tx(name).tx.inputs}
        return all(self._confirmed(p) for p in parents if p is not None)

    def _bump(self, name: TxName, parent: Tx, tip: int, feerate: float) -> None:
        vout = keyed_output(self.graph, name, self.key.pubkey)
        if vout is None:
            self.report("cannot", f"cannot bump {name}: no output of it pays this operator's key",
                        height=tip, tx=str(name), journal=False)  # fmt: skip
            return
        previous = self.journal.last("bump", tx=str(name), accepted=True)
        own_output = OutPoint(parent.txid, vout)
        attempts: list[tuple[OutPoint, ...]] = []
        if previous is not None:  # a replacement spends what the child it replaces spent
            attempts.append(tuple(OutPoint(*e) for e in previous["extra"]))
        else:
            attempts.append(())
            attempts += [(coin,) for coin in self._fee_coins() if coin != own_output]
        child = None
        error = ""
        for extra in attempts:
            try:
                child = bump(self.chain, self.graph, parent, self.key, vout, feerate, extra)
                break
            except UserError as exc:
                error = str(exc)
        if child is None:
            self.report("cannot", f"cannot bump {name}: {error}", height=tip, tx=str(name), journal=False)
            return
        used = [[coin.txid, coin.vout] for coin in extra]
        result = self.chain.submit_package([parent, child])
        verdict = "accepted" if result.accepted else f"refused: {result.message} " + "; ".join(
            f"{r.reason} {r.detail}".strip() for r in result.results if not r.accepted)  # fmt: skip
        self.report("bump", f"bumped {name} by CPFP on output {vout} at {feerate:g} sat/vB (child {child.txid}): "
                    f"{verdict}", height=tip, tx=str(name), parent=parent.txid, child=child.txid,
                    feerate=feerate, extra=used, accepted=result.accepted, hex=child.hex())  # fmt: skip

    def _fee_coins(self) -> list[OutPoint]:
        """The operator's own confirmed coins, newest first: outputs of its bump
        children, Prepare's change, the given coins.  Only confirmed ones: a child
        hanging off another unconfirmed child would be evicted with it when that one
        is replaced."""
        candidates = [OutPoint(e["child"], 0) for e in reversed(list(self.journal.of_kind("bump"))) if e["accepted"]]
        prepare = self.graph.tx(TxName(TxKind.PREPARE, None, self.mine))
        change = keyed_output(self.graph, prepare.name, self.key.pubkey)
        if change is not None:
            candidates.append(OutPoint(prepare.txid, change))
        candidates += list(self.options.coins)
        confirmed = []
        for coin in candidates:
            utxo = self.chain.get_output(coin)
            if utxo is not None and utxo.height is not None:
                confirmed.append(coin)
        return confirmed


def _fields(step: Step) -> dict:
    """A step's fields for a record (its height is the record's own)."""
    return {k: v for k, v in step.to_json().items() if k != "height"}

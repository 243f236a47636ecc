"""The watcher service of graph version 1.1: one Kickoff per operator, a
Challenge, the Asserts, a Disprove (docs/protocol.md).  The loop, the log, the
journal and CPFP are :mod:`ocp.watch.base`'s; this module folds the 1.1 machines
(:mod:`ocp.watch.operator`, :mod:`ocp.watch.challenger`) over each operator's
claim and makes its transactions:

* the operator journals the whole trace it will defend before anything is signed
  (``claim``), reveals from that journaled trace (``reveal``: values about to be
  signed, :meth:`ocp.watch.journal.Journal.check_reveal`), and adopts a Kickoff
  mined before its state folder existed;
* the challenger reads the claim and every Assert from the mined witnesses,
  completes the Challenge, Slash and Disprove templates at ``--feerate`` (a
  template completion is re-submitted as journaled, never rebuilt into a second
  one while the first can still confirm).

After a restart the same steps rebuild everything from the chain (the follower
rescans from the graph's first confirmed transaction) and the journal (the
operator's committed trace, what was broadcast, bump children and coins), so a
crash loses nothing and nothing is signed or revealed twice.
:func:`watch_service` picks this service or graph v2's
(:class:`ocp.watch.gameservice.GameWatchService`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from ocp.errors import UserError
from ocp.graph import Graph, params_id
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import RevealLeaf
from ocp.moves import (
    Move,
    at_feerate,
    complete_challenge,
    complete_punish,
    disprove_values,
    operator_trace,
    revealed_in,
)
from ocp.ots import ValueSigner, read_value
from ocp.watch.base import (
    DEFAULT_OPTIONS,
    EXIT_DONE,
    EXIT_LOST,
    FEE_REASONS,
    BaseService,
    Reporter,
    WatchOptions,
)
from ocp.watch.challenger import (
    CHALLENGER,
    ChallengerPhase,
    Verdict,
    challenger_duties,
    challenger_run,
    verdict_of,
)
from ocp.watch.game import Claim, Duty, claims, operator_numbers
from ocp.watch.journal import StateDir
from ocp.watch.machine import Run, Step
from ocp.watch.operator import KEPT_STAKE, OPERATOR, operator_duties, operator_run
from ocp.witness import operator_values, signed_tx
from regtest.chain import Chain
from taptrees.tx import OutPoint, Tx

__all__ = ["EXIT_DONE", "EXIT_LOST", "FEE_REASONS", "Game", "Reporter", "WatchOptions", "WatchService", "watch_service"]


@dataclass
class Game:
    """One operator's claim as this party sees it now."""

    claim: Claim
    run: Run
    verdict: Verdict | None = None
    duties: list[Duty] = field(default_factory=list)


class WatchService(BaseService):
    """One party (operator or challenger) watching one graph 1.1 (module docstring)."""

    def __init__(
        self,
        graph: Graph,
        key: RoleKey,
        chain: Chain,
        state: StateDir,
        options: WatchOptions = DEFAULT_OPTIONS,
        stream: TextIO = sys.stdout,
        as_json: bool = False,
    ) -> None:
        self.numbers = operator_numbers(graph)
        self.mine: int | None = None  # the operator's number in the graph's names
        if key.role is Role.OPERATOR:
            if key.pubkey not in graph.params.operators:
                raise UserError(f"{key} is not an operator of this graph")
            self.mine = self.numbers[graph.params.operators.index(key.pubkey)]
        label = "" if self.mine is None else f"@{self.mine}"
        super().__init__(graph, key, chain, state, options, stream, as_json, f"{key.role.value}{label}")
        self.bumps_fees = self.role is Role.OPERATOR
        self.honest = operator_trace(graph.params.computation)
        self.games: dict[int | None, Game] = {}
        self._verdicts: dict[tuple, Verdict | None] = {}

    def exit_code(self) -> int:
        if self.role is Role.OPERATOR and self.mine in self.games:
            phase = self.games[self.mine].run.phase
            if phase in OPERATOR.terminal and phase not in KEPT_STAKE:
                return EXIT_LOST
        return EXIT_DONE

    def _duties(self) -> list[Duty]:
        return [duty for game in self.games.values() for duty in game.duties]

    def _outcome(self) -> dict[str, str]:
        return {self._label(op): g.run.phase.value for op, g in self.games.items()}

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
                game = Game(
                    claim, run, verdict, challenger_duties(run, claim, self.graph, self.options.policy, verdict)
                )
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
        extra = {"verdict": game.verdict.to_json()} if game.verdict else {}
        self._report_run((op, None), self._label(op), game.run, tip, lambda step: self._step_note(game, step), **extra)

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
            self.report(
                "claim-refused",
                f"claim request: wrong_step {wrong} is not a step (0..{n_steps - 1})",
                height=tip,
                journal=False,
            )
            return False
        self._commit_trace(operator_trace(self.graph.params.computation, wrong), tip, "requested", wrong)
        return True

    def _commit_trace(self, trace: tuple[int, ...], tip: int, source: str, wrong: int | None = None) -> None:
        """Journal the trace the operator will defend, before any of it is signed."""
        honest = trace == self.honest
        what = "the honest trace" if honest else f"a trace wrong from step {wrong}"
        self.report(
            "claim",
            f"claim committed: x[{len(trace) - 1}] = {trace[-1]} ({what}, {source})",
            height=tip,
            trace=list(trace),
            wrong_step=wrong,
            source=source,
        )

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

    def _build(self, duty: Duty, prior: dict | None, tip: int) -> tuple[TxName, Tx]:
        name = duty.tx
        gtx = self.graph.tx(name)
        if gtx.template and prior is not None:
            old = Tx.from_hex(prior["hex"])
            if all(self.chain.get_output(txin.prevout) is not None for txin in old.inputs):
                return name, old  # the same completion again: never two different ones in flight
        if self.role is Role.OPERATOR:
            if name.kind in (TxKind.KICKOFF, TxKind.ASSERT):
                return name, self._reveal(name, tip)
            return name, signed_tx(self.graph, name, [self.key])
        tx, _ = self._complete(name)
        return name, tx

    def _reveal(self, name: TxName, tip: int) -> Tx:
        """Kickoff or Assert_j: the journaled trace's values, checked against every
        value already committed and journaled before they are signed."""
        trace = self._trace(tip)
        index = self.graph.params.operators.index(self.key.pubkey)
        signer = ValueSigner(self.key.secret, params_id(self.graph.params), self.graph.params.computation.n_steps)
        values_by_input = operator_values(self.graph, name, signer, trace)
        indices = sorted(
            i
            for spend in self.graph.tx(name).spends
            if spend.leaf is not None
            for leaf in [self.graph.spend_leaf(spend)[1]]
            if isinstance(leaf, RevealLeaf)
            for i in leaf.indices
        )
        values = {i: trace[i + 1] for i in indices}
        self.journal.check_reveal(values)
        if self.journal.last("reveal", tx=str(name)) is None:
            self.report(
                "reveal",
                f"revealing {name}: values {indices[0]}..{indices[-1]} under one-time keys",
                height=tip,
                tx=str(name),
                values={str(i): v for i, v in values.items()},
                keys=self.graph.ots[index].n_values,
                journal=True,
            )
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
            return at_feerate(
                lambda fee: complete_challenge(self.graph, name, coin, utxo.txout, self.key, self.own_spk, fee), feerate
            )
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
        candidates = [
            OutPoint(e["txid"], 1)
            for e in reversed(list(self.journal.of_kind("broadcast")))
            if self._name(e["tx"]).kind is TxKind.CHALLENGE
        ]
        for coin in [*candidates, *self.options.coins]:
            utxo = self.chain.get_output(coin)
            if utxo is not None and utxo.txout.script_pubkey == self.own_spk:
                return coin
        return None


def watch_service(
    graph: Graph,
    key: RoleKey,
    chain: Chain,
    state: StateDir,
    options: WatchOptions = DEFAULT_OPTIONS,
    stream: TextIO = sys.stdout,
    as_json: bool = False,
    **v2: object,
) -> BaseService:
    """The service for ``graph``'s version: 1.1's, or graph v2's games (``v2``: its
    options, :class:`ocp.watch.gameservice.GameWatchService`)."""
    if graph.layout is None:
        return WatchService(graph, key, chain, state, options, stream, as_json)
    from ocp.watch.gameservice import GameWatchService

    return GameWatchService(graph, key, chain, state, options, stream, as_json, **v2)  # type: ignore[arg-type]

"""The watcher service of graph version 2: an operator's claim about a Go program
and the games registered challengers open against it (docs/protocol-v2.md).

The loop, the log, journaled broadcasts and CPFP are :mod:`ocp.watch.base`'s.
Here each poll folds the machines of :mod:`ocp.watch.games` over the chain -- the
claim of each operator, and each game this party plays in (the operator: every
game of its claim, several at once; a challenger: its own game against each
operator) -- keeps one :class:`ocp.watch.gameplay.GamePlay` per game in step with
the game's mined transactions, and performs the duties:

* **operator**: told to claim (``claim.json``: the input tape), it runs the program
  on it, journals the claim (input, N, h_N; a drill's fault), then broadcasts
  Prepare and the Kickoff signing N, h_N and the input; it answers every round of
  every opened game at once (its player's Reveal, Execute or BeyondN), ends a game
  whose challenger let ``move_window`` pass (ChallengerSilent), and takes Take1
  after ``challenge_window`` when no game opened, else Take2 after T_max.  A
  Kickoff mined before its state folder existed is adopted when it is the
  program's honest run on the claimed input.
* **challenger**: it reads the claim from the Kickoff's witness, runs the program
  on the claimed input itself (:mod:`ocp.zkvm.trace`), and opens its game only
  when the claim is false (``--policy false-claims``; ``always`` plays a
  challenger that disputes every claim and chooses at random, to exercise the
  operator's side; ``never``); it answers every round (its choices), spends the
  catching leaf or starts the read search, ends the game when the operator lets
  ``move_window`` pass (OperatorSilent); a Catch or an OperatorSilent pays it.

Both bump their moves by CPFP on their keyed output (every move of a game carries
an anchor for its mover; Open pays the challenger change).

**One-time keys.**  Every move is journaled before it is broadcast (``broadcast``
with its hex, and ``signed``: a digest of each one-time signature it reveals);
a state's move is made once and, after a restart or a reorganisation, submitted
again *as journaled*, never rebuilt; and a signature that differs from a
journaled one is refused whatever asks for it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ocp.errors import UserError
from ocp.game.keys import ChallengerSigner, OperatorSigner
from ocp.game.play import GameRef, open_tx, read_tx
from ocp.game.players import ChallengerPlayer, OperatorPlayer, claim_from_book
from ocp.gamekeysfile import challenger_signer, operator_signer
from ocp.graph import Graph
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.watch.base import DEFAULT_OPTIONS, EXIT_DONE, EXIT_LOST, BaseService, Due, WatchOptions
from ocp.watch.challenger import Policy
from ocp.watch.game import Claim, claims, operator_numbers
from ocp.watch.gameplay import (
    GamePlay,
    GuestRuns,
    signature_digests,
)
from ocp.watch.games import (
    CHALLENGER_WON,
    CLAIM_V2,
    GAME_OVER,
    KEPT_STAKE_V2,
    OPERATOR_WON,
    UNOPENED,
    ClaimPhase,
    GamePhase,
    MoveDuty,
    challenger_duties_v2,
    claim_run,
    game_label,
    game_machine,
    game_run,
    operator_duties_v2,
)
from ocp.watch.journal import StateDir
from ocp.watch.machine import Run, Step
from ocp.witness import signed_tx
from ocp.zkvm import dispute as zd
from regtest.chain import Chain
from taptrees.tx import Tx

#: The challenger's strategy for each policy (``never`` opens nothing).
STRATEGY = {Policy.FALSE_CLAIMS: "honest", Policy.ALWAYS: "random", Policy.NEVER: "honest"}


class GameWatchService(BaseService):
    """The operator or a registered challenger of a version-2 graph (module docstring)."""

    def __init__(
        self,
        graph: Graph,
        key: RoleKey,
        chain: Chain,
        state: StateDir,
        options: WatchOptions = DEFAULT_OPTIONS,
        stream: TextIO = sys.stdout,
        as_json: bool = False,
        strategy: str | None = None,
    ) -> None:
        p = graph.params
        if graph.layout is None:
            raise UserError("the graph is version 1.1: it has no games")
        self.numbers = operator_numbers(graph)
        self.mine: int | None = None  # the operator's number in names
        self.k: int | None = None  # the challenger's number (1-based) in names
        if key.role is Role.OPERATOR:
            if key.pubkey not in p.operators:
                raise UserError(f"{key} is not an operator of this graph")
            self.mine = self.numbers[p.operators.index(key.pubkey)]
            who = "operator" + ("" if self.mine is None else f"@{self.mine}")
        elif key.role is Role.CHALLENGER:
            if key.pubkey not in p.challengers:
                raise UserError(f"{key} is not a registered challenger of this graph")
            self.k = p.challengers.index(key.pubkey) + 1
            who = f"challenger c{self.k}"
        else:
            raise UserError(f"a watcher runs for an operator or a challenger, not a {key.role}")
        super().__init__(graph, key, chain, state, options, stream, as_json, who)
        self.layout = graph.layout
        self.machine = game_machine(self.layout)
        self.guest = GuestRuns(graph)
        self.strategy = strategy or STRATEGY[options.policy]
        self.signer: OperatorSigner | ChallengerSigner = (
            operator_signer(p, graph.layout, key)
            if self.role is Role.OPERATOR
            else challenger_signer(p, graph.layout, key)
        )
        self._secrets: dict[int, dict] = {}
        self.party: zd.HonestOperator | None = None  # the operator's run it defends
        self.plays: dict[tuple[int, int], GamePlay] = {}  # (operator index, challenger number) -> play
        self.claims: dict[int | None, Claim] = {}
        self.claim_runs: dict[int | None, Run[ClaimPhase]] = {}
        self.game_runs: dict[tuple[int | None, int], Run[GamePhase]] = {}
        self._said: set[str] = set()  # one-off lines already logged in this process
        if self.role is Role.OPERATOR and self.journal.claim() is not None:
            self._restore_party()

    # --- who plays which games ----------------------------------------------------------

    def _games_of(self, op: int | None) -> list[int]:
        """The challenger numbers of the games this party plays against operator ``op``."""
        if self.role is Role.OPERATOR:
            return list(range(1, len(self.graph.params.challengers) + 1))
        assert self.k is not None
        return [self.k]

    def _op_index(self, op: int | None) -> int:
        return 0 if op is None else op - 1

    def _ref(self, op: int | None, k: int) -> GameRef:
        return GameRef(self.graph, self._op_index(op), k - 1)

    def _secret_set(self, n: int) -> dict:
        """One-time secret keys: the operator's claim and game ``n`` keys, or the
        challenger's choice keys against operator index ``n``."""
        if n not in self._secrets:
            if isinstance(self.signer, OperatorSigner):
                self._secrets[n] = {**self.signer.claim, **self.signer.game(n - 1)}
            else:
                self._secrets[n] = self.signer.game(n)
        return self._secrets[n]

    def _play(self, op: int | None, k: int) -> GamePlay | None:
        """This party's play of game ``k`` of operator ``op`` (the operator's only
        once it knows the run it defends)."""
        key = (self._op_index(op), k)
        if key in self.plays:
            return self.plays[key]
        ref = self._ref(op, k)
        if self.role is Role.OPERATOR:
            party = self.party
            if party is None:
                return None
            secrets = self._secret_set(k)
            play = GamePlay(ref, Role.OPERATOR, lambda: OperatorPlayer(ref, self.key, secrets, party))
        else:
            secrets = self._secret_set(ref.operator)
            party_for = self.guest.challenger(self.strategy)
            play = GamePlay(
                ref, Role.CHALLENGER, lambda: ChallengerPlayer(ref, self.key, secrets, party_for), self.guest.verdict
            )
        self.plays[key] = play
        return play

    # --- folding --------------------------------------------------------------------------

    def _fold(self, tip: int) -> None:
        claimed = self.journal.claim() is not None
        for op, claim in claims(self.graph, self.follower.confirmed).items():
            if self.role is Role.OPERATOR and op != self.mine:
                continue
            self.claims[op] = claim
            run = claim_run(claim, claimed=claimed and self.role is Role.OPERATOR)
            self.claim_runs[op] = run
            if self.role is Role.OPERATOR and run.phase is not ClaimPhase.CLAIMING and not claimed:
                self._adopt(claim, tip)
            kickoff = claim.of_kind(TxKind.KICKOFF)
            for k in self._games_of(op):
                play = self._play(op, k)
                if play is not None and kickoff:
                    mined = [c for c in claim.confirmations if c.name == kickoff[0].name or c.name.game == k]
                    for note in play.sync(mined):
                        self._say("replay", note, tip)
                grun = game_run(self.machine, claim, k)
                self.game_runs[(op, k)] = grun
                self._report_run(
                    (op, k), self._game_label(op, k), grun, tip, lambda step, play=play: self._game_note(play, step)
                )
            extra = {}
            play = self._play(op, self._games_of(op)[0])
            if self.role is Role.CHALLENGER and play is not None and play.verdict is not None:
                extra["verdict"] = play.verdict.to_json()
            self._report_run(
                (op, None),
                self._claim_label(op),
                run,
                tip,
                lambda step, play=play: self._claim_note(play, step),
                **extra,
            )

    def _claim_label(self, op: int | None) -> str:
        return "claim" if op is None else f"claim @{op}"

    def _game_label(self, op: int | None, k: int) -> str:
        return "game " + game_label(op, k).lstrip("/")

    def _claim_note(self, play: GamePlay | None, step: Step) -> str:
        if step.after != ClaimPhase.CLAIMED.value or play is None or play.verdict is None:
            return ""
        return play.verdict.text()

    def _game_note(self, play: GamePlay | None, step: Step) -> str:
        if play is None or step.event.txid is None:
            return ""
        kinds = play.kinds.get(step.event.txid)
        if step.after == CHALLENGER_WON.value and step.event.tx and step.event.tx.kind is TxKind.CATCH and kinds:
            return f"caught by the {', '.join(sorted(set(kinds.values())))} leaf"
        if step.after == OPERATOR_WON.value and step.event.tx and step.event.tx.kind is TxKind.BEYOND_N:
            return "the search ended past N"
        return ""

    def _say(self, kind: str, text: str, tip: int, **fields: object) -> None:
        """A line logged once per process (and journaled)."""
        if text not in self._said:
            self._said.add(text)
            self.report(kind, text, height=tip, **fields)

    # --- duties ---------------------------------------------------------------------------

    def _duties(self) -> list[Due]:
        out: list[Due] = []
        for op, claim in self.claims.items():
            run = self.claim_runs[op]
            if self.role is Role.OPERATOR:
                games = {k: self.game_runs[(op, k)] for k in self._games_of(op)}
                out += operator_duties_v2(run, games, claim, self.graph)
            else:
                assert self.k is not None
                play = self._play(op, self.k)
                disputes = None if play is None else play.disputes
                if self.options.policy is Policy.NEVER:
                    disputes = False
                out += challenger_duties_v2(run, self.game_runs[(op, self.k)], claim, self.graph, self.k, disputes)
        return out

    def _build(self, duty: Due, prior: dict | None, tip: int) -> tuple[TxName, Tx] | None:
        if prior is not None:  # made before (this run or an earlier one): the same transaction again
            return self._name(prior["tx"]), Tx.from_hex(prior["hex"])
        if isinstance(duty, MoveDuty):
            return self._move(duty, tip)
        name = duty.tx
        assert name is not None
        if name.kind is TxKind.KICKOFF:
            return self._kickoff(name, tip)
        if name.kind is TxKind.OPEN:
            tx, _ = open_tx(self._ref(name.operator, name.game), self.key)
            return name, tx
        return name, signed_tx(self.graph, name, [self.key])

    def _kickoff(self, name: TxName, tip: int) -> tuple[TxName, Tx] | None:
        play = self._play(self.mine, 1)
        if play is None:
            self._say("cannot", "cannot claim: no run of the program to defend", tip)
            return None
        assert isinstance(play.player, OperatorPlayer)
        tx, _ = play.player.kickoff()
        if not self._journal_signatures(play.ref, name, tx, tip):
            return None
        return name, tx

    def _move(self, duty: MoveDuty, tip: int) -> tuple[TxName, Tx] | None:
        play = self._play(duty.operator, duty.game)
        if play is None:
            self._say("cannot", f"cannot move in {duty.slot}: no run of the program to defend", tip)
            return None
        played = play.move(duty.state)
        if played is None:
            self._say(
                "cannot",
                f"{self._game_label(duty.operator, duty.game)}: no move its leaves accept in state {duty.label}",
                tip,
                slot=duty.slot,
            )
            return None
        name, (tx, _) = played
        if not self._journal_signatures(play.ref, name, tx, tip):
            return None
        return name, tx

    def _journal_signatures(self, ref: GameRef, name: TxName, tx: Tx, tip: int) -> bool:
        """Journal the one-time signatures ``tx`` reveals before it is broadcast;
        False (and a journaled refusal) if one differs from a journaled one."""
        try:
            fresh = self.journal.check_signatures(signature_digests(ref, name, tx, self.role))
        except UserError as exc:
            self._say("refused-to-sign", f"{name}: {exc}", tip, tx=str(name))
            return False
        if fresh:
            self.report(
                "signed", f"{name}: {len(fresh)} one-time signature(s) journaled", height=tip, tx=str(name), keys=fresh
            )
        return True

    # --- the operator's claim ---------------------------------------------------------------

    def _pick_up_claim(self, tip: int) -> bool:
        if self.journal.claim() is not None:
            return False
        request = self.state.claim_request()
        if request is None:
            return False
        if "input" not in request:
            self._say(
                "claim-refused", "claim request: a graph v2 claim names its input (ocp watch claim --input F)", tip
            )
            return False
        try:
            party = self._party(request["input"], request.get("fault"), request.get("wrong_step"))
        except UserError as exc:
            self._say("claim-refused", f"claim request: {exc}", tip)
            return False
        self._commit(party, request["input"], request.get("fault"), request.get("wrong_step"), tip, "requested")
        return True

    def _party(self, tape: bytes, fault: str | None, step: int | None) -> zd.HonestOperator:
        """The operator's run of the program on ``tape`` (lying once with ``fault`` at
        ``step``: a drill's dishonest operator)."""
        comp = self.layout.comp
        if len(tape) > 4 * comp.input_words:
            raise UserError(f"the input is {len(tape)} bytes; the graph signs at most {4 * comp.input_words}")
        trace = self.guest.trace(tape)
        if fault is None:
            if not (trace.halted and trace.status.name == "EXITED" and trace.exit_code == 0):
                raise UserError("the program does not exit 0 on this input: there is no true claim to make")
            return zd.HonestOperator(trace, comp.search)
        return zd.FaultyOperator(trace, comp.search, fault, trace.steps // 2 if step is None else step)

    def _commit(
        self, party: zd.HonestOperator, tape: bytes, fault: str | None, step: int | None, tip: int, source: str
    ) -> None:
        """Journal the claim the operator will defend, before anything is signed."""
        claim = party.claim
        what = "its honest run" if fault is None else f"a run with a {fault!r} fault near step {step}"
        self.report(
            "claim",
            f"claim committed: N = {claim.steps}, h_N = {claim.final_hash.hex()[:12]}... on a "
            f"{len(tape)}-byte input ({what}, {source})",
            height=tip,
            input=tape.hex(),
            fault=fault,
            wrong_step=step,
            claim_n=claim.steps,
            claim_h=claim.final_hash.hex(),
            source=source,
        )
        self.party = party

    def _restore_party(self) -> None:
        """After a restart: the run the journal says the operator claimed."""
        claim = self.journal.claim()
        assert claim is not None
        party = self._party(bytes.fromhex(claim["input"]), claim.get("fault"), claim.get("wrong_step"))
        if party.claim.steps != claim["claim_n"] or party.claim.final_hash.hex() != claim["claim_h"]:
            raise UserError(
                f"the journal's claim (N = {claim['claim_n']}) is not what the program gives now "
                f"(N = {party.claim.steps}): another program or another build?"
            )
        self.party = party

    def _adopt(self, claim: Claim, tip: int) -> None:
        """A Kickoff mined before this state folder: defend it if it is the program's
        honest run on the input it claims."""
        kickoff = claim.of_kind(TxKind.KICKOFF)
        if not kickoff or self.party is not None:
            return
        ref = self._ref(claim.operator, 1)
        book = ref.new_book()
        read_tx(ref, kickoff[0].name, kickoff[0].tx, book)
        mined = claim_from_book(ref, book)
        try:
            party = self._party(mined.input, None, None)
        except UserError as exc:
            self._say("cannot", f"cannot defend the mined Kickoff: {exc}", tip)
            return
        if (party.claim.steps, party.claim.final_hash) != (mined.steps, mined.final_hash):
            self._say(
                "cannot",
                "cannot defend the mined Kickoff: it is not the program's run on its input, and no "
                "journal here says how it was made",
                tip,
            )
            return
        self._commit(party, mined.input, None, None, tip, "read from the mined Kickoff")

    # --- the end --------------------------------------------------------------------------

    def _done(self) -> bool:
        if not self.claims:
            return False
        if self.role is Role.OPERATOR:
            op = self.mine
            if op not in self.claim_runs:
                return False
            over = self.claim_runs[op].phase in CLAIM_V2.terminal
            return over and all(self.game_runs[(op, k)].phase in GAME_OVER | {UNOPENED} for k in self._games_of(op))
        assert self.k is not None
        vault_gone = any(c.vault_taken_by is not None for c in self.claims.values())
        for op in self.claims:
            phase = self.claim_runs[op].phase
            if phase in CLAIM_V2.terminal or self.game_runs[(op, self.k)].phase in GAME_OVER:
                continue
            if vault_gone and phase is ClaimPhase.IDLE:
                continue
            return False
        return True

    def _outcome(self) -> dict[str, str]:
        out = {}
        for op in self.claims:
            prefix = "" if op is None else f"@{op} "
            out[f"{prefix}claim"] = self.claim_runs[op].phase.value
            for k in self._games_of(op):
                out[f"{prefix}c{k}"] = self.game_runs[(op, k)].phase.value
        return out

    def exit_code(self) -> int:
        if self.role is Role.OPERATOR and self.mine in self.claim_runs:
            phase = self.claim_runs[self.mine].phase
            if phase in CLAIM_V2.terminal and phase not in KEPT_STAKE_V2:
                return EXIT_LOST
        return EXIT_DONE

"""A party's players of version-2 games, kept in step with the chain.

A watcher plays each game with the players of :mod:`ocp.game.players`: an
:class:`~ocp.game.players.OperatorPlayer` over its own run of the program, a
:class:`~ocp.game.players.ChallengerPlayer` over the challenger's run of the
claimed input.  What a player knows is its :class:`~ocp.game.book.SignatureBook`
(what the game's mined transactions revealed) and, for the challenger, its
strategy's memory (the target it narrowed the search to, the read search's
target).  :class:`GamePlay` keeps both equal to what the active chain says:

* it reads the game's mined transactions in chain order (:func:`ocp.game.play.read_tx`);
  when a reorganisation changes that order it starts a fresh player and reads
  them all again;
* before reading a move the challenger made out of one of its states it *replays*
  the move with a player that has not made it yet (in this process): the strategy
  sees what it saw then, so its memory is rebuilt exactly (a restarted challenger
  in the read search recomputes the read target this way), and a replay that
  differs from what was mined is reported.

Nothing here broadcasts: the service journals and submits what :meth:`GamePlay.move`
returns (:mod:`ocp.watch.gameservice`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from ocp.errors import UserError
from ocp.game.layout import is_claim_value, owner
from ocp.game.play import Built, GameRef, read_tx
from ocp.game.players import ChallengerPlayer, OperatorPlayer, claim_from_book
from ocp.graph import Graph
from ocp.ids import Role, TxKind, TxName
from ocp.watch.events import Confirmation
from ocp.zkvm import dispute as zd
from ocp.zkvm.claim import Claim
from ocp.zkvm.trace import ExecutionTrace
from taptrees.tx import Tx

Player = OperatorPlayer | ChallengerPlayer


@dataclass
class GuestRuns:
    """The graph's program run on claimed inputs, each input once (a rebuilt player
    runs nothing again)."""

    graph: Graph
    runs: dict[bytes, ExecutionTrace] = field(default_factory=dict)

    def trace(self, tape: bytes) -> ExecutionTrace:
        """The run on ``tape`` (at most the search's ``max_steps``)."""
        found = self.runs.get(tape)
        if found is None:
            comp = self.graph.layout.comp  # type: ignore[union-attr]
            found = self.runs[tape] = ExecutionTrace.of(comp.image, tape, max_steps=comp.search.max_steps).run()
        return found

    def verdict(self, claim: Claim) -> ClaimVerdict:
        return ClaimVerdict.of(claim, self.trace(claim.input))

    def challenger(self, strategy: str = "honest", seed: int = 0) -> Callable[[Claim], zd.HonestChallenger]:
        """The challenger's strategy over its own run of a claimed input: ``honest``, or
        one of :data:`ocp.zkvm.dispute.CHALLENGER_STRATEGIES` (``random`` disputes every
        claim: the answered path)."""
        if strategy not in zd.CHALLENGER_STRATEGIES:
            raise UserError(f"unknown challenger strategy {strategy!r}")

        def party_for(claim: Claim) -> zd.HonestChallenger:
            trace = self.trace(claim.input)
            if strategy == "honest":
                return zd.HonestChallenger(trace, claim.search)
            return zd.FaultyChallenger(trace, claim.search, strategy, seed=seed)

        return party_for


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim as the Kickoff revealed it beside the program's run on its input."""

    claimed_steps: int
    claimed_hash: bytes
    input_len: int
    steps: int
    final_hash: bytes
    exit_code: int | None  # None: the run did not halt within max_steps

    @classmethod
    def of(cls, claim: Claim, trace: ExecutionTrace) -> ClaimVerdict:
        code = trace.exit_code if trace.halted and trace.status.name == "EXITED" else None
        return cls(claim.steps, claim.final_hash, len(claim.input), trace.steps, trace.final_hash, code)

    @property
    def claim_is_false(self) -> bool:
        return not (self.exit_code == 0 and self.claimed_steps == self.steps and self.claimed_hash == self.final_hash)

    def text(self) -> str:
        run = (
            f"exit {self.exit_code} at step {self.steps}"
            if self.exit_code is not None
            else f"no exit within {self.steps} steps"
        )
        claim = f"N = {self.claimed_steps}, h_N = {self.claimed_hash.hex()[:12]}... on a {self.input_len}-byte input"
        if self.claim_is_false:
            return f"claim {claim} is false: the program's run gives {run}, h = {self.final_hash.hex()[:12]}..."
        return f"claim {claim} is true: the program's run gives {run}"

    def to_json(self) -> dict:
        return {
            "claimed_steps": self.claimed_steps,
            "claimed_hash": self.claimed_hash.hex(),
            "input_len": self.input_len,
            "steps": self.steps,
            "final_hash": self.final_hash.hex(),
            "exit_code": self.exit_code,
            "claim_is_false": self.claim_is_false,
        }


def signature_digests(ref: GameRef, name: TxName, tx: Tx, role: Role) -> dict[str, str]:
    """The one-time signatures ``role`` reveals in ``tx`` (graph transaction ``name`` of
    game ``ref``), by journal key -> a digest: ``claim/<value>`` for the claim's keys,
    ``<game>/<value>`` for a game's.  Winternitz signatures are deterministic per key
    and message, so a digest that changes means a second message under one key."""
    book = ref.new_book()
    read_tx(ref, name, tx, book)  # also checks every signature against the game's key
    game = f"o{ref.operator + 1}/c{ref.challenger + 1}"
    out = {}
    for key, sig in book.signatures.items():
        if owner(key) is role:
            where = "claim" if is_claim_value(key) else game
            out[f"{where}/{key}"] = sha256(b"".join(sig)).hexdigest()[:32]
    return out


@dataclass
class GamePlay:
    """One game as this party plays it (module docstring).  ``new_player`` makes a
    player with an empty book; ``verdict_of`` (the challenger's) judges the claim
    read from the Kickoff."""

    ref: GameRef
    role: Role
    new_player: Callable[[], Player]
    verdict_of: Callable[[Claim], ClaimVerdict] | None = None
    player: Player = field(init=False)
    read: list[tuple[str, str]] = field(init=False, default_factory=list)  # (txid, block) read, chain order
    kinds: dict[str, dict[int, str]] = field(init=False, default_factory=dict)  # txid -> check leaf kind by input
    advanced: set[int] = field(init=False, default_factory=set)  # states whose move the strategy made
    played: dict[int, tuple[TxName, Built] | None] = field(init=False, default_factory=dict)
    claim: Claim | None = field(init=False, default=None)
    verdict: ClaimVerdict | None = field(init=False, default=None)
    disputes: bool | None = field(init=False, default=None)
    rebuilds: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.player = self.new_player()

    def sync(self, mined: Sequence[Confirmation]) -> list[str]:
        """Read what the chain holds of this game (the Kickoff, Open, every move, in
        chain order); returns notes worth a log line (replays that differ)."""
        where = [(c.txid, c.block_hash) for c in mined]  # a move's txid is fixed, its witness is not
        if where[: len(self.read)] != self.read:
            self._reset()
        notes = []
        for c in mined[len(self.read) :]:
            notes += self._learn(c)
            self.read.append((c.txid, c.block_hash))
        return notes

    def _reset(self) -> None:
        self.player = self.new_player()
        self.read = []
        self.kinds = {}
        self.advanced = set()
        self.played = {}
        self.claim = self.verdict = self.disputes = None
        self.rebuilds += 1

    def _learn(self, c: Confirmation) -> list[str]:
        ref, name = self.ref, c.name
        if name == ref.kickoff:
            read_tx(ref, name, c.tx, self.player.book)
            try:
                self.claim = claim_from_book(ref, self.player.book)
            except UserError as exc:
                return [f"the Kickoff's claim cannot be read: {exc}"]
            if isinstance(self.player, ChallengerPlayer):
                self.disputes = self.player.disputes()
                assert self.verdict_of is not None
                self.verdict = self.verdict_of(self.claim)
            return []
        notes = []
        if (
            isinstance(self.player, ChallengerPlayer)
            and name.index is not None
            and name.index not in self.advanced
            and name.kind not in (TxKind.OPERATOR_SILENT, TxKind.CHALLENGER_SILENT)
        ):
            state = ref.layout.states[name.index]
            if state.mover is Role.CHALLENGER:
                notes += self._replay(state, name, c.tx)
        self.kinds[c.txid] = read_tx(ref, name, c.tx, self.player.book)
        return notes

    def _replay(self, state, name: TxName, mined: Tx) -> list[str]:
        """Make the challenger's move out of ``state`` again before reading it: the
        strategy's memory is rebuilt; a different move is reported."""
        self.advanced.add(state.index)
        try:
            played = self.player.move(state)
        except UserError as exc:
            return [f"replaying {name}: {exc}"]
        if played is None:
            return [f"replaying {name}: the strategy has no move in {state.label} now"]
        again, (tx, _) = played
        if again != name:
            return [f"replaying {name}: the strategy now plays {again}"]
        mine = signature_digests(self.ref, name, tx, Role.CHALLENGER)
        if mine != signature_digests(self.ref, name, mined, Role.CHALLENGER):
            return [f"replaying {name}: the strategy now signs other values than the mined ones"]
        return []

    def move(self, index: int) -> tuple[TxName, Built] | None:
        """This party's move out of layout state ``index`` (None: no move its leaves
        accept, or a move its own twins say the leaves would refuse).  Made once per
        state: asked again, it gives the same answer."""
        if index in self.played:
            return self.played[index]
        state = self.ref.layout.states[index]
        self.advanced.add(index)
        played = self.player.move(state)
        self.played[index] = None if played is None or not self.player.twin_ok else played
        return self.played[index]

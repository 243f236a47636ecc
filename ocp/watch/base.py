"""What every watcher service does, whatever the graph's version: the loop, the
log, journaling and broadcasting what is due, and CPFP fee bumps.

Each :meth:`BaseService.step`:

1. polls the :class:`ocp.watch.follower.Follower` (blocks in and out of the
   active chain, graph transactions recognised in them);
2. (operator) picks up a claim request (:meth:`BaseService._pick_up_claim`);
3. folds the machines over what is confirmed and logs what changed
   (:meth:`BaseService._fold`, :meth:`BaseService._report_run`): new transitions,
   and transitions a reorganisation took back, in one human line and one JSON line;
4. on a new tip or a new state, performs every due duty (:meth:`BaseService._perform`):
   a transaction is journaled (``broadcast``, with its hex) before it is submitted,
   its answer after (``result``); one already in the mempool is left alone, and a
   duty journaled before is submitted again *as journaled* (never built twice);
5. bumps its own moves by CPFP on their keyed output (anchor, change or payout): at
   once when the chain refuses one for its fee, and again, at twice the feerate,
   whenever one lingers unconfirmed for ``bump_after`` blocks.

:class:`ocp.watch.service.WatchService` (graph 1.1) and
:class:`ocp.watch.gameservice.GameWatchService` (graph v2) fill in the machines,
the duties and how each transaction is made.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from bitcoin_core_rpc.errors import FetchError, RpcError

from ocp.errors import UserError
from ocp.graph import Graph
from ocp.ids import Role, TxName
from ocp.keyfile import RoleKey
from ocp.moves import bump, keyed_output
from ocp.watch.challenger import Policy
from ocp.watch.events import BlockConnected, BlockDisconnected, ChainEvent
from ocp.watch.follower import Follower
from ocp.watch.journal import Journal, StateDir
from ocp.watch.machine import Run, Step
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
    feerate: float = 10.0  # sat/vB: the challenger's completions, the first CPFP bump
    max_feerate: float = 1_000.0  # sat/vB: bumps double up to this
    bump_after: int = 2  # blocks a move may linger unconfirmed before it is bumped
    coins: tuple[OutPoint, ...] = ()  # the party's own key-path coins (fees; v1.1's Challenge input)
    exit_when_done: bool = False


DEFAULT_OPTIONS = WatchOptions()


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
            print(
                json.dumps({**entry, "role": self.who, "text": text}, separators=(",", ":")),
                file=self.stream,
                flush=True,
            )
        else:
            where = f"[{height}]" if height is not None else "[-]"
            print(f"{where} {self.who}: {text}", file=self.stream, flush=True)


class Due(Protocol):
    """A duty: something to get mined from tip ``from_height`` on, filed in the
    journal under ``slot`` (``tx``: the graph transaction when it is fixed)."""

    tx: TxName | None
    why: str
    from_height: int

    @property
    def slot(self) -> str: ...

    def due(self, tip: int) -> bool: ...


class BaseService:
    """One party watching one graph (module docstring); subclasses say what to fold
    and what to broadcast."""

    #: Whether the party bumps its moves (graph 1.1's challenger completes templates at its feerate).
    bumps_fees: bool = True

    def __init__(
        self,
        graph: Graph,
        key: RoleKey,
        chain: Chain,
        state: StateDir,
        options: WatchOptions,
        stream: TextIO,
        as_json: bool,
        who: str,
    ) -> None:
        if key.role not in (Role.OPERATOR, Role.CHALLENGER):
            raise UserError(f"a watcher runs for an operator or a challenger, not a {key.role}")
        self.graph = graph
        self.key = key
        self.role = key.role
        self.chain = chain
        self.state = state
        self.options = options
        self.journal = state.journal()
        self.own_spk = TaprootOutput(key.pubkey).script_pubkey
        self.report = Reporter(self.journal, stream, as_json, who)
        self.follower = Follower(chain, graph)
        self._labels = {str(name): name for name in graph.txs}
        self._steps: dict[tuple, tuple[Step, ...]] = {}
        self._refused: set[tuple] = set()
        self._attempted: dict[str, int] = {}
        self._last_tip: int | None = None
        self._known = {
            (e.get("operator"), e.get("game"), e.get("n"), e.get("txid")) for e in self.journal.of_kind("transition")
        }
        self._started = False
        self._caught_up = False
        self._done_reported = self.journal.last("done") is not None

    # --- what a version fills in -------------------------------------------------------

    def _pick_up_claim(self, tip: int) -> bool:
        """(operator) Journal a claim request; whether one was picked up."""
        return False

    def _fold(self, tip: int) -> None:
        raise NotImplementedError

    def _duties(self) -> list[Due]:
        raise NotImplementedError

    def _build(self, duty: Due, prior: dict | None, tip: int) -> tuple[TxName, Tx] | None:
        """The transaction that performs ``duty`` (``prior``: the journal's last
        broadcast for its slot), or None when there is none to make now."""
        raise NotImplementedError

    def _done(self) -> bool:
        raise NotImplementedError

    def _outcome(self) -> dict[str, str]:
        raise NotImplementedError

    def exit_code(self) -> int:
        raise NotImplementedError

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
                    self.report(
                        "chain-error",
                        f"the chain did not answer ({exc}); retrying",
                        height=self._last_tip,
                        journal=False,
                    )
                failing = True
                done = False
            if done and self.options.exit_when_done:
                break
            stop.wait(self.options.poll_interval)
        return self.exit_code()

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
            for duty in self._duties():
                if duty.due(tip):
                    self._perform(duty, tip)
            if self.bumps_fees:
                self._bump_lingering(tip)
        self._last_tip = tip
        if not self._caught_up:  # the first poll of this process: the chain read, what was due done
            self._caught_up = True
            self.report("ready", f"caught up with the chain at height {tip}", height=tip, journal=False)
        done = self._done()
        if done and not self._done_reported:
            outcome = self._outcome()
            self.report(
                "done",
                "the game is over: " + ", ".join(f"{who} {p}" for who, p in outcome.items()),
                height=tip,
                outcome=outcome,
            )
            self._done_reported = True
        return done

    def _start(self) -> None:
        self._started = True
        resumed = len(self.journal.entries) > 0
        self.report(
            "start",
            ("resuming from the journal and the chain" if resumed else "starting")
            + f", following from height {self.follower.start_height}",
            height=self.chain.height(),
            graph_id=self.graph.graph_id.hex(),
            pubkey=self.key.pubkey.hex(),
            resumed=resumed,
            repaired_journal=self.journal.repaired,
        )

    # --- what the chain says ------------------------------------------------------------

    def _report_blocks(self, events: list[ChainEvent]) -> None:
        gone = [e for e in events if isinstance(e, BlockDisconnected)]
        if gone:
            low, high = min(e.height for e in gone), max(e.height for e in gone)
            tip = max([low - 1] + [e.height for e in events if isinstance(e, BlockConnected)])
            self.report(
                "reorg",
                f"reorganisation: blocks {low}-{high} left the active chain",
                height=low - 1,
                tip=tip,
                disconnected=[e.hash for e in gone],
            )
        for e in events:
            if isinstance(e, BlockConnected):
                for c in e.confirmations:
                    self.report(
                        "confirmed",
                        f"{c.name} confirmed ({c.txid})",
                        height=e.height,
                        journal=False,
                        tx=str(c.name),
                        txid=c.txid,
                        block=c.block_hash,
                    )

    def _report_run(
        self,
        key: tuple[int | None, int | None],
        label: str,
        run: Run,
        tip: int,
        note: Callable[[Step], str] = lambda step: "",
        **extra: object,
    ) -> None:
        """Log the steps of machine run ``run`` (of operator ``key[0]``'s claim, or of its
        game ``key[1]``) not logged yet, and roll back those a reorganisation took back."""
        op, game = key
        where = {"operator": op, **({"game": game} if game is not None else {})}
        old = self._steps.get(key, ())
        new = run.steps
        common = 0
        while common < min(len(old), len(new)) and old[common] == new[common]:
            common += 1
        for n in range(len(old) - 1, common - 1, -1):
            step = old[n]
            self._known.discard((op, game, n, step.event.txid))
            self.report(
                "rollback",
                f"{label}: {step.after} -> {step.before}: {step.event.tx} left the active chain",
                height=tip,
                **where,
                **_fields(step),
            )
        for n, step in enumerate(new[common:], common):
            known = (op, game, n, step.event.txid)
            if known in self._known:
                continue
            self._known.add(known)
            text = f"{label}: {step.before} -> {step.after} on {step.event.tx or step.event.trigger.value}"
            said = note(step)
            self.report(
                "transition",
                text + (f" ({said})" if said else ""),
                height=step.event.height if step.event.height is not None else tip,
                **where,
                n=n,
                **_fields(step),
                **extra,
            )
        for refused in run.refused:
            seen = (op, game, refused.event.trigger, refused.event.txid)
            if seen not in self._refused:
                self._refused.add(seen)
                self.report(
                    "refused",
                    f"{label}: {refused.event.tx} confirmed, which the "
                    f"{self.role.value}'s machine forbids in {refused.phase}; ignored",
                    height=refused.event.height,
                    **where,
                    phase=refused.phase,
                    tx=str(refused.event.tx),
                    txid=refused.event.txid,
                )
        self._steps[key] = new

    # --- broadcasting ---------------------------------------------------------------------

    def _name(self, label: str) -> TxName:
        """The graph transaction a journal entry names (looked up, never parsed)."""
        try:
            return self._labels[label]
        except KeyError:
            raise UserError(f"graph has no transaction {label!r}") from None

    def _confirmed(self, name: TxName) -> bool:
        return any(c.name == name for c in self.follower.confirmed)

    def _perform(self, duty: Due, tip: int) -> None:
        slot = duty.slot
        if (duty.tx is not None and self._confirmed(duty.tx)) or self._attempted.get(slot) == tip:
            return
        self._attempted[slot] = tip
        prior = self.journal.last("broadcast", slot=slot)
        if prior is not None and self.chain.confirmations(prior["txid"]) == 0:
            return  # in the mempool: a lingering move is bumped, not rebuilt
        try:
            built = self._build(duty, prior, tip)
        except UserError as exc:
            self.report("cannot", f"cannot make {slot}: {exc}", height=tip, tx=slot, journal=False)
            return
        if built is None:
            return
        name, tx = built
        if prior is None or prior["txid"] != tx.txid or prior["hex"] != tx.hex():
            self.report(
                "broadcast",
                f"broadcast {name} {tx.txid}: {duty.why}",
                height=tip,
                tx=str(name),
                slot=slot,
                txid=tx.txid,
                why=duty.why,
                hex=tx.hex(),
            )
        result = self.chain.submit(tx)
        reason = f"{result.reason} {result.detail}".strip()
        self.report(
            "result",
            f"{name} {'accepted' if result.accepted else 'refused: ' + reason}",
            height=tip,
            tx=str(name),
            txid=tx.txid,
            accepted=result.accepted,
            reason=result.reason,
            detail=result.detail,
        )
        if self.bumps_fees and not result.accepted and result.reason in FEE_REASONS and self._parents_confirmed(name):
            failed = self.journal.last("bump", tx=str(name))
            again = failed is not None and not failed["accepted"]
            self._bump(
                name, tx, tip, min(2 * failed["feerate"], self.options.max_feerate) if again else self.options.feerate
            )

    # --- CPFP -----------------------------------------------------------------------------

    def _bump_lingering(self, tip: int) -> None:
        """Bump every own move that has been in the mempool for ``bump_after``
        blocks since it was accepted, last bumped, or put back by a reorganisation
        (oldest first)."""
        latest: dict[str, dict] = {}
        for entry in self.journal.of_kind("result"):
            if entry.get("accepted"):
                latest[entry["tx"]] = entry
        reorg = self.journal.last("reorg")
        back = reorg.get("tip", reorg["height"]) if reorg else 0  # moves a reorganisation put back wait again
        for label, entry in latest.items():
            name = self._name(label)
            if self._confirmed(name) or self.chain.confirmations(entry["txid"]) != 0:
                continue
            last = self.journal.last("bump", tx=label, accepted=True)
            since = max(entry["height"], last["height"] if last else entry["height"], back)
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
            self.report(
                "cannot",
                f"cannot bump {name}: no output of it pays this {self.role.value}'s key",
                height=tip,
                tx=str(name),
                journal=False,
            )
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
        verdict = (
            "accepted"
            if result.accepted
            else f"refused: {result.message} "
            + "; ".join(f"{r.reason} {r.detail}".strip() for r in result.results if not r.accepted)
        )
        self.report(
            "bump",
            f"bumped {name} by CPFP on output {vout} at {feerate:g} sat/vB (child {child.txid}): {verdict}",
            height=tip,
            tx=str(name),
            parent=parent.txid,
            child=child.txid,
            feerate=feerate,
            extra=used,
            accepted=result.accepted,
            hex=child.hex(),
        )

    def _fee_coin_candidates(self) -> list[OutPoint]:
        """Coins of this party's key a bump may add, newest first: outputs of its bump
        children, then its outputs of confirmed graph transactions (change, payouts,
        anchors), then the given coins."""
        candidates = [OutPoint(e["child"], 0) for e in reversed(list(self.journal.of_kind("bump"))) if e["accepted"]]
        for c in reversed(self.follower.confirmed):
            candidates += [
                OutPoint(c.txid, vout) for vout, out in enumerate(c.tx.outputs) if out.script_pubkey == self.own_spk
            ]
        return candidates + list(self.options.coins)

    def _fee_coins(self) -> list[OutPoint]:
        """The candidates that are confirmed and unspent.  Only confirmed ones: a child
        hanging off another unconfirmed child would be evicted with it when that one
        is replaced."""
        confirmed = []
        for coin in dict.fromkeys(self._fee_coin_candidates()):
            utxo = self.chain.get_output(coin)
            if utxo is not None and utxo.height is not None:
                confirmed.append(coin)
        return confirmed


def _fields(step: Step) -> dict:
    """A step's fields for a record (its height is the record's own)."""
    return {k: v for k, v in step.to_json().items() if k != "height"}

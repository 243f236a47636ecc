"""The ceremony's coordinator: one graph file, the signatures it still owes, the
committee's current MuSig2 round, and what it accepted (issue 17).

It holds no key and signs nothing; it collects.  Everything it takes in is a
signed message (:mod:`ocp.ceremony.messages`) checked before anything is kept:

* a committee member's nonces and partial signatures go through the round
  functions of :mod:`ocp.ceremony.session`; a provably bad contribution is
  recorded as :class:`~ocp.ceremony.session.Blame` naming the member (and the
  inputs), and the inputs it spoiled go to a new round with fresh nonces from
  everyone (a new round id: no member's nonce store will ever hand out a nonce
  for a session it saw before);
* a member that restarted says it cannot sign the current round
  (:class:`~ocp.ceremony.messages.Burned`): the round is abandoned for a new one;
* a round that waits longer than ``round_timeout`` is abandoned, naming the
  members it waited for;
* ordinary signatures (operators, the depositor, members of a chain committee)
  are each verified against the graph and must be owed by their signer; the
  depositor's are refused until every committee and operator signature is in.

Nothing signed is lost: every signature accepted is appended to a journal
(``<graph>.journal``, fsynced) before the sender is told it was taken; the graph
file is rewritten atomically from time to time and when the graph is complete,
then the journal is dropped.  A restarted coordinator reads the graph file,
replays the journal (verifying every entry) and opens a fresh round.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ocp.ceremony.messages import (
    Burned,
    InputRef,
    MessageError,
    NonceAggregate,
    NonceCommit,
    PartialSigs,
    PlainSigs,
    RoundOpen,
    input_of,
)
from ocp.ceremony.session import (
    Blame,
    BlameError,
    Round,
    accept_commit,
    accept_partial_sigs,
    aggregate_nonces,
    check_round_message,
    final_signatures,
    inputs_by_label,
    open_round,
    unsigned_committee_inputs,
)
from ocp.committee import CommitteeForm
from ocp.errors import UserError
from ocp.fileio import write_atomic
from ocp.graph import Graph
from ocp.graphfile import graph_to_json, load_graph, save_graph, signatures_to_json
from ocp.ids import Role, TxName
from ocp.signing import (
    GapKind,
    check_signature,
    outstanding_signatures,
    signing_keys,
    with_signatures,
)

STATE_FORMAT = "ocp-ceremony-state/1"
JOURNAL_FORMAT = "ocp-ceremony-journal/1"

Owed = tuple[TxName, int, bytes]  # (transaction, input, key) of a signature still missing


class StaleRound(MessageError):
    """A message for a round that is not the current one (a late resend)."""


class Journal:
    """Accepted signatures, appended and fsynced before they are acknowledged."""

    def __init__(self, path: Path, graph: Graph) -> None:
        self.path = path
        self.graph_id = graph.graph_id.hex()

    def replay(self, graph: Graph) -> tuple[Graph, int, int]:
        """``graph`` with every valid journal entry added; (graph, taken, refused)."""
        if not self.path.exists():
            return graph, 0, 0
        by_label = inputs_by_label(graph)
        entries, refused = [], 0
        lines = self.path.read_text().splitlines()
        for n, line in enumerate(lines):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                if n == len(lines) - 1:
                    break  # torn last line: the write it belongs to was never acknowledged
                raise UserError(f"{self.path}: line {n + 1} is not JSON") from None
            if n == 0:
                if obj.get("format") != JOURNAL_FORMAT or obj.get("graph_id") != self.graph_id:
                    raise UserError(f"{self.path} is the journal of another graph; move it away")
                continue
            try:
                ref = input_of(by_label, obj.get("input"), "journal entry")
                key, sig = bytes.fromhex(obj["key"]), bytes.fromhex(obj["sig"])
            except (KeyError, TypeError, ValueError, MessageError):
                refused += 1
                continue
            if check_signature(graph, ref.tx, ref.index, key, sig):
                entries.append((ref.tx, ref.index, key, sig))
            else:
                refused += 1
        return with_signatures(graph, entries), len(entries), refused

    def append(self, entries: list[tuple[InputRef, bytes, bytes]]) -> None:
        new = not self.path.exists()
        lines = []
        if new:
            lines.append(json.dumps({"format": JOURNAL_FORMAT, "graph_id": self.graph_id}))
        lines += [json.dumps({"input": str(ref), "key": key.hex(), "sig": sig.hex()}) for ref, key, sig in entries]
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class RoundRecord:
    """What became of one round, for the status and the report."""

    round_id: str
    inputs: int
    outcome: str  # signed / abandoned: <why>
    signed: int = 0


class Coordinator:
    """The coordinator of one graph's ceremony (used by the HTTP server of
    :mod:`ocp.ceremony.server`, and directly by tests)."""

    def __init__(
        self,
        path: str | Path,
        *,
        round_timeout: float = 120.0,
        max_rounds: int = 20,
        save_interval: float = 5.0,
        transcript: str | Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.round_timeout = round_timeout
        self.max_rounds = max_rounds
        self.save_interval = save_interval
        self.transcript = Path(transcript) if transcript else None
        graph = load_graph(self.path)
        self.journal = Journal(self.path.with_name(self.path.name + ".journal"), graph)
        graph, replayed, refused = self.journal.replay(graph)
        self.notes: list[str] = []
        if replayed or refused:
            self.notes.append(f"replayed {replayed} signatures from {self.journal.path} ({refused} refused)")
        bad = [g for g in outstanding_signatures(graph) if g.kind is not GapKind.MISSING]
        if bad:
            raise UserError(f"{self.path} holds a signature that does not verify: {bad[0]}; remove it first")
        self.graph = graph
        self.labels = inputs_by_label(graph)
        self.owed: dict[Owed, Role] = {
            (g.tx, g.index, g.pubkey): g.role for g in outstanding_signatures(graph) if g.role is not None
        }
        self.version = 0
        #: Tells a restarted coordinator's versions from the last one's (long polls).
        self.instance = secrets.token_hex(8)
        self.round: Round | None = None
        self.phase_started = self.clock()
        self.rounds: list[RoundRecord] = []
        self.blame: list[Blame] = []
        self.failed: str | None = None
        self.dirty = replayed > 0
        self.last_save = self.clock()
        self._log({"event": "start", "graph_id": graph.graph_id.hex(), "owed": len(self.owed)})
        self._next_round()

    # --- what everyone reads ---------------------------------------------------------------

    @property
    def graph_id(self) -> bytes:
        return self.graph.graph_id

    def owed_by(self, *roles: Role) -> int:
        return sum(1 for role in self.owed.values() if role in roles)

    @property
    def committee_done(self) -> bool:
        return self.owed_by(Role.COMMITTEE) == 0

    @property
    def depositor_ready(self) -> bool:
        return self.owed_by(Role.COMMITTEE, Role.OPERATOR) == 0

    @property
    def complete(self) -> bool:
        return not self.owed

    def state(self) -> dict:
        rnd = self.round
        round_info = None
        if rnd is not None:
            round_info = {
                "id": rnd.round_id,
                "phase": "nonces" if rnd.aggregate is None else "signing",
                "inputs": len(rnd.opened.inputs),
                "committed": sorted(pk.hex() for pk in rnd.commits),
                "signed": sorted(pk.hex() for pk in rnd.psigs),
            }
        return {
            "format": STATE_FORMAT,
            "version": self.version,
            "instance": self.instance,
            "graph_id": self.graph_id.hex(),
            "committee_form": self.graph.params.committee_form.value,
            "round": round_info,
            "rounds": [asdict(r) for r in self.rounds],
            "owed": {role.value: self.owed_by(role) for role in (Role.COMMITTEE, Role.OPERATOR, Role.DEPOSITOR)},
            "committee_done": self.committee_done,
            "depositor_ready": self.depositor_ready,
            "complete": self.complete,
            "failed": self.failed,
            "blame": [self._blame_json(b) for b in self.blame],
            "notes": list(self.notes),
        }

    def round_open(self, round_id: str) -> RoundOpen:
        return self._current(round_id).opened

    def aggregate(self, round_id: str) -> NonceAggregate:
        rnd = self._current(round_id)
        if rnd.aggregate is None:
            raise StaleRound(f"round {round_id} is still collecting nonces")
        return rnd.aggregate

    def signatures_json(self) -> dict:
        return {"graph_id": self.graph_id.hex(), "signatures": signatures_to_json(self.graph)}

    def graph_json(self) -> dict:
        return graph_to_json(self.graph)

    # --- what signers send ----------------------------------------------------------------

    def post_nonces(self, obj: object) -> dict:
        commit = NonceCommit.from_json(obj)
        rnd = self._current(commit.round_id)
        self._log({"event": "nonces", "message": commit.to_json()})
        try:
            new = accept_commit(rnd, commit)
        except BlameError as exc:
            self._blame(exc.blame)
            raise
        if new:
            if not rnd.waiting_for_nonces:
                aggregate_nonces(rnd)
                self.phase_started = self.clock()
                self._log({"event": "aggregate", "round": rnd.round_id})
            self._changed()
        return {"accepted": True, "round": rnd.round_id}

    def post_psigs(self, obj: object) -> dict:
        message = PartialSigs.from_json(obj)
        rnd = self._current(message.round_id)
        self._log({"event": "psigs", "message": message.to_json()})
        try:
            found = accept_partial_sigs(rnd, message)
        except BlameError as exc:
            self._blame(exc.blame)
            raise
        if found is not None:
            self._blame(found)
        if not rnd.waiting_for_psigs:
            self._finish_round(rnd)
        self._changed()
        if found is not None:
            raise BlameError(found)
        return {"accepted": True, "round": message.round_id}

    def post_burned(self, obj: object) -> dict:
        message = Burned.from_json(obj)
        rnd = self._current(message.round_id)
        check_round_message(rnd, message)
        self._log({"event": "burned", "message": message.to_json()})
        member = self._member_name(message.signer)
        self._abandon(f"{member} restarted: its nonces of the round are burned")
        return {"accepted": True, "next_round": self.round.round_id if self.round else None}

    def post_signatures(self, obj: object) -> dict:
        message = PlainSigs.from_json(obj)
        message.verify()
        if message.graph_id != self.graph_id:
            raise MessageError(f"signatures for graph {message.graph_id.hex()}, not {self.graph_id.hex()}")
        if signing_keys(self.graph).get(message.signer) is not message.role:
            raise MessageError(f"{message.signer.hex()} does not sign this graph as {message.role}")
        if message.role is Role.DEPOSITOR and not self.depositor_ready:
            raise MessageError(
                "the depositor signs last: "
                f"{self.owed_by(Role.COMMITTEE, Role.OPERATOR)} committee and operator signatures are still missing"
            )
        self._log(
            {
                "event": "signatures",
                "signer": message.signer.hex(),
                "role": message.role.value,
                "count": len(message.signatures),
            }
        )
        entries = []
        for label, sig in message.signatures.items():
            ref = input_of(self.labels, label, "signature")
            slot = (ref.tx, ref.index, message.signer)
            if slot not in self.owed:
                if self.graph.signature(*slot) == sig:
                    continue  # a resend
                raise MessageError(f"{label}: no signature of {message.signer.hex()} is owed there")
            if not check_signature(self.graph, ref.tx, ref.index, message.signer, sig):
                blame = Blame(message.signer, "-", "invalid signature", (label,), message.role)
                self._blame(blame)
                raise BlameError(blame)
            entries.append((ref, message.signer, sig))
        self._take(entries)
        self._changed()
        return {"accepted": True, "added": len(entries)}

    # --- time -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Abandon a round that waited past ``round_timeout``, naming who it waited for."""
        rnd = self.round
        if rnd is None or self.clock() - self.phase_started < self.round_timeout:
            return
        late = rnd.waiting_for_nonces if rnd.aggregate is None else rnd.waiting_for_psigs
        what = "nonces" if rnd.aggregate is None else "partial signatures"
        for member in late:
            self._blame(Blame(member, rnd.round_id, f"sent no {what} within {self.round_timeout:g} s"))
        self._abandon(f"timed out waiting for {len(late)} members' {what}")

    def save_due(self) -> bool:
        return self.dirty and (self.complete or self.clock() - self.last_save >= self.save_interval)

    def save(self) -> None:
        """Write the graph file atomically, then drop the journal it now holds."""
        save_graph(self.graph, self.path)
        self.journal.drop()
        self.dirty = False
        self.last_save = self.clock()
        self._log({"event": "saved", "owed": len(self.owed)})

    # --- inside -------------------------------------------------------------------------------

    def _current(self, round_id: str) -> Round:
        if self.round is None or self.round.round_id != round_id:
            now = self.round.round_id if self.round else "none"
            raise StaleRound(f"round {round_id} is not the current round (now: {now})")
        return self.round

    def _finish_round(self, rnd: Round) -> None:
        sigs = final_signatures(rnd)
        agg = self.graph.params.n_of_n.aggregate_key
        self._take([(ref, agg, sig) for ref, sig in sigs.items()])
        left = len(rnd.opened.inputs) - len(sigs)
        outcome = "signed" if not left else f"signed {len(sigs)}, {left} spoiled by invalid partial signatures"
        self.rounds.append(RoundRecord(rnd.round_id, len(rnd.opened.inputs), outcome, len(sigs)))
        self._log({"event": "finished", "round": rnd.round_id, "signed": len(sigs), "left": left})
        self.round = None
        self._next_round()

    def _abandon(self, why: str) -> None:
        rnd = self.round
        if rnd is None:
            return
        self.rounds.append(RoundRecord(rnd.round_id, len(rnd.opened.inputs), f"abandoned: {why}"))
        self._log({"event": "abandoned", "round": rnd.round_id, "why": why})
        self.notes.append(f"round {rnd.round_id} abandoned: {why}")
        self.round = None
        self._next_round()
        self._changed()

    def _next_round(self) -> None:
        if self.graph.params.committee_form is not CommitteeForm.MUSIG2 or self.failed:
            return
        todo = unsigned_committee_inputs(self.graph)
        if not todo:
            return
        if len(self.rounds) >= self.max_rounds:
            blamed = sorted({self._member_name(b.signer) for b in self.blame})
            self.failed = f"gave up after {len(self.rounds)} rounds with {len(todo)} committee inputs unsigned" + (
                f"; blamed: {', '.join(blamed)}" if blamed else ""
            )
            self._log({"event": "failed", "why": self.failed})
            return
        self.round = open_round(self.graph, todo)
        self.phase_started = self.clock()
        self._log({"event": "round", "round": self.round.opened.to_json()})

    def _take(self, entries: list[tuple[InputRef, bytes, bytes]]) -> None:
        if not entries:
            return
        self.journal.append(entries)
        self.graph = with_signatures(self.graph, [(ref.tx, ref.index, key, sig) for ref, key, sig in entries])
        for ref, key, _ in entries:
            self.owed.pop((ref.tx, ref.index, key), None)
        self.dirty = True

    def _blame(self, blame: Blame) -> None:
        self.blame.append(blame)
        self._log({"event": "blame", **self._blame_json(blame)})

    def _blame_json(self, blame: Blame) -> dict:
        return {**blame.to_json(), "who": self._member_name(blame.signer, blame.role), "text": str(blame)}

    def _member_name(self, pubkey: bytes, role: Role = Role.COMMITTEE) -> str:
        keys = self.graph.params.keys_of(role)
        what = "committee member" if role is Role.COMMITTEE else str(role)
        if pubkey in keys and len(keys) > 1:
            return f"{what} {keys.index(pubkey) + 1} ({pubkey.hex()})"
        return f"{what} {pubkey.hex()}"

    def _changed(self) -> None:
        self.version += 1

    def _log(self, event: dict) -> None:
        if self.transcript is None:
            return
        with self.transcript.open("a") as fh:
            fh.write(json.dumps({"t": round(time.time(), 3), **event}) + "\n")


def write_url_file(path: str | Path, url: str) -> None:
    write_atomic(path, url + "\n")

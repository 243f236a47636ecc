"""A watcher's state directory: who it watches for, an append-only journal of what
it decided and broadcast, and the operator's claim request.

Layout (the folder is made 0700; files 0600):

* ``watch.json`` -- ``{"format": "ocp-watch/1", "role", "graph_id", "pubkey",
  "operator"}``, written once (atomically, :func:`ocp.fileio.write_json`); a later
  start with another graph, role or key is refused, so two games never share a
  journal.
* ``journal.jsonl`` -- one JSON object per line, appended and fsynced before the
  watcher acts on it: ``claim`` (the trace the operator commits to), ``reveal``
  (values about to be signed under one-time keys), ``broadcast`` (a transaction,
  its txid and hex, and why, written *before* it is submitted), ``result`` (the
  chain's answer), ``bump`` (a CPFP child), ``transition``, ``reorg``,
  ``refused`` (an event the machine forbids), ``done``.  A torn last line (a
  crash mid-write) is cut off when the journal is opened: it was never acted on.
* ``claim.json`` -- written by ``ocp watch ... claim`` (atomically) for the
  running operator service to pick up (graph 1.1: an optional wrong step; graph
  v2: the input tape, and for drills a fault to lie with).
* ``lock`` -- held (``flock``) by the running service: one service per folder.

What the journal guarantees: a one-time key signs one value.  Graph 1.1: the
operator's claim entry fixes every value of its trace before the first one is
revealed, and :meth:`Journal.check_reveal` refuses any later reveal of a
different value for the same index.  Graph v2: the claim entry fixes the input
(and the fault a drill lies with), from which every value follows; each move's
one-time signatures are journaled (``signed``: a digest per key) before the move
is broadcast, and :meth:`Journal.check_signatures` refuses a signature that
differs from a journaled one (Winternitz signatures are deterministic per key and
message, so a different digest is a second message).  Both hold after a crash,
a restart, a reorganisation or an edited claim request alike.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json

STATE_FORMAT = "ocp-watch/1"
CLAIM_FORMAT = "ocp-watch-claim/1"
CLAIM_FORMAT_V2 = "ocp-watch-claim/2"
META = "watch.json"
JOURNAL = "journal.jsonl"
CLAIM_REQUEST = "claim.json"
LOCK = "lock"


@dataclass(frozen=True)
class Identity:
    """Whom a state directory watches for (never a secret)."""

    role: str
    graph_id: str
    pubkey: str
    operator: int | None  # the operator's number in the graph's names (operators only)

    def to_json(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "role": self.role,
            "graph_id": self.graph_id,
            "pubkey": self.pubkey,
            "operator": self.operator,
        }


class Journal:
    """``journal.jsonl``: append-only, one fsynced JSON line per entry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[dict] = []
        self.repaired = False
        if path.exists():
            data = path.read_bytes()
            end = data.rfind(b"\n") + 1
            if end != len(data):  # a torn last line: never acted on
                with open(path, "r+b") as fh:
                    fh.truncate(end)
                    fh.flush()
                    os.fsync(fh.fileno())
                self.repaired = True
            for number, line in enumerate(data[:end].splitlines(), 1):
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    raise UserError(f"journal {path} line {number} is not JSON (edited by hand?)") from None
                if not isinstance(entry, dict) or "kind" not in entry:
                    raise UserError(f"journal {path} line {number} is not a journal entry")
                self.entries.append(entry)

    def append(self, kind: str, **fields: object) -> dict:
        entry = {"seq": len(self.entries) + 1, "at": round(time.time(), 3), "kind": kind, **fields}
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries.append(entry)
        return entry

    def of_kind(self, kind: str) -> Iterator[dict]:
        return (e for e in self.entries if e["kind"] == kind)

    def last(self, kind: str, **match: object) -> dict | None:
        for entry in reversed(self.entries):
            if entry["kind"] == kind and all(entry.get(k) == v for k, v in match.items()):
                return entry
        return None

    # --- the operator's one-time signatures ---------------------------------------------

    def claim(self) -> dict | None:
        return self.last("claim")

    def committed_values(self) -> dict[int, int]:
        """Value index -> the value the operator committed to (its claim's trace, and
        every reveal it journaled)."""
        values: dict[int, int] = {}
        claim = self.claim()
        if claim is not None and "trace" in claim:
            trace = claim["trace"]
            values.update({i: trace[i + 1] for i in range(len(trace) - 1)})
        for entry in self.of_kind("reveal"):
            values.update({int(i): v for i, v in entry["values"].items()})
        return values

    def check_reveal(self, values: Mapping[int, int]) -> None:
        """Refuse to sign a value under a one-time key that already committed to
        another one (Winternitz signatures of two values reveal a forgery)."""
        committed = self.committed_values()
        for index, value in values.items():
            if index in committed and committed[index] != value:
                raise UserError(
                    f"refusing to reveal value {index} = {value}: the journal shows this one-time "
                    f"key committed to {committed[index]} (a one-time key signs one value)"
                )

    def signed_digests(self) -> dict[str, str]:
        """(graph v2) Journal key of every one-time key this party signed -> the
        digest of its signature."""
        out: dict[str, str] = {}
        for entry in self.of_kind("signed"):
            out.update(entry["keys"])
        return out

    def check_signatures(self, digests: Mapping[str, str]) -> dict[str, str]:
        """Refuse signatures under one-time keys that signed something else before;
        returns the ones not journaled yet (to journal before broadcasting)."""
        known = self.signed_digests()
        for key, digest in digests.items():
            if key in known and known[key] != digest:
                raise UserError(
                    f"refusing to reveal one-time key {key}: the journal shows it signed another "
                    "value (a one-time key signs one value)"
                )
        return {k: d for k, d in digests.items() if k not in known}


class StateDir:
    """The folder (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None

    @classmethod
    def open(cls, path: str | Path, identity: Identity, *, create: bool = True) -> StateDir:
        """Open (or make) the folder for ``identity``; refuse one made for another."""
        state = cls(path)
        if state.path.exists() and not state.path.is_dir():
            raise UserError(f"--state {state.path} is not a folder")
        meta = state.path / META
        if not meta.exists():
            if not create:
                raise UserError(f"--state {state.path} holds no watcher state (run `ocp watch` first)")
            state.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_json(meta, identity.to_json(), mode=0o600)
            return state
        found = read_json(meta, "watcher state")
        if found.get("format") != STATE_FORMAT:
            raise UserError(f"{meta}: format {found.get('format')!r} is not {STATE_FORMAT!r}")
        for key, value in identity.to_json().items():
            if found.get(key) != value:
                raise UserError(
                    f"--state {state.path} belongs to another watcher ({key} is "
                    f"{found.get(key)!r}, not {value!r}); use another folder"
                )
        return state

    def identity(self) -> dict:
        return read_json(self.path / META, "watcher state")

    def lock(self) -> None:
        """Hold the folder for this process (released when it exits)."""
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"another ocp watch is running on {self.path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def journal(self) -> Journal:
        return Journal(self.path / JOURNAL)

    # --- the operator's claim request ---------------------------------------------------

    def request_claim(self, wrong_step: int | None) -> None:
        write_json(
            self.path / CLAIM_REQUEST,
            {"format": CLAIM_FORMAT, "wrong_step": wrong_step, "requested_at": round(time.time(), 3)},
            mode=0o600,
        )

    def request_claim_v2(self, tape: bytes, fault: str | None = None, wrong_step: int | None = None) -> None:
        """(graph v2) Claim the program's run on input ``tape``; ``fault``: lie once,
        at ``wrong_step`` (a fault kind of :mod:`ocp.zkvm.dispute`, for drills)."""
        write_json(
            self.path / CLAIM_REQUEST,
            {
                "format": CLAIM_FORMAT_V2,
                "input": tape.hex(),
                "fault": fault,
                "wrong_step": wrong_step,
                "requested_at": round(time.time(), 3),
            },
            mode=0o600,
        )

    def claim_request(self) -> dict | None:
        path = self.path / CLAIM_REQUEST
        if not path.exists():
            return None
        request = read_json(path, "claim request")
        if request.get("format") not in (CLAIM_FORMAT, CLAIM_FORMAT_V2):
            raise UserError(f"{path}: format {request.get('format')!r} is not {CLAIM_FORMAT!r} or {CLAIM_FORMAT_V2!r}")
        step = request.get("wrong_step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise UserError(f"{path}: wrong_step must be a step number or null")
        if request["format"] == CLAIM_FORMAT_V2:
            try:
                request["input"] = bytes.fromhex(request.get("input"))
            except (TypeError, ValueError):
                raise UserError(f"{path}: input must be the input tape in hex") from None
            if request.get("fault") is not None and not isinstance(request["fault"], str):
                raise UserError(f"{path}: fault must be a fault kind or null")
        return request

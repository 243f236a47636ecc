"""A signer's crash-safe nonce store: secret nonces in memory, facts on disk.

A MuSig2 signer that signs twice with one secret nonce (for two different
aggregate nonces or messages) gives away its secret key.  A signer process can
crash between handing out a public nonce and signing, and be restarted.  The rule
here is the simplest safe one:

* secret nonces live only in this process's memory (``taptrees.musig2.SecNonce``:
  signs once, never serialised), so nothing on disk can ever be signed with;
* *before* a public nonce leaves the machine, the fact that it exists (session id,
  public nonce, message, aggregate key) is written to the store file atomically
  (temporary file, fsync, rename, fsync of the folder; mode 0600);
* on start, every session that had handed out a nonce and not signed is marked
  ``burned``: the signer refuses to sign in it, and the coordinator must start a
  fresh session (a new session id, fresh nonces from every signer);
* a session id is used once, ever; each request (one input, one sighash) gets its
  own nonce from fresh randomness, bound to that message and aggregate key, so no
  nonce is derived from data shared between inputs;
* a public nonce equal to one handed out before (a broken or cloned random
  generator) is refused before it leaves.

One process at a time may hold a store (an exclusive lock on ``<file>.lock``).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from taptrees.errors import InputError
from taptrees.musig2 import (
    KeyAggContext,
    PartialSig,
    PlainPk,
    PubNonce,
    SecNonce,
    SessionContext,
    individual_pk,
    nonce_gen,
    sign,
)

STORE_FORMAT = "ocp-signer-nonces/1"
_SESSION_ID = re.compile(r"[A-Za-z0-9_.:/#@+-]{1,200}")


class SessionState(StrEnum):
    ISSUED = "issued"  # public nonce handed out, secret in this process's memory
    SIGNED = "signed"  # the one partial signature was made
    BURNED = "burned"  # handed out before a restart (or abandoned): never signs


class NonceBurnedError(UserError):
    """The session's nonce cannot sign (restart or abandon): start a fresh session."""


@dataclass(frozen=True)
class NonceRequest:
    """One nonce to hand out: a session (one input, one sighash) of a committee."""

    session_id: str
    keyagg_ctx: KeyAggContext
    msg: bytes


@dataclass(frozen=True)
class SessionRecord:
    """What the store file keeps about one session (public data only)."""

    session_id: str
    pubnonce: PubNonce
    aggpk: bytes
    msg: bytes
    state: SessionState

    def to_json(self) -> dict:
        return {
            "id": self.session_id,
            "state": self.state.value,
            "pubnonce": self.pubnonce.hex(),
            "aggpk": self.aggpk.hex(),
            "msg": self.msg.hex(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str) -> SessionRecord:
        try:
            assert isinstance(obj, dict)
            record = cls(
                str(obj["id"]),
                PubNonce(bytes.fromhex(obj["pubnonce"])),
                bytes.fromhex(obj["aggpk"]),
                bytes.fromhex(obj["msg"]),
                SessionState(obj["state"]),
            )
        except (AssertionError, KeyError, TypeError, ValueError):
            raise UserError(f"{where}: a session record is malformed") from None
        if len(record.pubnonce) != 66 or len(record.aggpk) != 32 or len(record.msg) != 32:
            raise UserError(f"{where}: session {record.session_id} has wrong-sized fields")
        return record


class SignerNonces:
    """The nonces of one signer (secret key ``sk``), recorded in ``path``.

    Opening the store takes its lock and burns every session left ``issued`` by an
    earlier process (and writes that down before anything else happens).
    """

    def __init__(self, path: str | Path, sk: bytes) -> None:
        self.path = Path(path)
        try:
            self.pk: PlainPk = individual_pk(sk)
        except InputError:
            raise UserError("signer secret key is not a valid secp256k1 key") from None
        self._sk = bytes(sk)
        self._secrets: dict[str, SecNonce] = {}
        self._lock_fd: int | None = None
        self._lock()
        try:
            self._records = self._load()
            stale = [r for r in self._records.values() if r.state is SessionState.ISSUED]
            if stale:
                for record in stale:
                    self._records[record.session_id] = replace(record, state=SessionState.BURNED)
                self._save()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:  # never the secret key
        return f"SignerNonces({str(self.path)!r}, signer={self.pk.hex()})"

    # --- the file ----------------------------------------------------------------------

    def _lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            raise UserError(f"nonce store {self.path}: folder does not exist") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"nonce store {self.path} is in use by another signer process") from None
        self._lock_fd = fd

    def _load(self) -> dict[str, SessionRecord]:
        if not self.path.exists():
            return {}
        obj = read_json(self.path, "nonce store")
        if obj.get("format") != STORE_FORMAT:
            raise UserError(f"nonce store {self.path}: format is not {STORE_FORMAT}")
        if obj.get("signer") != self.pk.hex():
            raise UserError(f"nonce store {self.path} belongs to another signer ({obj.get('signer')})")
        sessions = obj.get("sessions")
        if not isinstance(sessions, list):
            raise UserError(f"nonce store {self.path}: 'sessions' must be a list")
        records: dict[str, SessionRecord] = {}
        for item in sessions:
            record = SessionRecord.from_json(item, f"nonce store {self.path}")
            if record.session_id in records:
                raise UserError(f"nonce store {self.path}: session {record.session_id} twice")
            records[record.session_id] = record
        return records

    def _save(self) -> None:
        write_json(
            self.path,
            {
                "format": STORE_FORMAT,
                "signer": self.pk.hex(),
                "sessions": [r.to_json() for r in self._records.values()],
            },
            mode=0o600,
        )

    def close(self) -> None:
        """Wipe the secret nonces and release the lock (the records stay)."""
        for secnonce in self._secrets.values():
            secnonce.wipe()
        self._secrets.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SignerNonces:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what a signer does ------------------------------------------------------------

    def record(self, session_id: str) -> SessionRecord | None:
        return self._records.get(session_id)

    @property
    def records(self) -> tuple[SessionRecord, ...]:
        return tuple(self._records.values())

    def issue(self, requests: Sequence[NonceRequest]) -> list[PubNonce]:
        """Fresh nonces for new sessions, recorded on disk before they are returned.

        Refuses a session id seen before (in any state, in this or an earlier
        process) or twice in ``requests``.  Nothing is recorded or returned if any
        request is refused.
        """
        self._open()
        ids = [r.session_id for r in requests]
        for session_id in ids:
            if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
                raise UserError(f"session id {session_id!r} must be 1-200 of [A-Za-z0-9_.:/#@+-]")
            if session_id in self._records:
                raise UserError(
                    f"session {session_id} already has a nonce ({self._records[session_id].state}); "
                    "a session id is used once: start a fresh session"
                )
        if len(set(ids)) != len(ids):
            raise UserError("the same session id is requested twice")
        fresh: dict[str, tuple[SecNonce, SessionRecord]] = {}
        try:
            seen = {r.pubnonce for r in self._records.values()}
            for request in requests:
                try:
                    secnonce, pubnonce = nonce_gen(self._sk, request.keyagg_ctx, request.msg)
                except InputError as exc:
                    raise UserError(f"session {request.session_id}: {exc}") from None
                fresh[request.session_id] = (
                    secnonce,
                    SessionRecord(
                        request.session_id,
                        pubnonce,
                        request.keyagg_ctx.xonly_pk,
                        bytes(request.msg),
                        SessionState.ISSUED,
                    ),
                )
                if pubnonce in seen:
                    raise UserError("the random generator repeated a public nonce: refusing to hand it out")
                seen.add(pubnonce)
            for session_id, (_, record) in fresh.items():
                self._records[session_id] = record
            try:
                self._save()
            except BaseException:
                for session_id in fresh:
                    del self._records[session_id]
                raise
        except BaseException:
            for secnonce, _ in fresh.values():
                secnonce.wipe()
            raise
        for session_id, (secnonce, _) in fresh.items():
            self._secrets[session_id] = secnonce
        return [fresh[session_id][1].pubnonce for session_id in ids]

    def sign(self, sessions: Mapping[str, SessionContext]) -> dict[str, PartialSig]:
        """The partial signature of each session, each with its own nonce.

        Every session must be ``issued`` by this process; a ``burned`` one raises
        :class:`NonceBurnedError`, a ``signed`` one a :class:`UserError`, before
        anything is signed.  Sessions signed are recorded (``signed``) on disk
        before the signatures are returned.  If one session's signing is refused
        (a session context its nonce was not made for), that nonce stays usable,
        the sessions signed before it in the batch stay ``signed`` (their
        signatures are not returned: those sessions start afresh) and the error
        is raised.
        """
        self._open()
        for session_id in sessions:
            record = self._records.get(session_id)
            if record is None:
                raise UserError(f"session {session_id}: no nonce was handed out for it")
            if record.state is SessionState.BURNED:
                raise NonceBurnedError(
                    f"session {session_id}: its nonce was handed out before a restart or "
                    "abandoned; it never signs: start a fresh session"
                )
            if record.state is SessionState.SIGNED:
                raise UserError(f"session {session_id} is already signed; a nonce signs once")
            if session_id not in self._secrets:  # pragma: no cover - issued means in memory
                raise NonceBurnedError(f"session {session_id}: secret nonce not in memory")
        psigs: dict[str, PartialSig] = {}
        try:
            for session_id, session_ctx in sessions.items():
                secnonce = self._secrets[session_id]
                try:
                    psigs[session_id] = sign(secnonce, self._sk, session_ctx)
                except InputError as exc:
                    raise UserError(f"session {session_id}: {exc}") from None
                finally:
                    if secnonce.used:
                        del self._secrets[session_id]
                        self._records[session_id] = replace(self._records[session_id], state=SessionState.SIGNED)
        finally:
            if psigs:
                self._save()
        return psigs

    def abandon(self, session_ids: Sequence[str]) -> None:
        """Burn sessions that will not be signed (a round restarted): their secret
        nonces are wiped and they never sign."""
        self._open()
        changed = False
        for session_id in session_ids:
            record = self._records.get(session_id)
            if record is None:
                raise UserError(f"session {session_id}: no nonce was handed out for it")
            secnonce = self._secrets.pop(session_id, None)
            if secnonce is not None:
                secnonce.wipe()
            if record.state is SessionState.ISSUED:
                self._records[session_id] = replace(record, state=SessionState.BURNED)
                changed = True
        if changed:
            self._save()

    def _open(self) -> None:
        if self._lock_fd is None:
            raise UserError(f"nonce store {self.path} is closed")

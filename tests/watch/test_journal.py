"""The state directory: identity, one service per folder, the append-only journal
(a torn last line is cut off), the claim request, and the one-time-key guard."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ocp.errors import UserError
from ocp.watch.journal import CLAIM_REQUEST, JOURNAL, Identity, Journal, StateDir

ME = Identity("operator", "aa" * 32, "bb" * 32, None)


def test_state_dir_is_private_and_belongs_to_one_watcher(tmp_path):
    state = StateDir.open(tmp_path / "s", ME)
    assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state.path / "watch.json").st_mode) == 0o600
    assert StateDir.open(tmp_path / "s", ME).identity()["graph_id"] == ME.graph_id
    for other in (
        Identity("operator", "cc" * 32, ME.pubkey, None),
        Identity("challenger", ME.graph_id, ME.pubkey, None),
    ):
        with pytest.raises(UserError, match="belongs to another watcher"):
            StateDir.open(tmp_path / "s", other)
    with pytest.raises(UserError, match="holds no watcher state"):
        StateDir.open(tmp_path / "empty", ME, create=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        StateDir.open(tmp_path / "file", ME)


def test_one_service_per_folder(tmp_path):
    first = StateDir.open(tmp_path / "s", ME)
    first.lock()
    second = StateDir.open(tmp_path / "s", ME)
    with pytest.raises(UserError, match="another ocp watch is running"):
        second.lock()
    first.unlock()
    second.lock()
    second.unlock()


def test_journal_appends_and_reads_back(tmp_path):
    journal = Journal(tmp_path / JOURNAL)
    journal.append("broadcast", tx="Kickoff", txid="ab" * 32)
    journal.append("result", tx="Kickoff", accepted=True)
    again = Journal(tmp_path / JOURNAL)
    assert [e["kind"] for e in again.entries] == ["broadcast", "result"]
    assert [e["seq"] for e in again.entries] == [1, 2]
    assert again.last("result", tx="Kickoff")["accepted"] is True
    assert stat.S_IMODE(os.stat(tmp_path / JOURNAL).st_mode) == 0o600


def test_a_torn_last_line_is_cut_off(tmp_path):
    journal = Journal(tmp_path / JOURNAL)
    journal.append("claim", trace=[1, 2, 3])
    with open(tmp_path / JOURNAL, "ab") as fh:
        fh.write(b'{"seq": 2, "kind": "rev')  # a crash mid-write
    again = Journal(tmp_path / JOURNAL)
    assert again.repaired and [e["kind"] for e in again.entries] == ["claim"]
    again.append("reveal", tx="Kickoff", values={"1": 3})
    assert [e["kind"] for e in Journal(tmp_path / JOURNAL).entries] == ["claim", "reveal"]


def test_a_journal_edited_into_garbage_is_refused(tmp_path):
    (tmp_path / JOURNAL).write_text('{"kind": "claim"}\nnot json\n')
    with pytest.raises(UserError, match="line 2 is not JSON"):
        Journal(tmp_path / JOURNAL)


def test_a_one_time_key_signs_one_value(tmp_path):
    """The claim fixes every value before the first reveal; a reveal of another value
    for a committed index is refused, whatever asks for it."""
    journal = Journal(tmp_path / JOURNAL)
    trace = [5, 6, 7, 8]  # x[0..3]: values 0, 1, 2 are 6, 7, 8
    journal.append("claim", trace=trace)
    journal.check_reveal({0: 6, 1: 7, 2: 8})
    with pytest.raises(UserError, match="committed to 8"):
        journal.check_reveal({2: 9})
    assert Journal(tmp_path / JOURNAL).committed_values() == {0: 6, 1: 7, 2: 8}


def test_claim_request_round_trip(tmp_path):
    state = StateDir.open(tmp_path / "s", ME)
    assert state.claim_request() is None
    state.request_claim(3)
    assert state.claim_request()["wrong_step"] == 3
    (state.path / CLAIM_REQUEST).write_text(json.dumps({"format": "ocp-watch-claim/1", "wrong_step": "3"}))
    with pytest.raises(UserError, match="wrong_step must be"):
        state.claim_request()

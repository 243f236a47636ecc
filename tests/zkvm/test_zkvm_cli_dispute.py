"""``ocp zkvm commit`` and ``ocp zkvm dispute``."""

from __future__ import annotations

import hashlib
import json

import pytest

from ocp.cli import main
from ocp.zkvm.claim import Claim

DATA = b"claimed by the operator\n"
TAPE = hashlib.sha256(DATA).hexdigest().encode() + b"\n" + DATA


@pytest.fixture
def tape(tmp_path):
    p = tmp_path / "tape"
    p.write_bytes(TAPE)
    return p


def test_commit_writes_the_claim(go_guest, tape, tmp_path, capsys):
    out = tmp_path / "claim.json"
    binary = str(go_guest("selfcheck", "mipsle"))
    assert main(["zkvm", "commit", binary, "--input", str(tape), "--nary", "8", "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    claim = Claim.from_json(json.loads(out.read_text()))
    assert claim.steps == data["steps"] and claim.final_hash.hex() == data["final_hash"]
    assert claim.input == TAPE and claim.search.n == 8 and claim.search.max_steps >= claim.steps
    assert data["first_search_rounds"] == claim.search.rounds == len(data["branching"])
    assert data["status"] == "exited" and data["exit_code"] == 0
    assert main(["zkvm", "commit", binary, "--input", str(tape)]) == 0
    assert "first_search_rounds" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--nary", "3"], "power of two in 2..256"),
        (["--max-steps", "1000"], "power of two"),
        (["--max-steps", "1024"], "did not halt"),
    ],
)
def test_commit_bad_parameters(go_guest, tape, extra, message, capsys):
    code = main(["zkvm", "commit", str(go_guest("selfcheck", "mipsle")), "--input", str(tape), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_commit_refuses_a_failing_run(go_guest, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.write_bytes(b"00" * 32 + b"\n" + DATA)
    assert main(["zkvm", "commit", str(go_guest("selfcheck", "mipsle")), "--input", str(bad)]) == 2
    assert "not exit 0" in capsys.readouterr().err


def test_dispute_prints_rounds_and_the_catching_challenge(go_guest, tape, capsys):
    binary = str(go_guest("selfcheck", "mips"))
    assert (
        main(["zkvm", "dispute", binary, "--input", str(tape), "--fault", "opcode", "--at", "30000", "--nary", "16"])
        == 0
    )
    text = capsys.readouterr().out
    assert "first round 1:" in text and "challenger wins by Opcode" in text
    assert (
        main(["zkvm", "dispute", binary, "--input", str(tape), "--fault", "stale-read", "--at", "30000", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["winner"] == "challenger" and data["challenge"] == data["expected"] == "ReadValue"
    assert data["step"] == data["fault_step"] and data["read_step"] < data["step"]
    assert {r["search"] for r in data["rounds"]} == {"first", "read"}
    assert main(["zkvm", "dispute", binary, "--input", str(tape), "--challenger", "past-n", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["winner"], data["challenge"]) == ("operator", "StepBeyondN")


def test_dispute_needs_a_faulty_party(go_guest, tape, capsys):
    assert main(["zkvm", "dispute", str(go_guest("selfcheck", "mips")), "--input", str(tape)]) == 2
    assert "nothing to dispute" in capsys.readouterr().err

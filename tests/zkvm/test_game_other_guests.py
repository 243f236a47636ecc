"""Graph v2 drills on Go guests other than the selfcheck example (``ocp drill run
zkvm-* --program ELF [--input F]``): the games are built from whatever program
the user brings, in either byte order, and a lie is still caught on chain.

Sampled to keep CI short: ``sha256`` big-endian with a lie about a read (caught
after the read search by ReadValue), ``hello`` little-endian with a true claim
(the operator wins and is paid after T_max); a guest that does not exit 0 is
refused before any chain work.
"""

from __future__ import annotations

import json

import pytest

from ocp.cli import main

pytestmark = pytest.mark.slow


def drill(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["drill", "run", *args, "--json", "--force"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def test_a_lie_in_a_big_endian_guest_is_caught(go_guest, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    elf = go_guest("sha256", "mips")
    code, out, err = drill(capsys, "zkvm-fraud", "--fault", "read", "--program", str(elf))
    assert code == 0 and out is not None, err
    (report,) = out["drills"]
    assert report["passed"] and report["checks"]["the challenger wins"]
    assert report["checks"]["the leaf the trace half names catches the lie (ReadValue)"]
    assert any(f"{elf.name} halts with exit 0" in note for note in report["notes"])


def test_a_true_claim_about_another_guest_is_paid(go_guest, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    elf = go_guest("hello", "mipsle")
    code, out, err = drill(capsys, "zkvm-answered", "--program", str(elf))
    assert code == 0 and out is not None, err
    (report,) = out["drills"]
    assert report["passed"] and report["checks"]["the operator wins"]
    paid = [e for e in report["timeline"] if e["transaction"].startswith("Take2") and e["result"] == "accepted"]
    assert len(paid) == 1


def test_a_guest_that_does_not_exit_0_is_refused(go_guest, tmp_path, monkeypatch, capsys):
    """divzero panics (exit 2): no honest operator could claim it, so the drill
    refuses it in one line, naming the exit code."""
    monkeypatch.chdir(tmp_path)
    elf = go_guest("divzero", "mipsle")
    code, out, err = drill(capsys, "zkvm-answered", "--program", str(elf))
    assert code == 2 and out is None
    assert "exits 2 on this input, not 0" in err and "Traceback" not in err
    code, _, err = drill(capsys, "zkvm-answered", "--program", str(elf), "--input", str(tmp_path / "missing"))
    assert code == 2 and "--input" in err and "missing" in err

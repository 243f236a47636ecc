"""docs/ceremony.md's first-hour walk-through, run as a new user would paste it:
every ``sh`` block between the ``first-hour`` markers, in order, in one bash
session (``set -euo pipefail``) in an empty folder, with the installed ``ocp``
console script (the real entry point) on PATH.  The payout it ends with lands in
a block of the embedded chain."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "ceremony.md"
BEGIN, END = "<!-- first-hour: begin -->", "<!-- first-hour: end -->"


def walkthrough_script() -> str:
    text = DOC.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    body = text[text.index(BEGIN) : text.index(END)]
    blocks = re.findall(r"^```sh\n(.*?)^```", body, re.S | re.M)
    assert len(blocks) >= 8
    return "\n".join(blocks)


@pytest.mark.slow
def test_first_hour_walkthrough_runs_to_the_end(tmp_path):
    ocp = Path(sys.executable).parent / "ocp"
    assert ocp.exists(), "the ocp console script is installed (pip install -e .)"
    script = "set -euo pipefail\nset -x\n" + walkthrough_script()
    env = {**os.environ, "PATH": f"{ocp.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        env.pop(name, None)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    # the ceremony went as the page says
    assert "not complete yet: the depositor signs last" in out
    assert "complete: true" in out.splitlines()
    assert "reason: non-BIP68-final" in out.splitlines()  # Take1 before the window
    assert "refused: the challenge window is still open" in out
    assert out.splitlines().count("accepted: true") == 5  # Deposit, Confirm, Prepare, Kickoff, Take1
    assert "asm: 144 OP_CHECKSEQUENCEVERIFY" in out.splitlines()
    assert "drill.fraud.passed: true" in out.splitlines()
    for name in (
        "signer-1.key",
        "signer-2.key",
        "operator.key",
        "depositor.key",
        "params.toml",
        "funded.toml",
        "graph.json",
        "graph.svg",
        "fraud.svg",
    ):
        assert (tmp_path / name).exists(), name
    assert "accepted at height" in (tmp_path / "fraud.svg").read_text()  # the drill's timeline
    assert "[funding]" not in (tmp_path / "params.toml").read_text().replace("# [funding]", "")

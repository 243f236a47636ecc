"""Drills with the parties as separate ``ocp watch`` processes against one chain --
the embedded chain served by ``ocp regtest serve`` and a bitcoind -- with a miner
thread mining a block every 0.3 s (issue 20).  After the claim request no protocol
move is made by the test: the watchers make them all.

Each drill's report checks the outcome each watcher logged, exit codes, the
settling transaction on the active chain, the operator's revealed values against
its journal, and the scenario's evidence (a resumed start after SIGKILL, rollbacks
after the reorganisation, an accepted CPFP bump for each of the operator's moves
under the fee spike).  About 5 s each.
"""

from __future__ import annotations

import json

import pytest
from bitcoind_node import require_bitcoind

from ocp.watch.harness import SCENARIOS, run_drill, settings_for_tests

BACKENDS = ["kernel", pytest.param("bitcoind", marks=pytest.mark.bitcoind)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_watchers_play_the_game_alone(backend, name, tmp_path):
    if backend == "bitcoind":
        require_bitcoind()
    report = run_drill(name, backend, tmp_path, settings_for_tests())
    failed = [k for k, ok in report["checks"].items() if not ok]
    assert report["passed"], f"{failed}: {json.dumps(report, indent=1)[:4000]}"
    scenario = SCENARIOS[name]
    assert report["outcome"] == {"operator": scenario.operator_ends.value, "challenger": scenario.challenger_ends.value}
    settles = [e for e in report["timeline"] if e["tx"].startswith(scenario.settles.value)]
    assert len(settles) == 1
    if scenario.kill:
        assert report["exit_codes"][scenario.kill.role.value][0] == -9  # SIGKILL, then a clean exit
    if scenario.reorg:
        assert report["records"]["operator"]["rollback"] and report["records"]["challenger"]["rollback"]
    if scenario.fee_spike:
        assert report["records"]["operator"]["bump"] >= 4  # Prepare, Kickoff, Assert_0, Take2

"""Graph v2 drills with the parties as separate watcher processes against one chain
-- the embedded chain served by ``ocp regtest serve`` and a bitcoind -- with a miner
thread mining a block every 0.5 s (issue 20).  After the claim request no protocol
move is made by the test: the watchers make them all (the selfcheck guest, 486,515
micro-steps, an 8-ary search: 30 game states).

Each drill's report checks the outcome each watcher logged, exit codes, the
settling transaction on the active chain, every one-time signature each party
revealed on chain against its journal, and the scenario's evidence (a resumed
start after SIGKILL with no strategy replay differing, rollbacks after the
reorganisation, an accepted CPFP bump for each of the operator's moves under the
fee spike).  Every scenario funds the same coins, so one signed graph per worker
serves them all; about 20-35 s each.
"""

from __future__ import annotations

import json

import pytest
from bitcoind_node import require_bitcoind

from ocp.watch.gameharness import SCENARIOS, run_drill, settings_for_tests

BACKENDS = ["kernel", pytest.param("bitcoind", marks=pytest.mark.bitcoind)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_v2_watchers_play_the_games_alone(backend, name, tmp_path, selfcheck):
    if backend == "bitcoind":
        require_bitcoind()
    report = run_drill(name, backend, tmp_path, settings_for_tests(), selfcheck)
    failed = [k for k, ok in report["checks"].items() if not ok]
    assert report["passed"], f"{failed}: {json.dumps(report, indent=1)[:4000]}"
    scenario = SCENARIOS[name]
    assert report["outcome"]["operator"]["claim"] == scenario.claim.value
    assert report["outcome"]["c1"]["c1"] == scenario.game
    settles = [e for e in report["timeline"] if e["tx"].startswith(scenario.settles.value)]
    assert len(settles) == 1
    if scenario.kill:
        assert report["records"]["operator" if scenario.kill.role.value == "operator" else "c1"]["start"] == 2
    if scenario.reorg:
        assert report["records"]["operator"]["rollback"] and report["records"]["c1"]["rollback"]

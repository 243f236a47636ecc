"""Graph v2 drills with the parties as separate ``ocp watch`` processes against one
chain -- the embedded chain served by ``ocp regtest serve`` and a bitcoind -- with
a miner thread mining a block every 0.5 s (issue 20).  The watchers load the
signed graph.json the project writes (the v2 file of ocp.gamefile, built by ``ocp
graph build`` from each party's ``ocp graph ots-keys`` file and regenerated from
the guest's ELF on every load); the operator is told to claim by ``ocp watch claim
--input F``.  After that no protocol move is made by the test: the watchers make
them all (the selfcheck guest, 486,515 micro-steps, an 8-ary search: 30 game
states).

Each drill's report checks the outcome each watcher logged, exit codes, the
settling transaction on the active chain, every one-time signature each party
revealed on chain against its journal, and the scenario's evidence (a resumed
start after SIGKILL with no strategy replay differing, rollbacks after the
reorganisation).  About 35-60 s each on two busy cores, so CI runs three on the
embedded chain (honest, the challenger killed mid-search, a 2-block
reorganisation: the last two are the fraud drill with one more event) and fraud on
bitcoind; operator-restart and fee-spike (every move mined through a CPFP child)
run with ``python -m ocp.watch.gameharness all``.
"""

from __future__ import annotations

import json

import pytest
from bitcoind_node import require_bitcoind

from ocp.watch.gameharness import SCENARIOS, run_drill, settings_for_tests

CASES = [
    *(("kernel", name) for name in ("honest", "challenger-restart", "reorg")),
    pytest.param("bitcoind", "fraud", marks=pytest.mark.bitcoind),
]


@pytest.fixture(scope="session")
def graph_files():
    """Graph files by graph id, written once per worker (every drill funds the same coins)."""
    return {}


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "name"), CASES)
def test_v2_watchers_play_the_games_alone(backend, name, tmp_path, selfcheck, graph_files):
    if backend == "bitcoind":
        require_bitcoind()
    report = run_drill(name, backend, tmp_path, settings_for_tests(), selfcheck, graph_files)
    failed = [k for k, ok in report["checks"].items() if not ok]
    assert report["passed"], f"{failed}: {json.dumps(report, indent=1)[:4000]}"
    scenario = SCENARIOS[name]
    assert report["outcome"]["operator"]["claim"] == scenario.claim.value
    assert report["outcome"]["c1"]["c1"] == scenario.game
    settles = [e for e in report["timeline"] if e["tx"].startswith(scenario.settles.value)]
    assert len(settles) == 1
    assert (tmp_path / "graph.json").is_file() and (tmp_path / "operator-ots-keys.json").is_file()
    if scenario.kill:
        assert report["records"]["operator" if scenario.kill.role.value == "operator" else "c1"]["start"] == 2
    if scenario.reorg:
        assert report["records"]["operator"]["rollback"] and report["records"]["c1"]["rollback"]

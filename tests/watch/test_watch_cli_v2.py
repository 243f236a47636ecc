"""``ocp watch`` on a version-2 graph.json as a user makes it (``ocp graph
ots-keys`` per party, ``ocp graph build --ots-keys``, the signed file written by
the project): ``claim`` names the program's input (``--input F``; a drill's
``--fault`` and ``--wrong-step``), bad input is one line and exit 2, and
``status`` reads the v2 request and journal.  Every command loads the file, which
regenerates the graph from the guest's ELF (seconds each): three loads here."""

from __future__ import annotations

import json

import pytest

from ocp.cli import main
from ocp.watch.gameharness import game_world, write_graph_files
from ocp.watch.journal import StateDir
from regtest.kernel import KernelChain

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(selfcheck, tmp_path_factory):
    with KernelChain() as chain:
        world, _ = game_world(chain, selfcheck)
        return write_graph_files(world, tmp_path_factory.mktemp("watch-cli-v2"))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_v2_claim_names_its_input(capsys, files, selfcheck):
    state = files.graph.parent / "op-state"
    base = [
        "watch",
        "claim",
        "--role",
        "operator",
        "--graph",
        files.graph,
        "--key",
        files.keys["operator"],
        "--state",
        state,
    ]
    code, _, err = run(capsys, *base)
    assert code == 2 and "give --input FILE" in err and "Traceback" not in err
    code, _, err = run(capsys, *base, "--input", files.tape, "--fault", "bogus")
    assert code == 2 and "--fault 'bogus' is not one of" in err
    code, out, _ = run(capsys, *base, "--input", files.tape, "--fault", "read", "--wrong-step", "1000", "--json")
    assert code == 0 and json.loads(out) == {
        "state": str(state),
        "claim_requested": True,
        "input_bytes": len(selfcheck.tape),
        "fault": "read",
        "wrong_step": 1000,
    }
    request = StateDir(state).claim_request()
    assert (request["input"], request["fault"], request["wrong_step"]) == (selfcheck.tape, "read", 1000)
    code, out, _ = run(capsys, "watch", "status", "--state", state, "--json")
    assert code == 0 and json.loads(out)["role"] == "operator" and json.loads(out)["claim"] is None


def test_claim_options_go_with_the_claim_action(capsys, files):
    code, _, err = run(
        capsys,
        "watch",
        "--role",
        "operator",
        "--graph",
        files.graph,
        "--key",
        files.keys["operator"],
        "--state",
        "s",
        "--input",
        files.tape,
    )
    assert code == 2 and "--input goes with the claim action" in err

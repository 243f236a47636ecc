"""The foundation commands as a user runs them: ``ocp script``, ``ocp tree``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ocp.cli import main
from taptrees.script import Script
from taptrees.tree import TaprootOutput, TapTree
from taptrees.verify import leaf_spend


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_script_asm_and_disasm_round_trip(capsys):
    info = run_json(capsys, "script", "asm", "OP_2 OP_3 OP_ADD 5 OP_EQUAL")
    assert info["hex"] == "5253935587"
    back = run_json(capsys, "script", "disasm", info["hex"])
    assert back["asm"] == "2 3 OP_ADD 5 OP_EQUAL"
    assert back["size"] == 5


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["script", "disasm", "4c05aa"], "truncated push at offset 0"),
        (["script", "disasm", "zz"], "script hex is malformed: 'z' at position 0"),
        (["script", "asm", "OP_FROB"], "unknown opcode OP_FROB"),
        (["tree", "build", "OP_1", "OP_2", "--weights", "1"], "--weights has 1 values"),
        (["tree", "build", "OP_1", "--internal-key", "00" * 32], "not a point"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_tree_build_control_blocks_spend_on_kernel(capsys):
    leaves = ["1", "2 OP_DROP 1", "3 OP_DROP 1"]
    info = run_json(capsys, "tree", "build", *leaves, "--weights", "5,1,1")
    tree = TapTree.huffman([Script.from_asm(a) for a in leaves], [5, 1, 1])
    assert info["merkle_root"] == tree.merkle_root.hex()
    assert info["address"].startswith("bcrt1p")
    output = TaprootOutput(bytes.fromhex(info["internal_key"]), tree)
    for leaf in info["leaves"]:
        assert leaf["control_block"] == output.control_block(leaf["index"]).hex()
        spend = leaf_spend(tree.leaves[leaf["index"]], tree=tree)
        assert spend.verify([]).ok
    # the heaviest leaf sits highest
    depths = {leaf["asm"]: leaf["depth"] for leaf in info["leaves"]}
    assert depths["1"] < depths["2 OP_DROP 1"]


def test_tree_demo_spends_every_leaf(capsys):
    info = run_json(capsys, "tree", "demo", "--leaves", "6")
    assert info["all_accepted"] and info["all_tampered_refused"]
    assert len(info["leaves"]) == 6


def test_console_script_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "ocp.cli", "script", "disasm", "51"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stdout.splitlines()[0] == "hex: 51"
    assert "asm: 1" in proc.stdout.splitlines()

"""``ocp watch`` and ``ocp regtest serve`` from the command line: bad input is one
line and exit 2, ``claim`` and ``status`` read and write the state folder, and a
served chain answers other processes and stops cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ocp.cli import main
from ocp.graphfile import save_graph
from ocp.keyfile import save_key
from regtest.served import ServedChain


@pytest.fixture(scope="module")
def files(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("watch-cli")
    save_graph(world.graph, folder / "graph.json")
    save_key(world.actors.operator, folder / "operator.key")
    save_key(world.actors.challenger, folder / "challenger.key")
    save_key(world.actors.depositor, folder / "depositor.key")
    return folder


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def operator_args(files, state="op-state") -> list[str]:
    return [
        "--role",
        "operator",
        "--graph",
        str(files / "graph.json"),
        "--key",
        str(files / "operator.key"),
        "--state",
        str(files / state),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["watch", "--state", "s"], "--role is required to run"),
        (
            ["watch", "--role", "operator", "--graph", "g.json", "--key", "k", "--state", "s", "--wrong-step", "1"],
            "--wrong-step goes with the claim action",
        ),
        (["watch", "bogus", "--state", "s"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_key_of_another_role_is_refused(capsys, files):
    code, _, err = run(
        capsys,
        "watch",
        "--role",
        "operator",
        "--graph",
        str(files / "graph.json"),
        "--key",
        str(files / "challenger.key"),
        "--state",
        str(files / "x"),
    )
    assert code == 2 and "holds a challenger key; --role operator needs the operator's key" in err


def test_a_key_that_is_not_the_graphs_operator_is_refused(capsys, files):
    code, _, err = run(
        capsys,
        "watch",
        "--role",
        "depositor",
        "--graph",
        str(files / "graph.json"),
        "--key",
        str(files / "depositor.key"),
        "--state",
        str(files / "x"),
    )
    assert code == 2 and "invalid choice" in err


def test_claim_writes_a_request_and_status_reads_the_folder(capsys, files):
    code, out, _ = run(capsys, "watch", "claim", *operator_args(files), "--wrong-step", "3", "--json")
    assert code == 0 and json.loads(out) == {"state": str(files / "op-state"), "claim_requested": True, "wrong_step": 3}
    code, _, err = run(capsys, "watch", "claim", *operator_args(files), "--wrong-step", "99")
    assert code == 2 and "--wrong-step must be a step of the program, 0..7" in err
    code, out, _ = run(capsys, "watch", "status", "--state", str(files / "op-state"), "--json")
    status = json.loads(out)
    assert code == 0 and status["role"] == "operator" and status["claim"] is None and status["games"] == {}
    code, _, err = run(capsys, "watch", "status", "--state", str(files / "nothing"))
    assert code == 2 and "holds no watcher state" in err


def test_a_state_folder_of_another_watcher_is_refused(capsys, files):
    code, _, err = run(
        capsys,
        "watch",
        "claim",
        "--role",
        "challenger",
        "--graph",
        str(files / "graph.json"),
        "--key",
        str(files / "challenger.key"),
        "--state",
        str(files / "op-state"),
    )
    assert code == 2 and "belongs to another watcher" in err


def test_no_chain_to_follow_is_one_line_exit_2(capsys, files):
    code, _, err = run(capsys, "watch", *operator_args(files, "run-state"), "--rpc-cookie", str(files / "none"))
    assert code == 2 and "no RPC cookie file" in err
    code, _, err = run(capsys, "watch", *operator_args(files, "run-state"), "--coin", "abc:1")
    assert code == 2 and "--coin 'abc:1' is not TXID:VOUT" in err


def test_serve_answers_other_processes_and_stops_on_rpc_stop(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocp.cli",
            "regtest",
            "serve",
            "--chain-dir",
            str(tmp_path / "chain"),
            "--port",
            "0",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready = json.loads(process.stdout.readline())
        cookie = tmp_path / "chain" / ".cookie"
        assert ready["cookie"] == str(cookie) and (cookie.stat().st_mode & 0o777) == 0o600
        with ServedChain(ready["url"], cookie_path=cookie) as chain:
            chain.mine(3, b"\x51\x20" + bytes(32))
            assert chain.height() == 3
            (tmp_path / "wrong").write_text("__cookie__:" + "00" * 32)
            with pytest.raises(Exception, match="401|uthoriz"):
                ServedChain(ready["url"], cookie_path=tmp_path / "wrong")
            chain.rpc("stop")
        assert process.wait(timeout=30) == 0
        assert not cookie.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    # the chain stays in its folder: served again, it starts at the same height
    process = subprocess.run(
        [sys.executable, "-m", "ocp.cli", "regtest", "mine", "1", "--chain-dir", str(tmp_path / "chain"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(process.stdout)["height"] == 4


@pytest.mark.bitcoind
def test_served_chain_refuses_a_node_that_is_not_served(capsys, files):
    """--chain kernel on a URL that answers as a bitcoind is refused (subversion)."""
    from bitcoind_node import require_bitcoind

    require_bitcoind()
    from regtest.bitcoind import BitcoindChain

    with BitcoindChain() as node:
        code, _, err = run(
            capsys,
            "watch",
            *operator_args(files, "kernel-state"),
            "--chain",
            "kernel",
            "--rpc-url",
            node.url,
            "--rpc-cookie",
            str(node.cookie_path),
        )
    assert code == 2 and "not an `ocp regtest serve` chain" in err

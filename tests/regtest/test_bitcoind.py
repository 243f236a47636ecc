"""BitcoindChain's own edges that need no running node (the shared suite covers the
chain behaviour when a bitcoind is present)."""

from __future__ import annotations

import pytest
from bitcoind_node import require_bitcoind

from regtest.bitcoind import BitcoindChain, BitcoindNode, find_bitcoind
from regtest.chain import ChainError
from taptrees.descriptors import raw_descriptor
from taptrees.errors import InputError


def test_descriptor_checksum_matches_bip380_vector():
    assert raw_descriptor(bytes.fromhex("deadbeef")) == "raw(deadbeef)#89f8spxm"


def test_bitcoind_env_must_name_an_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("BITCOIND", str(tmp_path / "missing"))
    assert find_bitcoind() is None


def test_unreachable_node_is_a_chain_error():
    with pytest.raises(ChainError, match="getblockchaininfo failed"):
        BitcoindChain("http://127.0.0.1:1", user="u", password="p")


def test_bad_rpc_settings_are_input_errors():
    with pytest.raises(InputError, match="credentials"):
        BitcoindChain("http://127.0.0.1:1")
    with pytest.raises(InputError, match="scheme"):
        BitcoindChain("ftp://127.0.0.1:1", user="u", password="p")


def test_a_node_that_exits_at_startup_is_reported_with_its_output(tmp_path):
    binary = tmp_path / "bitcoind"
    binary.write_text("#!/bin/sh\necho 'Error: cannot obtain a lock' >&2\nexit 1\n")
    binary.chmod(0o755)
    with pytest.raises(ChainError, match="exited with status 1 at startup: Error: cannot obtain a lock$"):
        BitcoindChain(binary=str(binary))
    with pytest.raises(ChainError, match="cannot start"):
        BitcoindChain(binary=str(tmp_path / "absent"))


# --- `ocp drill run --backend bitcoind`: a node that fails, a node of the user's ------


def run_cli(*argv: str) -> int:
    from ocp.cli import main

    return main(["drill", "run", *argv])


def test_cli_node_that_fails_to_start_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    binary = tmp_path / "bitcoind"
    binary.write_text("#!/bin/sh\necho 'starting'\necho 'Error: this is no node' >&2\nexit 3\n")
    binary.chmod(0o755)
    reports = str(tmp_path / "reports")
    monkeypatch.setenv("BITCOIND", str(binary))
    assert run_cli("happy", "--backend", "bitcoind", "--report-dir", reports) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: bitcoind exited with status 3 at startup: Error: this is no node")
    monkeypatch.setenv("BITCOIND", str(tmp_path / "absent"))
    assert run_cli("happy", "--backend", "bitcoind", "--report-dir", reports) == 2
    assert capsys.readouterr().err.strip().endswith("absent is not an executable file")


def test_cli_backend_options_are_checked(tmp_path, capsys):
    reports = str(tmp_path / "reports")
    assert run_cli("happy", "--rpc-url", "http://127.0.0.1:1", "--report-dir", reports) == 2
    assert "need --backend bitcoind" in capsys.readouterr().err
    assert run_cli("happy", "--backend", "bitcoind", "--rpc-cookie", "x", "--report-dir", reports) == 2
    assert "need --rpc-url" in capsys.readouterr().err
    assert (
        run_cli(
            "happy",
            "--backend",
            "bitcoind",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--rpc-cookie",
            str(tmp_path / "none"),
            "--report-dir",
            reports,
        )
        == 2
    )
    assert "no RPC cookie file" in capsys.readouterr().err


@pytest.mark.bitcoind
def test_cli_attaches_to_a_running_regtest_node(tmp_path, capsys):
    """The user's node: the drill runs on it and leaves it running."""
    node = BitcoindNode(require_bitcoind())
    try:
        rc = run_cli(
            "happy",
            "--backend",
            "bitcoind",
            "--rpc-url",
            node.url,
            "--rpc-cookie",
            str(node.cookie_path),
            "--report-dir",
            str(tmp_path),
            "--json",
        )
        assert rc == 0, capsys.readouterr()
        assert node.process.poll() is None and node.client.call("getblockcount") > 100
    finally:
        node.stop()


@pytest.mark.bitcoind
def test_cli_refuses_a_node_on_another_chain(tmp_path, capsys):
    node = BitcoindNode(require_bitcoind(), chain="signet")  # offline: -connect=0
    try:
        rc = run_cli(
            "happy",
            "--backend",
            "bitcoind",
            "--rpc-url",
            node.url,
            "--rpc-cookie",
            str(node.cookie_path),
            "--report-dir",
            str(tmp_path),
        )
        assert rc == 2
        err = capsys.readouterr().err
        assert "runs chain 'signet', not 'regtest'" in err and len(err.strip().splitlines()) == 1
        assert node.client.call("getblockcount") == 0  # nothing was sent to it
    finally:
        node.stop()

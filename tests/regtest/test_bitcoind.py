"""BitcoindChain's own edges that need no running node (the shared suite covers the
chain behaviour when a bitcoind is present)."""

from __future__ import annotations

import pytest

from regtest.bitcoind import BitcoindChain, find_bitcoind
from regtest.chain import ChainError
from regtest.descriptors import raw_descriptor
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

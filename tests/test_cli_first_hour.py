"""A new user's first hour (issue 18), through the real entry point: files are
never silently overwritten, values are never cut, transactions with bad
signatures are refused, funding is explained and checked, progress shows only
on a terminal, and the smaller frictions (help, version, JSON errors, params
typos, networks, per-party keys, PSBT export, per-role signing status, errors
in words, audit's skipped checks).

Commands run in-process through :func:`ocp.cli.main`, or as ``python -m ocp.cli``
where a pipe or a terminal matters (a pseudo-terminal for the latter)."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from vectors import load_json_vectors

from ocp.cli import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, build_parser, main
from ocp.cli.examples import leaf_parsers

FAKE_FUNDING = f'\n[funding]\ndepositor = "{"ab" * 32}:0:100200000"\noperator = "{"cd" * 32}:1:30000000"\n'
#: Python's own words that must never reach a user.
INTERNALS = ("invalid literal", "fromhex", "<lambda>", "Traceback", "base 10", "NoneType")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == EXIT_OK, err
    return json.loads(out)


def ocp_process(*argv: str, cwd: Path, columns: int = 40, stdin: str | None = None):
    """``python -m ocp.cli`` with stdout and stderr on pipes (not a terminal)."""
    env = {**os.environ, "COLUMNS": str(columns)}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "ocp.cli", *argv],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ocp_terminal(*argv: str, cwd: Path, columns: int = 40, stderr_too: bool = False) -> tuple[int, str]:
    """``python -m ocp.cli`` with stdout on a pseudo-terminal ``columns`` wide
    (stderr too when ``stderr_too``, else on a pipe).  Returns exit code and the
    terminal's bytes as text."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40", "TERM": "xterm-256color"}
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocp.cli", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave if stderr_too else subprocess.PIPE,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not data:
            break
        chunks.append(data)
    if proc.stderr is not None:
        proc.stderr.read()
        proc.stderr.close()
    code = proc.wait(timeout=300)
    os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def squeezed(terminal_text: str) -> str:
    """Terminal output without colours and without any whitespace (folded lines
    joined back), to look for whole values in it."""
    return "".join(ANSI.sub("", terminal_text).split())


@pytest.fixture
def ceremony(tmp_path, monkeypatch):
    """params init (2 signers) + made-up funding + graph build, in a temporary folder."""
    monkeypatch.chdir(tmp_path)
    assert main(["params", "init", "-o", "params.toml", "--keys-dir", "keys", "--committee", "2"]) == 0
    Path("params.toml").write_text(Path("params.toml").read_text() + FAKE_FUNDING)
    assert main(["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", "graph.json"]) == 0
    return tmp_path


def presign_all(capsys, roles=("signer-1", "signer-2", "operator", "depositor")) -> None:
    for key in roles:
        code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key")
        assert code == EXIT_OK, err


# --- 1. no silent overwrites --------------------------------------------------------------


def test_build_never_replaces_a_graph_without_force(ceremony, capsys):
    presign_all(capsys)
    signed = Path("graph.json").read_bytes()
    code, _, err = run(capsys, "graph", "build", "params.toml", "--operator-key", "keys/operator.key")
    assert code == EXIT_BAD_INPUT and "graph.json exists; give --force" in err
    assert Path("graph.json").read_bytes() == signed
    code, _, err = run(capsys, "graph", "build", "params.toml", "--operator-key", "keys/operator.key", "--force")
    assert code == EXIT_OK, err
    assert "signatures" in json.loads(Path("graph.json").read_text())  # a fresh, unsigned graph
    assert json.loads(Path("graph.json").read_text())["signatures"] == {}


@pytest.mark.parametrize("spelling", ["params.toml", "./params.toml", "link.toml", "hard.toml"])
def test_never_writes_over_an_input_even_with_force(ceremony, capsys, spelling):
    os.symlink("params.toml", "link.toml")
    os.link("params.toml", "hard.toml")
    before = Path("params.toml").read_bytes()
    for argv in (
        ["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", spelling, "--force"],
        ["graph", "ots-keys", "params.toml", "--operator-key", "keys/operator.key", "-o", spelling, "--force"],
        ["regtest", "fund", "params.toml", "-o", spelling, "--force"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == EXIT_BAD_INPUT and "is an input of this command" in err, argv
    assert Path("params.toml").read_bytes() == before
    assert not Path("regtest-chain").exists()  # refused before any work


def test_never_writes_over_a_key_file_even_with_force(ceremony, capsys):
    key = Path("keys/signer-1.key")
    before = key.read_bytes()
    for argv in (
        ["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", str(key), "--force"],
        ["graph", "ots-keys", "params.toml", "--operator-key", "keys/operator.key", "-o", str(key), "--force"],
        ["params", "init", "-o", str(key), "--keys-dir", "other", "--force"],
        ["graph", "psbt", "graph.json", "Take1", "-o", str(key), "--force"],
        ["key", "new", "--role", "committee", "-o", str(key)],
    ):
        code, _, err = run(capsys, *argv)
        assert code == EXIT_BAD_INPUT and "key file" in err, argv
    assert key.read_bytes() == before and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not Path("other").exists()
    # a key file whose mode was opened up is still recognised by its format
    key.chmod(0o644)
    code, _, err = run(
        capsys, "graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", str(key), "--force"
    )
    assert code == EXIT_BAD_INPUT and "is a key file" in err and key.read_bytes() == before
    # and any private file (mode 0600) is left alone too
    secret = Path("wallet.dat")
    secret.write_text("not ocp's")
    secret.chmod(0o600)
    code, _, err = run(
        capsys, "graph", "ots-keys", "params.toml", "--operator-key", "keys/operator.key", "-o", "wallet.dat", "--force"
    )
    assert code == EXIT_BAD_INPUT and "private file (mode 600)" in err
    assert secret.read_text() == "not ocp's"


def test_params_init_into_a_missing_folder_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "params", "init", "-o", "missing/params.toml", "--keys-dir", "fresh-keys")
    assert code == EXIT_BAD_INPUT and "folder missing does not exist" in err
    assert list(tmp_path.iterdir()) == []
    # an existing params file is not replaced without --force, and no key is made then
    Path("params.toml").write_text("mine")
    code, _, err = run(capsys, "params", "init", "--keys-dir", "fresh-keys")
    assert code == EXIT_BAD_INPUT and "params.toml exists" in err
    assert not Path("fresh-keys").exists() and Path("params.toml").read_text() == "mine"


def test_every_option_is_described_with_its_default_and_every_command_has_an_example(capsys):
    parser = build_parser()
    leaves = leaf_parsers(parser)
    assert len(leaves) >= 24
    for path, command in leaves:
        help_text = " ".join(command.format_help().split())
        assert command.epilog and command.epilog.startswith("example"), path
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (path, action.dest)
            if action.default not in (None, False, argparse.SUPPRESS, []) and action.option_strings:
                shown = f"(default: {action.default})"
                assert shown in help_text or "default" in action.help, (path, action.dest)
    code, out, _ = run(capsys, "graph", "build", "--help")
    assert code == EXIT_OK and "(default: graph.json)" in out and "example" in out
    assert "--force" in out


# --- 2. whole values: folded on a terminal, key: value lines on a pipe ----------------------


def _tree_args() -> list[str]:
    return ["tree", "build", "1", "2 OP_DROP 1", "3 OP_DROP 1", "--weights", "5,1,1"]


def test_values_are_whole_lines_through_a_pipe(ceremony, capsys):
    info = run_json(capsys, *_tree_args())
    proc = ocp_process(*_tree_args(), cwd=ceremony, columns=40)
    assert proc.returncode == EXIT_OK
    lines = proc.stdout.splitlines()
    for key in ("merkle_root", "output_key", "address", "script_pubkey", "internal_key"):
        assert f"{key}: {info[key]}" in lines
    for leaf in info["leaves"]:
        assert f"leaves.{leaf['index']}.control_block: {leaf['control_block']}" in lines
    assert "…" not in proc.stdout and "\x1b" not in proc.stdout
    # graph show --tx: txid, outpoints and addresses whole
    take1 = run_json(capsys, "graph", "show", "graph.json", "--tx", "Kickoff")
    proc = ocp_process("graph", "show", "graph.json", "--tx", "Kickoff", cwd=ceremony)
    lines = proc.stdout.splitlines()
    assert f"txid: {take1['txid']}" in lines
    assert f"inputs.0.outpoint: {take1['inputs'][0]['outpoint']}" in lines
    assert f"outputs.0.address: {take1['outputs'][0]['address']}" in lines


def test_psbt_prevouts_and_drill_reasons_are_whole_through_a_pipe(ceremony, capsys):
    b64 = ocp_process("graph", "psbt", "graph.json", "Take1", cwd=ceremony).stdout.strip()
    proc = ocp_process("psbt", "decode", "-", cwd=ceremony, stdin=b64)
    assert proc.returncode == EXIT_OK, proc.stderr
    take1 = run_json(capsys, "graph", "show", "graph.json", "--tx", "Take1")
    for i, inp in enumerate(take1["inputs"]):
        assert f"inputs.{i}.prevout: {inp['outpoint']}" in proc.stdout.splitlines()
    proc = ocp_process("drill", "run", "answered", "--steps", "2", "--committee", "1", cwd=ceremony)
    assert proc.returncode == EXIT_OK, proc.stderr
    report = json.loads(Path(ceremony, "drill-reports/answered.json").read_text())
    reasons = [e["reason"] for e in report["timeline"] if e["reason"]]
    assert any(len(r) > 60 for r in reasons)  # EVAL_FALSE explanations are long
    for reason in reasons:
        assert reason in proc.stdout
    assert "…" not in proc.stdout


def test_values_fold_on_a_narrow_terminal(ceremony, capsys):
    info = run_json(capsys, *_tree_args())
    code, screen = ocp_terminal(*_tree_args(), cwd=ceremony, columns=40)
    assert code == EXIT_OK
    flat = squeezed(screen)
    assert "…" not in screen
    assert max(len(ANSI.sub("", line)) for line in screen.splitlines()) <= 40  # really folded
    for key in ("merkle_root", "output_key", "address", "script_pubkey"):
        assert info[key] in flat, key
    for leaf in info["leaves"]:
        assert leaf["control_block"] in flat
    # a PSBT's prevouts, and a transaction's txid and addresses
    Path("take1.psbt").write_text(run_json(capsys, "graph", "psbt", "graph.json", "Take1")["psbt"])
    code, screen = ocp_terminal("psbt", "decode", "take1.psbt", cwd=ceremony, columns=40)
    take1 = run_json(capsys, "graph", "show", "graph.json", "--tx", "Take1")
    assert code == EXIT_OK and "…" not in screen
    for inp in take1["inputs"]:
        assert inp["outpoint"] in squeezed(screen)
    code, screen = ocp_terminal("graph", "show", "graph.json", "--tx", "Take1", cwd=ceremony, columns=40)
    assert code == EXIT_OK and take1["txid"] in squeezed(screen)
    assert take1["outputs"][0]["script_pubkey"] in squeezed(screen) or take1["outputs"][0].get(
        "address", ""
    ) in squeezed(screen)


# --- 3. graph tx refuses stored signatures that do not verify --------------------------------


def _corrupt(path: str, tx: str) -> str:
    """Flip a byte of the first signature of ``tx`` input 0 and save the graph the way
    any tool writing graph.json would (its PSBT then leaves the bad signature out;
    a file whose PSBT disagrees with its signatures is refused when read)."""
    from dataclasses import replace

    from ocp.graphfile import load_graph, save_graph
    from ocp.ids import tx_by_label

    graph = load_graph(path)
    name = tx_by_label(graph.txs, tx)
    sigs = {t: {i: dict(s) for i, s in per.items()} for t, per in graph.signatures.items()}
    pk = next(iter(sigs[name][0]))
    sig = sigs[name][0][pk]
    sigs[name][0][pk] = sig[:5] + bytes([sig[5] ^ 0x11]) + sig[6:]
    save_graph(replace(graph, signatures=sigs), path)
    return pk.hex()


@pytest.mark.parametrize("name, role", [("Take1", "committee"), ("Deposit", "depositor")])
def test_graph_tx_refuses_an_invalid_stored_signature(ceremony, capsys, name, role):
    presign_all(capsys)
    assert run(capsys, "graph", "tx", "graph.json", name)[0] == EXIT_OK
    pk = _corrupt("graph.json", name)
    code, out, err = run(capsys, "graph", "tx", "graph.json", name)
    assert code == EXIT_BAD_INPUT and out == ""
    assert f"refusing {name}: {name} input 0: INVALID signature from {role} {pk}" in err
    code, out, _ = run(capsys, "graph", "verify", "graph.json", "--json")
    assert code == EXIT_CHECK_FAILED and not json.loads(out)["complete"]


# --- 4. funding ------------------------------------------------------------------------------


def test_params_addresses_give_bip86_addresses_descriptors_and_exact_minimums(ceremony, capsys):
    from embit.descriptor.checksum import add_checksum

    from ocp.params import load_params
    from taptrees.tree import TaprootOutput

    info = run_json(capsys, "params", "addresses", "params.toml")
    params = load_params("params.toml")
    keys = {"depositor": params.depositor, "operator": params.operators[0]}
    for entry in info["roles"]:
        pk = keys[entry["role"]]
        assert entry["pubkey"] == pk.hex()
        assert entry["address"] == TaprootOutput(pk).address("regtest")
        assert entry["descriptor"] == add_checksum(f"tr({pk.hex()})")  # embit's own BIP380 code
        assert entry["funding_enough"] is True
    minimum = {e["role"]: e["minimum_sat"] for e in info["roles"]}
    # exactly the minimum builds (keeping 330 sat of change for CPFP), one satoshi less does not
    base = Path("params.toml").read_text().split("\n[funding]")[0]
    exact = (
        f'\n[funding]\ndepositor = "{"ab" * 32}:0:{minimum["depositor"]}"\n'
        f'operator = "{"cd" * 32}:1:{minimum["operator"]}"\n'
    )
    Path("exact.toml").write_text(base + exact)
    graph = run_json(capsys, "graph", "build", "exact.toml", "--operator-key", "keys/operator.key", "-o", "g.json")
    assert graph["transactions"] > 0
    shown = run_json(capsys, "graph", "show", "g.json", "--tx", "Deposit")
    assert [o["value"] for o in shown["outputs"][1:]] == [330] and shown["fee"] > 0
    for role in ("depositor", "operator"):
        short = exact.replace(f':{minimum[role]}"', f':{minimum[role] - 1}"')
        Path("short.toml").write_text(base + short)
        code, _, err = run(
            capsys, "graph", "build", "short.toml", "--operator-key", "keys/operator.key", "-o", "short.json"
        )
        assert code == EXIT_BAD_INPUT and f"funding.{role}" in err and "does not cover" in err


def test_bip86_address_matches_bip341_vectors():
    """A role's funding output is BIP341's key-path-only output (the BIP86 tweak)."""
    from ocp.funding import key_path_output

    vectors = [
        v
        for v in load_json_vectors("bip341-wallet-test-vectors.json")["scriptPubKey"]
        if v["given"]["scriptTree"] is None
    ]
    assert vectors
    for v in vectors:
        out = key_path_output(bytes.fromhex(v["given"]["internalPubkey"]))
        assert out.script_pubkey.hex() == v["expected"]["scriptPubKey"]
        assert out.address("mainnet") == v["expected"]["bip350Address"]


def test_regtest_fund_writes_coins_the_chain_holds(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["params", "init", "--committee", "1", "--steps", "2"]) == 0
    capsys.readouterr()
    info = run_json(capsys, "regtest", "fund", "params.toml", "-o", "funded.toml")
    assert info["output"] == "funded.toml"
    text = Path("funded.toml").read_text()
    for role in ("depositor", "operator"):
        assert f'{role} = "{info["funding"][role]}"' in text
    coins = run_json(capsys, "regtest", "coins", "funded.toml")
    assert coins["ok"] and all(c["ok"] for c in coins["coins"].values())
    # made-up coins are accepted by params (nothing is looked up) but not by the chain
    coin = info["funding"]["depositor"]
    fake = text.replace(coin, "ee" * 32 + coin[64:])
    Path("fake.toml").write_text(fake)
    code, out, _ = run(capsys, "regtest", "coins", "fake.toml", "--json")
    coins = json.loads(out)
    assert code == EXIT_CHECK_FAILED and coins["coins"]["depositor"]["problem"] == "not an unspent output on this chain"
    assert coins["coins"]["operator"]["ok"]


def test_the_same_coin_for_both_roles_is_refused(ceremony, capsys):
    text = Path("params.toml").read_text().replace(f'"{"cd" * 32}:1:', f'"{"ab" * 32}:0:')
    Path("same.toml").write_text(text)
    code, _, err = run(capsys, "graph", "build", "same.toml", "--operator-key", "keys/operator.key", "-o", "x.json")
    assert code == EXIT_BAD_INPUT and "are the same coin" in err and not Path("x.json").exists()


# --- 5. script numbers like Core --------------------------------------------------------------


def test_script_numbers_are_decimal_like_core(ceremony, capsys):
    assert run_json(capsys, "script", "asm", "10 OP_CSV")["hex"] == "5ab2"  # ten blocks
    assert run_json(capsys, "script", "asm", "144 OP_CSV")["hex"] == "029000b2"
    assert run_json(capsys, "script", "asm", "0x10 OP_DROP")["hex"] == "011075"
    assert run_json(capsys, "script", "disasm", "029000b2")["asm"] == "144 OP_CHECKSEQUENCEVERIFY"
    code, _, err = run(capsys, "script", "asm", "0a OP_DROP")
    assert code == EXIT_BAD_INPUT and "ambiguous" in err
    kickoff = run_json(capsys, "graph", "show", "graph.json", "--tx", "Kickoff")
    asm = " ".join(leaf["asm"] for out in kickoff["outputs"] for leaf in out.get("leaves", []))
    assert "144 OP_CHECKSEQUENCEVERIFY OP_VERIFY" in asm and "432 OP_CHECKSEQUENCEVERIFY OP_VERIFY" in asm


# --- 7. progress only on a terminal ------------------------------------------------------------


def test_progress_shows_on_a_terminal_only(ceremony, capsys):
    presign_all(capsys)
    code, screen = ocp_terminal("graph", "verify", "graph.json", cwd=ceremony, columns=100, stderr_too=True)
    assert code == EXIT_OK and "checking every signature" in screen
    code, screen = ocp_terminal("graph", "verify", "graph.json", "--json", cwd=ceremony, columns=100, stderr_too=True)
    assert code == EXIT_OK and "checking every signature" not in screen
    assert json.loads(ANSI.sub("", screen))["complete"]
    proc = ocp_process("graph", "verify", "graph.json", cwd=ceremony)
    assert proc.returncode == EXIT_OK and proc.stderr == ""


# --- 8. smaller frictions --------------------------------------------------------------------


def test_version(capsys):
    from ocp.cli import version

    code, out, _ = run(capsys, "--version")
    assert code == EXIT_OK and out.strip() == f"ocp {version()}" and version() != "unknown"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["graph", "verify", "missing.json"], "graph file missing.json does not exist"),
        (["drill", "run", "nope"], "argument scenario: invalid choice: 'nope'"),
        (["script", "disasm", "zz"], "script hex is malformed"),
    ],
)
def test_errors_are_json_on_stderr_under_json(tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv, "--json")
    assert code == EXIT_BAD_INPUT and out == ""
    obj = json.loads(err)
    assert fragment in obj["error"] and obj["exit_code"] == EXIT_BAD_INPUT
    code, out, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and f"error: {fragment}" in " ".join(err.split())


def test_drill_json_has_one_shape_for_one_drill_and_for_all(tmp_path, monkeypatch, capsys):
    """(``all`` also runs the ceremony drills, with signer processes, and two graph-v2
    drills; they are left out here to keep this test short: test_ceremony_service.py
    and test_game_drills.py run each.)"""
    from ocp.cli import drill_cmds

    monkeypatch.setattr(drill_cmds, "CEREMONY_DRILLS", ())
    monkeypatch.setattr(drill_cmds, "GAME_DRILLS_IN_ALL", ())
    monkeypatch.chdir(tmp_path)
    one = run_json(capsys, "drill", "run", "happy", "--steps", "2", "--committee", "1")
    every = run_json(capsys, "drill", "run", "all", "--steps", "2", "--committee", "1")
    assert set(one) == set(every) == {"format", "passed", "drills"}
    assert one["format"] == every["format"] == "ocp-drill-run/1"
    assert [d["drill"] for d in one["drills"]] == ["happy"]
    assert [d["drill"] for d in every["drills"]] == [
        "happy",
        "answered",
        "silent",
        "fraud",
        "refund",
        "reassign",
        "stakeback",
    ]
    assert set(one["drills"][0]) == set(every["drills"][0]) and every["passed"]
    # reports of an earlier run are replaced; other files need --force
    Path("drill-reports/happy.json").write_text("my notes")
    code, _, err = run(capsys, "drill", "run", "happy", "--steps", "2", "--committee", "1")
    assert code == EXIT_BAD_INPUT and "give --force" in err


def test_network_other_than_regtest_only_when_allowed(ceremony, capsys):
    text = Path("params.toml").read_text()
    Path("signet.toml").write_text(text.replace('network = "regtest"', 'network = "signet"'))
    code, _, err = run(capsys, "params", "addresses", "signet.toml")
    assert code == EXIT_BAD_INPUT and 'allow_network = "signet"' in err
    Path("signet.toml").write_text(text.replace('network = "regtest"', 'network = "signet"\nallow_network = "signet"'))
    info = run_json(capsys, "params", "addresses", "signet.toml")
    assert all(e["address"].startswith("tb1p") for e in info["roles"])
    code, _, err = run(capsys, "params", "init", "-o", "main.toml", "--network", "mainnet")
    assert code == EXIT_BAD_INPUT and "--allow-network" in err and not Path("main.toml").exists()
    code, _, err = run(
        capsys,
        "params",
        "init",
        "-o",
        "main.toml",
        "--network",
        "mainnet",
        "--allow-network",
        "--keys-dir",
        "main-keys",
    )
    assert code == EXIT_OK and 'allow_network = "mainnet"' in Path("main.toml").read_text()


def test_each_party_makes_its_own_key(tmp_path, monkeypatch, capsys):
    """Signers, operator and depositor each run `ocp key new`; params are made from
    public keys alone; the ceremony completes with those separate key files."""
    monkeypatch.chdir(tmp_path)
    pubkeys = {}
    for role, name in (("committee", "alice"), ("committee", "bob"), ("operator", "olga"), ("depositor", "dan")):
        info = run_json(capsys, "key", "new", "--role", role, "--name", name)
        key = Path(f"{name}.key")
        assert info["pubkey"] == json.loads(key.read_text())["pubkey"]
        assert json.loads(key.read_text())["secret"] not in json.dumps(info)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        pubkeys[name] = info["pubkey"]
    assert run(capsys, "key", "new", "--role", "committee", "--name", "alice")[0] == EXIT_BAD_INPUT
    assert run_json(capsys, "key", "show", "bob.key")["pubkey"] == pubkeys["bob"]
    info = run_json(
        capsys,
        "params",
        "init",
        "--committee-pubkey",
        pubkeys["alice"],
        "--committee-pubkey",
        pubkeys["bob"],
        "--operator-pubkey",
        pubkeys["olga"],
        "--depositor-pubkey",
        pubkeys["dan"],
    )
    assert info["keys"] == [] and not Path("keys").exists()
    Path("params.toml").write_text(Path("params.toml").read_text() + FAKE_FUNDING)
    assert run(capsys, "graph", "build", "params.toml", "--operator-key", "olga.key")[0] == EXIT_OK
    for name in ("alice", "bob", "olga", "dan"):
        assert run(capsys, "graph", "presign", "graph.json", "--key", f"{name}.key")[0] == EXIT_OK
    assert run_json(capsys, "graph", "verify", "graph.json")["complete"]
    code, _, err = run(
        capsys,
        "params",
        "init",
        "-o",
        "p2.toml",
        "--committee-pubkey",
        "zz",
        "--operator-pubkey",
        pubkeys["olga"],
        "--depositor-pubkey",
        pubkeys["dan"],
    )
    assert code == EXIT_BAD_INPUT and "--committee-pubkey #1 is malformed" in err


def test_presign_and_verify_report_what_each_role_still_signs(ceremony, capsys):
    info = run_json(capsys, "graph", "presign", "graph.json", "--key", "keys/signer-1.key")
    assert info["still_to_sign"]["committee"]["signatures"] == info["added"]  # signer-2's share
    assert info["still_to_sign"]["depositor"]["inputs"] == ["Confirm input 0", "Deposit input 0"]
    presign_all(capsys, ("signer-2", "operator"))
    code, out, _ = run(capsys, "graph", "verify", "graph.json", "--json")
    info = json.loads(out)
    assert code == EXIT_CHECK_FAILED and not info["complete"]  # Deposit and Confirm unsigned
    assert not info["confirm_signed_by_depositor"]
    assert {r: e["signatures"] for r, e in info["still_to_sign"].items()} == {
        "committee": 0,
        "operator": 0,
        "depositor": 2,
    }
    assert "depositor" in info["next"]
    depositor = json.loads(Path("keys/depositor.key").read_text())["pubkey"]
    assert info["missing"] == [
        f"Deposit input 0: no signature from depositor {depositor}",
        f"Confirm input 0: no signature from depositor {depositor}",
    ]
    info = run_json(capsys, "graph", "presign", "graph.json", "--key", "keys/depositor.key")
    assert info["still_missing"] == 0 and info["next"].startswith("complete")
    assert run_json(capsys, "graph", "verify", "graph.json")["complete"]


def test_graph_psbt_exports_one_transaction(ceremony, capsys):
    from taptrees.psbt import decode_psbt

    presign_all(capsys)
    info = run_json(capsys, "graph", "psbt", "graph.json", "Take1")
    shown = run_json(capsys, "graph", "show", "graph.json", "--tx", "Take1")
    assert info["psbt"] == shown["psbt"] and decode_psbt(info["psbt"]).tx.txid == shown["txid"]
    assert run(capsys, "graph", "psbt", "graph.json", "Take1", "-o", "take1.psbt")[0] == EXIT_OK
    assert Path("take1.psbt").read_text().strip() == info["psbt"]
    assert run(capsys, "graph", "psbt", "graph.json", "Take1", "-o", "take1.psbt")[0] == EXIT_BAD_INPUT
    decoded = run_json(capsys, "psbt", "decode", "take1.psbt")
    assert decoded["txid"] == shown["txid"]
    proc = ocp_process("psbt", "decode", "-", "--json", cwd=ceremony, stdin=info["psbt"])
    assert proc.returncode == EXIT_OK and json.loads(proc.stdout)["txid"] == shown["txid"]
    code, _, err = run(capsys, "graph", "psbt", "graph.json", "Take9")
    assert code == EXIT_BAD_INPUT and "no transaction 'Take9'" in err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["script", "disasm", "5g"], "script hex is malformed: 'g' at position 1 is not a hex digit"),
        (["script", "disasm", "515"], "odd number of hex digits"),
        (["tree", "build", "1", "--internal-key", "xyz"], "--internal-key is malformed"),
        (["regtest", "send", "zz", "--chain-dir", "."], "transaction hex is malformed"),
        (["psbt", "decode", "@@@"], "neither a file nor base64"),
        (["zkvm", "state", "x.elf", "--step", "1", "--addr", "0x1g"], "'0x1g' is not an address"),
        (["params", "init", "--operator-pubkey", "12"], "give all of --committee-pubkey"),
    ],
)
def test_errors_never_show_python_internals(tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and fragment in err
    assert not any(word in err for word in INTERNALS), err


@pytest.mark.parametrize(
    "coin, fragment",
    [
        (f"{'ab' * 32}:x:100200000", "output index 'x' is not a whole number"),
        (f"{'ab' * 32}:0:1.5", "amount '1.5' is not a whole number of satoshis"),
        (f"{'zz' * 32}:0:100200000", "txid is not hex"),
        (f"{'ab' * 31}:0:100200000", "txid must be 64 hex characters"),
    ],
)
def test_funding_errors_in_words(ceremony, capsys, coin, fragment):
    text = Path("params.toml").read_text().replace(f"{'ab' * 32}:0:100200000", coin)
    Path("bad.toml").write_text(text)
    code, _, err = run(capsys, "params", "addresses", "bad.toml")
    assert code == EXIT_BAD_INPUT and f"funding.depositor: {fragment}" in err
    assert not any(word in err for word in INTERNALS), err


def test_audit_without_the_operator_key_says_what_it_skipped(ceremony, capsys):
    presign_all(capsys)
    quick = run_json(capsys, "graph", "audit", "graph.json")
    full = run_json(capsys, "graph", "audit", "graph.json", "--operator-key", "keys/operator.key")
    assert quick["passed"] and full["passed"] and full["skipped"] == 0
    assert quick["skipped"] > 0 and full["checks"] - quick["checks"] == quick["skipped"]
    code, out, _ = run(capsys, "graph", "audit", "graph.json")
    assert code == EXIT_OK and f"skipped: {quick['skipped']}" in out.splitlines()


def test_exit_code_table_is_written_once_and_documented():
    import ocp.cli

    doc = Path(__file__).parents[1] / "docs" / "cli.md"
    text = doc.read_text()
    for name in ("EXIT_OK", "EXIT_CHECK_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE"):
        code = getattr(ocp.cli, name)
        assert f"``{name}``" in ocp.cli.__doc__
        assert re.search(rf"^\| {code} \| `{name}` \|", text, re.M), name


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``ocp ... | head``: when the reader goes away, the command stops with 141 and
    prints nothing on stderr (no traceback, no "error: Broken pipe")."""
    script = tmp_path / "ones.hex"
    script.write_text("51" * 200_000)  # "asm: 1 1 1 ...": 400 KB, more than a pipe holds
    with script.open() as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ocp.cli", "script", "disasm", "-"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    assert proc.stdout is not None and proc.stdout.read(10)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141 and err == b""


def test_zkvm_refuses_a_stripped_go_binary_and_bad_addresses(tmp_path, capsys):
    go = shutil.which("go") or "/usr/bin/go"
    guest = Path(__file__).parent / "zkvm" / "guests" / "hello"
    env = {
        **os.environ,
        "GOOS": "linux",
        "GOARCH": "mips",
        "GOMIPS": "softfloat",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-trimpath",
        "GO111MODULE": "off",
    }
    if "HOME" not in env and "GOCACHE" not in env:
        env["GOCACHE"] = str(tmp_path / "gocache")
    for name, flags in (("hello", []), ("hello-stripped", ["-ldflags", "-s -w"])):
        proc = subprocess.run(
            [go, "build", *flags, "-o", str(tmp_path / name), "main.go"],
            cwd=guest,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
    code, _, err = run(capsys, "zkvm", "run", str(tmp_path / "hello-stripped"))
    assert code == EXIT_BAD_INPUT and 'without its symbol table (built with -ldflags "-s -w"' in err
    binary = str(tmp_path / "hello")
    for addr, fragment in (
        ("0x10001", "not word-aligned"),
        ("0x100000000", "beyond the 32-bit"),
        ("-4", "not an address"),
    ):
        code, _, err = run(capsys, "zkvm", "state", binary, "--step", "5", "--addr", addr)
        assert code == EXIT_BAD_INPUT and fragment in err, addr
    info = run_json(capsys, "zkvm", "state", binary, "--step", "5", "--addr", "0x10000")
    assert info["word"]["value"] == "0x7f454c46" and info["word"]["last_writer"] == 0

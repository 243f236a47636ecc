"""Params, key files and graph.json as users handle them through the CLI: the
ceremony works, and malformed or tampered files get a one-line error and leave
nothing written (issue 8)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from ocp.cli import main
from ocp.errors import UserError
from ocp.ids import Role
from ocp.keyfile import RoleKey, save_key
from ocp.params import load_params

FAKE_FUNDING = f'\n[funding]\ndepositor = "{"ab" * 32}:0:100200000"\noperator = "{"cd" * 32}:1:30000000"\n'


@pytest.fixture
def ceremony(tmp_path, monkeypatch):
    """params init + funding + graph build, in a temporary folder."""
    monkeypatch.chdir(tmp_path)
    assert main(["params", "init", "-o", "params.toml", "--keys-dir", "keys", "--committee", "2"]) == 0
    Path("params.toml").write_text(Path("params.toml").read_text() + FAKE_FUNDING)
    assert main(["graph", "build", "params.toml", "--operator-key", "keys/operator.key", "-o", "graph.json"]) == 0
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_key_files_are_private_and_secrets_never_printed(ceremony, capsys):
    for key in Path("keys").glob("*.key"):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    secrets = [json.loads(k.read_text())["secret"] for k in Path("keys").glob("*.key")]
    outputs = []
    for key in ("signer-1", "signer-2", "operator", "depositor"):
        outputs.append(run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key"))
    outputs.append(run(capsys, "graph", "verify", "graph.json", "--json"))
    outputs.append(run(capsys, "graph", "show", "graph.json", "--json"))
    text = " ".join(o + e for _, o, e in outputs) + Path("graph.json").read_text()
    assert not any(s in text for s in secrets)
    assert outputs[-2][0] == 0 and json.loads(outputs[-2][1])["complete"]


def test_depositor_refuses_confirm_before_the_graph_is_presigned(ceremony, capsys):
    before = Path("graph.json").read_bytes()
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "keys/depositor.key")
    assert code == 2 and "refusing to sign Confirm" in err
    assert Path("graph.json").read_bytes() == before  # nothing written


def test_verify_reports_missing_signatures(ceremony, capsys):
    run(capsys, "graph", "presign", "graph.json", "--key", "keys/signer-1.key")
    code, out, _ = run(capsys, "graph", "verify", "graph.json", "--json")
    info = json.loads(out)
    assert code == 1 and not info["complete"]
    # signer-2 misses every pre-signed input (each carries the committee); the operator
    # its Kickoff, its Assert, the Challenge connector and its Prepare (own coin); the
    # depositor its Deposit (own coin) and Confirm
    presigned = info["presigned_inputs"]
    assert sum("no signature from committee" in m for m in info["missing"]) == presigned
    assert info["still_to_sign"]["committee"]["signatures"] == presigned
    assert info["still_to_sign"]["operator"]["inputs"] == [
        "Assert_0 input 0",
        "Challenge input 0",
        "Kickoff input 0",
        "Prepare input 0",
    ]
    assert info["still_to_sign"]["depositor"]["inputs"] == ["Confirm input 0", "Deposit input 0"]
    assert len(info["missing"]) == presigned + 6


def _tx(graph: dict, name: str) -> dict:
    return next(t for t in graph["transactions"] if t["name"] == name)


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda g: g["transactions"][1].update(hex=g["transactions"][1]["hex"][:-8] + "01000000"),
            "transactions[1].hex differs from the graph",
        ),
        (lambda g: g["params"]["amounts"].update(deposit=5), "out of range"),
        (lambda g: g["params"]["amounts"].update(deposit=100_000_001), "graph_id differs"),
        (lambda g: g.update(format="ocp-graph/9"), "format"),
        (lambda g: g["transactions"].pop(), "transactions (has 19 entries, not 20)"),
        (lambda g: g.update(signatures={"Take1": {"0": {"zz": "00"}}}), "malformed"),
        (lambda g: g["ots"][0][0].update(chain_ends=["00"]), "Winternitz public key is malformed"),
        # issue 11 item 8: every field is compared, not only the hex
        (lambda g: _tx(g, "Take1").update(psbt=_tx(g, "Take2")["psbt"]), ".psbt differs"),
        (lambda g: _tx(g, "Take1")["inputs"][0].update(amount=1), ".inputs[0].amount differs"),
        (lambda g: _tx(g, "Take1").update(fee=1), ".fee differs"),
        (lambda g: _tx(g, "Kickoff").update(txid="00" * 32), ".txid differs"),
        (lambda g: g.update(graph_id="00" * 32), "graph_id differs"),
        (lambda g: _tx(g, "Take1")["outputs"][0].update(script_pubkey="51"), ".outputs[0].script_pubkey differs"),
        (lambda g: g.update(extra=1), "extra (unknown field)"),
    ],
)
def test_tampered_graph_refused(ceremony, capsys, tamper, message):
    graph = json.loads(Path("graph.json").read_text())
    tamper(graph)
    Path("graph.json").write_text(json.dumps(graph))
    before = Path("graph.json").read_bytes()
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "keys/signer-1.key")
    assert code == 2 and message in err and "Traceback" not in err
    assert Path("graph.json").read_bytes() == before


def test_forged_signature_is_reported_invalid(ceremony, capsys):
    """A signature forged consistently (in "signatures" and in the PSBT, as a tool
    writing the file would) loads, and verify names it INVALID."""
    from dataclasses import replace

    from ocp.graphfile import load_graph, save_graph
    from ocp.ids import TxKind, TxName

    for key in ("signer-1", "signer-2", "operator"):
        run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key")
    graph = load_graph("graph.json")
    take1 = TxName(TxKind.TAKE1)
    sigs = {tx: {i: dict(s) for i, s in per.items()} for tx, per in graph.signatures.items()}
    pk = next(iter(sigs[take1][0]))
    sigs[take1][0][pk] = sigs[take1][0][pk][:-1] + bytes([sigs[take1][0][pk][-1] ^ 1])
    save_graph(replace(graph, signatures=sigs), "graph.json")
    code, out, _ = run(capsys, "graph", "verify", "graph.json", "--json")
    info = json.loads(out)
    assert code == 1 and info["invalid"] == [f"Take1 input 0: INVALID signature from committee {pk.hex()}"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not valid JSON"),
        ('{"format": "ocp-key/1", "role": "committee", "secret": "00", "pubkey": "00"}', "32 bytes"),
        ('{"format": "other"}', "format"),
    ],
)
def test_malformed_key_file(ceremony, capsys, content, message):
    Path("bad.key").write_text(content)
    os.chmod("bad.key", 0o600)
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "bad.key")
    assert code == 2 and message in err


def test_key_file_of_wrong_signer_or_open_permissions(ceremony, capsys):
    assert run(capsys, "key", "new", "--role", "committee", "--name", "outsider")[0] == 0
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "outsider.key")
    assert code == 2 and "not the graph's committee key" in err
    save_key(RoleKey.generate(Role.CHALLENGER, "challenger"), "challenger.key")
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "challenger.key")
    assert code == 2 and "the challenger has no key in the params" in err
    os.chmod("keys/signer-1.key", 0o644)
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "keys/signer-1.key")
    assert code == 2 and "readable by others" in err


def test_tampered_key_file_pubkey_mismatch(ceremony, capsys):
    key = json.loads(Path("keys/signer-1.key").read_text())
    key["pubkey"] = json.loads(Path("keys/signer-2.key").read_text())["pubkey"]
    Path("keys/signer-1.key").write_text(json.dumps(key))
    code, _, err = run(capsys, "graph", "presign", "graph.json", "--key", "keys/signer-1.key")
    assert code == 2 and "does not match the secret" in err


PARAM_ERRORS = [
    (
        "challenge_window = 144",
        "challenge_window = 430",
        "windows.response_window (432) - windows.challenge_window (430) = 2 blocks, below the minimum 7",
    ),
    ("disprove_window = 144", "disprove_window = 3", "disprove_window = 3 is below the minimum 6 blocks"),
    ("dispute_fee_rate = 20.0", "dispute_fee_rate = 0", "amounts.dispute_fee_rate must be"),
    ("refund_timeout = 1008", "refund_timeout = 70000", "windows.refund_timeout = 70000 must be between"),
    ("disprove_window = 144", "disprove_window = 0", "windows.disprove_window = 0"),
    ("fee_rate = 2.0", "fee_rate = -1", "amounts.fee_rate"),
    ("deposit = 100000000", 'deposit = "lots"', "amounts.deposit must be a whole number"),
    ("[windows]", "[windowz]", "unknown key 'windowz' in the top level (did you mean 'windows'?)"),
    (
        "challenge_window = 144",
        "challange_window = 144",
        "unknown key 'challange_window' in [windows] (did you mean 'challenge_window'?)",
    ),
    ('network = "regtest"', 'network = "signet"', "network 'signet' refused"),
    ('network = "regtest"', 'network = "moonnet"', "network 'moonnet'"),
]


@pytest.mark.parametrize("old, new, message", PARAM_ERRORS)
def test_params_errors_name_the_field(ceremony, capsys, old, new, message):
    text = Path("params.toml").read_text()
    assert old in text
    Path("bad.toml").write_text(text.replace(old, new, 1))
    with pytest.raises(UserError, match=re.escape(message)):
        load_params("bad.toml")
    code, _, err = run(capsys, "graph", "build", "bad.toml", "--operator-key", "keys/operator.key", "-o", "g2.json")
    assert code == 2 and message in err and not Path("g2.json").exists()


def test_params_bad_committee_key(ceremony, capsys):
    text = Path("params.toml").read_text()
    graph_key = json.loads(Path("keys/signer-1.key").read_text())["pubkey"]
    Path("bad.toml").write_text(text.replace(graph_key, "00" * 32))
    with pytest.raises(UserError, match=r"keys.committee\[0\]"):
        load_params("bad.toml")
    Path("bad.toml").write_text("this is = = not toml")
    with pytest.raises(UserError, match="not valid TOML"):
        load_params("bad.toml")


def test_graph_show_lists_every_transaction_and_leaf(ceremony, capsys):
    code, out, _ = run(capsys, "graph", "show", "graph.json", "--json")
    data = json.loads(out)
    names = {t["name"] for t in data["transactions"]}
    for name in (
        "Deposit",
        "Confirm",
        "Prepare",
        "Kickoff",
        "Challenge",
        "Assert_0",
        "Take1",
        "Take2",
        "Slash_0",
        "Refund",
        "Disprove_0",
        "Disprove_7",
    ):
        assert name in names
    code, out, _ = run(capsys, "graph", "show", "graph.json", "--tx", "Assert_0", "--json")
    tx = json.loads(out)
    leaves = tx["outputs"][0]["leaves"]
    assert {leaf["name"] for leaf in leaves} >= {"take2", "disprove1"}
    assert all(leaf["asm"] and leaf["size"] > 0 for leaf in leaves)


def test_audit_command(ceremony, capsys):
    for key in ("signer-1", "signer-2", "operator", "depositor"):
        run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key")
    code, out, _ = run(capsys, "graph", "audit", "graph.json", "--operator-key", "keys/operator.key", "--json")
    info = json.loads(out)
    assert code == 0 and info["passed"] and info["leaves"]
    code, _, err = run(capsys, "graph", "audit", "graph.json", "--operator-key", "keys/depositor.key")
    assert code == 2 and "is not an operator key of these params" in err


def test_graph_psbts_carry_leaves_and_presignatures_a_finalizer_can_use(ceremony, capsys):
    """The Take1 PSBT in graph.json holds every committee signature; finalizing it
    from the PSBT alone (n-of-n order) gives a spend Bitcoin Core's interpreter
    accepts."""
    from taptrees.psbt import decode_psbt, extract, finalize_input, script_path_witness
    from taptrees.verify import verify_inputs

    for key in ("signer-1", "signer-2", "operator", "depositor"):
        run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key")
    graph = json.loads(Path("graph.json").read_text())
    committee = graph["params"]["keys"]["committee"]
    take1 = next(t for t in graph["transactions"] if t["name"] == "Take1")
    psbt = decode_psbt(take1["psbt"])
    assert psbt.tx.hex() == take1["hex"]
    for i, inp in enumerate(psbt.inputs):
        assert inp.witness_utxo.value == take1["inputs"][i]["amount"]
        assert len(inp.tap_script_sigs) == len(committee)
        by_key = {s.xonly.hex(): s.sig for s in inp.tap_script_sigs}
        stack = [by_key[pk] for pk in reversed(committee)]
        psbt = finalize_input(psbt, i, script_path_witness(psbt, i, stack))
    tx = extract(psbt)
    spent = [inp.witness_utxo for inp in decode_psbt(take1["psbt"]).inputs]
    assert all(v.ok for v in verify_inputs(tx, spent))


def test_build_from_published_one_time_keys(ceremony, capsys):
    """The operator publishes its one-time public keys; anyone builds the same graph."""
    assert (
        run(capsys, "graph", "ots-keys", "params.toml", "--operator-key", "keys/operator.key", "-o", "ots.json")[0] == 0
    )
    assert "secret" not in Path("ots.json").read_text()
    code, _, _ = run(capsys, "graph", "build", "params.toml", "--ots-keys", "ots.json", "-o", "again.json")
    assert code == 0
    assert (
        json.loads(Path("again.json").read_text())["transactions"]
        == json.loads(Path("graph.json").read_text())["transactions"]
    )
    other = Path("params.toml").read_text().replace("challenge_fee = 100000", "challenge_fee = 100001")
    Path("other.toml").write_text(other)
    code, _, err = run(capsys, "graph", "build", "other.toml", "--ots-keys", "ots.json", "-o", "x.json")
    assert code == 2 and "made for another graph" in err and not Path("x.json").exists()


def test_tx_command_gives_spends_the_kernel_accepts(ceremony, capsys):
    from ocp.graphfile import load_graph
    from ocp.ids import tx_by_label
    from taptrees.tx import Tx
    from taptrees.verify import verify_inputs

    for key in ("signer-1", "signer-2", "operator", "depositor"):
        run(capsys, "graph", "presign", "graph.json", "--key", f"keys/{key}.key")
    graph = load_graph("graph.json")
    cases = [
        ("Deposit", []),
        ("Confirm", []),
        ("Prepare", []),
        ("Take1", []),
        ("Take2", []),
        ("Kickoff", ["--key", "keys/operator.key"]),
        ("Assert_0", ["--key", "keys/operator.key"]),
        ("Refund", ["--key", "keys/depositor.key"]),
    ]
    for name, extra in cases:
        code, out, err = run(capsys, "graph", "tx", "graph.json", name, *extra, "--json")
        assert code == 0, err
        tx = Tx.from_hex(json.loads(out)["hex"])
        assert all(v.ok for v in verify_inputs(tx, graph.tx(tx_by_label(graph.txs, name)).spent)), name
    code, _, err = run(capsys, "graph", "tx", "graph.json", "Kickoff")
    assert code == 2 and "its operator's key" in err
    code, _, err = run(capsys, "graph", "tx", "graph.json", "Challenge")
    assert code == 2 and "PSBT" in err


def test_descriptors_command_lists_every_protocol_output(ceremony, capsys):
    """tr() for outputs whose leaves are all miniscript, addr() for the others; a
    list ready for importdescriptors (watch-only).  Core's deriveaddresses of each
    is checked in tests/test_core_interop.py."""
    from embit.descriptor.checksum import add_checksum

    code, out, _ = run(capsys, "graph", "descriptors", "graph.json", "--json")
    info = json.loads(out)
    assert code == 0
    by_label = {e["output"]: e for e in info["outputs"]}
    assert set(by_label) == {"D", "V", "P", "C", "S0", "A"}
    for label in ("D", "V", "C"):
        assert by_label[label]["miniscript"] and by_label[label]["descriptor"].startswith("tr(50929b74")
    for label in ("P", "S0", "A"):
        e = by_label[label]
        assert not e["miniscript"] and e["descriptor"].startswith(f"addr({e['address']})#")
    for e in info["outputs"]:
        body = e["descriptor"].split("#")[0]
        assert add_checksum(body) == e["descriptor"]  # embit's own BIP380 checksum
    assert all(d["active"] is False for d in info["importdescriptors"])

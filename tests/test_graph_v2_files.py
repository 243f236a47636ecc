"""graph.json of a version-2 graph (issue 16, "Size" and "CLI"): the file stores
params, program digest, every party's one-time public keys, txids, output keys,
Merkle roots and leaf counts -- never a leaf script -- and loading regenerates the
whole graph from the params, the keys and the Go guest's ELF (built here with the
Go compiler), refusing any difference by name.  The CLI builds, shows, audits,
draws and names v2 graphs through its real entry point.

Building a v2 graph of the selfcheck guest takes seconds (about 2,700 leaves,
15 MB of script), and every load regenerates it: the graph is built once per
module, and each test that loads a file pays one regeneration (tampering is
sampled: one field of each kind, not every field).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ocp.drill import defaults
from ocp.drill.world import drill_key
from ocp.errors import UserError
from ocp.game.computation import ZkvmComputation
from ocp.gamefile import GAMES_FORMAT
from ocp.graph import Graph
from ocp.graphfile import graph_psbt, load_graph, save_graph
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey, load_key, save_key
from ocp.params import MIN_MOVE_WINDOW, Funding, Params, Windows, load_params, save_params
from ocp.signing import outstanding_signatures, presign
from ocp.zkvm.elf import load_elf
from ocp.zkvm.guest import build_example
from ocp.zkvm.search import NArySearch
from taptrees.psbt import decode_psbt
from taptrees.tx import OutPoint

pytestmark = pytest.mark.slow

SEED = b"ocp test graph v2 files"
#: A small search space (2 rounds of an 8-ary search): the file's shape does not
#: depend on it, and the program's leaves (code and image chunks) are all there.
MAX_STEPS, NARY, INPUT_WORDS = 64, 8, 16
BOND_COIN, BOND = 3_000_000, 2_000_000


@dataclass(frozen=True)
class Ceremony:
    folder: Path
    params: Path
    unsigned: Path  # built by ``ocp graph build``
    signed: Path  # every ceremony signature added
    graph: Graph  # the signed graph
    keys: dict[str, Path]
    elf: Path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _params(keys: dict[str, RoleKey], elf: Path, name: str) -> Params:
    image = load_elf(elf)
    digest = ZkvmComputation.of(elf, max_steps=MAX_STEPS, nary=NARY, input_words=INPUT_WORDS).digest
    comp = ZkvmComputation(name, digest, NArySearch(MAX_STEPS, NARY), INPUT_WORDS, image)
    coin = lambda i, amount: Funding(OutPoint(f"{i:02x}" * 32, 0), amount)  # noqa: E731 - made-up coins
    return Params(
        network="regtest",
        committee=(keys["signer-1"].pubkey, keys["signer-2"].pubkey),
        operators=(keys["operator"].pubkey,),
        depositor=keys["depositor"].pubkey,
        deposit_amount=defaults.DEPOSIT,
        operator_stake=defaults.STAKE,
        challenge_fee=0,
        fee_rate=defaults.FEE_RATE,
        windows=Windows(defaults.CHALLENGE_WINDOW, None, None, defaults.REFUND_TIMEOUT, MIN_MOVE_WINDOW),
        computation=comp,
        depositor_funding=coin(1, defaults.FUNDING["depositor"]),
        operator_funding=(coin(2, defaults.FUNDING["operator"]),),
        challengers=(keys["challenger"].pubkey,),
        challenger_bonds=(coin(3, BOND_COIN),),
        bond=BOND,
    )


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory) -> Ceremony:
    """Key files, params naming the guest beside them, ``ocp graph build`` with every
    party's key file, then every ceremony signature (in process: each CLI command
    would regenerate the graph)."""
    folder = tmp_path_factory.mktemp("v2")
    elf = folder / "selfcheck.elf"
    shutil.copy(build_example("selfcheck", "mipsle", folder / "build"), elf)
    roles = {
        "signer-1": Role.COMMITTEE,
        "signer-2": Role.COMMITTEE,
        "operator": Role.OPERATOR,
        "depositor": Role.DEPOSITOR,
        "challenger": Role.CHALLENGER,
    }
    keys = {name: drill_key(SEED, name, role) for name, role in roles.items()}
    paths = {name: folder / "keys" / f"{name}.key" for name in keys}
    (folder / "keys").mkdir()
    for name, key in keys.items():
        save_key(key, paths[name])
    params = folder / "params.toml"
    save_params(_params(keys, elf, "selfcheck.elf"), params)
    unsigned = folder / "graph.json"
    assert (
        main(
            [
                "graph",
                "build",
                str(params),
                "--operator-key",
                str(paths["operator"]),
                "--challenger-key",
                str(paths["challenger"]),
                "-o",
                str(unsigned),
                "--json",
            ]
        )
        == EXIT_OK
    )
    graph = load_graph(unsigned)
    for name in ("signer-1", "signer-2", "operator", "depositor"):
        graph, _ = presign(graph, keys[name])
    assert outstanding_signatures(graph) == []
    signed = folder / "signed.json"
    save_graph(graph, signed)
    return Ceremony(folder, params, unsigned, signed, graph, paths, elf)


# --- the file --------------------------------------------------------------------------------


def test_file_holds_commitments_not_leaf_scripts(ceremony):
    data = json.loads(ceremony.signed.read_text())
    g = ceremony.graph
    assert data["format"] == GAMES_FORMAT and data["graph_id"] == g.graph_id.hex()
    comp = data["params"]["computation"]
    assert comp == {
        "kind": "zkvm",
        "program": "selfcheck.elf",
        "digest": g.params.computation.digest.hex(),
        "max_steps": MAX_STEPS,
        "nary": NARY,
        "input_words": INPUT_WORDS,
    }
    assert data["game_keys"] == g.game_keys.to_json()
    assert len(data["transactions"]) == len(g.txs)
    outputs = [o for t in data["transactions"] for o in t["outputs"] if "output_key" in o]
    assert len(outputs) == len(g.outputs)
    assert (
        sum(o["leaves"] for o in outputs) == data["leaves"]["count"] == sum(len(o.leaves) for o in g.outputs.values())
    )
    assert data["leaves"]["count"] > 2_000  # the catch state's code and image chunks
    catch = max(outputs, key=lambda o: o["leaves"])
    assert {"OpcodeChunk", "InitializedChunk", "Input"} <= set(catch["leaf_kinds"])
    for out in outputs:  # the script_pubkey is the output key, the output key commits to the root
        assert out["script_pubkey"] == "5120" + out["output_key"]
    text = ceremony.signed.read_text()
    assert "asm" not in text and "OP_CHECKSIG" not in text
    # a data output's leaf is picked at play time: the file says so, and names none
    moves = [i for t in data["transactions"] for i in t["inputs"] if i["any_leaf"]]
    assert moves and all(i["leaf"] is None and not i["presigned"] for i in moves)
    # every ceremony signature is in the file; the data inputs are signed when moving
    assert (
        sum(len(s) for per in data["signatures"].values() for s in per.values())
        == sum(len(s.signers) for t in g.txs.values() for s in t.spends if s.presigned) + 2
    )  # + Deposit, Prepare


def test_round_trip_is_byte_identical(ceremony, tmp_path):
    graph = load_graph(ceremony.signed)
    assert graph.graph_id == ceremony.graph.graph_id
    assert graph.signatures == ceremony.graph.signatures
    assert {n: t.txid for n, t in graph.txs.items()} == {n: t.txid for n, t in ceremony.graph.txs.items()}
    save_graph(graph, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == ceremony.signed.read_bytes()


def _tx(data: dict, name: str) -> dict:
    return next(t for t in data["transactions"] if t["name"] == name)


def _flip(hexstr: str) -> str:
    return hexstr[:-1] + ("0" if hexstr[-1] != "0" else "1")


def _first_key(data: dict) -> dict:
    claim = data["game_keys"]["claims"][0]
    return claim[sorted(claim)[0]]


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda d: _tx(d, "Open/c1")["outputs"][1].update(
                output_key=_flip(_tx(d, "Open/c1")["outputs"][1]["output_key"])
            ),
            ".outputs[1].output_key (transaction Open/c1) differs",
        ),
        (
            lambda d: _tx(d, "Kickoff")["outputs"][0].update(merkle_root="00" * 32),
            ".outputs[0].merkle_root (transaction Kickoff) differs",
        ),
        # a one-time key swapped for another: the graph it builds has another id
        (
            lambda d: _first_key(d).update(chain_ends=[_flip(e) for e in _first_key(d)["chain_ends"]]),
            "graph_id differs",
        ),
        (lambda d: d["params"]["computation"].update(digest="00" * 32), "its digest is"),
        # another search space has other values to sign: the keys no longer fit
        (lambda d: d["params"]["computation"].update(max_steps=MAX_STEPS * 8), "one-time keys missing"),
        (lambda d: d.update(format="ocp-graph-v2/9"), "format"),
    ],
)
def test_tampered_file_refused(ceremony, tmp_path, tamper, message):
    data = json.loads(ceremony.signed.read_text())
    tamper(data)
    path = ceremony.folder / f"tampered-{tmp_path.name}.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError) as err:
        load_graph(path)
    text = str(err.value)
    assert message in text and "\n" not in text, text
    if "differs" in message:
        assert "differs from the graph its params, program, one-time keys and signatures build" in text


def test_txid_tamper_names_the_transaction(ceremony, tmp_path):
    data = json.loads(ceremony.signed.read_text())
    index = next(i for i, t in enumerate(data["transactions"]) if t["name"] == "Choose_1/c1")
    data["transactions"][index]["txid"] = "11" * 32
    path = ceremony.folder / "txid.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=rf"transactions\[{index}\]\.txid \(transaction Choose_1/c1\) differs"):
        load_graph(path)


def test_signature_that_does_not_verify_is_refused(ceremony):
    take1 = TxName(TxKind.TAKE1)
    sigs = {tx: {i: dict(s) for i, s in per.items()} for tx, per in ceremony.graph.signatures.items()}
    pk = next(iter(sigs[take1][0]))
    sigs[take1][0][pk] = sigs[take1][0][pk][:-1] + bytes([sigs[take1][0][pk][-1] ^ 1])
    path = ceremony.folder / "forged.json"
    save_graph(replace(ceremony.graph, signatures=sigs), path)
    with pytest.raises(UserError) as err:
        load_graph(path)
    assert f"signatures: Take1 input 0: INVALID signature from committee {pk.hex()}" in str(err.value)


def test_program_must_be_the_one_the_params_name(ceremony, tmp_path):
    """Another build of the guest (big-endian) has another digest; a missing ELF is
    named; --program finds one that moved."""
    folder = tmp_path / "moved"
    folder.mkdir()
    shutil.copy(ceremony.signed, folder / "graph.json")
    with pytest.raises(UserError, match=r"computation.program selfcheck.elf: no such file .*--program"):
        load_graph(folder / "graph.json")
    other = build_example("selfcheck", "mips", ceremony.folder / "build")
    shutil.copy(other, folder / "selfcheck.elf")
    with pytest.raises(UserError, match=r"its digest is [0-9a-f]{64}, the params say"):
        load_graph(folder / "graph.json")
    graph = load_graph(folder / "graph.json", program=ceremony.elf)
    assert graph.graph_id == ceremony.graph.graph_id
    assert graph.params.computation.program == "selfcheck.elf"  # the params keep their name


def test_psbt_of_a_move_leaves_its_data_inputs_open(ceremony):
    """A move's token input carries its pre-signed leaf; the data inputs only their
    UTXO (the mover picks the leaf and signs when it moves)."""
    name = TxName(TxKind.REVEAL, 0, None, 1)
    gtx = ceremony.graph.tx(name)
    psbt = decode_psbt(graph_psbt(ceremony.graph, name))
    for inp, spend in zip(psbt.inputs, gtx.spends, strict=True):
        if spend.any_leaf:
            assert not inp.tap_leaf_scripts and not inp.tap_script_sigs and inp.witness_utxo is not None
        else:
            assert len(inp.tap_leaf_scripts) == 1 and len(inp.tap_script_sigs) == len(spend.signers)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_id_show_verify(ceremony, capsys, monkeypatch):
    code, out, _ = run(capsys, "graph", "id", ceremony.signed)
    assert code == EXIT_OK and out.strip() == ceremony.graph.graph_id.hex()
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich text, as on a terminal
    monkeypatch.setenv("COLUMNS", "300")
    code, out, _ = run(capsys, "graph", "show", ceremony.signed)
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert code == EXIT_OK
    # families collapsed per game: the first search's and the read search's rounds
    assert "Reveal_0..6/c1 (3)" in out and "Choose_1..7/c1 (3)" in out and "Catch_5..9/c1 (2)" in out
    assert "5 catch" in out and "OpcodeChunk" in out  # the catch state's leaves, counted by kind
    monkeypatch.delenv("FORCE_COLOR")
    code, out, _ = run(capsys, "graph", "show", ceremony.signed, "--tx", "Catch_5/c1", "--json")
    tx = json.loads(out)
    assert code == EXIT_OK and tx["name"] == "Catch_5/c1"
    assert any(i["any_leaf"] for i in tx["inputs"])
    # complete: the data inputs and the challenger's bond coin are signed when moving
    code, out, _ = run(capsys, "graph", "verify", ceremony.signed, "--json")
    info = json.loads(out)
    assert code == EXIT_OK and info["complete"] and info["version"] == 2


def test_cli_audit(ceremony, capsys):
    code, out, _ = run(capsys, "graph", "audit", ceremony.signed, "--operator-key", ceremony.keys["operator"], "--json")
    info = json.loads(out)
    assert code == EXIT_OK and info["passed"], info["failed"]
    checks = {f["check"] for f in info["findings"]}
    assert {"exclusive", "windows", "covenant", "own one-time keys", "signatures", "no key path"} <= checks
    subjects = {f["subject"] for f in info["findings"] if f["check"] == "exclusive"}
    assert {
        "Take1 / Open/c1",
        "Reveal_0/c1 / OperatorSilent_0/c1",
        "Take2 / Catch_5/c1",
        "Catch_5/c1 / StartRead_5/c1",
    } <= subjects


def test_cli_draw(ceremony, capsys, tmp_path):
    out = tmp_path / "graph.dot"
    code, text, _ = run(capsys, "graph", "draw", ceremony.signed, "-o", out, "--json")
    info = json.loads(text)
    assert code == EXIT_OK and info["transactions"] == len(ceremony.graph.txs)
    assert info["boxes"] < info["transactions"] and info["collapsed"]["Reveal_0..6/c1 (3)"] == 3
    dot = out.read_text()
    assert "challenger 1's bond coin" in dot and "any of" in dot and "OpcodeChunk" in dot


def test_cli_ots_keys_and_build_from_published_keys(ceremony, capsys, tmp_path):
    """Each operator and challenger publishes its keys; anyone builds the same graph."""
    for who, flag in (("operator", "--operator-key"), ("challenger", "--challenger-key")):
        code, out, _ = run(
            capsys,
            "graph",
            "ots-keys",
            ceremony.params,
            flag,
            ceremony.keys[who],
            "-o",
            tmp_path / f"{who}.json",
            "--json",
        )
        assert code == EXIT_OK and json.loads(out)["role"] == who
        assert "secret" not in (tmp_path / f"{who}.json").read_text()
    code, _, err = run(
        capsys,
        "graph",
        "ots-keys",
        ceremony.params,
        "--operator-key",
        ceremony.keys["challenger"],
        "-o",
        tmp_path / "x.json",
    )
    assert code == EXIT_BAD_INPUT and "is a challenger key, not an operator key" in err
    code, out, _ = run(
        capsys,
        "graph",
        "build",
        ceremony.params,
        "--ots-keys",
        tmp_path / "operator.json",
        "--ots-keys",
        tmp_path / "challenger.json",
        "-o",
        tmp_path / "g.json",
        "--json",
    )
    assert code == EXIT_OK and json.loads(out)["graph_id"] == ceremony.graph.graph_id.hex()
    assert (tmp_path / "g.json").read_bytes() == ceremony.unsigned.read_bytes()


def test_cli_build_refuses_missing_keys(ceremony, capsys, tmp_path):
    code, _, err = run(
        capsys,
        "graph",
        "build",
        ceremony.params,
        "--operator-key",
        ceremony.keys["operator"],
        "-o",
        tmp_path / "g.json",
    )
    assert code == EXIT_BAD_INPUT and "no one-time keys for challenger(s)" in err and "--challenger-key" in err
    assert not (tmp_path / "g.json").exists()
    code, _, err = run(
        capsys,
        "graph",
        "build",
        ceremony.params,
        "--operator-key",
        ceremony.keys["operator"],
        "--challenger-key",
        ceremony.keys["operator"],
        "-o",
        tmp_path / "g.json",
    )
    assert code == EXIT_BAD_INPUT and "is an operator key, not a challenger key" in err


def test_a_challenger_presigns_nothing(ceremony):
    """Its bond coin is signed when it opens its game: a signature in the file would
    let anyone open the game with its bond."""
    with pytest.raises(UserError, match="a challenger signs nothing in the ceremony"):
        presign(ceremony.graph, load_key(ceremony.keys["challenger"]))


# --- several operators on one vault -----------------------------------------------------------


def _two_operator_params(keys: dict[str, RoleKey], elf: Path) -> Params:
    """Two operators, one challenger: the challenger's bond coin for each operator's game."""
    one = _params(keys, elf, "selfcheck.elf")
    coin = lambda i, amount: Funding(OutPoint(f"{i:02x}" * 32, 0), amount)  # noqa: E731 - made-up coins
    return replace(
        one,
        operators=(keys["operator"].pubkey, keys["operator-2"].pubkey),
        operator_funding=(coin(2, defaults.FUNDING["operator"]), coin(4, defaults.FUNDING["operator"])),
        challenger_bonds=(coin(3, BOND_COIN), coin(5, BOND_COIN)),
    )


def test_two_operators_build_round_trip_and_audit(ceremony, capsys, tmp_path):
    """``ocp graph build`` with two operators' key files: each operator's game against
    the challenger opens with its own bond coin (funding.challengers[0][o]); the
    signed file loads back (the audit regenerates it and compares every field) and the
    audit passes for each operator."""
    keys = {name: load_key(path) for name, path in ceremony.keys.items()}
    keys["operator-2"] = drill_key(SEED, "operator-2", Role.OPERATOR)
    second = tmp_path / "operator-2.key"
    save_key(keys["operator-2"], second)
    shutil.copy(ceremony.elf, tmp_path / "selfcheck.elf")
    params = tmp_path / "params.toml"
    save_params(_two_operator_params(keys, ceremony.elf), params)
    assert "challengers = [\n    [" in params.read_text()  # a list of coins per challenger
    unsigned = tmp_path / "graph.json"
    code, _, err = run(
        capsys,
        "graph",
        "build",
        params,
        "--operator-key",
        ceremony.keys["operator"],
        "--operator-key",
        second,
        "--challenger-key",
        ceremony.keys["challenger"],
        "-o",
        unsigned,
        "--json",
    )
    assert code == EXIT_OK, err
    graph = load_graph(unsigned)
    opens = {o: graph.tx(TxName(TxKind.OPEN, None, o, 1)) for o in (1, 2)}
    bonds = {o: opens[o].tx.inputs[1].prevout for o in (1, 2)}
    assert bonds[1] != bonds[2] and {str(opens[o].spends[1].source) for o in (1, 2)} == {
        "funding:challenger@1/o1",
        "funding:challenger@1/o2",
    }
    assert {TxName(k, None, o) for k in (TxKind.TAKE1, TxKind.STAKEBACK1) for o in (1, 2)} <= set(graph.txs)
    for name in ("signer-1", "signer-2", "operator", "operator-2", "depositor"):
        graph, _ = presign(graph, keys[name])
    assert outstanding_signatures(graph) == []
    signed = tmp_path / "signed.json"
    save_graph(graph, signed)
    code, out, _ = run(
        capsys,
        "graph",
        "audit",
        signed,
        "--operator-key",
        ceremony.keys["operator"],
        "--operator-key",
        second,
        "--json",
    )
    info = json.loads(out)
    assert code == EXIT_OK and info["passed"], info["failed"]
    subjects = {f["subject"] for f in info["findings"] if f["check"] == "exclusive"}
    assert {"Take1@1 / Open@1/c1", "Take1@2 / Open@2/c1"} <= subjects


def test_bond_coins_per_operator_in_params(ceremony, capsys, tmp_path):
    """funding.challengers: a coin per challenger with one operator (files as they
    were), a list of one coin per operator with several; a wrong count or a coin used
    twice is refused naming the field; ``ocp params addresses`` lists each game's coin."""
    keys = {name: load_key(path) for name, path in ceremony.keys.items()}
    keys["operator-2"] = drill_key(SEED, "operator-2", Role.OPERATOR)
    two = _two_operator_params(keys, ceremony.elf)
    assert two.bond_coin(1, 0) == two.challenger_bonds[1] and two.bond_coin(0, 0) == two.challenger_bonds[0]
    shutil.copy(ceremony.elf, tmp_path / "selfcheck.elf")
    path = tmp_path / "params.toml"
    save_params(two, path)
    read = load_params(path)
    assert (read.operators, read.challenger_bonds, read.operator_funding) == (
        two.operators,
        two.challenger_bonds,
        two.operator_funding,
    )
    text = path.read_text()
    one_coin = re.sub(r"challengers = \[\n    \[(\"[^\"]+\"), \"[^\"]+\"\],\n\]", r"challengers = [\1]", text)
    assert one_coin != text
    path.write_text(one_coin)
    with pytest.raises(UserError, match=r"funding.challengers\[0\] has 1 bond coin\(s\) for 2 operators"):
        load_params(path)
    coin = two.challenger_bonds[0]
    with pytest.raises(
        UserError, match=r"funding.challengers\[0\]\[0\] and funding.challengers\[0\]\[1\] are the same"
    ):
        replace(two, challenger_bonds=(coin, coin))
    with pytest.raises(UserError, match="each challenger 2 coins, one per operator"):
        replace(two, challenger_bonds=(coin,))
    assert load_params(ceremony.params).challenger_bonds == (Funding(OutPoint("03" * 32, 0), BOND_COIN),)
    save_params(two, path)
    code, out, _ = run(capsys, "params", "addresses", path, "--json")
    roles = json.loads(out)["roles"]
    bonds = [(r["challenger"], r["operator"], r["spent_by"], r["funding"]) for r in roles if r["role"] == "challenger"]
    assert code == EXIT_OK and bonds == [
        (1, 1, "Open@1/c1", two.challenger_bonds[0].to_str()),
        (1, 2, "Open@2/c1", two.challenger_bonds[1].to_str()),
    ]
    # the embedded chain funds each game's bond coin and checks them
    chain = tmp_path / "chain"
    funded = tmp_path / "funded.toml"
    code, out, err = run(capsys, "regtest", "fund", path, "-o", funded, "--chain-dir", chain, "--json")
    assert code == EXIT_OK, err
    assert {"challenger 1 (operator 1)", "challenger 1 (operator 2)"} <= set(json.loads(out)["funding"])
    coins = load_params(funded).challenger_bonds
    assert len(coins) == 2 and coins[0].outpoint != coins[1].outpoint
    code, out, _ = run(capsys, "regtest", "coins", funded, "--chain-dir", chain, "--json")
    checked = json.loads(out)
    assert code == EXIT_OK and checked["ok"], checked
    assert checked["coins"]["challenger 1 (operator 2)"]["coin"] == coins[1].to_str()

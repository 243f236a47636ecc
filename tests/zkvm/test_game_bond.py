"""The bond of a version-2 game (issue 16 "Bond and rewards", :mod:`ocp.game.bond`),
on the graph of a tiny assembled guest (one instruction and exit; a 16-step 4-ary
search: 13 paths per game, the read search included), and ``ocp params init
--program`` and ``bench/dispute_cost.py`` on the same guest.

The bond must cover the honest operator's worst game: every token at least dust
and the operator not out of pocket at the maximum fee rate; params below the
minimum are refused naming it; a winning challenger gets its bond back and a
reward at its registered key.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from ocp.builder.games import build_graph_v2, game_cost, minimum_bond
from ocp.cli import main
from ocp.drill.world import Actors, drill_key
from ocp.errors import UserError
from ocp.fees import fee_for, graph_tx_weight
from ocp.game.bond import CHALLENGER_WINS
from ocp.game.computation import ZkvmComputation
from ocp.game.keys import ChallengerSigner, GameKeys, OperatorSigner, PartyKeys
from ocp.game.layout import GameLayout, MoveKind, move_kind
from ocp.graph import ANCHOR_AMOUNT, P2TR_DUST, params_id
from ocp.ids import Role, TxKind, TxName
from ocp.params import Params, Windows, load_params, save_params
from ocp.rules import graph_rules
from ocp.stepleaves.challenges import TraceHash
from ocp.stepleaves.execute import ExecuteLeaf, RecordRest
from ocp.stepleaves.search import Choice, reveal_chunks
from taptrees.ots.winternitz import WinternitzKey
from taptrees.tree import TaprootOutput

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: A CPFP child: two key-path inputs (4 x 135 bytes + marker + 2 x 66 witness bytes), one
#: output; the winner's child spending its payout alone.
CHILD_WU = 674
PAYOUT_CHILD_WU = 444
TINY = """    .set noreorder
    .set noat
    .text
    .globl __start
__start:
    addiu $t0, $zero, 1
    li $v0, 4246
    li $a0, 0
    syscall
    nop
"""


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tools = [shutil.which("mips-linux-gnu-as"), shutil.which("mips-linux-gnu-ld")]
    if None in tools:
        pytest.skip("mips-linux-gnu-as/ld not found (apt-get install binutils-mips-linux-gnu)")
    out = tmp_path_factory.mktemp("bond")
    (out / "tiny.s").write_text(TINY)
    subprocess.run([tools[0], "-march=mips32r2", "-mabi=32", "-EB", "-o", out / "tiny.o", out / "tiny.s"], check=True)
    subprocess.run([tools[1], "-EB", "-static", "-e", "__start", "-o", out / "tiny.elf", out / "tiny.o"], check=True)
    return out / "tiny.elf"


@pytest.fixture(scope="module")
def params(elf: Path) -> Params:
    comp = ZkvmComputation.of(elf, max_steps=16, nary=4, input_words=1)
    actors = Actors.make(b"bond test", 2, 1)
    challenger = drill_key(b"bond test", "challenger", Role.CHALLENGER)
    from ocp.params import Funding
    from taptrees.tx import OutPoint

    def coin(i: int) -> Funding:
        return Funding(OutPoint(f"{i:064x}", 0), 10**9)

    return Params(
        network="regtest",
        committee=tuple(k.pubkey for k in actors.committee),
        operators=(actors.operators[0].pubkey,),
        depositor=actors.depositor.pubkey,
        deposit_amount=10**8,
        operator_stake=2 * 10**7,
        challenge_fee=0,
        fee_rate=2.0,
        windows=Windows(6, None, None, 10, 6),
        computation=comp,
        depositor_funding=coin(1),
        operator_funding=(coin(2),),
        challengers=(challenger.pubkey,),
        challenger_bonds=(coin(3),),
        bond=10**8,
    )


def fee(gtx) -> int:
    return sum(o.value for o in gtx.spent) - sum(o.value for o in gtx.tx.outputs)


def real_keys(params: Params) -> GameKeys:
    """The parties' derived one-time keys (the measuring build uses placeholders)."""
    layout = GameLayout(params.computation)
    pid = params_id(params)
    actors = Actors.make(b"bond test", 2, 1)
    challenger = drill_key(b"bond test", "challenger", Role.CHALLENGER)
    claim, games = OperatorSigner(PartyKeys(actors.operators[0].secret, pid), 0, layout).public(1)
    return GameKeys((claim,), (games,), (ChallengerSigner(PartyKeys(challenger.secret, pid), 0, layout).public(1),))


@pytest.fixture(scope="module")
def minimum(params: Params) -> int:
    return minimum_bond(params)


@pytest.fixture(scope="module")
def at_minimum(params: Params, minimum: int):
    p = replace(params, bond=minimum)
    return p, build_graph_v2(p, real_keys(p))


@pytest.mark.parametrize("short", [1, None], ids=["minimum-1", "10000"])
def test_a_bond_below_the_minimum_is_refused_naming_it(params, minimum, short):
    """Just below the minimum, and far below (tokens would go negative on the way)."""
    bond = minimum - short if short else 10_000
    p = replace(params, bond=bond)
    with pytest.raises(
        UserError,
        match=rf"^bond: amounts\.bond \(game 1\): {bond} sat is below the "
        rf"minimum {minimum} sat \(the honest operator's worst game",
    ):
        build_graph_v2(p, real_keys(p))


def test_at_the_minimum_the_longest_game_keeps_every_token_above_dust(at_minimum, minimum):
    """Walks the read search's whole path by the layout's move names (not by
    :mod:`ocp.game.bond`): every token and the operator's closing sweep hold at least
    dust, and every move's fee is its largest weight at the fee floor."""
    p, graph = at_minimum
    layout = GameLayout(p.computation)
    tokens = [graph.txs[TxName(TxKind.OPEN, None, None, 1)].tx.outputs[0].value]
    assert tokens[0] == minimum
    for state in layout.states:
        moves = [m for m in state.moves if m.kind in (MoveKind.NEXT, MoveKind.READ)]
        if not moves:
            continue
        gtx = graph.txs[TxName(move_kind(state, moves[0]), state.index, None, 1)]
        tokens.append(gtx.tx.outputs[0].value)
        assert fee(gtx) == fee_for(graph_tx_weight(gtx, graph.outputs), p.fee_rate)
    last = layout.states[-1]
    close = graph.txs[TxName(TxKind.CHALLENGER_SILENT, last.index, None, 1)]
    assert close.tx.outputs[0].script_pubkey == TaprootOutput(p.operators[0]).script_pubkey
    tokens.append(close.tx.outputs[0].value)
    assert len(tokens) == len(layout.states) + 1 and min(tokens) >= P2TR_DUST
    assert tokens == sorted(tokens, reverse=True)  # every move costs the token something
    # the operator, bumping its moves (anchor + a coin of its own -> one P2TR output:
    # 674 WU) and its sweep (its payout -> one output: 444 WU) to the maximum rate,
    # ends exactly whole: what it is paid and its anchors cover its CPFP children
    rate = p.punish_fee_rate
    ours = [
        graph.txs[TxName(move_kind(s, m), s.index, None, 1)]
        for s in layout.states
        for m in s.moves[:1]
        if s.mover is Role.OPERATOR and m.kind is MoveKind.NEXT
    ]
    children = sum(max(0, fee_for(graph_tx_weight(g, graph.outputs) + CHILD_WU, rate) - fee(g)) for g in ours)
    anchors = ANCHOR_AMOUNT * len(ours)
    sweep = max(0, fee_for(graph_tx_weight(close, graph.outputs) + PAYOUT_CHILD_WU, rate) - fee(close))
    assert tokens[-1] + anchors - children - sweep == 0
    findings = [f for f in graph_rules(p, graph.txs, graph.outputs, 0) if f.check in ("bond", "reward")]
    assert [f.check for f in findings] == ["bond", "reward"] and all(f.ok for f in findings)


def test_the_minimum_does_not_depend_on_the_keys(at_minimum, minimum):
    p, graph = at_minimum
    assert game_cost(p, graph.game_keys).minimum_bond == minimum


def test_a_winning_challenger_gets_its_bond_back_and_a_reward_at_its_key(at_minimum):
    p, graph = at_minimum
    owner = TaprootOutput(p.challengers[0]).script_pubkey
    wins = [g for n, g in graph.txs.items() if n.kind in CHALLENGER_WINS]
    assert {g.name.kind for g in wins} == set(CHALLENGER_WINS)
    for gtx in wins:
        paid, burn = gtx.tx.outputs
        assert paid.script_pubkey == owner and paid.value > p.bond
        assert burn.value == p.operator_stake // 2


def test_a_stake_too_small_to_reward_a_winner_is_refused(params, minimum):
    p = replace(params, bond=minimum, operator_stake=20_000)
    with pytest.raises(UserError, match=r"^reward: .* raise amounts\.operator_stake"):
        build_graph_v2(p, real_keys(p))


@pytest.mark.parametrize(
    "leaf",
    [
        reveal_chunks(1, 7, 8)[0],  # round 1's hashes and the challenger's choice re-checked
        Choice(0, 8),
        TraceHash(),
        RecordRest(),
        ExecuteLeaf("mul", 0, True, ((0x400000, 0x500000),), ((0x400000, 0x500000),)),  # bare number hints
    ],
    ids=lambda leaf: leaf.kind,
)
def test_fees_are_paid_for_the_largest_witness_each_leaf_can_have(leaf):
    """The weight a move's fee (hence the bond) is paid for: each witness item's largest
    size (a digit signature 20 bytes, a digit or limb 1 byte, a number hint its
    largest script number), checked against real witnesses: the values at their
    largest and 8 random ones (every bound reached by some witness)."""
    layout = leaf.layout
    keys = {v.name: WinternitzKey.derive(b"ocp tests: bond one-time secret", v.name, v.params) for v in layout.signed}
    bounds = [size for v in layout.values for size in layout.max_item_sizes(v)]
    rng = random.Random(16)
    largest = [0] * len(bounds)
    for sample in range(9):
        values = {
            f.name: (1 << f.bits) - 1 if sample == 0 else rng.randrange(1 << f.bits)
            for v in layout.values
            for f in v.fields
            if f.constant is None
        }
        sizes = [len(item) for item in leaf.sign(keys, values)]
        assert len(sizes) == len(bounds) and all(s <= b for s, b in zip(sizes, bounds, strict=True))
        largest = [max(a, s) for a, s in zip(largest, sizes, strict=True)]
    assert largest == bounds


def test_params_init_for_a_program_writes_a_bond_above_the_minimum(elf, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [
        "params",
        "init",
        "-o",
        "params.toml",
        "--keys-dir",
        "keys",
        "--committee",
        "2",
        "--program",
        str(elf),
        "--max-steps",
        "16",
        "--nary",
        "4",
        "--input-words",
        "1",
        "--challengers",
        "2",
    ]
    assert main(argv) == 0
    assert sorted(p.name for p in Path("keys").iterdir())[:2] == ["challenger-1.key", "challenger-2.key"]
    raw = tomllib.loads(Path("params.toml").read_text())
    assert raw["computation"]["kind"] == "zkvm" and raw["windows"]["move_window"] == 36
    params = load_params("params.toml")
    least = minimum_bond(params)
    assert least <= params.bond <= 1.25 * least + 10_000
    assert main([*argv[:3], "p2.toml", argv[4], "keys2", *argv[6:], "--bond", str(least - 1)]) == 2
    assert not Path("p2.toml").exists() and not Path("keys2").exists()


def test_bench_dispute_cost_runs(elf):
    """The bench on the tiny guest, one small geometry (the real run builds 2**20 to
    2**28 steps of the selfcheck guest)."""
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/dispute_cost.py"),
            "--elf",
            str(elf),
            "--steps",
            "4",
            "--nary",
            "4",
            "--no-goal",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert row["log_steps"] == 4 and row["nary"] == 4 and row["rounds"] == 2
    assert row["vbytes"] > row["operator_vbytes"] > 0 and row["standard"]
    assert 0 < row["operator_cost"] <= row["bond"]  # the bond covers the honest operator's worst game
    assert row["deposit_txs"] > row["game_txs"] > row["moves"]
    assert row["deposit_json"] > row["game_json"] > 0  # bytes of the file ocp writes, and one game's part


def test_the_user_path_from_params_init_to_a_passing_audit(elf, tmp_path, monkeypatch, capsys):
    """``params init --program`` -> ``regtest fund`` (each challenger's bond coin too)
    -> ``graph build`` with the parties' key files -> every ceremony signature ->
    ``graph audit`` passes, its bond and reward rules among the checks; the same
    params with a bond below the minimum are refused by ``graph build`` naming it."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(elf, "tiny.elf")

    def run(*argv: str) -> tuple[int, dict]:
        code = main([*argv, "--json"])
        out = capsys.readouterr()
        return code, json.loads(out.out or out.err)

    assert (
        run(
            "params",
            "init",
            "-o",
            "params.toml",
            "--keys-dir",
            "keys",
            "--committee",
            "2",
            "--program",
            "tiny.elf",
            "--max-steps",
            "16",
            "--nary",
            "4",
            "--input-words",
            "1",
        )[0]
        == 0
    )
    code, addresses = run("params", "addresses", "params.toml")
    assert code == 0 and [r["role"] for r in addresses["roles"]] == ["depositor", "operator", "challenger"]
    code, funded = run("regtest", "fund", "params.toml", "--chain-dir", "chain", "-o", "funded.toml")
    assert code == 0 and set(funded["funding"]) == {"depositor", "operator", "challenger 1"}
    code, coins = run("regtest", "coins", "funded.toml", "--chain-dir", "chain")
    assert code == 0 and coins["ok"] and set(coins["coins"]) == set(funded["funding"])
    params = load_params("funded.toml")
    bond_coin = params.challenger_bonds[0].amount
    assert bond_coin == next(r["minimum_sat"] for r in addresses["roles"] if r["role"] == "challenger") + 100_000
    code, built = run(
        "graph",
        "build",
        "funded.toml",
        "--operator-key",
        "keys/operator.key",
        "--challenger-key",
        "keys/challenger-1.key",
        "-o",
        "graph.json",
    )
    assert code == 0 and built["version"] == 2
    for signer in ("signer-1", "signer-2", "operator", "depositor"):
        assert run("graph", "presign", "graph.json", "--key", f"keys/{signer}.key")[0] == 0
    code, audit = run("graph", "audit", "graph.json", "--operator-key", "keys/operator.key")
    assert code == 0 and audit["passed"] and audit["failed"] == []
    rules = {f["check"]: f for f in audit["findings"] if f["check"] in ("bond", "reward")}
    assert rules["bond"]["ok"] and rules["bond"]["message"].startswith(f"{params.bond} sat (minimum ")
    assert rules["reward"]["ok"]
    least = minimum_bond(params)
    save_params(replace(params, bond=least - 1), "short.toml")
    code, err = run(
        "graph",
        "build",
        "short.toml",
        "--operator-key",
        "keys/operator.key",
        "--challenger-key",
        "keys/challenger-1.key",
        "-o",
        "short.json",
    )
    assert code == 2 and not Path("short.json").exists()
    assert f"{least - 1} sat is below the minimum {least} sat" in err["error"]

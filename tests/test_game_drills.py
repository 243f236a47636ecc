"""Graph v2 on chain (issue 16): a claim about a Go guest built here with golang-go
(go/examples/selfcheck, ~490K micro-steps) disputed by games, on the embedded chain
and on bitcoind.

Every fault kind of the dispute-trace issue is played to its end on the embedded
chain (the catching leaf is the one the trace half names, the stake is taken, the
forbidden moves tried on the way are refused for their reason, value is
conserved); bitcoind plays a sample (one fault caught by a leaf after the read
search, one by the operator's refused Execute) and the true claim.  Both chains
give the same refusal reasons: the reports are compared event by event.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bitcoind_node import BACKENDS, open_chain

from ocp.drill.defaults import STAKE
from ocp.drill.games import GAME_SCENARIOS, Guest, run_game_drill
from ocp.drill.report import balances, report_json
from ocp.zkvm.dispute import FAULT_KINDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def guest(selfcheck) -> Guest:
    return selfcheck


def drill(backend: str, name: str, guest: Guest, fault: str | None = None):
    with open_chain(backend) as chain:
        world = run_game_drill(name, chain, guest, fault)
        return world, report_json(name, backend, world), balances(world)


def labels(report: dict, result: str) -> list[str]:
    return [e["transaction"] for e in report["timeline"] if e["result"] == result]


def assert_passed(report: dict) -> None:
    checks = report["checks"]
    assert checks["value_conserved"]
    assert checks["forbidden_refused"] and checks["refused_for_their_reason"], report["unexpected"]
    assert checks["allowed_accepted"], report["unexpected"]
    assert report["passed"], report["unexpected"]


def assert_stake_taken(report: dict, b, challenger: str = "challenger 1") -> None:
    """Half the stake burned, the rest and the bond to the winning challenger; the
    vault untouched; Take1 and Take2 refused because the stake is spent."""
    assert b.burned == STAKE // 2
    assert b.after[challenger] > b.before[challenger] + STAKE // 2 - 500_000
    refused = {e["transaction"]: e["reason"] for e in report["timeline"] if e["result"] == "refused"}
    for take in ("Take1", "Take2"):
        reason = next(r for label, r in refused.items() if label.startswith(take))
        assert reason == "bad-txns-inputs-missingorspent"


def assert_probes(report: dict) -> None:
    """The forbidden moves every game tries, each refused for its own reason."""
    reasons = {e["transaction"]: e["reason"] for e in report["timeline"] if e["expected"] == "refused"}
    early = [r for label, r in reasons.items() if "before the move window" in label]
    assert early and set(early) == {"non-BIP68-final"}
    foreign = [r for label, r in reasons.items() if "(by the operator)" in label]
    assert foreign and all("Invalid Schnorr signature" in r for r in foreign)


@pytest.mark.parametrize("fault", FAULT_KINDS)
def test_every_fault_is_caught_on_chain(guest, fault):
    world, report, b = drill("kernel", "zkvm-fraud", guest, fault)
    assert_passed(report)
    assert report["checks"]["the challenger wins"]
    assert any(k.startswith("the leaf the trace half names") and v for k, v in report["checks"].items())
    assert_stake_taken(report, b)
    assert_probes(report)
    won = labels(report, "accepted")[-1]
    assert won.startswith(("Catch_", "OperatorSilent_")), won
    if won.startswith("Catch_"):  # the leaf that holds was preceded by one that does not
        assert any("which does not hold" in x for x in labels(report, "refused"))


@pytest.mark.bitcoind
@pytest.mark.parametrize("fault", ["read", "write"])
def test_faults_on_bitcoind_as_on_the_kernel(guest, fault):
    """The same game on both chains: the same moves, accepted or refused for the
    same reasons (Core's strings), the same fees and the same amounts moved (the
    chains' own coinbases differ, so txids do)."""
    _, on_kernel, kb = drill("kernel", "zkvm-fraud", guest, fault)
    _, on_bitcoind, bb = drill("bitcoind", "zkvm-fraud", guest, fault)
    assert_passed(on_bitcoind)

    def moves(report):
        return [(e["transaction"], e["result"], e["reason"]) for e in report["timeline"]]

    assert moves(on_kernel) == moves(on_bitcoind)
    assert (kb.after, kb.burned, kb.fees) == (bb.after, bb.burned, bb.fees)


@pytest.mark.parametrize("backend", BACKENDS)
def test_true_claim_is_paid_after_t_max(guest, backend):
    """zkvm-answered: a challenger disputing a true claim (choosing at random) loses
    its game; Take2 is refused before T_max and pays the operator after it."""
    _, report, b = drill(backend, "zkvm-answered", guest)
    assert_passed(report)
    assert report["checks"]["the operator wins"]
    take2 = [e for e in report["timeline"] if e["transaction"].startswith("Take2")]
    assert [e["result"] for e in take2] == ["refused", "accepted"]
    assert take2[0]["reason"] == "non-BIP68-final"
    assert b.burned == 0
    assert b.after["operator"] > b.before["operator"] + 90_000_000  # the deposit, less fees
    assert b.after["challenger 1"] < b.before["challenger 1"]  # its bond went to the operator


def test_silent_operator_loses_its_stake(guest):
    _, report, b = drill("kernel", "zkvm-silent-operator", guest)
    assert_passed(report)
    assert labels(report, "accepted")[-1].startswith("OperatorSilent_2/")
    assert_stake_taken(report, b)


def test_silent_challenger_loses_its_bond(guest):
    _, report, b = drill("kernel", "zkvm-silent-challenger", guest)
    assert_passed(report)
    assert any(x.startswith("ChallengerSilent_1/") for x in labels(report, "accepted"))
    assert b.after["challenger 1"] < b.before["challenger 1"] - 1_000_000


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_honest_challenger_is_enough(guest, backend):
    """zkvm-bribed: challenger 1 stops (bribed); challenger 2 still takes the stake."""
    _, report, b = drill(backend, "zkvm-bribed", guest)
    assert_passed(report)
    assert report["checks"]["the bribed challenger loses its game"]
    assert report["checks"]["the honest challenger wins"]
    assert_stake_taken(report, b, "challenger 2")
    assert b.after["challenger 1"] < b.before["challenger 1"]


def test_two_operators_the_liar_loses_its_stake_the_other_is_paid(guest):
    """zkvm-reassign: two operators on one vault; the challenger's game against
    operator 1's false claim takes its stake, operator 2's true claim is left alone
    (its game never opens) and Take1@2 pays it the vault; operator 1's Take1, Take2
    and StakeBack1 are refused because what they spend is gone."""
    _, report, b = drill("kernel", "zkvm-reassign", guest)
    assert_passed(report)
    checks = report["checks"]
    assert checks["the challenger disputes operator 1's claim"]
    assert checks["the challenger does not dispute operator 2's true claim"]
    assert checks["the challenger wins against operator 1"]
    accepted = labels(report, "accepted")
    assert any(x.startswith(("Catch_", "OperatorSilent_")) and "@1/c1" in x for x in accepted)
    assert not any("@2/c1" in x for x in accepted)  # operator 2's game never opened
    refused = {e["transaction"].split(" ")[0]: e["reason"] for e in report["timeline"] if e["result"] == "refused"}
    for name in ("Take1@1", "Take2@1", "StakeBack1@1"):
        assert refused[name] == "bad-txns-inputs-missingorspent", name
    assert "Take1@2 (no game opened against it)" in accepted
    assert b.burned == STAKE // 2
    assert b.after["operator 2"] > b.before["operator 2"] + 99_000_000  # the deposit, and its stake back
    assert b.after["operator 1"] < b.before["operator 1"] - STAKE + 1_000_000  # its stake is gone


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_true_claim_gets_its_stake_back(guest, backend):
    """zkvm-stakeback: both claims true and undisputed; Take1@1 takes the vault,
    Take1@2 is refused (the vault is spent) and StakeBack1@2 returns operator 2's
    stake (refused before the challenge window, like Take1)."""
    _, report, b = drill(backend, "zkvm-stakeback", guest)
    assert_passed(report)
    moves = [(e["transaction"], e["result"], e["reason"]) for e in report["timeline"]]
    assert moves[-6:] == [
        ("Take1@1 (before the challenge window)", "refused", "non-BIP68-final"),
        ("StakeBack1@2 (before the challenge window)", "refused", "non-BIP68-final"),
        ("Take1@1", "accepted", ""),
        ("Take1@2 (the vault is spent)", "refused", "bad-txns-inputs-missingorspent"),
        ("StakeBack1@2 (the vault is spent: the stake back)", "accepted", ""),
        ("Open@2/c1 (after StakeBack1)", "refused", "bad-txns-inputs-missingorspent"),
    ]
    assert b.burned == 0
    assert b.after["operator 1"] > b.before["operator 1"] + 99_000_000
    assert b.before["operator 2"] - 100_000 < b.after["operator 2"] < b.before["operator 2"]  # the stake, less fees
    assert b.after["challenger 1"] == b.before["challenger 1"]  # no game opened


def test_a_256_ary_game_reveals_a_round_in_several_moves(guest):
    """n = 256: a round's 255 hashes exceed one standard transaction, so the operator
    reveals them in several moves (each under 400,000 WU), and the game still ends
    with the lie caught."""
    wide = Guest(guest.elf, guest.tape, guest.trace, nary=256)
    assert any("part 2/" in s.label for s in wide.layout.states)
    world, report, _ = drill("kernel", "zkvm-fraud", wide, "hash")
    assert_passed(report)
    assert report["checks"]["the challenger wins"]
    reveals = [
        tx for tx in world.broadcast if any(e.txid == tx.txid and e.label.startswith("Reveal_") for e in world.events)
    ]
    assert len(reveals) >= 6 and max(tx.weight for tx in reveals) <= 400_000


def test_every_game_drill_is_listed():
    assert set(GAME_SCENARIOS) == {
        "zkvm-fraud",
        "zkvm-answered",
        "zkvm-silent-operator",
        "zkvm-silent-challenger",
        "zkvm-bribed",
        "zkvm-reassign",
        "zkvm-stakeback",
    }


def test_drill_command_runs_a_game(guest, tmp_path, monkeypatch, capsys):
    """``ocp drill run zkvm-fraud --fault pc --json``: the guest built and kept in
    --guest-dir, one report of the usual shape with its graph file; --fault only with
    zkvm-fraud."""
    from ocp.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["drill", "run", "zkvm-fraud", "--fault", "pc", "--guest-dir", str(guest.elf.parent), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["passed"]
    (report,) = out["drills"]
    assert report["drill"] == "zkvm-fraud" and report["checks"]["the challenger wins"]
    assert json.loads(Path("drill-reports/zkvm-fraud.json").read_text())["passed"]
    # the drill's pre-signed graph is written as a version-2 graph file that loads back
    # (regenerated from the guest's ELF and compared) and passes the audit
    assert report["graph_file"] and Path(report["graph_file"]).exists()
    assert main(["graph", "audit", report["graph_file"]]) == 0
    audit = capsys.readouterr().out
    assert "passed: true" in audit and "fully pre-signed" in audit
    code = main(["drill", "run", "zkvm-answered", "--fault", "pc"])
    assert code == 2 and "--fault is for zkvm-fraud" in capsys.readouterr().err

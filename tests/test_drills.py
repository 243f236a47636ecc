"""Every drill end to end on a real chain (issue 8): the embedded kernel chain,
and bitcoind (issue 13: scripts/test.sh provides one)."""

from __future__ import annotations

import pytest
from bitcoind_node import BACKENDS, open_chain

from ocp.drill import scenarios
from ocp.drill.report import balances, report_json
from ocp.drill.world import setup_world
from ocp.ids import Role
from ocp.program import U32Program

#: Core 31's reason for a script that ends false (an honest step re-checked).
EVAL_FALSE = (
    "mempool-script-verify-flag-failed (Script evaluated without error but "
    "finished with a false/empty top stack element)"
)


def events(world, label: str):
    found = [e for e in world.events if e.label == label]
    assert found, f"no event {label!r}; have {[e.label for e in world.events]}"
    return found[-1]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", ["chain", "musig2"])
@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_drill_passes(backend, name, form):
    """Every drill with either committee form (issue 17): a CHECKSIGVERIFY chain, or
    one MuSig2 key signed in nonce rounds."""
    with open_chain(backend) as chain:
        world = scenarios.run_scenario(name, chain, committee_form=form)
        report = report_json(name, backend, world)
    assert report["committee_form"] == form
    assert report["checks"]["value_conserved"]
    assert report["checks"]["forbidden_refused"], report["unexpected"]
    assert report["checks"]["allowed_accepted"], report["unexpected"]
    assert report["passed"]
    assert any(not e.expected for e in world.events), "a drill must try a forbidden move"


@pytest.mark.parametrize("backend", BACKENDS)
def test_happy_pays_operator_and_refuses_the_rest(backend):
    with open_chain(backend) as chain:
        world = scenarios.run_scenario("happy", chain)
        b = balances(world)
    assert events(world, "Take1 (early)").reason == "non-BIP68-final"
    assert events(world, "Take1").accepted
    assert events(world, "Slash_0 (S spent by Take1)").reason == "bad-txns-inputs-missingorspent"
    # operator got the deposit and its stake back, less fees
    gained = b.after[Role.OPERATOR] - b.before[Role.OPERATOR]
    assert 0 < world.params.deposit_amount - gained < 10_000
    assert b.locked == 0 and b.burned == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_answered_every_disprove_refused_then_take2(backend):
    with open_chain(backend) as chain:
        world = scenarios.run_scenario("answered", chain)
    n = world.params.computation.n_steps
    for i in range(n):
        e = events(world, f"Disprove_{i} (honest trace)")
        # signatures and one-time signatures check out; only the step check is false
        assert not e.accepted and e.reason == EVAL_FALSE
    assert "every step checks out" in world.notes[-1]
    assert events(world, "Take2 (early)").reason == "non-BIP68-final"
    assert events(world, "Take2").accepted
    assert not events(world, "Slash_0 (after Assert)").accepted


@pytest.mark.parametrize("backend", BACKENDS)
def test_silent_operator_is_slashed(backend):
    with open_chain(backend) as chain:
        world = scenarios.run_scenario("silent", chain)
        b = balances(world)
    assert events(world, "Slash_0 (early)").reason == "non-BIP68-final"
    assert events(world, "Slash_0").accepted
    assert not events(world, "Take1 (after challenge)").accepted
    assert not events(world, "Take2 (no Assert)").accepted
    assert b.burned == world.params.operator_stake // 2
    assert b.after[Role.CHALLENGER] > b.before[Role.CHALLENGER]


@pytest.mark.parametrize("steps, wrong", [(8, 0), (8, 7), (64, 30), (64, 49), (64, 63)])
def test_fraud_challenger_finds_and_disproves_the_wrong_step(steps, wrong):
    """Wrong steps at the program input (constant x0), mid-chunk, across an Assert
    chunk boundary (64 steps split over two Asserts) and at the claim itself."""
    with open_chain("kernel") as chain:
        world = setup_world(chain, program=U32Program.sample(steps))
        scenarios.fraud(world, wrong_step=wrong)
        report = report_json("fraud", "kernel", world)
    assert report["passed"], report["unexpected"]
    assert f"wrong step = {wrong}" in world.notes[-1]
    assert events(world, f"Disprove_{wrong}").accepted
    if wrong > 0:
        assert not events(world, f"Disprove_{wrong - 1} (a correct step)").accepted
    assert events(world, "Take2 (after disprove)").reason == "bad-txns-inputs-missingorspent"
    if steps == 64:
        assert world.graph.n_chunks == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_refund_only_without_confirm(backend):
    with open_chain(backend) as chain:
        world = scenarios.run_scenario("refund", chain)
    assert events(world, "Refund (early)").reason == "non-BIP68-final"
    assert events(world, "Refund").accepted
    assert not events(world, "Confirm (after Refund)").accepted
    assert events(world, "Confirm (deposit 2)").accepted
    assert events(world, "Refund (deposit 2, after Confirm)").reason == ("bad-txns-inputs-missingorspent")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_drills_with_an_assert_chain(name):
    """64 steps need two Asserts (S0 -> S1 -> A): every drill still passes."""
    with open_chain("kernel") as chain:
        world = scenarios.run_scenario(name, chain, program=U32Program.sample(64), n_committee=4)
        report = report_json(name, "kernel", world)
    assert world.graph.n_chunks == 2
    assert report["passed"], report["unexpected"]

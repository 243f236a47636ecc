"""NArySearch: rounds, revealed steps, choices, and the claim file."""

from __future__ import annotations

import random

import pytest

from ocp.errors import UserError
from ocp.zkvm.claim import Claim
from ocp.zkvm.search import NArySearch


@pytest.mark.parametrize(
    ("m", "n", "branching"),
    [
        (2**6, 8, (8, 8)),
        (2**7, 8, (8, 8, 2)),
        (2**8, 8, (8, 8, 4)),
        (2**29, 32, (32,) * 5 + (16,)),
        (2**24, 2, (2,) * 24),
        (2**24, 256, (256, 256, 256)),
        (2**3, 256, (8,)),
    ],
)
def test_rounds(m, n, branching):
    s = NArySearch(m, n)
    assert s.branching == branching and s.rounds == len(branching)
    assert s.hashes_revealed() == sum(b - 1 for b in branching)


@pytest.mark.parametrize(("m", "n"), [(2**6, 8), (2**7, 8), (2**10, 32), (2**13, 2), (2**9, 256)])
def test_every_target_is_reached_and_intervals_nest(m, n):
    s = NArySearch(m, n)
    rng = random.Random(m * n)
    for target in [1, 2, m // 2, m - 1, m] + [rng.randrange(1, m + 1) for _ in range(50)]:
        choices: list[int] = []
        lo, hi = 0, m
        for r in range(s.rounds):
            pts = s.reveals(choices)
            assert len(pts) == s.branching[r] - 1 and all(lo < p < hi for p in pts)
            c = s.choice_for(choices, target)
            choices.append(c)
            nlo, nhi = s.interval(choices)
            assert lo <= nlo < nhi <= hi and nlo < target <= nhi
            assert nlo in (lo, *pts) and nhi in (*pts, hi)  # sub-intervals end on revealed points
            lo, hi = nlo, nhi
        assert s.disputed_step(choices) == target and s.choices_for(target) == tuple(choices)


def test_positions_of_revealed_hashes():
    s = NArySearch(2**7, 8)
    choices = list(s.choices_for(77))
    assert s.position(choices, 0) is None and s.position(choices, 128) is None
    assert s.position(choices, 16) == (1, 1)
    for step in (76, 77):
        r, slot = s.position(choices, step)
        assert s.reveals(choices[: r - 1])[slot - 1] == step


@pytest.mark.parametrize(("m", "n"), [(2**6, 3), (2**6, 1), (2**6, 512), (100, 8), (1, 8), (2**60, 8)])
def test_bad_parameters_are_user_errors(m, n):
    with pytest.raises(UserError):
        NArySearch(m, n)


def test_out_of_range_choice_and_finished_search():
    s = NArySearch(2**6, 8)
    with pytest.raises(UserError, match="out of range"):
        s.interval([8])
    with pytest.raises(UserError, match="over"):
        s.reveals([0, 0])
    assert NArySearch.covering(1000, 8).max_steps == 1024


def test_claim_json_roundtrip():
    c = Claim(bytes(32), b"in", 77, bytes(range(20)), NArySearch(128, 8))
    assert Claim.from_json(c.to_json()) == c and c.within_bounds
    with pytest.raises(UserError, match="malformed"):
        Claim.from_json({**c.to_json(), "steps": "x"})
    with pytest.raises(UserError, match="version"):
        Claim.from_json({**c.to_json(), "version": 9})

"""Drill defaults, in one place: windows short enough for a drill (and as wide as
the params rules require for the program), amounts, and the committee and
program sizes."""

from __future__ import annotations

from ocp.params import MIN_DISPROVE_WINDOW, RESPONSE_MARGIN, Windows
from ocp.program import Computation

CHALLENGE_WINDOW = 6
REFUND_TIMEOUT = 10
DEPOSIT = 100_000_000
STAKE = 20_000_000
CHALLENGE_FEE = 100_000
FEE_RATE = 2.0
COMMITTEE = 3
STEPS = 8
SEED = b"ocp drill"
#: What each role is funded with at the start of a drill.
FUNDING = {"depositor": DEPOSIT + 100_000, "operator": STAKE + 500_000, "challenger": 1_000_000}
#: Values one Assert reveals at most (u32 values with 4-bit digits, small_script
#: verifier, beside a handful of signatures): enough to bound the Assert count.
VALUES_PER_ASSERT = 40


def drill_windows(program: Computation) -> Windows:
    """The shortest windows the params rules allow for ``program`` (a Challenge in
    the last block before Take1 still leaves the operator its Asserts + margin)."""
    asserts = -(-max(program.n_steps - 1, 1) // VALUES_PER_ASSERT) + 1
    return Windows(
        challenge=CHALLENGE_WINDOW,
        response=CHALLENGE_WINDOW + asserts + RESPONSE_MARGIN,
        disprove=MIN_DISPROVE_WINDOW,
        refund=REFUND_TIMEOUT,
    )


#: The windows of an 8-step drill.
DRILL_WINDOWS = Windows(CHALLENGE_WINDOW, CHALLENGE_WINDOW + 2 + RESPONSE_MARGIN, MIN_DISPROVE_WINDOW, REFUND_TIMEOUT)

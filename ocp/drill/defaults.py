"""Drill defaults, in one place: windows short enough for a drill (in the order
the params rules require), amounts, and the committee and program sizes."""

from __future__ import annotations

from ocp.params import Windows

DRILL_WINDOWS = Windows(challenge=6, response=12, disprove=6, refund=10)
DEPOSIT = 100_000_000
STAKE = 20_000_000
CHALLENGE_FEE = 100_000
FEE_RATE = 2.0
COMMITTEE = 3
STEPS = 8
SEED = b"ocp drill"
#: What each role is funded with at the start of a drill.
FUNDING = {"depositor": DEPOSIT + 100_000, "operator": STAKE + 500_000, "challenger": 1_000_000}

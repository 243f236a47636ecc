"""Lockstep: Python stepper vs unicorn at every step (pc, GPRs, HI, LO).

Runs 500,000 steps of the loop64 guest (uint64 maths, so mult/div/hi/lo and
carries dominate) in both byte orders; about 10 s each.  Set
``OCP_ZKVM_LOCKSTEP_STEPS`` to change the count (e.g. 4000000 to run the
guest to completion).
"""

from __future__ import annotations

import os

import pytest

from ocp.zkvm.elf import load_elf
from ocp.zkvm.lockstep import lockstep

ARCHES = ("mips", "mipsle")

STEPS = int(os.environ.get("OCP_ZKVM_LOCKSTEP_STEPS", "500000"))


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHES)
def test_lockstep_loop64(go_guest, arch):
    program = load_elf(go_guest("loop64", arch))
    result = lockstep(program, b"", steps=STEPS)
    assert result.steps == STEPS or result.python_status == "EXITED"
    assert result.python_output == result.unicorn_output


@pytest.mark.parametrize("arch", ARCHES)
def test_lockstep_hello_to_exit(go_guest, arch):
    """The whole of hello, runtime start-up to exit_group, in lockstep."""
    program = load_elf(go_guest("hello", arch))
    result = lockstep(program, b"", steps=10**7)
    assert result.python_status == "EXITED"
    assert result.python_output == result.unicorn_output == b"hello, world\n"

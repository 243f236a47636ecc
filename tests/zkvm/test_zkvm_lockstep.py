"""Lockstep: the reference micro-stepper vs QEMU (unicorn) at every instruction.

The whole of hello (runtime start-up to exit_group) and of nilderef (two SIGSEGVs
delivered to Go's handler, rt_sigreturn, a recovered panic) in lockstep; loop64
(uint64 maths: mult/div/HI/LO and carries) for ``OCP_ZKVM_LOCKSTEP_STEPS``
instructions (default 500,000) in both byte orders, marked slow.
"""

from __future__ import annotations

import os

import pytest

from ocp.zkvm.elf import load_elf
from ocp.zkvm.initial import build_initial_state
from ocp.zkvm.lockstep import lockstep

ARCHES = ("mips", "mipsle")
STEPS = int(os.environ.get("OCP_ZKVM_LOCKSTEP_STEPS", "500000"))


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHES)
def test_lockstep_loop64(go_guest, arch):
    init = build_initial_state(load_elf(go_guest("loop64", arch)))
    result = lockstep(init, STEPS)
    assert result.instructions == STEPS or result.status == "EXITED"
    assert result.reference_output == result.unicorn_output


@pytest.mark.parametrize(
    ("name", "arch", "tape", "out"),
    [
        ("hello", "mips", b"", b"hello, world\n"),
        ("nilderef", "mipsle", b"", b"done\n"),
    ],
)
def test_lockstep_to_exit(go_guest, name, arch, tape, out):
    init = build_initial_state(load_elf(go_guest(name, arch)), tape)
    result = lockstep(init, 10**8)
    assert result.status == "EXITED"
    assert result.reference_output == result.unicorn_output
    assert result.reference_output.endswith(out)

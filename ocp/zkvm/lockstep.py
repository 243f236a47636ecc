"""Differential check: the reference stepper against QEMU (unicorn), instruction by instruction.

Before unicorn executes each instruction (a code hook) the reference stepper must be
at the same pc, at micro-step 0, with the same 31 GPRs, HI and LO; then it runs that
instruction's micro-steps.  Syscalls and faults are the table's on both sides
(:mod:`ocp.zkvm.unicorn_guest`), everything else is QEMU's, so this checks every
ordinary instruction of the table against QEMU's MIPS32.
"""

from __future__ import annotations

import ctypes
from array import array
from dataclasses import dataclass

from unicorn import Uc, UcError
from unicorn.unicorn_py3.unicorn import uclib

from ocp.zkvm.initial import InitialState
from ocp.zkvm.record import HI, LO, reg
from ocp.zkvm.stepper import Stepper
from ocp.zkvm.unicorn_guest import REG_IDS, UnicornGuest


class Divergence(AssertionError):
    """The two disagree; the message names the instruction and the registers."""


@dataclass(frozen=True)
class LockstepResult:
    instructions: int
    steps: int  #: micro-steps of the reference
    status: str
    reference_output: bytes
    unicorn_output: bytes


ADDRS = [reg(i) for i in range(1, 32)] + [HI, LO]
NAMES = [f"${i}" for i in range(1, 32)] + ["hi", "lo"]


class RegFile:
    """$1..$31, HI, LO in one C call (the binding reads registers one at a time)."""

    def __init__(self, uc: Uc) -> None:
        n = len(ADDRS)
        self._uc, self._n = uc, n
        self._ids = (ctypes.c_int * n)(*[REG_IDS[a] for a in ADDRS])
        self._arr = array("Q", bytes(8 * n))
        base = self._arr.buffer_info()[0]
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])

    def read(self) -> list[int]:
        if uclib.uc_reg_read_batch(self._uc._uch, self._ids, self._ptrs, self._n):
            raise UcError(uclib.uc_errno(self._uc._uch))
        return self._arr.tolist()


def lockstep(init: InitialState, max_instructions: int = 100_000) -> LockstepResult:
    """Compare at every instruction for ``max_instructions`` instructions or to the halt."""
    ref = Stepper(init)
    guest = UnicornGuest(init)
    count = [0]
    regs = RegFile(guest.uc)
    slot = {a: i for i, a in enumerate(ADDRS)}
    mine = [ref.load(a) for a in ADDRS]

    def advance() -> None:
        while True:
            rec = ref.step_record()
            i = slot.get(rec.write.address)
            if i is not None:
                mine[i] = rec.write.value
            if ref.micro == 0 or ref.halted:
                return

    def on_code(uc: Uc, addr: int) -> None:
        if count[0] >= max_instructions or ref.halted:
            guest.stop("limit")
            return
        theirs = regs.read()
        if addr != ref.pc or ref.micro != 0 or mine != theirs:
            diffs = [
                f"{n}: reference {a:#x} unicorn {b:#x}" for n, a, b in zip(NAMES, mine, theirs, strict=True) if a != b
            ]
            raise Divergence(
                f"instruction {count[0]} (step {ref.step}): pc reference "
                f"{ref.pc:#x}/{ref.micro} unicorn {addr:#x}; " + "; ".join(diffs)
            )
        advance()
        count[0] += 1

    reason = guest.run(on_code)
    if reason == "halted" and not ref.halted:
        raise Divergence(f"unicorn halted after {count[0]} instructions, the reference did not")
    return LockstepResult(count[0], ref.step, ref.status.name, ref.stdout(), guest.stdout())

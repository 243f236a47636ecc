"""Differential check: the Python stepper against unicorn, instruction by instruction.

A code hook fires before unicorn executes each instruction; at that moment
both machines must agree on pc, the 31 GPRs, HI and LO.  Then the Python
machine takes one step.  Both sides boot from the same image and each has
its own kernel, so syscalls are compared through their effects.
"""

from __future__ import annotations

from dataclasses import dataclass

from unicorn import UC_HOOK_CODE, UcError
from unicorn.mips_const import UC_MIPS_REG_PC

from ocp.zkvm.boot import boot
from ocp.zkvm.elf import ElfImage
from ocp.zkvm.engine_unicorn import UnicornEngine


class Divergence(AssertionError):
    """The two engines disagree; the message names the step and the registers."""


@dataclass(frozen=True)
class LockstepResult:
    steps: int
    python_status: str
    python_output: bytes
    unicorn_output: bytes


def lockstep(program: ElfImage, input_tape: bytes = b"", steps: int = 100_000) -> LockstepResult:
    """Compare both engines at every step for ``steps`` steps or until the guest halts."""
    ref = boot(program, input_tape)
    fast = UnicornEngine(boot(program, input_tape))
    uc = fast.prepare()
    names = [f"${i}" for i in range(1, 32)] + ["hi", "lo"]
    count = [0]
    read = fast.regfile.read
    err: list[BaseException] = []

    def on_code(uc, addr: int, size: int, _ud) -> None:
        if count[0] >= steps or ref.halted:
            uc.emu_stop()
            return
        vals = read()
        if addr != ref.pc or vals != ref.regs[1:]:
            diffs = [f"{n}: python {a:#x} unicorn {b:#x}"
                     for n, a, b in zip(names, ref.regs[1:], vals, strict=True) if a != b]
            err.append(Divergence(
                f"step {ref.step}: pc python {ref.pc:#x} unicorn {addr:#x}; " + "; ".join(diffs)))
            uc.emu_stop()
            return
        ref.run(1)
        count[0] += 1

    uc.hook_add(UC_HOOK_CODE, on_code)
    try:
        uc.emu_start(ref.pc, 0xFFFFFFFF, count=steps + 1)
    except UcError as exc:
        if not ref.halted:
            raise Divergence(f"step {ref.step}: unicorn stopped: {exc}") from exc
    if err:
        raise err[0]
    if fast.halted_in_unicorn and not ref.halted:
        raise Divergence(f"step {ref.step}: unicorn halted but python did not")
    pc = uc.reg_read(UC_MIPS_REG_PC)
    if not ref.halted and count[0] < steps:
        raise Divergence(f"unicorn stopped early at {pc:#x} after {count[0]} steps")
    return LockstepResult(ref.step, ref.status.name, ref.kernel.stdout(),
                          fast.machine.kernel.stdout())

"""A guest run natively by unicorn (QEMU's MIPS32 TCG), syscalls and faults through the table.

Unicorn executes ordinary instructions; at a ``syscall`` (interrupt hook) or a fault
(an access unicorn refuses: the null page, the reserved half, a write to a read-only
page), the instruction is executed by :class:`UnicornBackedStepper` -- the reference
stepper over unicorn's registers and memory (kernel words and scratch registers live in
the stepper) -- to the end of its micro-program, and unicorn resumes at the resulting pc.
So the same table defines the syscalls on both sides, and everything else is QEMU's.

Uses: the plain-unicorn speed reference of ``bench/dispute_trace.py``, and
:func:`ocp.zkvm.lockstep.lockstep`, which compares the reference stepper with QEMU at
every instruction.  Limitation: a fault in a branch delay slot is not resumed (QEMU
reports the branch's pc); Go fills delay slots with ``nop``.
"""

from __future__ import annotations

from collections.abc import Callable

from unicorn import (
    UC_ARCH_MIPS,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_UNMAPPED,
    UC_MODE_BIG_ENDIAN,
    UC_MODE_LITTLE_ENDIAN,
    UC_MODE_MIPS32,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    UC_TLB_VIRTUAL,
    Uc,
    UcError,
)
from unicorn.mips_const import UC_MIPS_REG_0, UC_MIPS_REG_HI, UC_MIPS_REG_LO, UC_MIPS_REG_PC

from ocp.zkvm.initial import InitialState
from ocp.zkvm.record import HALT_PC, HI, LO, NULL_GUARD_END, REG_BASE, RESERVED_BASE
from ocp.zkvm.stepper import Stepper

M = 0xFFFFFFFF
PAGE = 4096
EXCP_SYSCALL = 17  #: QEMU target/mips: the interrupt number of a syscall exception
REG_IDS = {REG_BASE + 4 * i: UC_MIPS_REG_0 + i for i in range(1, 32)}
REG_IDS[HI] = UC_MIPS_REG_HI
REG_IDS[LO] = UC_MIPS_REG_LO


class UnicornBackedStepper(Stepper):
    """The reference stepper whose GPRs, HI, LO and guest memory are unicorn's."""

    def __init__(self, init: InitialState, guest: UnicornGuest) -> None:
        super().__init__(init)
        self.guest = guest
        self.order = "big" if init.big_endian else "little"

    def load(self, addr: int) -> int:
        if addr < RESERVED_BASE:
            self.guest.ensure_mapped(addr)
            return int.from_bytes(self.guest.uc.mem_read(addr, 4), self.order)
        rid = REG_IDS.get(addr)
        if rid is not None:
            return self.guest.uc.reg_read(rid)
        if addr == REG_BASE:
            return 0
        return super().load(addr)

    def store(self, addr: int, value: int, step: int) -> None:
        if addr < RESERVED_BASE:
            self.guest.ensure_mapped(addr)
            self.guest.uc.mem_write(addr, value.to_bytes(4, self.order))
            self.guest.written.append(addr)
            return
        rid = REG_IDS.get(addr)
        if rid is not None:
            self.guest.uc.reg_write(rid, value)
            return
        super().store(addr, value, step)


class UnicornGuest:
    """State 0 loaded into unicorn; :meth:`run` executes it (module docstring)."""

    def __init__(self, init: InitialState) -> None:
        self.init = init
        mode = UC_MODE_MIPS32 | (UC_MODE_BIG_ENDIAN if init.big_endian else UC_MODE_LITTLE_ENDIAN)
        self.uc = uc = Uc(UC_ARCH_MIPS, mode)
        uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
        self.mapped: set[int] = set()
        self.written: list[int] = []
        ro_pages = {
            pn
            for a, b in init.layout.ro
            for pn in range(a >> 12, (b + PAGE - 1) >> 12)
            if a <= pn << 12 and (pn + 1) << 12 <= b
        }
        for pn, data in sorted(init.pages.items()):
            if pn >= RESERVED_BASE >> 12:
                continue
            uc.mem_map(pn << 12, PAGE, UC_PROT_READ | UC_PROT_EXEC if pn in ro_pages else UC_PROT_ALL)
            uc.mem_write(pn << 12, data)
            self.mapped.add(pn)
        self.kernel = UnicornBackedStepper(init, self)
        for addr, rid in REG_IDS.items():
            uc.reg_write(rid, init.value(addr))
        self.pc = init.entry
        uc.hook_add(UC_HOOK_MEM_UNMAPPED, self._on_unmapped)
        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self._stop_reason: str | None = None

    # -- memory ---------------------------------------------------------------
    def ensure_mapped(self, addr: int) -> None:
        pn = addr >> 12
        if pn not in self.mapped:
            self.uc.mem_map(pn << 12, PAGE, UC_PROT_ALL)
            self.mapped.add(pn)

    def _on_unmapped(self, uc: Uc, access: int, addr: int, size: int, value: int, _ud) -> bool:
        if NULL_GUARD_END <= addr and addr + size <= RESERVED_BASE:
            self.ensure_mapped(addr)
            if (addr + size - 1) >> 12 != addr >> 12:
                self.ensure_mapped(addr + size - 1)
            return True
        return False  # a guest fault: the table delivers the SIGSEGV

    # -- syscalls and faults ---------------------------------------------------
    def _kernel_step(self, pc: int) -> None:
        """Execute the instruction at ``pc`` with the table, to its end."""
        k = self.kernel
        k.pc, k.npc, k.micro = pc, (pc + 4) & M, 0
        k.step_record()
        while k.micro != 0 and not k.halted:
            k.step_record()

    def _on_interrupt(self, uc: Uc, intno: int, _ud) -> None:
        pc = (uc.reg_read(UC_MIPS_REG_PC) - 4) & M
        if intno != EXCP_SYSCALL:
            self._stop_reason = f"exception {intno} at {pc:#x}"
            uc.emu_stop()
            return
        self._kernel_step(pc)
        if self.kernel.halted or self.kernel.pc != (pc + 4) & M:
            self.pc = self.kernel.pc  # exit, or rt_sigreturn: resume elsewhere
            self._stop_reason = "resume"
            uc.emu_stop()

    @property
    def halted(self) -> bool:
        return self.kernel.halted

    def stop(self, reason: str) -> None:
        """Stop the run from a hook (``reason`` is kept in :attr:`stopped`)."""
        self._stop_reason = reason
        self.uc.emu_stop()

    def run(self, on_code: Callable[[Uc, int], None] | None = None) -> str:
        """Run to the halt, or until a hook calls :meth:`stop`; return why it ended
        ("halted" or the stop reason).  ``on_code(uc, pc)`` runs before each instruction."""
        uc = self.uc
        handle = None
        if on_code is not None:

            def hook(uc: Uc, addr: int, size: int, _ud) -> None:
                on_code(uc, addr)

            handle = uc.hook_add(UC_HOOK_CODE, hook)
        try:
            while not self.halted:
                self._stop_reason = None
                try:
                    uc.emu_start(self.pc, HALT_PC)
                    fault = False
                except UcError:
                    fault = True
                pc = uc.reg_read(UC_MIPS_REG_PC)
                if self._stop_reason == "resume":
                    continue
                if self._stop_reason is not None:
                    return self._stop_reason
                if not fault:
                    raise RuntimeError(f"unicorn stopped at {pc:#x} without a reason")
                self._kernel_step(pc)  # the table faults too and delivers the signal
                self.pc = self.kernel.pc
        finally:
            if handle is not None:
                uc.hook_del(handle)
        return "halted"

    def stdout(self) -> bytes:
        return self.kernel.stdout()

    def stderr(self) -> bytes:
        return self.kernel.stderr()

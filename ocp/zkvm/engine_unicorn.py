"""Fast-forwarding with unicorn (QEMU's MIPS32 TCG) between checkpoints.

The Python stepper in :mod:`ocp.zkvm.cpu` defines the semantics; unicorn is
only allowed to produce the same states faster.  :meth:`UnicornEngine.advance`
leaves the bound :class:`~ocp.zkvm.cpu.Machine` exactly as ``machine.run(n)``
would, and the tests check that.

How the two are kept in agreement:

* **Counting.** ``emu_start(count=c)`` runs ``c`` instructions, except that
  QEMU never stops between a branch and its delay slot, so it runs ``c + 1``
  when instruction ``c`` is a branch.  A block hook records each translation
  block entered; the exact number executed follows from the last block and
  the final pc.  We ask for ``n - 1`` and finish with 0 or 1 Python steps, and
  a start inside a delay slot (which unicorn cannot represent) is stepped in
  Python first.
* **Syscalls** go through the same :meth:`Kernel.syscall` from an interrupt
  hook, on an adapter over unicorn's memory.
* **Memory** is unicorn-mapped on demand (zero pages, as in the Python model,
  via the unmapped-access hook); pages are pushed when the Python copy
  changed and pulled back (only those whose bytes changed) after each run.
* **Anything unusual** (a halt, a trap, an invalid instruction, an unaligned
  access) abandons the unicorn run: kernel state is restored and the Python
  stepper redoes the whole segment, so halts are always reached by the
  reference semantics.
"""

from __future__ import annotations

import copy
import ctypes
from array import array

from unicorn import (
    UC_ARCH_MIPS,
    UC_HOOK_BLOCK,
    UC_HOOK_INTR,
    UC_HOOK_MEM_UNMAPPED,
    UC_MODE_BIG_ENDIAN,
    UC_MODE_LITTLE_ENDIAN,
    UC_MODE_MIPS32,
    UC_TLB_VIRTUAL,
    Uc,
    UcError,
)
from unicorn.mips_const import UC_MIPS_REG_0, UC_MIPS_REG_HI, UC_MIPS_REG_LO, UC_MIPS_REG_PC
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from ocp.zkvm.cpu import Halt, Machine
from ocp.zkvm.isa import CONTROL_TRANSFER, decode
from ocp.zkvm.memory import PAGE_SIZE, bytes_to_page, page_to_bytes

M = 0xFFFFFFFF
CHUNK_PAGES = 16  # unicorn mappings are made 64 KiB at a time: fewer regions to read back
ZERO_BYTES = bytes(PAGE_SIZE)
EXCP_SYSCALL = 17  # QEMU target/mips: the interrupt number of a syscall exception
#: GPRs $1..$31, HI, LO (in the Python register-list order, minus $0).
_REG_IDS = [UC_MIPS_REG_0 + i for i in range(1, 32)] + [UC_MIPS_REG_HI, UC_MIPS_REG_LO]


def _native_block_counter() -> object | None:
    """A C-callable UC_HOOK_BLOCK callback (numba ``cfunc``), or None without numba.

    It keeps ``[instructions in finished blocks, last block address, its size,
    anomalies]`` in a uint64[4] passed as ``user_data``; a Python callback per
    block would cost more than unicorn spends executing it.

    An *anomaly* is a one-instruction block immediately re-entered at the same
    address.  Unicorn 2.1 does that when a taken branch's delay slot makes a
    memory access that misses its software TLB: the first instruction at the
    branch target runs twice (``maddu`` there accumulates twice).  No real
    control flow produces that block pattern, so a run that shows it is
    abandoned to the reference stepper.
    """
    try:
        import numpy as np
        from numba import carray, cfunc, types
    except ImportError:  # pragma: no cover - numba is a project dependency
        return None

    @cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.voidptr), cache=True)
    def on_block(uc, address, size, user_data):  # pragma: no cover - runs natively
        st = carray(user_data, 4, dtype=np.uint64)
        if address == st[1] and st[2] == 4:
            st[3] += 1
        st[0] += st[2] >> 2
        st[1] = address
        st[2] = size

    return on_block


_NATIVE_BLOCK = _native_block_counter()


class RegFile:
    """Batch access to $1..$31, HI, LO through the C API (the binding's batch calls are slow).

    Values land in an ``array('Q')`` whose slots unicorn fills with 32-bit values
    (upper halves stay zero), so reading them is one ``tolist()``.
    """

    def __init__(self, uc: Uc) -> None:
        n = len(_REG_IDS)
        self._uc, self._n = uc, n
        self._ids = (ctypes.c_int * n)(*_REG_IDS)
        self._arr = array("Q", bytes(8 * n))
        base = self._arr.buffer_info()[0]
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])

    def read(self) -> list[int]:
        """Values in Python register-list order from $1."""
        if uclib.uc_reg_read_batch(self._uc._uch, self._ids, self._ptrs, self._n):
            raise UcError(uclib.uc_errno(self._uc._uch))
        return self._arr.tolist()

    def write(self, values: list[int]) -> None:
        self._arr[:] = array("Q", values)
        if uclib.uc_reg_write_batch(self._uc._uch, self._ids, self._ptrs, self._n):
            raise UcError(uclib.uc_errno(self._uc._uch))


class _UcMemory:
    """The slice of the :class:`Memory` interface the syscall handler uses, over unicorn."""

    def __init__(self, engine: UnicornEngine) -> None:
        self.engine = engine
        self.big_endian = engine.machine.big_endian

    def read(self, addr: int, n: int) -> bytes:
        self.engine._ensure_mapped(addr, n)
        return bytes(self.engine.uc.mem_read(addr, n))

    def write(self, addr: int, data: bytes) -> None:
        self.engine._ensure_mapped(addr, len(data))
        self.engine.uc.mem_write(addr, bytes(data))

    def load_word(self, addr: int) -> int:
        return int.from_bytes(self.read(addr & ~3, 4), "big" if self.big_endian else "little")


class _Abandon(Exception):
    """The unicorn run hit something the reference stepper must handle."""


class UnicornEngine:
    """Runs a :class:`Machine` forward with unicorn; the machine holds the state in between."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.uc: Uc | None = None
        self._mapped: set[int] = set()
        self._pushed: dict[int, object] = {}  # page number -> Python page object last pushed
        self._bytes: dict[int, bytes] = {}  # page number -> bytes unicorn holds (as last seen)
        # instructions in finished blocks, last block addr, its size, anomalies
        self._block = [0, 0, 0, 0]
        self._abandon: Exception | None = None
        self._halt_at: tuple[int, ...] = ()
        self.stats = {"unicorn_steps": 0, "python_steps": 0, "fallbacks": 0, "anomalies": 0}

    # -- setup ------------------------------------------------------------
    def _new_uc(self) -> Uc:
        mode = UC_MODE_MIPS32 | (UC_MODE_BIG_ENDIAN if self.machine.big_endian
                                 else UC_MODE_LITTLE_ENDIAN)
        uc = Uc(UC_ARCH_MIPS, mode)
        uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)  # identity mapping, no kseg translation
        uc.hook_add(UC_HOOK_MEM_UNMAPPED, self._on_unmapped)
        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self._native_block = array("Q", bytes(32))
        if _NATIVE_BLOCK is not None:
            handle = uc_hook_h()
            err = uclib.uc_hook_add(
                uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK,
                ctypes.c_void_p(_NATIVE_BLOCK.address),
                ctypes.c_void_p(self._native_block.buffer_info()[0]),
                ctypes.c_uint64(1), ctypes.c_uint64(0))
            if err:
                raise UcError(err)
        else:  # pragma: no cover
            uc.hook_add(UC_HOOK_BLOCK, self._on_block)
        self._mapped = set()
        self._pushed = {}
        self._bytes = {}
        self._ucmem = _UcMemory(self)
        self.regfile = RegFile(uc)
        return uc

    def _ensure_mapped(self, addr: int, n: int) -> None:
        """Map the pages covering ``[addr, addr + n)``, in 64 KiB chunks where free."""
        for pn in range(addr >> 12, ((addr + max(n, 1) - 1) >> 12) + 1):
            if pn in self._mapped:
                continue
            chunk = pn & ~(CHUNK_PAGES - 1)
            pages = range(chunk, chunk + CHUNK_PAGES)
            if self._mapped.isdisjoint(pages):
                self.uc.mem_map(chunk << 12, CHUNK_PAGES * PAGE_SIZE)
            else:
                pages = range(pn, pn + 1)
                self.uc.mem_map(pn << 12, PAGE_SIZE)
            for p in pages:
                self._mapped.add(p)
                self._bytes[p] = ZERO_BYTES

    # -- hooks -------------------------------------------------------------
    def _on_unmapped(self, uc: Uc, access: int, addr: int, size: int, value: int, _ud) -> bool:
        self._ensure_mapped(addr, size)
        return True

    def _on_block(self, uc: Uc, addr: int, size: int, _ud) -> None:
        b = self._block
        if addr == b[1] and b[2] == 4:
            b[3] += 1
        b[0] += b[2] >> 2
        b[1] = addr
        b[2] = size

    def _on_interrupt(self, uc: Uc, intno: int, _ud) -> None:
        if intno != EXCP_SYSCALL:
            self._abandon = _Abandon(f"exception {intno}")
            uc.emu_stop()
            return
        r = [0, *self.regfile.read()]
        try:
            self.machine.kernel.syscall(r, self._ucmem)
        except Halt as h:
            self._abandon = h
            self._halt_at = (uc.reg_read(UC_MIPS_REG_PC), *self._native_block)
            uc.emu_stop()
            return
        uc.reg_write(UC_MIPS_REG_0 + 2, r[2])
        uc.reg_write(UC_MIPS_REG_0 + 7, r[7])

    # -- state transfer ---------------------------------------------------
    def prepare(self) -> Uc:
        """Load the machine's current state into unicorn and return the engine."""
        self._push()
        return self.uc

    @property
    def halted_in_unicorn(self) -> bool:
        """Whether the last unicorn run stopped on a halt or fault."""
        return self._abandon is not None

    def _push(self) -> None:
        m = self.machine
        if self.uc is None:
            self.uc = self._new_uc()
        uc = self.uc
        m.mem.freeze()
        pt = m.mem.pt
        for pn in m.mem.touched:
            page = pt[pn]
            if self._pushed.get(pn) is not page:
                self._ensure_mapped(pn << 12, 1)
                data = page_to_bytes(page, m.big_endian)
                if self._bytes.get(pn) != data:
                    uc.mem_write(pn << 12, data)
                    self._bytes[pn] = data
                self._pushed[pn] = page
        self.regfile.write(m.regs[1:])
        uc.reg_write(UC_MIPS_REG_PC, m.pc)

    def _pull(self) -> None:
        m = self.machine
        uc = self.uc
        m.regs[1:] = self.regfile.read()
        m.pc = uc.reg_read(UC_MIPS_REG_PC)
        m.npc = (m.pc + 4) & M
        big = m.big_endian
        for begin, end, _perms in uc.mem_regions():
            blob = bytes(uc.mem_read(begin, end - begin + 1))
            for off in range(0, len(blob), PAGE_SIZE):
                pn = (begin + off) >> 12
                data = blob[off:off + PAGE_SIZE]
                if self._bytes.get(pn) != data:
                    page = bytes_to_page(data, big)
                    m.mem.replace_page(pn, page)
                    self._bytes[pn] = data
                    self._pushed[pn] = page

    # -- running ------------------------------------------------------------
    def _uc_run(self, count: int) -> int:
        """Run unicorn ``count`` (or ``count + 1``) instructions; return how many ran."""
        m = self.machine
        self._push()
        self._block[:] = [0, 0, 0, 0]
        self._native_block[:] = array("Q", bytes(32))
        self._abandon = None
        try:
            self.uc.emu_start(m.pc, 0xFFFFFFFF, count=count)
        except UcError as exc:
            self._abandon = exc
        done, addr, size, anomalies = (self._native_block if _NATIVE_BLOCK is not None
                                       else self._block)
        if anomalies:
            self.stats["anomalies"] += 1
            raise _Abandon("unicorn re-entered a one-instruction block (delay-slot TLB miss)")
        if self._abandon is not None:
            return self._stopped_at_halting_syscall()
        pc = self.uc.reg_read(UC_MIPS_REG_PC)
        done += (pc - addr) >> 2 if addr <= pc < addr + size else size >> 2
        self._pull()
        return done

    def _stopped_at_halting_syscall(self) -> int:
        """After exit/kill in a syscall: resume the machine just before that syscall.

        The handler raised before changing anything, and unicorn's pc is past the
        syscall, so the state before it is unicorn's registers and memory with
        pc = syscall address.  Only valid when the syscall is not in a delay slot;
        anything else is abandoned to the reference stepper.
        """
        if not isinstance(self._abandon, Halt) or _NATIVE_BLOCK is None:
            raise _Abandon(str(self._abandon))
        pc, done, addr, size, _anomalies = self._halt_at
        mem = self.machine.mem
        sys_pc = (pc - 4) & M
        if (mem.load_word(sys_pc) & 0xFC00003F) != 0x0C or \
                decode(mem.load_word((pc - 8) & M)).op in CONTROL_TRANSFER:
            raise _Abandon(str(self._abandon))
        done += (pc - addr) >> 2 if addr <= pc < addr + size else size >> 2
        self.uc.reg_write(UC_MIPS_REG_PC, sys_pc)
        self._pull()
        return done - 1

    def advance(self, n: int) -> int:
        """Advance the machine ``n`` steps (fewer only if it halts); return steps taken."""
        m = self.machine
        if m.halted or n <= 0:
            return 0
        start = m.step
        if m.npc != (m.pc + 4) & M:  # inside a delay slot: unicorn cannot start here
            self.stats["python_steps"] += m.run(1)
        left = n - (m.step - start)
        if left >= 2 and not m.halted:
            kernel_before = copy.copy(m.kernel)
            kernel_before.output = list(m.kernel.output)
            try:
                done = self._uc_run(left - 1)
            except _Abandon:
                # Redo this segment with the reference stepper; drop unicorn's copy.
                self.stats["fallbacks"] += 1
                m.kernel.__dict__.update(kernel_before.__dict__)
                self.uc = None
            else:
                m.step += done
                self.stats["unicorn_steps"] += done
        left = n - (m.step - start)
        if left > 0:
            self.stats["python_steps"] += m.run(left)
        return m.step - start

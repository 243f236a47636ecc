"""A deterministic subset of the Linux MIPS o32 system-call interface.

Calling convention (o32, ``arch/mips/kernel/scall32-o32.S``): the number is
in ``$v0`` (4000 + n), arguments in ``$a0..$a3`` and, for the 5th and 6th,
at ``16($sp)`` and ``20($sp)``.  The result goes to ``$v0`` with ``$a3 = 0``;
an error puts the positive errno in ``$v0`` with ``$a3 = 1``.

Every answer depends only on the machine state and the committed input
tape, so the Python stepper and the unicorn engine (which calls this same
handler from a hook) produce identical traces.  See docs/zkvm.md for the
table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from ocp.zkvm.cpu import Halt, Status

M = 0xFFFFFFFF
V0, A0, A1, A2, A3, SP = 2, 4, 5, 6, 7, 29

# errno values (MIPS uses the generic numbers for these).
EPERM, ENOENT, EBADF, EAGAIN, ENOMEM, EINVAL, ENOSYS = 1, 2, 9, 11, 12, 22, 89

MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x800  # MIPS values (asm/mman.h)

#: Address-space layout (see docs/zkvm.md).
HEAP_START = 0x2000_0000
HEAP_LIMIT = 0x7000_0000
STACK_TOP = 0x7FFF_0000

#: The fixed wall clock every clock call reports (2009-11-10 23:00:00 UTC).
CLOCK_SECONDS = 1257894000

#: Syscalls answered ``0`` without any effect (signals, scheduling, hints).
NOOP_ZERO = {
    4006: "close",
    4055: "fcntl",
    4220: "fcntl64",
    4091: "munmap",
    4104: "setitimer",
    4125: "mprotect",
    4162: "sched_yield",
    4166: "nanosleep",
    4194: "rt_sigaction",
    4195: "rt_sigprocmask",
    4206: "sigaltstack",
    4218: "madvise",
    4238: "futex",
}
#: Syscalls that fail with a fixed errno.
FAIL = {
    4005: ("open", ENOENT),
    4288: ("openat", ENOENT),
    4085: ("readlink", ENOENT),
    4298: ("readlinkat", ENOENT),
    4120: ("clone", EAGAIN),
    4076: ("getrlimit", ENOSYS),
    4338: ("prlimit64", ENOSYS),
}
NAMES = {
    4001: "exit", 4246: "exit_group", 4003: "read", 4004: "write", 4045: "brk",
    4090: "mmap", 4263: "clock_gettime", 4078: "gettimeofday", 4013: "time",
    4020: "getpid", 4222: "gettid", 4240: "sched_getaffinity",
    4037: "kill", 4236: "tkill", 4266: "tgkill",
    **NOOP_ZERO, **{n: name for n, (name, _e) in FAIL.items()},
}


class GuestMemory(Protocol):
    """What the handler needs from memory: the Python model or unicorn's."""

    big_endian: bool

    def read(self, addr: int, n: int) -> bytes: ...

    def write(self, addr: int, data: bytes) -> None: ...

    def load_word(self, addr: int) -> int: ...


def output_chain(prev: bytes, fd: int, data: bytes) -> bytes:
    """Output commitment: ``H(prev || fd:u8 || len:u32be || data)``, starting from 32 zero bytes."""
    return hashlib.sha256(prev + bytes([fd]) + len(data).to_bytes(4, "big") + data).digest()


@dataclass
class Kernel:
    """Kernel-side state: heap pointer, program break, input tape, output."""

    input: bytes = b""
    brk: int = HEAP_START
    heap: int = HEAP_START
    input_off: int = 0
    out_hash: bytes = bytes(32)
    #: Captured writes as (fd, bytes), in order; not part of the state hash.
    output: list[tuple[int, bytes]] = field(default_factory=list)

    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 1)

    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.output if fd == 2)

    def syscall(self, r: list[int], mem: GuestMemory) -> None:
        """Execute the syscall in ``r[V0]``; raise :class:`Halt` for exits and unknowns."""
        num = r[V0]
        a0, a1, a2 = r[A0], r[A1], r[A2]
        if num in NOOP_ZERO:
            res = 0
        elif num in FAIL:
            res = -FAIL[num][1]
        elif num in (4001, 4246):
            raise Halt(Status.EXITED, a0 & 0xFF)
        elif num == 4004:  # write(fd, buf, count)
            if a0 not in (1, 2):
                res = -EBADF
            else:
                data = mem.read(a1, a2)
                self.output.append((a0, data))
                self.out_hash = output_chain(self.out_hash, a0, data)
                res = a2
        elif num == 4003:  # read(fd, buf, count): fd 0 is the input tape
            if a0 != 0:
                res = -EBADF
            else:
                chunk = self.input[self.input_off:self.input_off + a2]
                mem.write(a1, chunk)
                self.input_off += len(chunk)
                res = len(chunk)
        elif num == 4090:  # mmap(addr, len, prot, flags, fd, off)
            res = self._mmap(a0, a1, r[A3], mem)
        elif num == 4045:  # brk: the break never moves; report it
            res = self.brk
        elif num == 4263:  # clock_gettime(clk, *timespec{u32 sec, u32 nsec})
            mem.write(a1, _words(CLOCK_SECONDS, 0, big=_is_big(mem)))
            res = 0
        elif num == 4078:  # gettimeofday(*timeval, tz)
            if a0:
                mem.write(a0, _words(CLOCK_SECONDS, 0, big=_is_big(mem)))
            res = 0
        elif num == 4013:  # time(*t)
            if a0:
                mem.write(a0, _words(CLOCK_SECONDS, big=_is_big(mem)))
            res = CLOCK_SECONDS
        elif num in (4020, 4222):  # getpid, gettid
            res = 1
        elif num == 4240:  # sched_getaffinity(pid, size, mask): one CPU
            mem.write(a2, b"\x01\x00\x00\x00")
            res = 4
        elif num in (4037, 4236, 4266):  # kill(pid, sig) / tkill(tid, sig) / tgkill(tg, tid, sig)
            raise Halt(Status.SIGNALLED, a2 if num == 4266 else a1)
        else:
            raise Halt(Status.UNKNOWN_SYSCALL, num)
        if res < 0:
            r[V0], r[A3] = -res, 1
        else:
            r[V0], r[A3] = res & M, 0

    def _mmap(self, addr: int, length: int, flags: int, mem: GuestMemory) -> int:
        """Anonymous mappings from a bump allocator; the hint is granted when above it."""
        if not flags & MAP_ANONYMOUS:
            return -EBADF  # no file mappings
        length = (length + 0xFFF) & ~0xFFF
        if length == 0:
            return -EINVAL
        if flags & MAP_FIXED or (addr and addr & 0xFFF == 0 and addr >= self.heap):
            base = addr & ~0xFFF
        else:
            base = self.heap
        if base + length > HEAP_LIMIT:
            return -ENOMEM
        self.heap = max(self.heap, base + length)
        return base


def _is_big(mem: GuestMemory) -> bool:
    return mem.big_endian


def _words(*vals: int, big: bool) -> bytes:
    return b"".join(v.to_bytes(4, "big" if big else "little") for v in vals)

"""Build the initial machine for a program: segments, patches, Linux stack.

The initial stack follows the System V ABI process entry layout (MIPS
supplement, "Process Stack"): ``argc``, ``argv[]`` (NULL-terminated), an empty
``envp[]``, then the auxiliary vector with ``AT_PAGESZ`` and ``AT_RANDOM``
(16 fixed bytes, so ``runtime.fastrand`` and map iteration are
deterministic), then ``AT_NULL``.
"""

from __future__ import annotations

import hashlib

from ocp.zkvm.cpu import Machine
from ocp.zkvm.elf import ElfImage
from ocp.zkvm.memory import Memory
from ocp.zkvm.patches import go_patch_words, is_go_program
from ocp.zkvm.syscalls import STACK_TOP, Kernel

AT_NULL, AT_PAGESZ, AT_RANDOM = 0, 6, 25
PROGRAM_NAME = b"guest\0"
#: The bytes behind AT_RANDOM: fixed, documented, not secret.
AT_RANDOM_BYTES = hashlib.sha256(b"ocp zkvm AT_RANDOM").digest()[:16]


def boot(program: ElfImage, input_tape: bytes = b"", *, patch: bool | None = None) -> Machine:
    """Load ``program`` into a fresh machine ready to execute its first step.

    ``patch`` defaults to "when the binary is a Go program" (has ``runtime.main``).
    """
    mem = Memory(program.big_endian)
    for seg in program.segments:
        mem.write(seg.vaddr, seg.data)
        # memsz beyond filesz is already zero (every address reads as zero).
    if patch if patch is not None else is_go_program(program):
        for a, wd in go_patch_words(program).items():
            mem.store_word(a, wd)
    brk = (program.end + 0xFFF) & ~0xFFF
    kernel = Kernel(input=bytes(input_tape), brk=brk)
    m = Machine(mem, kernel, program.entry)
    m.regs[29] = _build_stack(mem)
    mem.freeze()
    return m


def _build_stack(mem: Memory) -> int:
    big = mem.big_endian

    def w(*vals: int) -> bytes:
        return b"".join(v.to_bytes(4, "big" if big else "little") for v in vals)

    strings_at = STACK_TOP - 64
    name_at = strings_at
    random_at = strings_at + 16
    mem.write(name_at, PROGRAM_NAME)
    mem.write(random_at, AT_RANDOM_BYTES)
    block = w(1, name_at, 0, 0, AT_PAGESZ, 4096, AT_RANDOM, random_at, AT_NULL, 0)
    sp = (strings_at - len(block) - 64) & ~15
    mem.write(sp, block)
    return sp

"""The initial state of a run: what every INIT read returns (the one place it is defined).

State 0 of a run of ELF program P on input tape I, word by word (addresses and the
layout of the reserved region are :mod:`ocp.zkvm.record`'s):

* **program image** -- every ``PT_LOAD`` segment: ``p_filesz`` bytes from the file at
  ``p_vaddr``, zeros up to ``p_memsz``; for Go programs (``runtime.main`` present) the
  patches of :mod:`ocp.zkvm.patches` (two words per patched function); the signal
  trampoline ``li $v0, 4193; syscall`` at :data:`~ocp.zkvm.record.SIGRETURN_PC`.
* **boot stack** (System V ABI process entry, MIPS supplement "Process Stack"): at
  ``STACK_TOP - 64`` the string ``"guest\\0"``, at ``STACK_TOP - 48`` the 16 AT_RANDOM
  bytes (first half of SHA256("ocp zkvm AT_RANDOM")); below them, 16-byte aligned and
  64 bytes lower, ``argc = 1, argv[0], NULL, envp: NULL, AT_PAGESZ 4096, AT_RANDOM
  &bytes, AT_NULL 0``; ``$sp`` points at ``argc``.
* **registers** -- all zero but ``$sp``; HI = LO = 0; scratch registers 0.
* **kernel words** -- ``brk`` = end of the highest segment rounded up to a page;
  ``heap`` = 0x20000000; ``input_len`` = len(I); everything else 0 (input offset, no
  SIGSEGV handler, no alternate signal stack, exit word).
* **input tape** -- word k at ``INPUT_BASE + 4k`` holds bytes ``I[4k:4k+4]`` (zero
  padded) in the guest's byte order.
* every other word is 0.

Segments must lie in ``[0x1000, 0x7fff0000)`` (below the boot stack and the
trampoline, above the null page).  The layout (:class:`~ocp.zkvm.micro.Layout`):
read-only ranges are the segments without ``PF_W`` plus the trampoline, code ranges
those with ``PF_X`` plus the trampoline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from ocp.errors import UserError
from ocp.zkvm.elf import ElfImage
from ocp.zkvm.micro import HEAP_START, Layout
from ocp.zkvm.patches import go_patch_words, is_go_program
from ocp.zkvm.record import (
    INIT,
    INPUT_BASE,
    K_BRK,
    K_HEAP,
    K_INPUT_LEN,
    KERNEL_BASE,
    MAX_INPUT,
    NULL_GUARD_END,
    REG_BASE,
    SIGRETURN_CODE,
    SIGRETURN_PC,
    reg,
)

PAGE = 4096
STACK_TOP = 0x7FFF_0000
AT_NULL, AT_PAGESZ, AT_RANDOM = 0, 6, 25
PROGRAM_NAME = b"guest\0"
#: The bytes behind AT_RANDOM: fixed, documented, not secret.
AT_RANDOM_BYTES = hashlib.sha256(b"ocp zkvm AT_RANDOM").digest()[:16]
PF_X, PF_W = 1, 2


@dataclass(frozen=True)
class InitialState:
    """State 0: ``pages`` (page number -> 4096 bytes in guest order) and the entry pc.

    ``image_pages`` are fixed when the program is fixed (segments, patches, trampoline,
    stack, registers, kernel words other than the input length); ``input_pages`` hold
    the input tape and ``input_len`` (signed at claim time).
    """

    entry: int
    layout: Layout
    image_pages: dict[int, bytes]
    input_pages: dict[int, bytes]
    input: bytes
    brk: int
    segments: tuple[tuple[int, int, int], ...] = field(default=())  # (start, end, flags)

    @property
    def big_endian(self) -> bool:
        return self.layout.big_endian

    @cached_property
    def pages(self) -> dict[int, bytes]:
        out = dict(self.image_pages)
        for pn, data in self.input_pages.items():
            if pn in out:  # only the kernel page is shared: input_len
                out[pn] = bytes(a | b for a, b in zip(out[pn], data, strict=True))
            else:
                out[pn] = data
        return out

    @cached_property
    def layout_array(self) -> tuple[int, ...]:
        return self.layout.as_array()

    def value(self, addr: int) -> int:
        """The initial value of the aligned word at ``addr``."""
        page = self.pages.get(addr >> 12)
        if page is None:
            return 0
        off = addr & 0xFFC
        return int.from_bytes(page[off : off + 4], "big" if self.big_endian else "little")

    def source(self, addr: int) -> str:
        """Which part of state 0 defines ``addr``: ``input``, ``image`` or ``zero``.

        The challenge for a wrong INIT read follows from it (Input, Initialized,
        Uninitialized): ``input`` is the tape and its length, ``image`` every word the
        program image, boot stack, registers or kernel words define (zeros included,
        e.g. a segment's bss), ``zero`` the rest.
        """
        if INPUT_BASE <= addr < INPUT_BASE + MAX_INPUT or addr == K_INPUT_LEN:
            return "input"
        if (addr >> 12) in self.image_pages or any(a <= addr < b for a, b, _f in self.segments):
            return "image"
        return "zero"

    @property
    def last_writer(self) -> int:
        return INIT


def build_initial_state(program: ElfImage, input_tape: bytes = b"", *, patch: bool | None = None) -> InitialState:
    """State 0 of ``program`` on ``input_tape`` (module docstring).

    ``patch`` defaults to "when the binary is a Go program".
    """
    if len(input_tape) > MAX_INPUT:
        raise UserError(f"input tape is {len(input_tape)} bytes; at most {MAX_INPUT}")
    big = program.big_endian
    order = "big" if big else "little"
    pages: dict[int, bytearray] = {}

    def put_block(addr: int, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            a = addr + pos
            take = min(len(data) - pos, PAGE - (a & 0xFFF))
            pg = pages.setdefault(a >> 12, bytearray(PAGE))
            pg[a & 0xFFF : (a & 0xFFF) + take] = data[pos : pos + take]
            pos += take

    def word(addr: int, value: int) -> None:
        put_block(addr, value.to_bytes(4, order))

    segs = []
    for s in program.segments:
        end = s.vaddr + s.memsz
        if s.vaddr < NULL_GUARD_END or end > STACK_TOP - PAGE:
            raise UserError(
                f"segment at {s.vaddr:#x}..{end:#x} is outside [{NULL_GUARD_END:#x}, {STACK_TOP - PAGE:#x})"
            )
        put_block(s.vaddr, s.data)
        # bss (memsz beyond filesz) reads as zero: pages that exist hold zeros there
        segs.append((s.vaddr, end, s.flags))
    if patch if patch is not None else is_go_program(program):
        for a, w in go_patch_words(program).items():
            word(a, w)
    for i, w in enumerate(SIGRETURN_CODE):
        word(SIGRETURN_PC + 4 * i, w)

    # boot stack
    strings_at = STACK_TOP - 64
    random_at = strings_at + 16
    put_block(strings_at, PROGRAM_NAME)
    put_block(random_at, AT_RANDOM_BYTES)
    block = [1, strings_at, 0, 0, AT_PAGESZ, PAGE, AT_RANDOM, random_at, AT_NULL, 0]
    sp = (strings_at - 4 * len(block) - 64) & ~15
    for i, v in enumerate(block):
        word(sp + 4 * i, v)

    brk = (program.end + PAGE - 1) & ~(PAGE - 1)
    word(reg(29), sp)
    word(K_BRK, brk)
    word(K_HEAP, HEAP_START)
    pages.setdefault(REG_BASE >> 12, bytearray(PAGE))  # registers and kernel words exist
    assert KERNEL_BASE >> 12 == REG_BASE >> 12

    input_pages: dict[int, bytearray] = {}
    for i in range(0, len(input_tape), PAGE):
        chunk = input_tape[i : i + PAGE]
        input_pages[(INPUT_BASE + i) >> 12] = bytearray(chunk + bytes(PAGE - len(chunk)))
    kp = bytearray(PAGE)
    kp[K_INPUT_LEN & 0xFFF : (K_INPUT_LEN & 0xFFF) + 4] = len(input_tape).to_bytes(4, order)
    input_pages[K_INPUT_LEN >> 12] = kp

    ro = tuple((a, b) for a, b, f in segs if not f & PF_W) + ((SIGRETURN_PC, SIGRETURN_PC + 8),)
    code = tuple((a, b) for a, b, f in segs if f & PF_X) + ((SIGRETURN_PC, SIGRETURN_PC + 8),)
    layout = Layout(big, ro, code)
    return InitialState(
        entry=program.entry,
        layout=layout,
        image_pages={pn: bytes(pg) for pn, pg in pages.items()},
        input_pages={pn: bytes(pg) for pn, pg in input_pages.items()},
        input=bytes(input_tape),
        brk=brk,
        segments=tuple(segs),
    )

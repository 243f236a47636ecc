"""Runtime patches that let a Go program run on one hart without threads.

The Go runtime normally starts OS threads (``sysmon``) and background GC
goroutines that need timers and futexes.  Like Cannon and ZKM we replace the
entry of a few runtime functions with ``jr $ra; nop`` so they return at once:

* ``runtime.gcenable`` -- never enables the garbage collector (no background
  sweeper/scavenger, the heap only grows);
* ``runtime.main.func1`` -- the closure ``runtime.main`` runs to start the
  ``sysmon`` thread via ``newm``.

Patching is by symbol name; a missing symbol is a :class:`UserError` (the
binary is stripped or not a Go program built by a supported toolchain).
"""

from __future__ import annotations

from ocp.errors import UserError
from ocp.zkvm.elf import ElfImage

JR_RA = 0x03E00008  # jr $ra
NOP = 0x00000000  # sll $zero, $zero, 0

#: Functions replaced by an immediate return, with the reason.
GO_PATCHES: dict[str, str] = {
    "runtime.gcenable": "no garbage collector: no background sweeper/scavenger goroutines",
    "runtime.main.func1": "no sysmon thread (newm(sysmon) would clone)",
}


def is_go_program(program: ElfImage) -> bool:
    return "runtime.main" in program.symbols


def go_patch_words(program: ElfImage) -> dict[int, int]:
    """The words :data:`GO_PATCHES` put into the image: address -> word."""
    missing = [name for name in GO_PATCHES if name not in program.symbols]
    if missing:
        raise UserError(
            "cannot patch the Go runtime: symbol(s) missing: "
            + ", ".join(missing)
            + " (stripped binary, or an unsupported Go version?)"
        )
    out = {}
    for name in GO_PATCHES:
        addr = program.symbols[name]
        out[addr] = JR_RA
        out[addr + 4] = NOP
    return out

"""ELF32 loader for static MIPS executables (both byte orders).

Only what a statically linked Go binary (``GOOS=linux GOARCH=mips|mipsle``)
needs is read: the ELF header, the ``PT_LOAD`` program headers and the symbol
table (for runtime patches).  Reference: System V ABI, "ELF header" and
"Program header"; MIPS supplement for ``EM_MIPS`` (8).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ocp.errors import UserError

EM_MIPS = 8
ET_EXEC = 2
PT_LOAD = 1
SHT_SYMTAB = 2


@dataclass(frozen=True)
class Segment:
    """One ``PT_LOAD`` segment: ``data`` is copied to ``vaddr``, then zeros up to ``memsz``."""

    vaddr: int
    data: bytes
    memsz: int
    flags: int


@dataclass(frozen=True)
class ElfImage:
    """A loaded executable: entry point, segments, symbols and byte order."""

    entry: int
    segments: tuple[Segment, ...]
    symbols: dict[str, int]
    big_endian: bool

    @property
    def end(self) -> int:
        """First address past the highest segment (where ``brk`` starts on Linux)."""
        return max(s.vaddr + s.memsz for s in self.segments)

    @property
    def arch(self) -> str:
        return "mips" if self.big_endian else "mipsle"


def parse_elf(blob: bytes, name: str = "<bytes>") -> ElfImage:
    """Parse a static ELF32 MIPS executable; raise :class:`UserError` on anything else."""
    if len(blob) < 52 or blob[:4] != b"\x7fELF":
        raise UserError(f"{name}: not an ELF file")
    if blob[4] != 1:
        raise UserError(f"{name}: not a 32-bit ELF (EI_CLASS={blob[4]}); need GOARCH=mips or mipsle")
    if blob[5] not in (1, 2):
        raise UserError(f"{name}: unknown ELF byte order {blob[5]}")
    big = blob[5] == 2
    e = ">" if big else "<"
    (e_type, e_machine, _ver, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum, shentsize, shnum, _shstrndx) = (
        struct.unpack_from(e + "HHIIIIIHHHHHH", blob, 16)
    )
    if e_machine != EM_MIPS:
        raise UserError(f"{name}: wrong architecture (e_machine={e_machine}); need MIPS (8)")
    if e_type != ET_EXEC:
        raise UserError(f"{name}: not a static executable (e_type={e_type})")
    segments = []
    try:
        for i in range(phnum):
            p_type, off, vaddr, _pa, filesz, memsz, flags, _al = struct.unpack_from(
                e + "IIIIIIII", blob, phoff + i * phentsize
            )
            if p_type == PT_LOAD and memsz:
                if off + filesz > len(blob) or filesz > memsz:
                    raise UserError(f"{name}: truncated segment at {vaddr:#x}")
                segments.append(Segment(vaddr, bytes(blob[off : off + filesz]), memsz, flags))
        symbols = _symbols(blob, e, shoff, shentsize, shnum)
    except struct.error as exc:
        raise UserError(f"{name}: truncated ELF headers") from exc
    if not segments:
        raise UserError(f"{name}: no loadable segments")
    return ElfImage(entry, tuple(segments), symbols, big)


def _symbols(blob: bytes, e: str, shoff: int, shentsize: int, shnum: int) -> dict[str, int]:
    """Read ``.symtab`` (name -> value); empty when the binary is stripped."""
    sections = (
        [struct.unpack_from(e + "IIIIIIIIII", blob, shoff + i * shentsize) for i in range(shnum)] if shoff else []
    )
    out: dict[str, int] = {}
    for sh in sections:
        if sh[1] != SHT_SYMTAB:
            continue
        strtab = sections[sh[6]]
        s_off, s_size = strtab[4], strtab[5]
        strs = blob[s_off : s_off + s_size]
        off, size, entsize = sh[4], sh[5], sh[9] or 16
        for j in range(off, off + size, entsize):
            st_name, st_value = struct.unpack_from(e + "II", blob, j)
            if st_name:
                end = strs.index(b"\0", st_name)
                out.setdefault(strs[st_name:end].decode("utf-8", "replace"), st_value)
    return out


def load_elf(path: str | Path) -> ElfImage:
    """Read and parse ``path``; a missing file is a :class:`UserError`."""
    p = Path(path)
    try:
        blob = p.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise UserError(f"{p}: is a directory") from exc
    return parse_elf(blob, str(p))

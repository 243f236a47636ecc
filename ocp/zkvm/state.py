"""The per-step state record and its canonical encoding.

A :class:`State` is everything a verifier needs to re-execute one step given
the memory words that step touches (proved against ``mem_root``).  The
canonical encoding is fixed-width big-endian, version 1 (230 bytes)::

    version  u8   = 1
    pc       u32     npc u32     hi u32     lo u32
    regs     32 x u32 ($0 .. $31)
    heap     u32     (next free address of the mmap bump allocator)
    step     u64
    status   u8      (cpu.Status)     exit_code u32
    mem_root 32 bytes (merkle.py)
    input_off u32    (bytes of the input tape consumed)
    out_hash 32 bytes (syscalls.output_chain)

``State.hash`` is SHA-256 of that encoding.  The program break, the input
tape and the program image are fixed per run and committed separately.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import cached_property

from ocp.zkvm.cpu import Machine, Status

VERSION = 1
_FMT = struct.Struct(">B4I32IIQBI32sI32s")
ENCODED_SIZE = _FMT.size


@dataclass(frozen=True)
class State:
    pc: int
    npc: int
    hi: int
    lo: int
    regs: tuple[int, ...]
    heap: int
    step: int
    status: Status
    exit_code: int
    mem_root: bytes
    input_off: int
    out_hash: bytes

    def encode(self) -> bytes:
        return _FMT.pack(VERSION, self.pc, self.npc, self.hi, self.lo, *self.regs, self.heap,
                         self.step, int(self.status), self.exit_code, self.mem_root,
                         self.input_off, self.out_hash)

    @classmethod
    def decode(cls, blob: bytes) -> State:
        f = _FMT.unpack(blob)
        if f[0] != VERSION:
            raise ValueError(f"unknown state encoding version {f[0]}")
        return cls(pc=f[1], npc=f[2], hi=f[3], lo=f[4], regs=tuple(f[5:37]), heap=f[37],
                   step=f[38], status=Status(f[39]), exit_code=f[40], mem_root=f[41],
                   input_off=f[42], out_hash=f[43])

    @cached_property
    def hash(self) -> bytes:
        return hashlib.sha256(self.encode()).digest()

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.step, "pc": f"{self.pc:#010x}", "npc": f"{self.npc:#010x}",
            "hi": self.hi, "lo": self.lo, "regs": list(self.regs), "heap": f"{self.heap:#010x}",
            "status": self.status.name.lower(), "exit_code": self.exit_code,
            "mem_root": self.mem_root.hex(), "input_off": self.input_off,
            "out_hash": self.out_hash.hex(), "hash": self.hash.hex(),
        }


def capture(m: Machine, mem_root: bytes) -> State:
    """Record ``m``'s state; ``mem_root`` is the Merkle root of ``m.mem``."""
    r = m.regs
    k = m.kernel
    return State(pc=m.pc, npc=m.npc, hi=r[32], lo=r[33], regs=tuple(r[:32]), heap=k.heap,
                 step=m.step, status=m.status, exit_code=m.exit_code, mem_root=mem_root,
                 input_off=k.input_off, out_hash=k.out_hash)

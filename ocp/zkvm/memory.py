"""Sparse paged memory for the 32-bit guest address space.

Memory is a page table of 2**20 pages of 4 KiB.  A page holds 1024 words as
Python ints, each the value the guest sees for an aligned ``lw`` (so byte
order matters only when bytes go in or out).  Pages are tuples while shared
(the all-zero page, pages frozen at a checkpoint, pages holding decoded code)
and lists while writable: a store to a tuple raises ``TypeError`` and the CPU's
slow path calls :meth:`Memory.thaw`.  That keeps the hot path free of checks
and makes snapshots copy-on-write.

The model has no protection: every address reads as zero until written, as
in Cannon.  Unaligned word/halfword accesses are faults raised by the CPU.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_WORDS = PAGE_SIZE // 4
NUM_PAGES = 1 << (32 - PAGE_SHIFT)
ZERO_PAGE: tuple[int, ...] = (0,) * PAGE_WORDS

Page = tuple[int, ...] | list[int]


def page_to_bytes(page: Page, big_endian: bool) -> bytes:
    """Serialise a page to the guest's byte order."""
    a = array("I", page)
    if big_endian != (sys.byteorder == "big"):
        a.byteswap()
    return a.tobytes()


def bytes_to_page(data: bytes, big_endian: bool) -> tuple[int, ...]:
    """Parse 4096 guest bytes into a (frozen) page."""
    a = array("I")
    a.frombytes(data)
    if big_endian != (sys.byteorder == "big"):
        a.byteswap()
    return tuple(a)


class Memory:
    """Paged word memory with copy-on-write snapshots."""

    __slots__ = ("pt", "writable", "touched", "code_pages", "big_endian", "on_code_write")

    def __init__(self, big_endian: bool) -> None:
        self.big_endian = big_endian
        self.pt: list[Page] = [ZERO_PAGE] * NUM_PAGES
        #: Pages currently held as lists (modified since the last freeze).
        self.writable: set[int] = set()
        #: Pages that are not the shared zero page.
        self.touched: set[int] = set()
        #: Pages with entries in the CPU's decode cache.
        self.code_pages: set[int] = set()
        #: Called with a page number when a code page is written.
        self.on_code_write: Callable[[int], None] = lambda pn: None

    # -- page management ---------------------------------------------------
    def thaw(self, pn: int) -> list[int]:
        """Make page ``pn`` writable (the store slow path) and return it."""
        page = self.pt[pn]
        if type(page) is tuple:
            page = list(page)
            self.pt[pn] = page
            self.writable.add(pn)
            self.touched.add(pn)
            if pn in self.code_pages:
                self.code_pages.discard(pn)
                self.on_code_write(pn)
        return page  # type: ignore[return-value]

    def freeze_code(self, pn: int) -> None:
        """Freeze a page that now backs decoded instructions."""
        page = self.pt[pn]
        if type(page) is list:
            self.pt[pn] = tuple(page)
            self.writable.discard(pn)
        self.code_pages.add(pn)

    def freeze(self) -> None:
        """Freeze every writable page (cheap: only pages written since the last freeze)."""
        pt = self.pt
        for pn in self.writable:
            pt[pn] = tuple(pt[pn])
        self.writable.clear()

    def snapshot(self) -> dict[int, tuple[int, ...]]:
        """Freeze and return the non-zero pages; shares storage with the live memory."""
        self.freeze()
        pt = self.pt
        return {pn: pt[pn] for pn in self.touched}  # type: ignore[misc]

    @classmethod
    def from_snapshot(cls, snap: dict[int, tuple[int, ...]], big_endian: bool) -> Memory:
        mem = cls(big_endian)
        for pn, page in snap.items():
            mem.pt[pn] = page
        mem.touched = set(snap)
        return mem

    # -- word and byte access (slow paths: loader, syscalls, tests) -------
    def load_word(self, addr: int) -> int:
        return self.pt[addr >> PAGE_SHIFT][(addr >> 2) & (PAGE_WORDS - 1)]

    def store_word(self, addr: int, value: int) -> None:
        self.thaw(addr >> PAGE_SHIFT)[(addr >> 2) & (PAGE_WORDS - 1)] = value & 0xFFFFFFFF

    def read(self, addr: int, n: int) -> bytes:
        """Read ``n`` bytes starting at ``addr`` (any alignment)."""
        out = bytearray()
        while n > 0:
            pn, off = addr >> PAGE_SHIFT, addr & (PAGE_SIZE - 1)
            take = min(n, PAGE_SIZE - off)
            page = self.pt[pn]
            if page is ZERO_PAGE:
                out += bytes(take)
            else:
                out += page_to_bytes(page, self.big_endian)[off:off + take]
            addr, n = (addr + take) & 0xFFFFFFFF, n - take
        return bytes(out)

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` starting at ``addr`` (any alignment)."""
        pos = 0
        while pos < len(data):
            pn, off = addr >> PAGE_SHIFT, addr & (PAGE_SIZE - 1)
            take = min(len(data) - pos, PAGE_SIZE - off)
            buf = bytearray(page_to_bytes(self.pt[pn], self.big_endian))
            buf[off:off + take] = data[pos:pos + take]
            words = bytes_to_page(bytes(buf), self.big_endian)
            page = self.thaw(pn)
            page[:] = words
            addr, pos = (addr + take) & 0xFFFFFFFF, pos + take

    def page_bytes(self, pn: int) -> bytes:
        return page_to_bytes(self.pt[pn], self.big_endian)

    def replace_page(self, pn: int, page: tuple[int, ...]) -> None:
        """Install a frozen page written outside the interpreter (the fast engine)."""
        self.pt[pn] = page
        self.writable.discard(pn)
        self.touched.add(pn)
        if pn in self.code_pages:
            self.code_pages.discard(pn)
            self.on_code_write(pn)

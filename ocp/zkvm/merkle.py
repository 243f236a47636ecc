"""Binary SHA-256 Merkle tree over the whole 32-bit memory.

Leaves are the 2**27 aligned 32-byte chunks of memory, taken as they are
(a leaf is memory, not a hash of it); an inner node is
``SHA-256(left || right)``.  The tree has depth 27: 7 levels inside a 4 KiB
page (128 leaves) and 20 levels above the 2**20 pages.  Untouched memory is
zero, so its subtrees are the precomputed :data:`ZERO_HASHES`.

Every level is hashed in one call to :func:`taptrees.hashcore.merkle_parents`,
batched over all changed pages and all live nodes of a level, so the
vectorised hash core does the work.  Page roots are cached by page identity
(frozen pages are immutable tuples), so a checkpoint only rehashes pages
written since the previous one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ocp.zkvm.memory import PAGE_SHIFT, Memory, page_to_bytes
from taptrees.hashcore import merkle_parents

LEAF_BYTES = 32
PAGE_LEVELS = PAGE_SHIFT - 5  # 7: 128 leaves per page
TOP_LEVELS = 32 - PAGE_SHIFT  # 20: 2**20 pages
DEPTH = PAGE_LEVELS + TOP_LEVELS  # 27



def _zero_hashes() -> tuple[bytes, ...]:
    out = [bytes(LEAF_BYTES)]
    for _ in range(DEPTH):
        out.append(hashlib.sha256(out[-1] + out[-1]).digest())
    return tuple(out)


#: ZERO_HASHES[k] is the root of a subtree of height k over zero memory.
ZERO_HASHES: tuple[bytes, ...] = _zero_hashes()


@dataclass(frozen=True)
class MemoryProof:
    """The 32-byte leaf holding ``addr`` and its 27 siblings, leaf level first."""

    addr: int
    leaf: bytes
    siblings: tuple[bytes, ...]

    def root(self) -> bytes:
        """Recompute the root this proof commits to."""
        node = self.leaf
        index = self.addr >> 5
        for sib in self.siblings:
            pair = sib + node if index & 1 else node + sib
            node = hashlib.sha256(pair).digest()
            index >>= 1
        return node

    def verify(self, root: bytes) -> bool:
        return len(self.siblings) == DEPTH and self.root() == root

    def word(self, big_endian: bool) -> int:
        """The aligned 32-bit word at ``addr`` as the guest sees it."""
        off = self.addr & 28
        return int.from_bytes(self.leaf[off:off + 4], "big" if big_endian else "little")


def _levels(data: bytes, count: int) -> list[bytes]:
    """``data`` then each parent level, ``count`` times (levels[i] has len(data) >> i bytes)."""
    out = [data]
    for _ in range(count):
        data = merkle_parents(data)
        out.append(data)
    return out


class MemoryTree:
    """Page-root cache plus the sparse upper tree of the last :meth:`root` call."""

    def __init__(self) -> None:
        self._page_roots: dict[int, tuple[object, bytes]] = {}
        self._top: list[dict[int, bytes]] = []
        self._root = ZERO_HASHES[DEPTH]

    def root(self, mem: Memory) -> bytes:
        """Merkle root of ``mem`` (freezes it; rehashes only changed pages)."""
        mem.freeze()
        pt, big = mem.pt, mem.big_endian
        changed = [pn for pn in sorted(mem.touched)
                   if self._page_roots.get(pn, (None,))[0] is not pt[pn]]
        if changed:
            blob = b"".join(page_to_bytes(pt[pn], big) for pn in changed)
            roots = _levels(blob, PAGE_LEVELS)[-1]
            for i, pn in enumerate(changed):
                self._page_roots[pn] = (pt[pn], roots[32 * i:32 * i + 32])
        level = {pn: self._page_roots[pn][1] for pn in mem.touched}
        self._top = [level]
        for height in range(PAGE_LEVELS, DEPTH):
            parents = sorted({i >> 1 for i in level})
            zero = ZERO_HASHES[height]
            blob = b"".join(level.get(2 * p, zero) + level.get(2 * p + 1, zero) for p in parents)
            hashed = merkle_parents(blob)
            level = {p: hashed[32 * j:32 * j + 32] for j, p in enumerate(parents)}
            self._top.append(level)
        self._root = level.get(0, ZERO_HASHES[DEPTH])
        return self._root

    def prove(self, mem: Memory, addr: int) -> MemoryProof:
        """Proof for the leaf containing ``addr`` against :meth:`root` of ``mem``."""
        self.root(mem)
        addr &= 0xFFFFFFFF
        pn = addr >> PAGE_SHIFT
        page = page_to_bytes(mem.pt[pn], mem.big_endian)
        levels = _levels(page, PAGE_LEVELS)
        idx = (addr & 0xFFF) >> 5
        leaf = page[32 * idx:32 * idx + 32]
        sibs = []
        for lvl in levels[:-1]:
            s = idx ^ 1
            sibs.append(lvl[32 * s:32 * s + 32])
            idx >>= 1
        idx = pn
        for k, lvl in enumerate(self._top[:-1]):
            sibs.append(lvl.get(idx ^ 1, ZERO_HASHES[PAGE_LEVELS + k]))
            idx >>= 1
        return MemoryProof(addr, leaf, tuple(sibs))


def memory_root(mem: Memory) -> bytes:
    """One-off root of ``mem`` (no caching across calls)."""
    return MemoryTree().root(mem)

"""Taproot script trees, output keys and control blocks (BIP341), script-path
witnesses (BIP341/BIP342).

A tree is :class:`TapLeaf` and :class:`TapBranch` nodes.  Build one from an
explicit nested shape (:meth:`TapTree.from_shape`), balanced
(:meth:`TapTree.balanced`) or Huffman-coded by leaf weight
(:meth:`TapTree.huffman`, heavier leaves never deeper than lighter ones, ties
broken by leaf order).  :class:`TaprootOutput` adds the internal key: output
key, scriptPubKey, address and a control block for every leaf.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from taptrees.address import taproot_address
from taptrees.errors import InputError
from taptrees.hashes import tagged_hash
from taptrees.keys import check_xonly, schnorr_sign, tweak_pubkey, tweak_seckey, xonly_pubkey
from taptrees.script import Script
from taptrees.tx import ser_bytes

TAPSCRIPT_LEAF_VERSION = 0xC0
#: BIP341: first byte of an annex; no leaf version may take it.
ANNEX_TAG = 0x50
#: BIP341: a control block holds at most 128 path hashes.
TAPROOT_CONTROL_MAX_NODE_COUNT = 128
#: BIP341's provably unspendable internal key (H = lift_x(SHA256(G))), for
#: outputs that must only be spent by script.
NUMS_INTERNAL_KEY = bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")


@dataclass(frozen=True, eq=False)
class TapLeaf:
    script: Script
    version: int = TAPSCRIPT_LEAF_VERSION
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.script, Script):
            object.__setattr__(self, "script", Script.from_bytes(bytes(self.script)))
        if self.version & 1 or not 0 <= self.version <= 0xFE:
            raise InputError(f"leaf version 0x{self.version:02x} must be even and below 0xff")
        if self.version == ANNEX_TAG:
            # BIP341: a control block starting with 0x50 would be read as the annex
            raise InputError("leaf version 0x50 is the annex tag (BIP341), not a leaf version")

    @cached_property
    def hash(self) -> bytes:
        """hash_TapLeaf(v || compact_size(size) || script)."""
        return tagged_hash("TapLeaf", bytes([self.version]) + ser_bytes(self.script.raw))


@dataclass(frozen=True, eq=False)
class TapBranch:
    left: TapNode
    right: TapNode

    @cached_property
    def hash(self) -> bytes:
        """hash_TapBranch(min(a, b) || max(a, b))."""
        a, b = self.left.hash, self.right.hash
        return tagged_hash("TapBranch", a + b if a < b else b + a)


TapNode = TapLeaf | TapBranch
Shape = TapLeaf | Script | bytes | Sequence["Shape"]


def _leaf(item: TapLeaf | Script | bytes) -> TapLeaf:
    if isinstance(item, TapLeaf):
        return item
    if isinstance(item, Script):
        return TapLeaf(item)
    if isinstance(item, bytes | bytearray):
        return TapLeaf(Script.from_bytes(bytes(item)))
    raise InputError(f"a tree leaf must be a Script, bytes or TapLeaf, not {type(item).__name__}")


@dataclass(frozen=True, eq=False)
class TapTree:
    root: TapNode

    def __post_init__(self) -> None:
        if not isinstance(self.root, TapLeaf | TapBranch):  # a bare Script or bytes
            object.__setattr__(self, "root", _leaf(self.root))
        depth = _depth(self.root)
        if depth > TAPROOT_CONTROL_MAX_NODE_COUNT:
            raise InputError(f"tree depth {depth} exceeds BIP341's {TAPROOT_CONTROL_MAX_NODE_COUNT}")

    # construction -------------------------------------------------------------
    @classmethod
    def from_shape(cls, shape: Shape) -> TapTree:
        """From a nested shape: a leaf, or a pair ``[left, right]`` of shapes."""
        return cls(_from_shape(shape, 0))

    @classmethod
    def balanced(cls, leaves: Sequence[TapLeaf | Script | bytes]) -> TapTree:
        """A tree as balanced as possible, leaves left to right."""
        nodes: list[TapNode] = [_leaf(x) for x in leaves]
        if not nodes:
            raise InputError("a tree needs at least one leaf")
        while len(nodes) > 1:
            paired: list[TapNode] = [TapBranch(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
            if len(nodes) % 2:
                paired.append(nodes[-1])
            nodes = paired
        return cls(nodes[0])

    @classmethod
    def huffman(cls, leaves: Sequence[TapLeaf | Script | bytes], weights: Sequence[float]) -> TapTree:
        """Huffman tree by weight (BIP341's suggestion for expected witness size).

        Deterministic: ties between equal weights are broken by leaf order, and
        merged nodes sort after the leaves that existed before them.
        """
        if len(leaves) != len(weights):
            raise InputError(f"{len(leaves)} leaves but {len(weights)} weights")
        if not leaves:
            raise InputError("a tree needs at least one leaf")
        if any(not w >= 0 for w in weights):
            raise InputError("leaf weights must be non-negative numbers")
        heap: list[tuple[float, int, TapNode]] = [
            (float(w), i, _leaf(x)) for i, (x, w) in enumerate(zip(leaves, weights, strict=True))
        ]
        heapq.heapify(heap)
        seq = len(heap)
        while len(heap) > 1:
            w1, _, a = heapq.heappop(heap)
            w2, _, b = heapq.heappop(heap)
            heapq.heappush(heap, (w1 + w2, seq, TapBranch(a, b)))
            seq += 1
        return cls(heap[0][2])

    # views ------------------------------------------------------------------
    @cached_property
    def _leaves_and_paths(self) -> tuple[tuple[TapLeaf, ...], tuple[bytes, ...]]:
        leaves: list[TapLeaf] = []
        paths: list[list[bytes]] = []

        def walk(node: TapNode) -> list[int]:
            if isinstance(node, TapLeaf):
                leaves.append(node)
                paths.append([])
                return [len(leaves) - 1]
            left, right = walk(node.left), walk(node.right)
            for i in left:
                paths[i].append(node.right.hash)
            for i in right:
                paths[i].append(node.left.hash)
            return left + right

        walk(self.root)
        return tuple(leaves), tuple(b"".join(p) for p in paths)

    @property
    def leaves(self) -> tuple[TapLeaf, ...]:
        return self._leaves_and_paths[0]

    def merkle_path(self, index: int) -> bytes:
        """Concatenated sibling hashes from the leaf up to the root."""
        return self._leaves_and_paths[1][index]

    def depth_of(self, index: int) -> int:
        return len(self.merkle_path(index)) // 32

    @property
    def merkle_root(self) -> bytes:
        return self.root.hash

    def index_of(self, leaf: TapLeaf | Script) -> int:
        """Index of a leaf: that very TapLeaf object if it is in the tree, else the
        first leaf with the same script (and, for a TapLeaf, the same version)."""
        for i, candidate in enumerate(self.leaves):
            if candidate is leaf:
                return i
        for i, candidate in enumerate(self.leaves):
            if isinstance(leaf, Script) and candidate.script == leaf:
                return i
            if isinstance(leaf, TapLeaf) and candidate.script == leaf.script and candidate.version == leaf.version:
                return i
        raise InputError("that leaf is not in this tree")

    def index_named(self, name: str) -> int:
        """Index of the leaf called ``name`` (leaf names must be unique to be found)."""
        found = self._indices_by_name.get(name, [])
        if len(found) != 1:
            what = "no leaf" if not found else f"{len(found)} leaves"
            raise InputError(f"the tree has {what} named {name!r}")
        return found[0]

    @cached_property
    def _indices_by_name(self) -> dict[str | None, list[int]]:
        out: dict[str | None, list[int]] = {}
        for i, leaf in enumerate(self.leaves):
            out.setdefault(leaf.name, []).append(i)
        return out


def _from_shape(shape: Shape, depth: int) -> TapNode:
    if depth > TAPROOT_CONTROL_MAX_NODE_COUNT:
        raise InputError(f"tree depth exceeds BIP341's {TAPROOT_CONTROL_MAX_NODE_COUNT}")
    if isinstance(shape, TapLeaf | Script | bytes | bytearray):
        return _leaf(shape)
    if isinstance(shape, TapBranch):
        return shape
    if isinstance(shape, Sequence) and len(shape) == 2:
        return TapBranch(_from_shape(shape[0], depth + 1), _from_shape(shape[1], depth + 1))
    raise InputError("a tree shape is a leaf or a pair [left, right] of shapes")


def _depth(node: TapNode) -> int:
    best, stack = 0, [(node, 0)]
    while stack:
        n, d = stack.pop()
        if isinstance(n, TapBranch):
            stack.append((n.left, d + 1))
            stack.append((n.right, d + 1))
        else:
            best = max(best, d)
    return best


@dataclass(frozen=True, eq=False)
class TaprootOutput:
    """A segwit v1 output: internal key plus optional script tree (BIP341)."""

    internal_key: bytes
    tree: TapTree | None = None

    def __post_init__(self) -> None:
        check_xonly(self.internal_key, "internal key")

    @cached_property
    def _tweaked(self) -> tuple[int, bytes]:
        return tweak_pubkey(self.internal_key, self.merkle_root)

    @property
    def merkle_root(self) -> bytes | None:
        return self.tree.merkle_root if self.tree else None

    @property
    def output_key(self) -> bytes:
        return self._tweaked[1]

    @property
    def parity(self) -> int:
        return self._tweaked[0]

    @property
    def script_pubkey(self) -> bytes:
        return b"\x51\x20" + self.output_key

    def address(self, network: str = "regtest") -> str:
        return taproot_address(self.output_key, network)

    def _index(self, key: int | str) -> int:
        return self._tree().index_named(key) if isinstance(key, str) else key

    def leaf(self, key: int | str) -> TapLeaf:
        """The leaf at index ``key``, or the leaf named ``key``."""
        return self._tree().leaves[self._index(key)]

    def script_path(self, key: int | str) -> tuple[TapLeaf, bytes]:
        """The leaf (by index or name) and its control block: what a spend needs."""
        return self.leaf(key), self.control_block(key)

    def control_block(self, key: int | str) -> bytes:
        """(leaf version | parity of Q) || internal key || merkle path."""
        tree = self._tree()
        index = self._index(key)
        if not 0 <= index < len(tree.leaves):
            raise InputError(f"leaf {index} does not exist (tree has {len(tree.leaves)})")
        leaf = tree.leaves[index]
        return bytes([leaf.version | self.parity]) + self.internal_key + tree.merkle_path(index)

    def script_path_witness(
        self, key: int | str, stack: Sequence[bytes], annex: bytes | None = None
    ) -> tuple[bytes, ...]:
        """Witness for a script-path spend of leaf ``key`` (index or name): inputs,
        script, control block[, annex]."""
        leaf, control = self.script_path(key)
        items = [bytes(x) for x in stack]
        items += [leaf.script.raw, control]
        if annex is not None:
            if not annex or annex[0] != 0x50:
                raise InputError("an annex must start with 0x50 (BIP341)")
            items.append(annex)
        return tuple(items)

    def key_path_sign(self, internal_seckey: bytes, sighash: bytes, hash_type: int = 0) -> bytes:
        """BIP340 signature with the tweaked key; appends the hash type unless DEFAULT.

        Refuses a secret key that is not this output's internal key (the signature
        would be invalid and nothing else would say so)."""
        if xonly_pubkey(internal_seckey) != self.internal_key:
            raise InputError("that secret key is not this output's internal key")
        sig = schnorr_sign(tweak_seckey(internal_seckey, self.merkle_root), sighash)
        return sig + (bytes([hash_type]) if hash_type else b"")

    def _tree(self) -> TapTree:
        if self.tree is None:
            raise InputError("this output has no script tree (key path only)")
        return self.tree


@dataclass(frozen=True)
class ScriptPathSpend:
    """A script-path witness taken apart (BIP341): the stack the script runs on,
    the script, the control block and the annex, if any."""

    stack: tuple[bytes, ...]
    script: bytes
    control_block: bytes
    annex: bytes | None


def parse_script_path_witness(witness: Sequence[bytes]) -> ScriptPathSpend:
    """Split a taproot script-path witness the way BIP341 does: with two or more
    items and a last one starting with 0x50, that item is the annex and is removed;
    then the last item is the control block and the one before it the script."""
    items = [bytes(x) for x in witness]
    annex = None
    if len(items) >= 2 and items[-1][:1] == bytes([ANNEX_TAG]):
        annex = items.pop()
    if len(items) < 2:
        raise InputError("a script-path witness needs a script and a control block")
    control = items.pop()
    script = items.pop()
    if len(control) < 33 or (len(control) - 33) % 32:
        raise InputError(f"control block of {len(control)} bytes is malformed (BIP341)")
    return ScriptPathSpend(tuple(items), script, control, annex)

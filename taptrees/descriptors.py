"""Output descriptors (BIP380): the checksum, ``raw(<hex>)`` (BIP385) for mining
to a raw script, and ``tr(KEY,{...})`` (BIP386) for taproot outputs whose leaves
are all miniscript (BIP379)."""

from __future__ import annotations

from collections.abc import Callable

from taptrees.tree import TapBranch, TapLeaf, TapNode, TaprootOutput

_INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ "
_CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)


def _polymod(symbols: list[int]) -> int:
    chk = 1
    for value in symbols:
        top = chk >> 35
        chk = (chk & 0x7FFFFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return chk


def descriptor_checksum(descriptor: str) -> str:
    """The 8-character BIP380 checksum of ``descriptor``."""
    symbols: list[int] = []
    groups: list[int] = []
    for ch in descriptor:
        pos = _INPUT_CHARSET.find(ch)
        if pos < 0:
            raise ValueError(f"character {ch!r} is not allowed in a descriptor")
        symbols.append(pos & 31)
        groups.append(pos >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    symbols += [0] * 8
    checksum = _polymod(symbols) ^ 1
    return "".join(_CHECKSUM_CHARSET[(checksum >> (5 * (7 - i))) & 31] for i in range(8))


def raw_descriptor(script_pubkey: bytes) -> str:
    """``raw(<hex>)#checksum``: pays exactly ``script_pubkey`` (BIP385)."""
    return with_checksum(f"raw({script_pubkey.hex()})")


def with_checksum(body: str) -> str:
    return f"{body}#{descriptor_checksum(body)}"


def tr_descriptor(output: TaprootOutput, leaf_expr: Callable[[TapLeaf], str | None]) -> str | None:
    """``tr(KEY,TREE)#checksum`` of ``output`` (BIP386), the tree written in its real
    shape, each leaf as ``leaf_expr`` gives it (its miniscript); None as soon as one
    leaf has no expression (that output has no descriptor)."""

    def tree(node: TapNode) -> str | None:
        if isinstance(node, TapLeaf):
            return leaf_expr(node)
        assert isinstance(node, TapBranch)
        left, right = tree(node.left), tree(node.right)
        return None if left is None or right is None else f"{{{left},{right}}}"

    key = output.internal_key.hex()
    if output.tree is None:
        return with_checksum(f"tr({key})")
    body = tree(output.tree.root)
    return None if body is None else with_checksum(f"tr({key},{body})")

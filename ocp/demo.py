"""A taproot demo: build a tree of hash-lock leaves and spend every leaf by script
path through Bitcoin Core's interpreter, plus one tampered spend per leaf."""

from __future__ import annotations

from taptrees.hashes import sha256
from taptrees.opcodes import OP_EQUAL, OP_SHA256
from taptrees.script import Script
from taptrees.tree import NUMS_INTERNAL_KEY, TapTree
from taptrees.verify import leaf_spend


def taproot_demo(n_leaves: int) -> dict:
    preimages = [f"leaf {i} preimage".encode() for i in range(n_leaves)]
    scripts = [Script([OP_SHA256, sha256(p), OP_EQUAL]) for p in preimages]
    tree = TapTree.huffman(scripts, [n_leaves - i for i in range(n_leaves)])
    rows = []
    for i, leaf in enumerate(tree.leaves):
        spend = leaf_spend(leaf, tree=tree, internal_key=NUMS_INTERNAL_KEY)
        preimage = preimages[scripts.index(leaf.script)]
        rows.append(
            {
                "index": i,
                "depth": tree.depth_of(i),
                "asm": leaf.script.asm(),
                "accepted": spend.verify([preimage]).ok,
                "tampered_accepted": spend.verify([preimage + b"!"]).ok,
            }
        )
    output = leaf_spend(tree.leaves[0], tree=tree).output
    return {
        "merkle_root": tree.merkle_root.hex(),
        "address": output.address("regtest"),
        "leaves": rows,
        "all_accepted": all(r["accepted"] for r in rows),
        "all_tampered_refused": not any(r["tampered_accepted"] for r in rows),
    }

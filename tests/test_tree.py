"""Taproot trees, output keys, addresses and control blocks (BIP341): the BIP341
wallet vectors (scriptPubKey section), then trees of many shapes whose every leaf
is spent through its control block and judged by libbitcoinkernel."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vectors import load_json_vectors

from taptrees.address import (
    decode_address,
    script_pubkey_for_address,
    segwit_address,
    taproot_address,
)
from taptrees.errors import InputError
from taptrees.hashes import tagged_hash
from taptrees.keys import schnorr_sign, taptweak, tweak_pubkey, xonly_pubkey
from taptrees.opcodes import OP_0, OP_CHECKSIG, OP_EQUAL, OP_TRUE
from taptrees.script import Script, encode_num
from taptrees.tree import (
    NUMS_INTERNAL_KEY,
    TAPROOT_CONTROL_MAX_NODE_COUNT,
    TapBranch,
    TapLeaf,
    TaprootOutput,
    TapTree,
)
from taptrees.tx import OutPoint, Tx, TxIn, TxOut
from taptrees.verify import LeafSpend, leaf_spend, verify_inputs

SCRIPT_PUBKEY_CASES = load_json_vectors("bip341-wallet-test-vectors.json")["scriptPubKey"]


# --- BIP341 wallet vectors: scriptPubKey construction ------------------------------


def _shape_from_json(node, leaves_by_id: dict[int, TapLeaf]):
    """The vectors' scriptTree (a leaf object or a list of two) as a from_shape shape."""
    if isinstance(node, dict):
        leaf = TapLeaf(Script.from_hex(node["script"]), version=node["leafVersion"])
        leaves_by_id[node["id"]] = leaf
        return leaf
    assert len(node) == 2
    return [_shape_from_json(node[0], leaves_by_id), _shape_from_json(node[1], leaves_by_id)]


@pytest.mark.parametrize("case", SCRIPT_PUBKEY_CASES, ids=lambda c: c["given"]["internalPubkey"][:8])
def test_bip341_script_pubkey_vectors(case):
    given, mid, expected = case["given"], case["intermediary"], case["expected"]
    internal = bytes.fromhex(given["internalPubkey"])
    leaves_by_id: dict[int, TapLeaf] = {}
    tree = None
    if given["scriptTree"] is not None:
        tree = TapTree.from_shape(_shape_from_json(given["scriptTree"], leaves_by_id))
    output = TaprootOutput(internal, tree)

    if tree is None:
        assert mid["merkleRoot"] is None and output.merkle_root is None
    else:
        assert output.merkle_root.hex() == mid["merkleRoot"]
        ids = sorted(leaves_by_id)
        assert [leaves_by_id[i].hash.hex() for i in ids] == mid["leafHashes"]
        for leaf_id, control_block in zip(ids, expected["scriptPathControlBlocks"], strict=True):
            index = tree.leaves.index(leaves_by_id[leaf_id])
            assert output.control_block(index).hex() == control_block
    assert taptweak(internal, output.merkle_root).hex() == mid["tweak"]
    assert output.output_key.hex() == mid["tweakedPubkey"]
    assert output.script_pubkey.hex() == expected["scriptPubKey"]
    assert output.address("mainnet") == expected["bip350Address"]
    assert decode_address(expected["bip350Address"], "mainnet") == (1, output.output_key)
    assert script_pubkey_for_address(expected["bip350Address"], "mainnet") == output.script_pubkey


def test_addresses_refuse_invalid_programs():
    with pytest.raises(InputError, match="32 bytes"):
        taproot_address(b"\x01" * 31)
    with pytest.raises(InputError, match="v0 program"):
        segwit_address(b"\x01" * 21, 0)
    with pytest.raises(InputError, match="v1 program"):
        segwit_address(b"\x01" * 41, 1)
    with pytest.raises(InputError, match="witness version"):
        segwit_address(b"\x01" * 20, 17)
    with pytest.raises(InputError, match="unknown network"):
        segwit_address(b"\x01" * 20, 0, "moonnet")
    with pytest.raises(InputError, match="not a valid regtest"):
        decode_address("bc1punvppl2stp38f7kwv2u2spltjuvuaayuqsthe34hd2dyy5w4g58qqfuag5")


# --- many trees, every leaf spent through the kernel ----------------------------------


def numbered_leaf(i: int) -> Script:
    """A distinct leaf per number, satisfied only by pushing that number."""
    return Script([i, OP_EQUAL])


def spend_every_leaf(output: TaprootOutput) -> list[bool]:
    """Spend each leaf of ``output`` by script path, one transaction per leaf, with
    the witness [number, script, control block]; the kernel's verdict per leaf."""
    tree = output.tree
    assert tree is not None
    template = Tx(
        inputs=(TxIn(OutPoint("22" * 32, 0)),),
        outputs=(TxOut(90_000, b"\x51\x20" + NUMS_INTERNAL_KEY),),
    )
    verdicts = []
    for index, leaf in enumerate(tree.leaves):
        number = Script.from_bytes(leaf.script.raw).ops()[0]
        stack = [number.data if number.data is not None else encode_num(number.opcode - 0x50)]
        spend = LeafSpend(output, index, template, 100_000)
        verdicts.append(spend.verify(stack).ok)
    return verdicts


def explicit_shapes() -> dict[str, object]:
    s = [numbered_leaf(i) for i in range(17)]
    return {
        "1": s[0],
        "2": [s[0], s[1]],
        "3-left-heavy": [[s[0], s[1]], s[2]],
        "3-right-heavy": [s[0], [s[1], s[2]]],
        "17-mixed": [
            [[s[0], [s[1], s[2]]], [[[s[3], s[4]], s[5]], s[6]]],
            [s[7], [[s[8], [s[9], [s[10], s[11]]]], [[s[12], s[13]], [s[14], [s[15], s[16]]]]]],
        ],
    }


def random_split_shape(leaves: list[Script], rng: random.Random):
    """An explicit nested shape: split the leaf list at a random point, recursively."""
    if len(leaves) == 1:
        return leaves[0]
    cut = rng.randint(1, len(leaves) - 1)
    return [random_split_shape(leaves[:cut], rng), random_split_shape(leaves[cut:], rng)]


def test_explicit_1000_leaf_shape_every_leaf_spends():
    leaves = [numbered_leaf(i) for i in range(1000)]
    tree = TapTree.from_shape(random_split_shape(leaves, random.Random(341)))
    assert [leaf.script for leaf in tree.leaves] == leaves  # shapes keep leaf order
    assert max(tree.depth_of(i) for i in range(1000)) > math.ceil(math.log2(1000))
    assert all(spend_every_leaf(TaprootOutput(NUMS_INTERNAL_KEY, tree)))


@pytest.mark.parametrize("name", list(explicit_shapes()))
def test_explicit_shapes_every_leaf_spends(name):
    tree = TapTree.from_shape(explicit_shapes()[name])
    output = TaprootOutput(xonly_pubkey(b"\x07" * 32), tree)
    assert all(spend_every_leaf(output))


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000])
def test_balanced_trees_every_leaf_spends(n):
    tree = TapTree.balanced([numbered_leaf(i) for i in range(n)])
    assert [leaf.script for leaf in tree.leaves] == [numbered_leaf(i) for i in range(n)]
    assert max(tree.depth_of(i) for i in range(n)) == math.ceil(math.log2(n))
    assert all(spend_every_leaf(TaprootOutput(NUMS_INTERNAL_KEY, tree)))


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000])
def test_huffman_trees_every_leaf_spends(n):
    weights = [(i * 7919) % 101 + 1 for i in range(n)]  # uneven, deterministic
    tree = TapTree.huffman([numbered_leaf(i) for i in range(n)], weights)
    assert sorted(leaf.script.raw for leaf in tree.leaves) == sorted(numbered_leaf(i).raw for i in range(n))
    assert all(spend_every_leaf(TaprootOutput(NUMS_INTERNAL_KEY, tree)))


def _merkle_root_from_path(leaf_hash: bytes, path: bytes) -> bytes:
    """BIP341's verification loop, written out independently of taptrees.tree."""
    k = leaf_hash
    for j in range(0, len(path), 32):
        e = path[j : j + 32]
        k = tagged_hash("TapBranch", k + e if k < e else e + k)
    return k


def test_control_block_layout_and_paths():
    tree = TapTree.from_shape(explicit_shapes()["17-mixed"])
    output = TaprootOutput(NUMS_INTERNAL_KEY, tree)
    for i, leaf in enumerate(tree.leaves):
        cb = output.control_block(i)
        assert cb[0] == 0xC0 | output.parity
        assert cb[1:33] == NUMS_INTERNAL_KEY
        assert (len(cb) - 33) // 32 == tree.depth_of(i) and (len(cb) - 33) % 32 == 0
        assert _merkle_root_from_path(leaf.hash, cb[33:]) == tree.merkle_root
    with pytest.raises(InputError, match="does not exist"):
        output.control_block(17)
    with pytest.raises(InputError, match="no script tree"):
        TaprootOutput(NUMS_INTERNAL_KEY).control_block(0)


# --- rejections by the kernel ------------------------------------------------------------

SECKEY = b"\x05" * 32
PUBKEY = xonly_pubkey(SECKEY)


def _checksig_spend() -> tuple[LeafSpend, list[bytes]]:
    leaves = [Script([PUBKEY, OP_CHECKSIG])] + [numbered_leaf(i) for i in range(5)]
    tree = TapTree.balanced(leaves)
    spend = leaf_spend(leaves[0], tree=tree, internal_key=xonly_pubkey(b"\x09" * 32))
    return spend, [schnorr_sign(SECKEY, spend.sighash())]


def _verify_witness(spend: LeafSpend, witness: list[bytes]) -> bool:
    return verify_inputs(spend.tx.with_witness(0, witness), spend.spent)[0].ok


def test_valid_checksig_leaf_spend_is_accepted():
    spend, stack = _checksig_spend()
    assert spend.verify(stack).ok


def test_wrong_signature_is_rejected():
    spend, stack = _checksig_spend()
    bad_sig = stack[0][:-1] + bytes([stack[0][-1] ^ 1])
    assert not spend.verify([bad_sig]).ok
    other_key_sig = schnorr_sign(b"\x06" * 32, spend.sighash())
    assert not spend.verify([other_key_sig]).ok


def test_wrong_leaf_script_is_rejected():
    spend, stack = _checksig_spend()
    witness = list(spend.output.script_path_witness(spend.leaf_index, stack))
    witness[-2] = Script([xonly_pubkey(b"\x06" * 32), OP_CHECKSIG]).raw
    assert not _verify_witness(spend, witness)
    witness[-2] = Script([OP_TRUE]).raw  # a script that would pass if it were committed
    assert not _verify_witness(spend, witness)


def test_flipped_path_byte_is_rejected():
    spend, stack = _checksig_spend()
    witness = list(spend.output.script_path_witness(spend.leaf_index, stack))
    control = bytearray(witness[-1])
    assert len(control) > 33
    control[40] ^= 0x01
    witness[-1] = bytes(control)
    assert not _verify_witness(spend, witness)


def test_wrong_parity_bit_is_rejected():
    spend, stack = _checksig_spend()
    witness = list(spend.output.script_path_witness(spend.leaf_index, stack))
    witness[-1] = bytes([witness[-1][0] ^ 1]) + witness[-1][1:]
    assert not _verify_witness(spend, witness)


def test_wrong_internal_key_and_truncated_control_block_are_rejected():
    spend, stack = _checksig_spend()
    witness = list(spend.output.script_path_witness(spend.leaf_index, stack))
    good_control = witness[-1]
    witness[-1] = good_control[:1] + NUMS_INTERNAL_KEY + good_control[33:]
    assert not _verify_witness(spend, witness)
    witness[-1] = good_control[:-1]
    assert not _verify_witness(spend, witness)


def test_unknown_leaf_version_is_unconditionally_valid():
    """BIP341: leaf versions other than 0xc0 are not executed (upgrade hook): the
    script [OP_0] would fail as tapscript but passes under version 0xc2.  This proves
    the control block's version byte is what the kernel reads."""
    leaf = TapLeaf(Script([OP_0]), version=0xC2)
    assert leaf_spend(leaf).verify([]).ok
    assert not leaf_spend(TapLeaf(Script([OP_0]))).verify([]).ok


# --- depth limit ---------------------------------------------------------------------------


def _chain_shape(depth: int):
    """A caterpillar: leaf 0 sits at ``depth``."""
    shape: object = numbered_leaf(0)
    for i in range(1, depth + 1):
        shape = [shape, numbered_leaf(i)]
    return shape


def test_depth_128_spends_and_129_is_refused():
    tree = TapTree.from_shape(_chain_shape(TAPROOT_CONTROL_MAX_NODE_COUNT))
    deepest = tree.leaves.index(next(x for x in tree.leaves if x.script == numbered_leaf(0)))
    assert tree.depth_of(deepest) == 128
    output = TaprootOutput(NUMS_INTERNAL_KEY, tree)
    assert len(output.control_block(deepest)) == 33 + 32 * 128
    spend = LeafSpend(output, deepest, leaf_spend(numbered_leaf(0)).tx, 100_000)
    assert spend.verify([b""]).ok  # numbered_leaf(0) is [OP_0, OP_EQUAL]: push empty
    with pytest.raises(InputError, match="128"):
        TapTree.from_shape(_chain_shape(129))
    # built node by node, bypassing from_shape's check, it is still refused
    node = TapLeaf(numbered_leaf(0))
    for i in range(1, 130):
        node = TapBranch(node, TapLeaf(numbered_leaf(i)))
    with pytest.raises(InputError, match="128"):
        TapTree(node)


def test_a_129_deep_control_block_is_rejected_by_the_kernel():
    """One path hash too many: the kernel refuses it even when the root matches."""
    leaf = TapLeaf(numbered_leaf(0))
    path = [tagged_hash("TapLeaf", bytes([i])) for i in range(129)]
    root = _merkle_root_from_path(leaf.hash, b"".join(path))
    parity, output_key = tweak_pubkey(NUMS_INTERNAL_KEY, root)
    spent = (TxOut(100_000, b"\x51\x20" + output_key),)
    control = bytes([0xC0 | parity]) + NUMS_INTERNAL_KEY + b"".join(path)
    tx = leaf_spend(numbered_leaf(0)).tx
    assert not verify_inputs(tx.with_witness(0, [b"", leaf.script.raw, control]), spent)[0].ok
    # the same construction with 128 hashes is accepted: the limit is what refused it
    root128 = _merkle_root_from_path(leaf.hash, b"".join(path[:128]))
    parity, output_key = tweak_pubkey(NUMS_INTERNAL_KEY, root128)
    control = bytes([0xC0 | parity]) + NUMS_INTERNAL_KEY + b"".join(path[:128])
    spent = (TxOut(100_000, b"\x51\x20" + output_key),)
    assert verify_inputs(tx.with_witness(0, [b"", leaf.script.raw, control]), spent)[0].ok


# --- Huffman ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40))
def test_huffman_heavier_leaves_are_never_deeper(weights):
    leaves = [TapLeaf(numbered_leaf(i)) for i in range(len(weights))]
    tree = TapTree.huffman(leaves, weights)
    depth = {id(leaf): tree.depth_of(i) for i, leaf in enumerate(tree.leaves)}
    for a, wa in zip(leaves, weights, strict=True):
        for b, wb in zip(leaves, weights, strict=True):
            if wa > wb:
                assert depth[id(a)] <= depth[id(b)]
    # and the expected depth is optimal: no worse than the balanced tree's
    balanced = TapTree.balanced(leaves)
    bal_depth = {id(leaf): balanced.depth_of(i) for i, leaf in enumerate(balanced.leaves)}
    cost = sum(w * depth[id(x)] for x, w in zip(leaves, weights, strict=True))
    assert cost <= sum(w * bal_depth[id(x)] for x, w in zip(leaves, weights, strict=True))


def test_huffman_refuses_bad_input():
    with pytest.raises(InputError, match="weights"):
        TapTree.huffman([numbered_leaf(0)], [1, 2])
    with pytest.raises(InputError, match="at least one leaf"):
        TapTree.huffman([], [])
    with pytest.raises(InputError, match="non-negative"):
        TapTree.huffman([numbered_leaf(0), numbered_leaf(1)], [1, -1])
    with pytest.raises(InputError, match="non-negative"):
        TapTree.huffman([numbered_leaf(0), numbered_leaf(1)], [1, float("nan")])


def test_shapes_and_leaves_refuse_bad_input():
    with pytest.raises(InputError, match="pair"):
        TapTree.from_shape([numbered_leaf(0), numbered_leaf(1), numbered_leaf(2)])
    with pytest.raises(InputError, match="leaf version"):
        TapLeaf(numbered_leaf(0), version=0xC1)
    with pytest.raises(InputError, match="at least one leaf"):
        TapTree.balanced([])
    with pytest.raises(InputError):
        TapTree.from_shape("OP_TRUE")
    with pytest.raises(InputError, match="not in this tree"):
        TapTree.balanced([numbered_leaf(0)]).index_of(numbered_leaf(1))


def test_leaf_copies_with_replace_keep_hash_semantics():
    leaf = TapLeaf(numbered_leaf(3))
    assert replace(leaf, name="x").hash == leaf.hash
    assert replace(leaf, version=0xC2).hash != leaf.hash


def test_leaf_version_0x50_is_refused():
    """BIP341: 0x50 tags the annex.  A leaf of version 0x50 under an even output key
    gives a control block starting 0x50, which the kernel takes for an annex: the
    leaf can never be spent.  Shown by hand (TapLeaf now refuses the version)."""
    with pytest.raises(InputError, match="annex"):
        TapLeaf(Script([OP_TRUE]), version=0x50)
    script = Script([OP_TRUE]).raw
    leaf_hash = tagged_hash("TapLeaf", b"\x50" + bytes([len(script)]) + script)
    for n in range(1, 50):
        internal = xonly_pubkey(n.to_bytes(32, "big"))
        parity, output_key = tweak_pubkey(internal, leaf_hash)
        if parity == 0:
            break
    assert parity == 0
    spent = (TxOut(100_000, b"\x51\x20" + output_key),)
    tx = leaf_spend(Script([OP_TRUE])).tx
    assert not verify_inputs(tx.with_witness(0, [script, b"\x50" + internal]), spent)[0].ok
    # the same construction with an unknown but allowed version (0x52) is spendable
    leaf_hash = tagged_hash("TapLeaf", b"\x52" + bytes([len(script)]) + script)
    parity, output_key = tweak_pubkey(internal, leaf_hash)
    spent = (TxOut(100_000, b"\x51\x20" + output_key),)
    control = bytes([0x52 | parity]) + internal
    assert verify_inputs(tx.with_witness(0, [script, control]), spent)[0].ok


def test_index_of_finds_equal_leaves_not_only_the_same_object():
    tree = TapTree.balanced([numbered_leaf(i) for i in range(4)])
    assert tree.index_of(tree.leaves[2]) == 2
    assert tree.index_of(numbered_leaf(2)) == 2
    assert tree.index_of(TapLeaf(numbered_leaf(3))) == 3  # a fresh but equal leaf
    with pytest.raises(InputError, match="not in this tree"):
        tree.index_of(TapLeaf(numbered_leaf(3), version=0xC2))
    # so a spend can name its leaf by value, and the kernel accepts it
    assert leaf_spend(TapLeaf(numbered_leaf(3)), tree=tree).verify([encode_num(3)]).ok


def test_tree_of_a_bare_script_wraps_it_in_a_leaf():
    from taptrees.opcodes import OP_1
    from taptrees.script import Script
    from taptrees.tree import TapLeaf, TapTree

    script = Script([OP_1])
    assert TapTree(script).merkle_root == TapTree(TapLeaf(script)).merkle_root

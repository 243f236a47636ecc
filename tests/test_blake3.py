"""BLAKE3 in Script: the Python twin against the PyPI ``blake3`` package, and the
Script gadget against the twin through Bitcoin Core's interpreter (libbitcoinkernel).

Sampled, not exhausted: a few messages per length class (each script run is a
60 KB leaf); the limb operations themselves are checked on every operand pair.
"""

from __future__ import annotations

import random

import blake3
import pytest

from taptrees.arith.peak import static_peak
from taptrees.blake3 import reference as ref
from taptrees.blake3.dag import LimbDag
from taptrees.blake3.emit import compile_dag
from taptrees.blake3.gadget import Blake3Spec
from taptrees.errors import InputError
from taptrees.interp import run_tapscript
from taptrees.opcodes import OP_EQUALVERIFY, OP_TRUE
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

RNG = random.Random(20240615)


def _bytes(n: int) -> bytes:
    return bytes(RNG.randrange(256) for _ in range(n))


# --- the twin ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 3, 4, 5, 20, 31, 32, 33, 37, 40, 55, 63, 64])
def test_hash_block_matches_blake3_package(length: int) -> None:
    for data in (bytes(length), b"\xff" * length, _bytes(length), _bytes(length)):
        digest = blake3.blake3(data).digest()
        assert ref.hash_block(data) == digest
        assert ref.hash_block(data, 20) == digest[:20]


def test_compress_chaining_counter_and_parent_flags() -> None:
    """Two blocks (chaining value, CHUNK_START/CHUNK_END) and two chunks (counter 1,
    a PARENT|ROOT node) rebuilt from compress() equal the package's hash."""
    data = _bytes(100)
    cv = ref.compress(ref.IV, ref.block_words(data[:64]), 0, 64, ref.CHUNK_START)[:8]
    out = ref.compress(cv, ref.block_words(data[64:]), 0, 36, ref.CHUNK_END | ref.ROOT)[:8]
    assert ref.words_bytes(out) == blake3.blake3(data).digest()

    data = _bytes(1025)
    cv = ref.IV
    for b in range(16):
        flags = (ref.CHUNK_START if b == 0 else 0) | (ref.CHUNK_END if b == 15 else 0)
        cv = ref.compress(cv, ref.block_words(data[64 * b : 64 * b + 64]), 0, 64, flags)[:8]
    right = ref.compress(ref.IV, ref.block_words(data[1024:]), 1, 1, ref.CHUNK_START | ref.CHUNK_END)[:8]
    root = ref.compress(ref.IV, (*cv, *right), 0, 64, ref.PARENT | ref.ROOT)[:8]
    assert ref.words_bytes(root) == blake3.blake3(data).digest()


@pytest.mark.parametrize(
    "call",
    [
        lambda: ref.hash_block(bytes(65)),
        lambda: ref.hash_block(b"", 33),
        lambda: ref.compress(ref.IV, [0] * 15, 0, 64, 0),
        lambda: ref.compress(ref.IV, [2**32] + [0] * 15, 0, 64, 0),
        lambda: ref.compress(ref.IV, [0] * 16, 0, 65, 0),
        lambda: Blake3Spec((None,) * 15, 60),
        lambda: Blake3Spec.for_message(65),
        lambda: Blake3Spec.for_message(8, out_words=9),
        lambda: Blake3Spec.for_message(8, mode="maybe"),
        lambda: Blake3Spec.for_message(8, fields=(24,)),
        lambda: Blake3Spec.for_message(37, fields=(40, 8, 8, 8, 8, 2)).input_stack([0] * 9 + [256]),
        lambda: Blake3Spec.for_message(8).input_stack([1]),
    ],
)
def test_bad_input_is_named(call) -> None:
    with pytest.raises(InputError):
        call()


# --- the gadget through the kernel --------------------------------------------------------


def _checked(script: Script, expected: list[int]) -> Script:
    return Script([script, [[x, OP_EQUALVERIFY] for x in reversed(expected)], OP_TRUE])


def _witness(stack: list[int]) -> list[bytes]:
    return [encode_num(x) for x in stack]


def test_full_block_digest_through_kernel() -> None:
    """BLAKE3 of 64 input bytes (the size BitVM reports): the script leaves the
    32-byte digest as 64 limbs; a changed limb is refused."""
    spec = Blake3Spec.for_message(64)
    script = spec.script()
    for data in (bytes(64), b"\xff" * 64, _bytes(64), _bytes(64)):
        words = ref.block_words(data)
        expected = spec.output_stack(words)
        digest = blake3.blake3(data).digest()
        assert expected == [(int.from_bytes(digest, "little") >> (4 * i)) & 15 for i in reversed(range(64))]
        witness = _witness(spec.input_stack(words))
        assert execute_leaf(_checked(script, expected), witness).ok
        wrong = list(expected)
        wrong[RNG.randrange(64)] ^= 1 + RNG.randrange(15)
        assert not execute_leaf(_checked(script, wrong), witness).ok


@pytest.mark.parametrize("length", [0, 1, 37, 40, 63])
def test_truncated_digest_differs_mode(length: int) -> None:
    """The dispute hash shape: message fields grouped as committed (a 20-byte hash is
    one field of five words), 20-byte output compared with a committed digest: the
    leaf leaves 1 exactly when the committed digest is wrong."""
    n_words = (length + 3) // 4
    fields = (40, *([8] * (n_words - 5))) if n_words > 5 else None
    spec = Blake3Spec.for_message(length, out_words=5, mode="differs", fields=fields)
    script = Script([spec.script()])
    data = _bytes(length)
    words = ref.block_words(data)[:n_words]
    good = spec.digest_words(words)
    assert ref.words_bytes(good) == blake3.blake3(data).digest()[:20]
    assert not execute_leaf(script, _witness(spec.input_stack(words, good))).ok
    for _ in range(2):
        bad = list(good)
        bad[RNG.randrange(5)] ^= 1 << RNG.randrange(32)
        assert execute_leaf(script, _witness(spec.input_stack(words, bad))).ok


def test_dispute_link_shape() -> None:
    """The dispute trace's link (37 bytes: a 20-byte hash, four u32 and a byte, one
    field each) against the package: the script leaves the 20-byte digest."""
    spec = Blake3Spec.for_message(37, out_words=5, fields=(40, 8, 8, 8, 8, 2))
    data = _bytes(36) + bytes([RNG.randrange(256)])
    words = ref.block_words(data)[:10]
    expected = spec.output_stack(words)
    digest = blake3.blake3(data).digest()[:20]
    assert expected == [(int.from_bytes(digest, "little") >> (4 * i)) & 15 for i in reversed(range(40))]
    assert spec.n_inputs == 74
    assert execute_leaf(_checked(spec.script(), expected), _witness(spec.input_stack(words))).ok


def test_verify_mode_and_chaining_value() -> None:
    """mode verify with a non-IV chaining value, a counter and other flags: the
    script passes only with the right digest."""
    cv = tuple(RNG.randrange(2**32) for _ in range(8))
    message = tuple(None if i in (0, 3, 9) else RNG.randrange(2**32) for i in range(16))
    spec = Blake3Spec(message, 64, flags=ref.CHUNK_START, counter=5 << 32 | 7, cv=cv, out_words=8, mode="verify")
    script = Script([spec.script(), OP_TRUE])
    words = [RNG.randrange(2**32) for _ in range(3)]
    block = [w if w is not None else 0 for w in message]
    block[0], block[3], block[9] = words
    good = ref.compress(cv, block, 5 << 32 | 7, 64, ref.CHUNK_START)[:8]
    assert spec.digest_words(words) == good
    assert execute_leaf(script, _witness(spec.input_stack(words, good))).ok
    bad = list(good)
    bad[7] ^= 0x80000000
    assert not execute_leaf(script, _witness(spec.input_stack(words, bad))).ok


def test_peak_stack_is_exact_and_under_the_limit() -> None:
    """The static peak equals the interpreter's, and stays under BIP342's 1,000."""
    for spec in (Blake3Spec.for_message(64), Blake3Spec.for_message(40, out_words=5, mode="differs")):
        words = [RNG.randrange(2**32) for _ in spec.input_words]
        committed = list(spec.digest_words(words)) if spec.mode != "digest" else []
        result = run_tapscript(spec.script(), _witness(spec.input_stack(words, committed)))
        assert static_peak(spec.script(), spec.n_inputs).peak == result.peak_stack < 1000
        got = [int.from_bytes(x, "little") for x in result.final_stack]
        assert got == spec.output_stack(words, committed)


# --- the limb operations ---------------------------------------------------------------


def test_limb_operations_on_every_operand_pair() -> None:
    """One script: XOR of all 256 limb pairs, XOR with each constant, split7 of each
    limb, each compared with its Python value by OP_NUMEQUALVERIFY."""
    dag = LimbDag()
    xs = [dag.input() for _ in range(256)]
    ys = [dag.input() for _ in range(256)]
    values = [(x, y) for x in range(16) for y in range(16)]
    for (vx, vy), x, y in zip(values, xs, ys, strict=True):
        dag.eqverify(dag.xor(x, y), dag.const(vx ^ vy))
        if vy not in (0, 15) and vx == vy:  # x ^ constant (xorc) for every pair once
            for k in range(16):
                dag.eqverify(dag.xor(x, dag.const(k)), dag.const(vx ^ k))
        if vy == 0:
            h, low = dag.split7(x)
            dag.eqverify(h, dag.const(vx >> 3))
            dag.eqverify(low, dag.const(2 * (vx & 7)))
    compiled = compile_dag(dag, [])
    script = Script([compiled.script, OP_TRUE])
    witness = _witness([vx for vx, _ in values] + [vy for _, vy in values])
    assert execute_leaf(script, witness).ok
    witness[3] = encode_num(values[3][0] ^ 1)
    assert not execute_leaf(script, witness).ok


@pytest.mark.parametrize("n_words", [2, 3])
def test_word_additions_all_column_methods(n_words: int) -> None:
    """Sums of two and three words, some with a constant word, covering the branch
    (sums < 32) and table (sums < 48) columns; checked against Python integers."""
    dag = LimbDag()
    expected = []
    flat: list[int] = []
    for _ in range(12):
        words = [dag.word_input() for _ in range(n_words)]
        vals = [RNG.choice([0, 0xFFFFFFFF, RNG.randrange(2**32)]) for _ in range(n_words)]
        flat += [(v >> (4 * i)) & 15 for v in vals for i in reversed(range(8))]
        const = RNG.choice([None, 0, 0xFFFFFFFF, RNG.randrange(2**32)])
        if const is None:
            total = dag.add_words(*words)
            value = sum(vals) & 0xFFFFFFFF
        else:
            total = dag.add_words(*words, dag.word_const(const))
            value = (sum(vals) + const) & 0xFFFFFFFF
        expected.append(value)
        for i, limb in enumerate(total):
            dag.eqverify(limb, dag.const((value >> (4 * i)) & 15))
    methods = {op.param.method for op in dag.ops if op.kind == "col"}
    assert ("table" if n_words == 3 else "if") in methods
    script = Script([compile_dag(dag, []).script, OP_TRUE])
    assert execute_leaf(script, _witness(flat)).ok
    flat[0] = (flat[0] + 1) % 16
    assert not execute_leaf(script, _witness(flat)).ok

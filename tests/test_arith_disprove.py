"""Disprove leaves: Winternitz-committed inputs and outputs, the step recomputed in
script; the kernel accepts a spend exactly when a committed output is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taptrees.arith import Add, FromBit, Hi, Lo, Lts, MulU, ShrVar, Sub, Word
from taptrees.arith.disprove import Disprove
from taptrees.errors import InputError
from taptrees.interp import run_tapscript
from taptrees.ots.winternitz import WinternitzKey, WinternitzParams
from taptrees.verify import execute_leaf

PARAMS = WinternitzParams(digit_bits=4, message_bits=32)
SECRET = bytes(range(32))
a, b, lo, hi, out = Word("a"), Word("b"), Word("lo"), Word("hi"), Word("out")
product = MulU(a, b)

LEAVES = {
    "addu": Disprove((a, b), ((out, Add(a, b)),)),
    "subu": Disprove((a, b), ((out, Sub(a, b)),)),
    "slt": Disprove((a, b), ((out, FromBit(Lts(a, b))),)),
    "srlv": Disprove((a, b), ((out, ShrVar(a, b)),)),
    "multu": Disprove((a, b), ((hi, Hi(product)), (lo, Lo(product)))),
}


def _keys(leaf: Disprove) -> dict[str, WinternitzKey]:
    return {v.name: WinternitzKey.derive(SECRET, f"test/arith/{v.name}", PARAMS) for v in leaf.committed}


KEYS = {name: _keys(leaf) for name, leaf in LEAVES.items()}
SCRIPTS = {name: leaf.script({n: k.public_key() for n, k in KEYS[name].items()}) for name, leaf in LEAVES.items()}


def _honest(name: str, x: int, y: int) -> dict[str, int]:
    values = {"a": x, "b": y}
    return values | LEAVES[name].correct_outputs(values)


def _spend(name: str, values: dict[str, int]):
    leaf = LEAVES[name]
    witness = leaf.witness({n: KEYS[name][n].sign(v) for n, v in values.items()})
    return execute_leaf(SCRIPTS[name], witness), witness


words = st.one_of(st.sampled_from((0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)), st.integers(0, 2**32 - 1))


@pytest.mark.parametrize("name", sorted(LEAVES))
@settings(max_examples=3, deadline=None)
@given(x=words, y=words, delta=st.integers(1, 2**32 - 1), pick=st.integers(0, 1))
def test_wrong_output_disproved_right_one_not(name, x, y, delta, pick) -> None:
    leaf = LEAVES[name]
    honest = _honest(name, x, y)
    assert not leaf.is_disprovable(honest)
    verdict, _ = _spend(name, honest)
    assert not verdict.ok
    claimed = [v.name for v, _ in leaf.claims]
    target = claimed[pick % len(claimed)]
    lying = honest | {target: (honest[target] + delta) % 2**32}
    assert leaf.is_disprovable(lying)
    verdict, _ = _spend(name, lying)
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_peak_stack_and_size(name: str) -> None:
    honest = _honest(name, 0xDEADBEEF, 7)
    lying = honest | {"out" if "out" in honest else "lo": 0}
    _, witness = _spend(name, lying)
    result = run_tapscript(SCRIPTS[name], witness)
    assert result.ok
    assert result.peak_stack < 1000


def test_forged_signature_is_rejected() -> None:
    """A wrong output needs a valid signature on it: editing the digits is not enough."""
    name = "addu"
    honest = _honest(name, 5, 7)
    lying = honest | {"out": 13}
    _, witness = _spend(name, honest)
    _, lying_witness = _spend(name, lying)
    # honest signatures everywhere, but the claimed digit items of the lying witness
    forged = list(witness)
    sig_items = len(KEYS[name]["out"].sign(0))
    tail = lying_witness[-sig_items:]
    forged[-sig_items:] = [t if i % 2 else w for i, (w, t) in enumerate(zip(witness[-sig_items:], tail, strict=True))]
    assert not execute_leaf(SCRIPTS[name], forged).ok


def test_bad_keys_and_signatures_are_named() -> None:
    leaf = LEAVES["addu"]
    keys = {n: k.public_key() for n, k in KEYS["addu"].items()}
    with pytest.raises(InputError, match="no Winternitz public key"):
        leaf.script({n: k for n, k in keys.items() if n != "out"})
    other = WinternitzKey.derive(SECRET, "x", WinternitzParams(digit_bits=2, message_bits=32))
    with pytest.raises(InputError, match="4-bit digits"):
        leaf.script(keys | {"a": other.public_key()})
    with pytest.raises(InputError, match="no signature"):
        leaf.witness({"a": []})
    with pytest.raises(InputError):
        Disprove((a, b), ())

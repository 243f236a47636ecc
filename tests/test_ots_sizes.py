"""The size report: measured peak stack, and the goal of beating BitVM's verifier sizes."""

from __future__ import annotations

import pytest

from taptrees.ots.sizes import measure
from taptrees.ots.winternitz import WinternitzKey, WinternitzParams, verifier_script

#: BitVM's smallest verifier, 4-bit digits, bytes of script (bench/ots_sizes.py cites them).
BITVM_4BIT = {32: 739, 128: 2572, 160: 3156, 256: 4908}


@pytest.mark.parametrize("bits", sorted(BITVM_4BIT))
def test_small_script_is_no_larger_than_bitvm(bits: int) -> None:
    row = measure("small_script", 4, bits, keep="digits")
    assert row.script_bytes <= BITVM_4BIT[bits]
    assert row.peak_stack < 1000


def test_measure_matches_the_built_script_and_signature() -> None:
    row = measure("small_witness", 4, 32, keep="drop")
    params = WinternitzParams(4, 32)
    key = WinternitzKey.derive(b"\x01" * 32, "x", params)
    assert row.script_bytes == verifier_script(key.public_key(), "small_witness", "drop").size
    assert row.witness_items == params.total_digits
    assert row.witness_bytes == 21 * params.total_digits
    assert row.digits == 10
    # the witness holds every signature and nothing else; the search adds a few items
    assert params.total_digits <= row.peak_stack < params.total_digits + 8


def test_small_witness_has_the_smaller_witness_and_small_script_the_smaller_script() -> None:
    for w in (2, 4, 8):
        a, b = measure("small_script", w, 32), measure("small_witness", w, 32)
        assert a.script_bytes < b.script_bytes
        assert b.witness_bytes < a.witness_bytes

"""Winternitz signatures: every verifier checked by libbitcoinkernel, accepting and rejecting."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taptrees.errors import InputError
from taptrees.hashes import hash160
from taptrees.opcodes import OP_1, OP_DROP, OP_EQUALVERIFY, OP_FROMALTSTACK, OP_TOALTSTACK
from taptrees.ots.winternitz import (
    STRATEGIES,
    WinternitzKey,
    WinternitzParams,
    WinternitzPublicKey,
    recover_value,
    verifier_script,
    verify,
    witness_digits,
)
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

SECRET = bytes(range(32))


@cache
def key(w: int, n: int) -> WinternitzKey:
    return WinternitzKey.derive(SECRET, "test/wots", WinternitzParams(w, n))


@cache
def script(w: int, n: int, strategy: str, keep: str) -> Script:
    return verifier_script(key(w, n).public_key(), strategy, keep)


def spend_dropping(w: int, n: int, strategy: str, witness) -> bool:
    """Kernel verdict for the keep="drop" verifier followed by OP_1."""
    return execute_leaf(Script([script(w, n, strategy, "drop"), OP_1]), list(witness)).ok


def digit_checker(params: WinternitzParams, value: int) -> Script:
    """Script that requires the message digits of ``value`` on the stack, LS digit on top."""
    digits = params.message_to_digits(value)
    return Script([[d, OP_EQUALVERIFY] for d in digits] + [OP_1])


def sample_value(n: int) -> int:
    return (0x9E3779B97F4A7C15F39CC0605CEDC8341082276BF3A27251F86C6A11D0C18E95 >> (256 - n)) | 1


# --- acceptance ---------------------------------------------------------------------

SIZES = (8, 32, 160, 256)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("w", range(2, 9))
def test_signature_is_accepted_by_the_kernel(w: int, n: int, strategy: str) -> None:
    value = sample_value(n)
    witness = key(w, n).sign(value, strategy)
    assert verify(key(w, n).public_key(), value, witness)
    assert spend_dropping(w, n, strategy, witness)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("w,n", [(2, 8), (3, 32), (4, 32), (4, 160), (5, 32), (8, 32), (7, 20)])
def test_kept_digits_are_the_message_digits(w: int, n: int, strategy: str) -> None:
    params = WinternitzParams(w, n)
    value = sample_value(n)
    leaf = Script([script(w, n, strategy, "digits"), digit_checker(params, value)])
    assert execute_leaf(leaf, list(key(w, n).sign(value, strategy))).ok
    other = Script([script(w, n, strategy, "digits"), digit_checker(params, value ^ 1)])
    assert not execute_leaf(other, list(key(w, n).sign(value, strategy))).ok


def test_u32_with_4bit_digits_leaves_eight_limbs_limb0_on_top() -> None:
    params = WinternitzParams(4, 32)
    assert (params.message_digits, params.checksum_digits) == (8, 2)
    value = 0x89ABCDEF
    # stack after the verifier, bottom first: 8 9 A B C D E F  (limb 0 = 0xF on top)
    checker = Script([[limb, OP_EQUALVERIFY] for limb in (0xF, 0xE, 0xD, 0xC, 0xB, 0xA, 9, 8)])
    for strategy in STRATEGIES:
        leaf = Script([script(4, 32, strategy, "digits"), checker, OP_1])
        assert execute_leaf(leaf, list(key(4, 32).sign(value, strategy))).ok


def test_non_minimal_digit_is_normalised_on_the_stack() -> None:
    """Consensus accepts a non-minimal number; the verifier must not pass it on as bytes."""
    params = WinternitzParams(4, 32)
    value = 0x12345678
    witness = list(key(4, 32).sign(value, "small_script"))
    witness[-3] = encode_num(int.from_bytes(witness[-3] or b"\x00", "little")) + b"\x00"
    leaf = Script([script(4, 32, "small_script", "digits"), digit_checker(params, value)])
    assert execute_leaf(leaf, witness).ok


# --- rejection ----------------------------------------------------------------------

W, N = 4, 32
PARAMS = WinternitzParams(W, N)
VALUE = 0x5A17C3E1


def items_by_position(strategy: str) -> dict[int, int]:
    """Index in the witness of each position's signature."""
    step = 2 if strategy == "small_script" else 1
    return {p: step * k for k, p in enumerate(PARAMS.witness_positions())}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("position", [0, 5, 7, 8, 9])  # message digits and both checksum digits
def test_raising_one_digit_is_rejected(strategy: str, position: int) -> None:
    """Hashing a signature forward is a valid chain value of a larger digit: only the
    checksum catches it."""
    witness = list(key(W, N).sign(VALUE, strategy))
    digits = PARAMS.digits(VALUE)
    assert digits[position] < PARAMS.max_digit
    i = items_by_position(strategy)[position]
    witness[i] = hash160(witness[i])
    if strategy == "small_script":
        witness[i + 1] = encode_num(digits[position] + 1)
    assert not verify(key(W, N).public_key(), VALUE, witness)
    assert not spend_dropping(W, N, strategy, witness)


@pytest.mark.parametrize("position", [0, 3, 8])
@pytest.mark.parametrize("delta", [-1, 1])
def test_digit_changed_without_its_signature_is_rejected(position: int, delta: int) -> None:
    witness = list(key(W, N).sign(VALUE, "small_script"))
    i = items_by_position("small_script")[position] + 1
    v = PARAMS.digits(VALUE)[position] + delta
    witness[i] = encode_num(v % 16)
    assert not spend_dropping(W, N, "small_script", witness)


@pytest.mark.parametrize("bad_digit", [16, 17, 24, 255, -1, -8, 2**31 - 1])
def test_digit_out_of_range_is_rejected(bad_digit: int) -> None:
    witness = list(key(W, N).sign(VALUE, "small_script"))
    for position in (0, 9):
        forged = list(witness)
        forged[items_by_position("small_script")[position] + 1] = encode_num(bad_digit)
        assert not spend_dropping(W, N, "small_script", forged)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_swapped_signatures_are_rejected(strategy: str) -> None:
    witness = list(key(W, N).sign(VALUE, strategy))
    ix = items_by_position(strategy)
    a, b = ix[1], ix[2]
    witness[a], witness[b] = witness[b], witness[a]
    if strategy == "small_script":
        witness[a + 1], witness[b + 1] = witness[b + 1], witness[a + 1]
    assert not spend_dropping(W, N, strategy, witness)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_signature_of_another_value_or_key_is_rejected(strategy: str) -> None:
    other_value = key(W, N).sign(VALUE ^ 0x100, strategy)
    assert spend_dropping(W, N, strategy, other_value)  # valid for its own value ...
    assert not verify(key(W, N).public_key(), VALUE, other_value)  # ... not for VALUE
    leaf = Script([script(W, N, strategy, "digits"), digit_checker(PARAMS, VALUE)])
    assert not execute_leaf(leaf, list(other_value)).ok
    other_key = WinternitzKey.derive(SECRET, "test/other", PARAMS).sign(VALUE, strategy)
    assert not spend_dropping(W, N, strategy, other_key)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("cut", [1, 2, 3])
def test_truncated_witness_is_rejected(strategy: str, cut: int) -> None:
    witness = list(key(W, N).sign(VALUE, strategy))
    assert not spend_dropping(W, N, strategy, witness[:-cut])
    assert not spend_dropping(W, N, strategy, witness[cut:])


def test_small_witness_sentinel_catches_an_unmatched_signature() -> None:
    """An unmatched digit pushes nothing; a number the caller left on the altstack must not
    stand in for it."""
    caller = (Script([3, OP_TOALTSTACK]), Script([OP_FROMALTSTACK, OP_DROP, OP_1]))
    leaf = Script([caller[0], script(W, N, "small_witness", "drop"), caller[1]])
    witness = list(key(W, N).sign(VALUE, "small_witness"))
    assert execute_leaf(leaf, witness).ok
    for position in (0, 7, 9):
        forged = list(witness)
        forged[items_by_position("small_witness")[position]] = bytes(20)
        assert not execute_leaf(leaf, forged).ok


# --- properties ---------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(w=st.integers(2, 8), value=st.integers(0, 2**32 - 1), strategy=st.sampled_from(STRATEGIES))
def test_property_random_u32_values_verify_and_recover(w: int, value: int, strategy: str) -> None:
    witness = key(w, 32).sign(value, strategy)
    assert recover_value(key(w, 32).public_key(), witness) == value
    params = WinternitzParams(w, 32)
    leaf = Script([script(w, 32, strategy, "digits"), digit_checker(params, value)])
    assert execute_leaf(leaf, list(witness)).ok


@settings(max_examples=15, deadline=None)
@given(value=st.integers(0, 2**32 - 1), data=st.data())
def test_property_any_tampered_item_is_rejected(value: int, data) -> None:
    strategy = data.draw(st.sampled_from(STRATEGIES))
    witness = list(key(W, N).sign(value, strategy))
    i = data.draw(st.integers(0, len(witness) - 1))
    if strategy == "small_script" and i % 2 == 1:  # a digit: any other number
        digit = int.from_bytes(witness[i], "little")
        witness[i] = encode_num(data.draw(st.integers(-3, 300).filter(lambda v: v != digit)))
    else:  # a signature: any other bytes
        witness[i] = data.draw(st.binary(min_size=0, max_size=24).filter(lambda b: b != witness[i]))
    assert not spend_dropping(W, N, strategy, witness)
    assert recover_value(key(W, N).public_key(), witness) is None


# --- keys, parameters, encodings -----------------------------------------------------


def test_keys_are_deterministic_and_path_separated() -> None:
    params = WinternitzParams(4, 32)
    a = WinternitzKey.derive(SECRET, "graph/a", params).public_key()
    assert a == WinternitzKey.derive(SECRET, "graph/a", params).public_key()
    b = WinternitzKey.derive(SECRET, "graph/b", params).public_key()
    assert not set(a.chain_ends) & set(b.chain_ends)
    c = WinternitzKey.derive(SECRET, "graph/a", WinternitzParams(4, 64)).public_key()
    assert not set(a.chain_ends) & set(c.chain_ends)
    assert len(set(a.chain_ends)) == params.total_digits


def test_public_key_json_round_trip_and_errors() -> None:
    pk = key(4, 32).public_key()
    assert WinternitzPublicKey.from_json(pk.to_json()) == pk
    assert "secret" not in str(pk.to_json()) and SECRET.hex() not in str(pk.to_json())
    bad = pk.to_json() | {"chain_ends": pk.to_json()["chain_ends"][:-1]}
    with pytest.raises(InputError, match="chain ends"):
        WinternitzPublicKey.from_json(bad)
    with pytest.raises(InputError, match="format"):
        WinternitzPublicKey.from_json({"format": "x"})
    with pytest.raises(InputError, match="hex"):
        WinternitzPublicKey.from_json(pk.to_json() | {"chain_ends": ["zz"] * 10})


def test_secret_is_not_in_repr() -> None:
    assert SECRET.hex() not in repr(key(4, 32))
    assert "chain_starts" not in repr(key(4, 32))


@pytest.mark.parametrize(
    "w,n,m,c",
    [
        (4, 32, 8, 2),
        (4, 256, 64, 3),
        (4, 160, 40, 3),
        (8, 32, 4, 2),
        (2, 8, 4, 2),
        (3, 8, 3, 2),
        (8, 256, 32, 2),
        (5, 32, 7, 2),
        (7, 256, 37, 2),
        (6, 8, 2, 2),
    ],
)
def test_digit_counts(w: int, n: int, m: int, c: int) -> None:
    params = WinternitzParams(w, n)
    assert (params.message_digits, params.checksum_digits) == (m, c)
    assert params.checksum_max < params.base**c  # the checksum always fits
    assert params.checksum_max >= params.base ** (c - 1)  # and needs every digit


def test_digits_round_trip_and_checksum() -> None:
    params = WinternitzParams(4, 32)
    digits = params.digits(0x89ABCDEF)
    assert digits[:8] == (0xF, 0xE, 0xD, 0xC, 0xB, 0xA, 9, 8)
    assert digits[8] + 16 * digits[9] == sum(15 - d for d in digits[:8])
    assert params.witness_positions() == (7, 6, 5, 4, 3, 2, 1, 0, 9, 8)


@pytest.mark.parametrize(
    "args,match",
    [((1, 32), "digit_bits"), ((9, 32), "digit_bits"), ((4, 0), "message_bits"), ((4, "32"), "integer")],
)
def test_bad_parameters_are_refused(args, match: str) -> None:
    with pytest.raises(InputError, match=match):
        WinternitzParams(*args)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InputError, match="fit"):
        key(4, 32).sign(2**32)
    with pytest.raises(InputError, match="strategy"):
        key(4, 32).sign(1, "fastest")
    with pytest.raises(InputError, match="keep"):
        verifier_script(key(4, 32).public_key(), keep="value")
    with pytest.raises(InputError, match="secret"):
        WinternitzKey.derive(b"short", "p", PARAMS)
    with pytest.raises(InputError, match="path"):
        WinternitzKey.derive(SECRET, "has space", PARAMS)
    assert witness_digits(key(4, 32).public_key(), [b"\x00"] * 3) is None

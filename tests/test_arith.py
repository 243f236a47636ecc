"""u32 arithmetic on 4-bit limbs: every operation's script, run by Bitcoin Core's
interpreter (libbitcoinkernel) in a real taproot spend, against its Python twin.

Each case puts the inputs' limbs in the witness, runs the operation's script,
checks every output limb with ``<expected> OP_EQUALVERIFY`` and ends with
``OP_TRUE``; the same script with one output limb changed must be rejected.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taptrees.arith import (
    NUM,
    Add,
    And,
    BitOf,
    Bits,
    Const,
    Eq,
    FromBit,
    FromNum,
    Hi,
    Join,
    Lo,
    LowMask,
    Lts,
    Ltu,
    MulEq,
    MulS,
    MulU,
    Not,
    NumConst,
    NumLookup,
    Or,
    Rotl,
    Rotr,
    Sar,
    SarVar,
    Select,
    Shl,
    ShlNum,
    ShlVar,
    Shr,
    ShrVar,
    SignExt,
    Step,
    Sub,
    ToNum,
    Var,
    Word,
    Xor,
    ZeroExt,
    from_limbs,
    limb_witness,
    product_carries,
    to_limbs,
    to_limbs_stack,
)
from taptrees.arith.peak import static_peak
from taptrees.arith.tables import TABLES
from taptrees.errors import InputError
from taptrees.interp import run_tapscript
from taptrees.opcodes import OP_EQUALVERIFY, OP_TRUE
from taptrees.script import Script, encode_num
from taptrees.verify import execute_leaf

EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
a, b, s = Word("a"), Word("b"), Word("s")
n = Var("n", NUM)

#: name -> step; every operation of the package appears here.
STEPS: dict[str, Step] = {
    "add": Step((a, b), (Add(a, b),)),
    "sub": Step((a, b), (Sub(a, b),)),
    "xor": Step((a, b), (Xor(a, b),)),
    "and": Step((a, b), (And(a, b),)),
    "or": Step((a, b), (Or(a, b),)),
    "not": Step((a,), (Not(a),)),
    "eq": Step((a, b), (Eq(a, b),)),
    "ltu": Step((a, b), (Ltu(a, b),)),
    "lts": Step((a, b), (Lts(a, b),)),
    "select": Step((s, a, b), (Select(BitOf(s, 0), a, b),)),
    "select_bits": Step((a, b), (Select(Ltu(a, b), Eq(a, b), Lts(a, b)),)),
    "bits_logic": Step((a, b), (And(Ltu(a, b), Not(Eq(a, b))), Or(BitOf(a, 31), Xor(BitOf(a, 0), BitOf(b, 0))))),
    "bit_of": Step((a,), tuple(BitOf(a, k) for k in (0, 5, 17, 31))),
    "from_bit": Step((a, b), (FromBit(Lts(a, b)),)),
    "sign_ext_8": Step((a,), (SignExt(a, 8),)),
    "sign_ext_16": Step((a,), (SignExt(a, 16),)),
    "zero_ext_8": Step((a,), (ZeroExt(a, 8),)),
    "zero_ext_16": Step((a,), (ZeroExt(a, 16),)),
    "shl_var": Step((a, s), (ShlVar(a, s),)),
    "shr_var": Step((a, s), (ShrVar(a, s),)),
    "sar_var": Step((a, s), (SarVar(a, s),)),
    "mul_u": Step((a, b), (Hi(MulU(a, b)), Lo(MulU(a, b)))),
    "mul_s": Step((a, b), (MulS(a, b),)),
    "to_num": Step((a,), (ToNum(a, 7), ToNum(a, 1), ToNum(a, 3))),
    "from_num": Step((n,), (FromNum(n, 7),)),
    "from_num_2": Step((n,), (FromNum(n, 2),)),
    "with_constants": Step((a,), (Xor(And(a, Const(0x0F0F00FF)), Const(0xF0000001)), Add(a, Const(0x12345678)))),
    # every limb mask with each of and / or / xor (contiguous masks take the split path)
    "masks": Step((a,), tuple(op(a, Const(c)) for op in (And, Or, Xor) for c in (0x76543210, 0xFEDCBA98))),
    "bits": Step(
        (a,),
        (Bits(a, 0, 5), Bits(a, 21, 5), Bits(a, 11, 5), Bits(a, 3, 9), Bits(a, 28, 4), Bits(a, 6, 20), Bits(a, 16, 1)),
    ),
    "num_ops": Step(
        (a, b),
        (
            Eq(Bits(a, 16, 5), Bits(b, 16, 5)),
            Select(Ltu(a, b), Bits(a, 2, 8), ShlNum(Bits(b, 0, 5), 3)),
            Eq(ShlNum(Bits(a, 21, 5), 2), NumConst(0)),
        ),
    ),
    "lookup": Step(
        (a,),
        (
            NumLookup(Bits(a, 0, 4), ((0, 7), (1, 0), (15, 3), (9, 7)), 7),
            NumLookup(ToNum(a, 3), ((4001, 1), (0xFFF, 2), (0, 3))),
        ),
    ),
    "low_mask": Step((a,), (LowMask(Bits(a, 0, 5)), LowMask(Bits(a, 5, 5), 1), LowMask(Bits(a, 10, 6), -3))),
    "folded_bits": Step(
        (a, b),
        (
            Select(Eq(Const(3), Const(3)), a, b),
            Select(Ltu(a, b), Const(1), Const(0)),
            Select(Ltu(a, b), Const(0), Const(0x10)),
            And(Eq(a, a), Ltu(a, b)),
            Or(Eq(Const(1), Const(2)), Not(Eq(b, b))),
        ),
    ),
    "same_operand": Step((a,), (Add(a, a), Xor(a, a), Sub(a, a), MulU(a, a))),
}
#: Constant shifts and rotates: every amount is covered by these steps together.
for k in range(32):
    STEPS[f"shifts_{k}"] = Step((a,), (Shl(a, k), Shr(a, k), Sar(a, k), Rotl(a, k), Rotr(a, k)))

words = st.one_of(st.sampled_from(EDGES), st.integers(0, 2**32 - 1))
shift_amounts = st.one_of(st.integers(0, 70), words)
#: Largest script number (exclusive) each NUM-input step accepts.
NUM_LIMIT = {"from_num": 2**28, "from_num_2": 2**8}


def _values(step: Step, draw_word, draw_shift, draw_num) -> dict[str, int]:
    out = {}
    for v in step.inputs:
        out[v.name] = draw_num(v.name) if v.kind == NUM else (draw_shift() if v.name == "s" else draw_word())
    return out


def check_case(step: Step, script: Script, values: dict[str, int], flip: int) -> None:
    """The kernel accepts the Python twin's outputs and rejects a changed one."""
    expected = step.output_stack(step.evaluate(values))
    witness = step.witness(values)

    def checked(items: list[int]) -> Script:
        return Script([script, [[x, OP_EQUALVERIFY] for x in reversed(items)], OP_TRUE])

    assert execute_leaf(checked(expected), witness).ok, (values, expected)
    wrong = list(expected)
    i = flip % len(wrong)
    wrong[i] = (wrong[i] + 1 + flip % 3) % 16 if 0 <= wrong[i] < 16 else wrong[i] + 1
    assert not execute_leaf(checked(wrong), witness).ok, (values, wrong)


def edge_cases(name: str, step: Step) -> list[dict[str, int]]:
    names = [v.name for v in step.inputs]
    if name in NUM_LIMIT:
        limit = NUM_LIMIT[name]
        pools = [(0, 1, 15, 16, limit // 2, limit - 1)]
    else:
        pools = [EDGES + ((31, 32, 33) if name == "s" else ()) for name in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*pools)]


@pytest.mark.parametrize("name", sorted(STEPS))
def test_edges_through_kernel(name: str) -> None:
    step = STEPS[name]
    script = step.script()
    for i, values in enumerate(edge_cases(name, step)):
        check_case(step, script, values, flip=i)


@pytest.mark.parametrize("name", [k for k in sorted(STEPS) if not k.startswith("shifts_")])
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_random_through_kernel(name: str, data: st.DataObject) -> None:
    step = STEPS[name]
    script = step.script()
    for i in range(6):
        values = _values(
            step,
            lambda: data.draw(words),
            lambda: data.draw(shift_amounts),
            lambda _var: data.draw(st.integers(0, NUM_LIMIT[name] - 1)),
        )
        check_case(step, script, values, flip=i)


@settings(max_examples=4, deadline=None)
@given(xs=st.lists(words, min_size=4, max_size=4))
def test_random_constant_shifts_through_kernel(xs: list[int]) -> None:
    for k in (1, 3, 6, 13, 22, 31):
        step = STEPS[f"shifts_{k}"]
        script = step.script()
        for i, x in enumerate(xs):
            check_case(step, script, {"a": x}, flip=i + k)


def test_from_num_out_of_range_fails_in_script_and_twin() -> None:
    step = STEPS["from_num_2"]
    script = step.script()
    for bad in (256, 1000, -1, 2**28):
        with pytest.raises(InputError):
            step.evaluate({"n": bad})
        # whatever limbs are then checked, the script has already failed
        witness = [encode_num(bad)]
        for guess in ([0, 0] + [0] * 6, to_limbs_stack(bad & 0xFF)):
            tail = [[x, OP_EQUALVERIFY] for x in reversed(list(guess) + [0] * (8 - len(guess)))]
            assert not execute_leaf(Script([script, tail, OP_TRUE]), witness).ok


def test_composed_step_shares_tables_and_values() -> None:
    """A MIPS-flavoured step: several operations, one copy of each table."""
    c = Word("c")
    shifted = Shl(a, 3)
    step = Step(
        (a, b, c),
        (
            Select(Lts(a, b), Add(shifted, c), Xor(shifted, b)),
            Or(And(a, b), Rotr(c, 7)),
            Lo(MulU(b, c)),
        ),
    )
    compiled = step.compiled
    assert compiled.tables == ("odd_bits", "quarter_squares", "shr1", "shr3")
    script = step.script()
    for name in compiled.tables:  # each table's pushes occur once in the script
        assert script.raw.count(Script(TABLES[name].push_items()).raw) == 1
    for i, values in enumerate(
        [{"a": x, "b": y, "c": z} for x, y, z in itertools.product(EDGES, EDGES, (0, 0xDEADBEEF))]
    ):
        check_case(step, script, values, flip=i)


@pytest.mark.parametrize("name", ["add", "xor", "mul_s", "shl_var", "sar_var", "from_num"])
def test_static_peak_matches_interpreter(name: str) -> None:
    """The analytic peak equals the peak measured by the tapscript interpreter."""
    step = STEPS[name]
    values = {v.name: (12345 if v.kind == NUM else 0x89ABCDEF) for v in step.inputs}
    script = step.script()
    result = run_tapscript(script, step.witness(values))
    assert result.ok is False  # outputs are left on the stack: not a clean stack
    assert static_peak(script, step.input_count).peak == result.peak_stack < 1000
    assert [int.from_bytes(x, "little") for x in result.final_stack] == step.output_stack(step.evaluate(values))


def test_limb_helpers_round_trip() -> None:
    for x in EDGES + (0x12345678,):
        assert from_limbs(to_limbs(x)) == x
        assert to_limbs_stack(x)[-1] == x & 15
        assert len(limb_witness(x)) == 8
    with pytest.raises(InputError):
        to_limbs(2**32)
    with pytest.raises(InputError):
        from_limbs([16])


@pytest.mark.parametrize(
    "build",
    [
        lambda: Shl(a, 32),
        lambda: Rotr(a, -1),
        lambda: Add(a, Eq(a, b)),
        lambda: Select(a, a, b),
        lambda: SignExt(a, 12),
        lambda: ToNum(a, 8),
        lambda: FromNum(a, 2),
        lambda: Const(2**32),
        lambda: Step((a, a), (Add(a, a),)),
        lambda: Step((a,), (Add(a, b),)).script(),
        lambda: STEPS["add"].evaluate({"a": 1}),
        lambda: STEPS["add"].evaluate({"a": 1, "b": -1}),
    ],
)
def test_bad_input_is_named(build) -> None:
    with pytest.raises(InputError):
        build()


@settings(max_examples=10, deadline=None)
@given(st.lists(words, min_size=2, max_size=2), st.integers(0, 63))
def test_product_check_with_carries_through_kernel(xs: list[int], flip: int) -> None:
    """MulEq accepts the right product (whole, and low word) with the honest carries and
    refuses a product with one bit flipped, whatever carries come with it (its own
    floor-division carries, or the right product's); the kernel agrees with the twin."""
    x, y = xs
    c = [Var(f"c{k}", NUM) for k in range(14)]
    hi, lo = Word("hi"), Word("lo")
    steps = {
        True: Step((a, b, lo, hi, *c), (MulEq(a, b, Join(lo, hi), tuple(c)),)),
        False: Step((a, b, lo, *c[:8]), (MulEq(a, b, lo, tuple(c[:8])),)),
    }
    addend = Word("r")
    plus = Step((a, b, lo, hi, addend, *c), (MulEq(a, b, Join(lo, hi), tuple(c), addend),))
    total = x * y + (flip << 26)
    good = product_carries(x, y, total, True, flip << 26)
    values = {
        "a": x,
        "b": y,
        "lo": total & 0xFFFFFFFF,
        "hi": total >> 32,
        "r": flip << 26,
        **{f"c{k}": v for k, v in enumerate(good)},
    }
    assert plus.evaluate(values) == (1,)
    check_case(plus, plus.script(), values, flip)
    assert plus.evaluate({**values, "r": (flip << 26) ^ 1}) == (0,)
    for full, step in steps.items():
        right = x * y if full else (x * y) & 0xFFFFFFFF
        wrong = right ^ (1 << (flip % (64 if full else 32)))
        for product, carries, expect in (
            (right, product_carries(x, y, right, full), 1),
            (wrong, product_carries(x, y, wrong, full), 0),
            (wrong, product_carries(x, y, right, full), 0),
        ):
            values = {
                "a": x,
                "b": y,
                "lo": product & 0xFFFFFFFF,
                "hi": product >> 32,
                **{f"c{k}": v for k, v in enumerate(carries)},
            }
            if not full:
                del values["hi"]
            assert step.evaluate(values) == (expect,)
            check_case(step, step.script(), values, flip)

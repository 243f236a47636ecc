"""Disprove leaves: Bitcoin Script re-runs one step of the claimed computation.

A program step (:class:`ocp.program.Step`) becomes a ``taptrees.arith``
expression, so its script and its Python semantics come from one description.
The leaf for step ``i``:

1. the committee's n-of-n (signatures with SIGHASH_SINGLE: the burn output is
   fixed by them, the challenger adds its reward);
2. verify the committed output ``x[i+1]`` (Winternitz, keep its 4-bit digits),
   park its limbs on the altstack;
3. verify the committed input ``x[i]`` the same way (for step 0 the input is the
   public program input, a constant in the script);
4. bring ``x[i+1]`` back, compute ``step_i(x[i]) == x[i+1]`` on limbs, ``OP_NOT``:
   the leaf succeeds only if the committed output is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocp.errors import UserError
from ocp.leaves import committee_verify
from ocp.ots import ValueKeys, value_verifier
from ocp.program import Program, Step
from taptrees.arith import Add, And, Const, Eq, Expr, Not, Or, Rotl, Rotr, Shl, Shr, Sub, Word, Xor
from taptrees.arith.limbs import WORD_LIMBS
from taptrees.arith.step import Step as ArithStep
from taptrees.opcodes import OP_FROMALTSTACK, OP_NOT, OP_TOALTSTACK
from taptrees.script import Script


def step_expr(step: Step, x: Expr) -> Expr:
    """The u32 expression of one program step applied to ``x``."""
    k = step.operand
    match step.op:
        case "add":
            return Add(x, Const(k))
        case "sub":
            return Sub(x, Const(k))
        case "xor":
            return Xor(x, Const(k))
        case "and":
            return And(x, Const(k))
        case "or":
            return Or(x, Const(k))
        case "not":
            return Not(x)
        case "shl":
            return Shl(x, k)
        case "shr":
            return Shr(x, k)
        case "rotr":
            return Rotr(x, k)
        case "rotl":
            return Rotl(x, k)
    raise UserError(f"no script form for step {step}")  # pragma: no cover


def mismatch_check(program: Program, i: int) -> ArithStep:
    """``step_i(x) == y`` on limbs: inputs x (deepest) and y, or y alone for step 0."""
    y = Word("y")
    if i == 0:
        return ArithStep(inputs=(y,), outputs=(Eq(step_expr(program.steps[0], Const(program.initial)), y),))
    x = Word("x")
    return ArithStep(inputs=(x, y), outputs=(Eq(step_expr(program.steps[i], x), y),))


def disprove_leaf(committee: Sequence[bytes], keys: ValueKeys, program: Program, i: int) -> Script:
    """Leaf that spends only if committed ``x[i+1]`` is not ``step_i(x[i])``."""
    if not 0 <= i < program.n_steps:
        raise UserError(f"step {i} out of range")
    check = mismatch_check(program, i)
    parts: list = [committee_verify(committee), value_verifier(keys, i, keep="digits")]
    if i > 0:
        parts += [[OP_TOALTSTACK] * WORD_LIMBS, value_verifier(keys, i - 1, keep="digits")]
        parts += [[OP_FROMALTSTACK] * WORD_LIMBS]
    parts += [check.script(), OP_NOT]
    return Script(parts)

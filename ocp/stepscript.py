"""Disprove leaves: Bitcoin Script re-runs one step of the claimed computation.

A program step (:class:`ocp.program.Step`) becomes a ``taptrees.arith``
expression, so its script and its Python semantics come from one description.
The leaf for step ``i``:

1. the committee's n-of-n (signatures with SIGHASH_SINGLE: the burn output is
   fixed by them, the challenger adds its reward);
2. :class:`taptrees.arith.disprove.Disprove`: verify the committed output
   ``x[i+1]`` and input ``x[i]`` (Winternitz, keeping their 4-bit digits; for
   step 0 the input is the public program input, a constant in the script),
   recompute the step on limbs and leave 1 only if the committed output is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocp.errors import UserError
from ocp.leaves import committee_verify
from ocp.ots import STRATEGY, ValueKeys
from ocp.program import Program, Step
from taptrees.arith import Add, And, Const, Expr, Not, Or, Rotl, Rotr, Shl, Shr, Sub, Word, Xor
from taptrees.arith.disprove import Disprove
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


def step_disprove(program: Program, i: int) -> Disprove:
    """Step ``i`` as a disprove claim: committed ``y = x[i+1]`` must equal
    ``step_i(x)`` with ``x = x[i]`` committed, or the program input for step 0."""
    y = Word("y")
    if i == 0:
        return Disprove(inputs=(), claims=((y, step_expr(program.steps[0], Const(program.initial))),))
    x = Word("x")
    return Disprove(inputs=(x,), claims=((y, step_expr(program.steps[i], x)),))


def disprove_leaf(committee: Sequence[bytes], keys: ValueKeys, program: Program, i: int) -> Script:
    """Leaf that spends only if committed ``x[i+1]`` is not ``step_i(x[i])``.

    Witness (bottom first): ``W(x[i])`` (i > 0), ``W(x[i+1])``, the committee's
    signatures (see :mod:`ocp.witness`)."""
    if not 0 <= i < program.n_steps:
        raise UserError(f"step {i} out of range")
    value_keys = {"y": keys.pubkeys[i]}
    if i > 0:
        value_keys["x"] = keys.pubkeys[i - 1]
    check = step_disprove(program, i).script(value_keys, strategy=STRATEGY)
    return Script([committee_verify(committee), check])

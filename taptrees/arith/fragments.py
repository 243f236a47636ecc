"""Limb-level script fragments: the instructions the arithmetic compiler schedules.

A :class:`Fragment` consumes ``n_in`` limbs from the top of the stack (the first
operand deepest) and leaves ``n_out`` results (the first result deepest).  Its
body is a function of the table depths: ``depth[name]`` is the number of stack
items above entry 0 of table ``name`` when the fragment starts, its operands
included.  Fragments never touch anything below their operands except to read
tables with ``OP_PICK``.

Every bit produced here is 0 or 1 as a minimal script number, as tapscript's
MINIMALIF rule requires of ``OP_IF``/``OP_NOTIF`` arguments (BIP342).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from taptrees.arith.limbs import LIMB_BASE, LIMB_BITS
from taptrees.opcodes import (
    OP_0,
    OP_2DUP,
    OP_ABS,
    OP_ADD,
    OP_BOOLAND,
    OP_BOOLOR,
    OP_DROP,
    OP_DUP,
    OP_ELSE,
    OP_ENDIF,
    OP_FROMALTSTACK,
    OP_GREATERTHAN,
    OP_IF,
    OP_LESSTHAN,
    OP_NOT,
    OP_NOTIF,
    OP_NUMEQUAL,
    OP_NUMNOTEQUAL,
    OP_OVER,
    OP_PICK,
    OP_ROT,
    OP_SUB,
    OP_SWAP,
    OP_TOALTSTACK,
    OP_TUCK,
    OP_VERIFY,
    OP_WITHIN,
)

Depths = Mapping[str, int]


@dataclass(frozen=True)
class Fragment:
    """A script fragment with a fixed stack effect (``n_in`` -> ``n_out`` limbs)."""

    name: str
    n_in: int
    n_out: int
    body: Callable[[Depths], list]
    tables: tuple[str, ...] = ()
    commutative: bool = False

    def emit(self, depths: Depths) -> list:
        return self.body(depths)


def _fixed(name: str, n_in: int, n_out: int, items: list, commutative: bool = False) -> Fragment:
    return Fragment(name, n_in, n_out, lambda _depths: list(items), commutative=commutative)


def lookup(offset: int) -> list:
    """Replace the index on top by table entry ``T[index]``; ``offset`` is the number of
    items between the index and ``T[0]`` (after the index is popped by OP_PICK)."""
    return [OP_PICK] if offset == 0 else [offset, OP_ADD, OP_PICK]


def double(times: int) -> list:
    """Multiply the top item by ``2**times`` (``OP_DUP OP_ADD`` each time)."""
    return [OP_DUP, OP_ADD] * times


# --- add and subtract with carry -----------------------------------------------------

#: a + b -> (sum mod 16, carry)
ADD_CARRY_2 = _fixed(
    "add_carry_2",
    2,
    2,
    [OP_ADD, OP_DUP, 16, OP_LESSTHAN, OP_IF, OP_0, OP_ELSE, 16, OP_SUB, 1, OP_ENDIF],
    commutative=True,
)
#: a + b + carry -> (sum mod 16, carry)
ADD_CARRY_3 = _fixed(
    "add_carry_3",
    3,
    2,
    [OP_ADD, OP_ADD, OP_DUP, 16, OP_LESSTHAN, OP_IF, OP_0, OP_ELSE, 16, OP_SUB, 1, OP_ENDIF],
)
#: a + b + carry -> sum mod 16 (carry out discarded)
ADD_MOD_3 = _fixed("add_mod_3", 3, 1, [OP_ADD, OP_ADD, OP_DUP, 15, OP_GREATERTHAN, OP_IF, 16, OP_SUB, OP_ENDIF])
#: a + b -> sum mod 16
ADD_MOD_2 = _fixed(
    "add_mod_2",
    2,
    1,
    [OP_ADD, OP_DUP, 15, OP_GREATERTHAN, OP_IF, 16, OP_SUB, OP_ENDIF],
    commutative=True,
)
#: a - b -> (difference mod 16, borrow)
SUB_BORROW_2 = _fixed(
    "sub_borrow_2",
    2,
    2,
    [OP_SUB, OP_DUP, OP_0, OP_LESSTHAN, OP_IF, 16, OP_ADD, 1, OP_ELSE, OP_0, OP_ENDIF],
)
#: a - b - borrow -> (difference mod 16, borrow)
SUB_BORROW_3 = _fixed(
    "sub_borrow_3",
    3,
    2,
    [OP_ADD, OP_SUB, OP_DUP, OP_0, OP_LESSTHAN, OP_IF, 16, OP_ADD, 1, OP_ELSE, OP_0, OP_ENDIF],
)
#: a - b - borrow -> difference mod 16
SUB_MOD_3 = _fixed("sub_mod_3", 3, 1, [OP_ADD, OP_SUB, OP_DUP, OP_0, OP_LESSTHAN, OP_IF, 16, OP_ADD, OP_ENDIF])
#: a - b -> difference mod 16
SUB_MOD_2 = _fixed("sub_mod_2", 2, 1, [OP_SUB, OP_DUP, OP_0, OP_LESSTHAN, OP_IF, 16, OP_ADD, OP_ENDIF])
#: a + b (plain script-number addition, for column sums)
PLUS = _fixed("plus", 2, 1, [OP_ADD], commutative=True)
#: a - b (plain script-number subtraction; used where it cannot go below 0)
MINUS = _fixed("minus", 2, 1, [OP_SUB])

# --- comparisons and booleans ---------------------------------------------------------

#: a < b -> borrow (first limb of a comparison chain)
LESS_2 = _fixed("less_2", 2, 1, [OP_LESSTHAN])
#: a < b + borrow -> borrow (next limbs)
LESS_3 = _fixed("less_3", 3, 1, [OP_ADD, OP_LESSTHAN])
#: a == b -> bit
EQUAL = _fixed("equal", 2, 1, [OP_NUMEQUAL], commutative=True)
BOOL_AND = _fixed("bool_and", 2, 1, [OP_BOOLAND], commutative=True)
BOOL_OR = _fixed("bool_or", 2, 1, [OP_BOOLOR], commutative=True)
BOOL_NOT = _fixed("bool_not", 1, 1, [OP_NOT])
BOOL_XOR = _fixed("bool_xor", 2, 1, [OP_NUMNOTEQUAL], commutative=True)
#: x -> x ^ 8 (flips a limb's top bit: signed order becomes unsigned order)
FLIP_TOP = _fixed("flip_top", 1, 1, [OP_DUP, 8, OP_LESSTHAN, OP_IF, 8, OP_ADD, OP_ELSE, 8, OP_SUB, OP_ENDIF])
#: x -> 15 if x >= 8 else 0 (the limb a sign extension fills with)
SIGN_FILL = _fixed("sign_fill", 1, 1, [7, OP_GREATERTHAN, OP_IF, 15, OP_ELSE, OP_0, OP_ENDIF])
#: (a, b, c) -> a if c else b
SELECT = _fixed("select", 3, 1, [OP_NOTIF, OP_SWAP, OP_ENDIF, OP_DROP])
#: x -> 15 - x
NOT_LIMB = _fixed("not_limb", 1, 1, [15, OP_SWAP, OP_SUB])
#: x -> (bit0, bit1, bit2, bit3)
BITS = _fixed(
    "bits",
    1,
    4,
    [
        OP_DUP,
        7,
        OP_GREATERTHAN,
        OP_DUP,
        OP_TOALTSTACK,
        OP_IF,
        8,
        OP_SUB,
        OP_ENDIF,
        OP_DUP,
        3,
        OP_GREATERTHAN,
        OP_DUP,
        OP_TOALTSTACK,
        OP_IF,
        4,
        OP_SUB,
        OP_ENDIF,
        OP_DUP,
        1,
        OP_GREATERTHAN,
        OP_DUP,
        OP_TOALTSTACK,
        OP_IF,
        2,
        OP_SUB,
        OP_ENDIF,
        OP_FROMALTSTACK,
        OP_FROMALTSTACK,
        OP_FROMALTSTACK,
    ],
)


def shl(shift: int) -> Fragment:
    """x -> x * 2**shift."""
    return _fixed(f"shl_{shift}", 1, 1, double(shift))


def shl_add(shift: int) -> Fragment:
    """(x, y) -> x * 2**shift + y."""
    return _fixed(f"shl_add_{shift}", 2, 1, [OP_SWAP, *double(shift), OP_ADD])


# --- table-driven fragments ---------------------------------------------------------


def split(shift: int) -> Fragment:
    """x -> (x >> shift, x & (2**shift - 1)) for a limb, with table ``shr<shift>``."""
    table = f"shr{shift}"

    def body(depths: Depths) -> list:
        # [x] DUP -> index one above the start height: offset = depth
        return [OP_DUP, *lookup(depths[table]), OP_TUCK, *double(shift), OP_SUB]

    return Fragment(f"split_{shift}", 1, 2, body, (table,))


def bitwise(kind: str) -> Fragment:
    """(a, b) -> a AND/OR/XOR b for limbs, with the ``odd_bits`` table f.

    Each limb is split into even-position bits (``f(x)``, bits 1 and 3 moved down)
    and odd-position bits (``x - 2 f(x)``, bits 0 and 2); the halves of a and b are
    added, and for each sum s: AND bits = f(s), XOR bits = s - 2 f(s), OR = s - f(s).
    """
    if kind not in ("and", "or", "xor"):
        raise ValueError(kind)
    t = "odd_bits"

    def body(depths: Depths) -> list:
        d = depths[t]  # items above T[0] at the start, a and b included

        def at(h: int) -> list:  # lookup with the index at local height h (start = 0)
            return lookup(d + h - 1)

        items = [
            OP_SWAP,  # b a
            OP_DUP,
            *at(1),  # b a fa
            OP_DUP,
            OP_DUP,
            OP_ADD,  # b a fa 2fa
            OP_ROT,
            OP_SWAP,
            OP_SUB,  # b fa oa
            OP_ROT,  # fa oa b
            OP_DUP,
            *at(2),  # fa oa b fb
            OP_DUP,
            OP_DUP,
            OP_ADD,  # fa oa b fb 2fb
            OP_ROT,
            OP_SWAP,
            OP_SUB,  # fa oa fb ob
            OP_ROT,
            OP_ADD,  # fa fb so
            OP_ROT,
            OP_ROT,
            OP_ADD,  # so se
        ]
        if kind == "and":
            items += [OP_SWAP, *at(0), OP_SWAP, *at(0), OP_DUP, OP_ADD, OP_ADD]
        elif kind == "xor":
            items += [
                OP_SWAP,
                OP_DUP,
                *at(1),
                OP_DUP,
                OP_ADD,
                OP_SUB,  # se xo
                OP_SWAP,
                OP_DUP,
                *at(1),
                OP_DUP,
                OP_ADD,
                OP_SUB,  # xo xe
                OP_DUP,
                OP_ADD,
                OP_ADD,
            ]
        else:
            items += [
                OP_SWAP,
                OP_DUP,
                *at(1),
                OP_SUB,  # se oo
                OP_SWAP,
                OP_DUP,
                *at(1),
                OP_SUB,  # oo oe
                OP_DUP,
                OP_ADD,
                OP_ADD,
            ]
        return items

    return Fragment(f"bitwise_{kind}", 2, 1, body, (t,), commutative=True)


def limb_product() -> Fragment:
    """(a, b) -> a * b for limbs: qs[a + b] - qs[|a - b|] with the quarter-squares table."""
    t = "quarter_squares"

    def body(depths: Depths) -> list:
        d = depths[t]  # items above T[0] at the start, a and b included
        return [
            OP_2DUP,
            OP_ADD,
            *lookup(d),  # a b qs(a+b): the index sat one above the start
            OP_ROT,
            OP_ROT,
            OP_SUB,
            OP_ABS,
            *lookup(d - 1),  # qs(a+b) qs(|a-b|)
            OP_SUB,
        ]

    return Fragment("limb_product", 2, 1, body, (t,), commutative=True)


def divmod_limb(quotient_bits: int) -> Fragment:
    """v -> (v >> 4, v & 15) for 0 <= v < 2**(4 + quotient_bits), by compare and subtract."""
    items: list = [OP_0, OP_SWAP]  # q v
    for k in range(LIMB_BITS + quotient_bits - 1, LIMB_BITS - 1, -1):
        items += [
            OP_DUP,
            (1 << k) - 1,
            OP_GREATERTHAN,
            OP_IF,
            1 << k,
            OP_SUB,
            OP_SWAP,
            1 << (k - LIMB_BITS),
            OP_ADD,
            OP_SWAP,
            OP_ENDIF,
        ]
    return _fixed(f"divmod_limb_{quotient_bits}", 1, 2, items)


def num_to_limbs(count: int) -> Fragment:
    """n -> ``count`` limbs (most significant first); fails unless 0 <= n < 16**count."""
    items: list = []
    for j in range(count - 1, 0, -1):
        items.append(OP_0)  # n L
        for b in range(LIMB_BITS - 1, -1, -1):
            t = 1 << (LIMB_BITS * j + b)
            items += [
                OP_OVER,
                t - 1,
                OP_GREATERTHAN,
                OP_IF,
                1 << b,
                OP_ADD,
                OP_SWAP,
                t,
                OP_SUB,
                OP_SWAP,
                OP_ENDIF,
            ]
        items.append(OP_SWAP)  # L n
    items += [OP_DUP, OP_0, LIMB_BASE, OP_WITHIN, OP_VERIFY]
    return _fixed(f"num_to_limbs_{count}", 1, count, items)

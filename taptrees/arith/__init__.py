"""Script arithmetic on committed values: u32 as eight 4-bit limbs (see docs/arith.md)."""

from taptrees.arith.expr import (
    BIT,
    DWORD,
    NUM,
    WORD,
    Add,
    And,
    BitOf,
    Const,
    Eq,
    Expr,
    FromBit,
    FromNum,
    Hi,
    Lo,
    Lts,
    Ltu,
    MulS,
    MulU,
    Not,
    Or,
    Rotl,
    Rotr,
    Sar,
    SarVar,
    Select,
    Shl,
    ShlVar,
    Shr,
    ShrVar,
    SignExt,
    Sub,
    ToNum,
    Var,
    Word,
    Xor,
    ZeroExt,
)
from taptrees.arith.limbs import from_limbs, limb_witness, to_limbs, to_limbs_stack
from taptrees.arith.step import Step

__all__ = [
    "BIT", "DWORD", "NUM", "WORD", "Add", "And", "BitOf", "Const", "Eq", "Expr", "FromBit",
    "FromNum", "Hi", "Lo", "Lts", "Ltu", "MulS", "MulU", "Not", "Or", "Rotl", "Rotr", "Sar",
    "SarVar", "Select", "Shl", "ShlVar", "Shr", "ShrVar", "SignExt", "Step", "Sub", "ToNum",
    "Var", "Word", "Xor", "ZeroExt", "from_limbs", "limb_witness", "to_limbs", "to_limbs_stack",
]

"""Script bytes and peak stack of every u32 limb operation and of disprove leaves.

Usage: .venv/bin/python bench/arith_sizes.py [--json]

Peak stack is measured by running each script in ``taptrees.interp.run_tapscript``
(stack + alt stack, witness included, as BIP342 counts it) and cross-checked with
the static analysis in ``taptrees.arith.peak``.  Every peak must stay below 1,000.
"""

from __future__ import annotations

import argparse
import json
import sys

from taptrees.arith import (
    NUM,
    Add,
    And,
    BitOf,
    Eq,
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
    Step,
    Sub,
    ToNum,
    Var,
    Word,
    Xor,
    ZeroExt,
)
from taptrees.arith.disprove import Disprove
from taptrees.arith.peak import static_peak
from taptrees.interp import run_tapscript
from taptrees.ots.winternitz import WinternitzKey, WinternitzParams

STACK_LIMIT = 1000
a, b, s, out, hi, lo = (Word(x) for x in ("a", "b", "s", "out", "hi", "lo"))
n = Var("n", NUM)

OPERATIONS: dict[str, Step] = {
    "add": Step((a, b), (Add(a, b),)),
    "sub": Step((a, b), (Sub(a, b),)),
    "xor": Step((a, b), (Xor(a, b),)),
    "and": Step((a, b), (And(a, b),)),
    "or": Step((a, b), (Or(a, b),)),
    "not": Step((a,), (Not(a),)),
    "shl 1": Step((a,), (Shl(a, 1),)),
    "shl 4": Step((a,), (Shl(a, 4),)),
    "shr 7": Step((a,), (Shr(a, 7),)),
    "sar 13": Step((a,), (Sar(a, 13),)),
    "rotl 3": Step((a,), (Rotl(a, 3),)),
    "rotr 16": Step((a,), (Rotr(a, 16),)),
    "shl by s": Step((a, s), (ShlVar(a, s),)),
    "shr by s": Step((a, s), (ShrVar(a, s),)),
    "sar by s": Step((a, s), (SarVar(a, s),)),
    "eq": Step((a, b), (Eq(a, b),)),
    "ltu": Step((a, b), (Ltu(a, b),)),
    "lts": Step((a, b), (Lts(a, b),)),
    "select": Step((s, a, b), (Select(BitOf(s, 0), a, b),)),
    "sign_ext 8": Step((a,), (SignExt(a, 8),)),
    "sign_ext 16": Step((a,), (SignExt(a, 16),)),
    "zero_ext 8": Step((a,), (ZeroExt(a, 8),)),
    "mul_u 32x32->64": Step((a, b), (MulU(a, b),)),
    "mul_s 32x32->64": Step((a, b), (MulS(a, b),)),
    "to_num 7 limbs": Step((a,), (ToNum(a, 7),)),
    "from_num 7 limbs": Step((n,), (FromNum(n, 7),)),
}

PRODUCT = MulU(a, b)
DISPROVES: dict[str, Disprove] = {
    "addu": Disprove((a, b), ((out, Add(a, b)),)),
    "subu": Disprove((a, b), ((out, Sub(a, b)),)),
    "xor": Disprove((a, b), ((out, Xor(a, b)),)),
    "slt": Disprove((a, b), ((out, FromBit(Lts(a, b))),)),
    "sllv": Disprove((a, b), ((out, ShlVar(a, b)),)),
    "multu (hi, lo)": Disprove((a, b), ((hi, Hi(PRODUCT)), (lo, Lo(PRODUCT)))),
}


def measure_operation(step: Step) -> dict:
    values = {v.name: (0x0123456 if v.kind == NUM else 0xDEADBEEF) for v in step.inputs}
    script = step.script()
    result = run_tapscript(script, step.witness(values))
    return {
        "bytes": script.size,
        "peak_stack": result.peak_stack,
        "static_peak": static_peak(script, step.input_count).peak,
        "tables": list(step.compiled.tables),
    }


def measure_disprove(leaf: Disprove) -> dict:
    params = WinternitzParams(digit_bits=4, message_bits=32)
    keys = {v.name: WinternitzKey.derive(b"\x07" * 32, f"bench/{v.name}", params) for v in leaf.committed}
    script = leaf.script({k: key.public_key() for k, key in keys.items()})
    values = {"a": 0xDEADBEEF, "b": 0x1234567}
    values |= {k: (v + 1) & 0xFFFFFFFF for k, v in leaf.correct_outputs(values).items()}
    witness = leaf.witness({k: keys[k].sign(v) for k, v in values.items()})
    result = run_tapscript(script, witness)
    if not result.ok:
        raise SystemExit(f"disprove leaf did not accept a wrong output: {result.describe()}")
    arith = leaf.mismatch.script()
    return {
        "bytes": script.size,
        "arith_bytes": arith.size,
        "witness_items": len(witness),
        "witness_bytes": sum(len(w) for w in witness),
        "peak_stack": result.peak_stack,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    ops = {name: measure_operation(step) for name, step in OPERATIONS.items()}
    leaves = {name: measure_disprove(leaf) for name, leaf in DISPROVES.items()}
    worst = max(r["peak_stack"] for r in [*ops.values(), *leaves.values()])
    if args.json:
        print(json.dumps({"operations": ops, "disprove_leaves": leaves}, indent=2))
    else:
        print(f"{'operation':20s} {'bytes':>6s} {'peak':>5s} {'static':>6s}  tables")
        for name, r in ops.items():
            print(
                f"{name:20s} {r['bytes']:6d} {r['peak_stack']:5d} {r['static_peak']:6d}  "
                f"{', '.join(r['tables']) or '-'}"
            )
        print()
        print(f"{'disprove leaf':20s} {'bytes':>6s} {'arith':>6s} {'wit.items':>9s} {'wit.bytes':>9s} {'peak':>5s}")
        for name, r in leaves.items():
            print(
                f"{name:20s} {r['bytes']:6d} {r['arith_bytes']:6d} {r['witness_items']:9d} "
                f"{r['witness_bytes']:9d} {r['peak_stack']:5d}"
            )
    if worst >= STACK_LIMIT:
        print(f"peak stack {worst} reaches the {STACK_LIMIT}-item limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

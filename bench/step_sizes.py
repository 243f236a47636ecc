"""Sizes of the dispute's final leaves and of BLAKE3 in Script, against BitVM/BitVMX.

Usage: .venv/bin/python bench/step_sizes.py [--elf GUEST.elf] [--json]

For each leaf kind: script bytes (one-time-key prefix + keyless body, and the
body alone), witness bytes (items with their length prefixes), the weight of a
spend (script + witness + control block, each 1 WU per byte), the largest
witness item and the peak stack measured by running the leaf in
``taptrees.interp.run_tapscript`` on a real witness (stack + altstack, witness
included).  Goals (issue 15): every leaf <= 400,000 WU with its witness,
<= 1,000 stack items, witness items <= 80 bytes; BLAKE3 no larger than BitVM's
(64-byte message on 4-bit limbs: 64,099 B, peak stack 657).  MISSED marks a goal
missed.  BitVMX's per-instruction logic sizes are printed for reference; the
execute leaves are compared with them for the kinds built.  With
``--elf`` the Opcode chunk leaves of that program are built and counted in the
totals per game (the code chunks dominate them).
"""

from __future__ import annotations

import argparse
import json
import random
import sys

from ocp.stepleaves.challenges import (
    CorrectHash,
    EntryPoint,
    EquivocationResign,
    FutureRead,
    Halt,
    HaltBeyondMax,
    ProgramCounter,
    ReadValue,
    StepBeyondN,
    TraceHash,
    TraceHashZero,
)
from ocp.stepleaves.code import code_words, opcode_chunks
from ocp.stepleaves.execute import SEMANTICS, ExecuteLeaf
from ocp.stepleaves.schema import LINK, LINK_FIELDS
from ocp.stepleaves.search import Choice, Translate, reveal_chunks
from taptrees.arith.peak import static_peak
from taptrees.blake3.gadget import Blake3Spec
from taptrees.interp import run_tapscript
from taptrees.ots.winternitz import WinternitzKey
from taptrees.script import encode_num
from taptrees.tx import compact_size

BITVM_BLAKE3 = {"bytes": 64_099, "peak": 657}
BITVMX_LOGIC = {"nop": 315, "addi": 845, "add": 956, "xor": 1_232, "beq": 1_253, "sw": 1_482,
                "srl": 1_628}
BITVMX_MEDIAN = 1_125
BITVMX_WHOLE_LEAF = (8_300, 9_600)
MAX_WU, MAX_STACK, MAX_ITEM = 400_000, 1_000, 80
EXAMPLE_RO = ((0x00010000, 0x00090000), (0x7FFFF000, 0x7FFFF008))
EXAMPLE_CODE = ((0x00011000, 0x00090000), (0x7FFFF000, 0x7FFFF008))
CONTROL_BLOCK = 33 + 32 * 8  # a leaf at depth 8 of a game's tree, for the weight column

SECRET = b"bench/step_sizes: public probe secret"
RNG = random.Random(1)


def _witness_bytes(items: list[bytes]) -> int:
    return len(compact_size(len(items))) + sum(len(compact_size(len(x))) + len(x) for x in items)


def sample_values(leaf) -> dict[str, int]:
    """Values on which the leaf runs to its end (a fault it is for, where it hashes)."""
    v = {x.name: RNG.randrange(1 << x.bits) for x in leaf.layout.values}
    if isinstance(leaf, ProgramCounter):
        v["h_prev"] = LINK.digest(v["c_h_prev"], [v["c_" + f] for f in LINK_FIELDS])
    if isinstance(leaf, (ReadValue, CorrectHash)):
        prev = v["cw_h_prev"] if isinstance(leaf, CorrectHash) else v["w_h_prev"]
        v["w_h"] = LINK.digest(prev, [v["w_" + f] for f in LINK_FIELDS])
    if isinstance(leaf, ReadValue):
        v["step"], v["w_step"] = 900, 700
    for name in ("choice0", "choice1", "choice2"):
        if name in v:
            v[name] %= 32
    return v


def measure_leaf(leaf) -> dict:
    layout = leaf.layout
    keys = {x.name: WinternitzKey.derive(SECRET, x.name, x.params) for x in layout.signed}
    pub = {n: k.public_key() for n, k in keys.items()}
    values = sample_values(leaf)
    witness = leaf.witness({n: k.sign(values[n], layout.strategy) for n, k in keys.items()},
                           {x.name: values[x.name] for x in layout.values if not x.signed})
    script = leaf.script(pub)
    result = run_tapscript(script, witness)
    peak = max(result.peak_stack, static_peak(script, len(witness)).peak)
    wbytes = _witness_bytes(witness)
    return {
        "kind": leaf.kind, "spender": leaf.spender, "script_bytes": script.size,
        "body_bytes": leaf.body().size, "witness_items": len(witness), "witness_bytes": wbytes,
        "weight": script.size + wbytes + CONTROL_BLOCK, "max_item": max(len(x) for x in witness),
        "peak_stack": peak,
    }


def leaves() -> list:
    return [
        TraceHash(), TraceHashZero(RNG.randrange(1 << 160)), ProgramCounter(),
        EntryPoint(0x00401000, 0x00401004), Halt(0x80000220, 0x100, 0xFFFFFFFF),
        HaltBeyondMax(1 << 30), StepBeyondN(), FutureRead(1), ReadValue(1), CorrectHash(),
        EquivocationResign("h_prev", 15, 5 << 10), Choice(1, 32), *reveal_chunks(1, 31, 32)[:2],
        Translate((32,) * 6, (25, 20, 15, 10, 5, 0), 1),
    ]


def blake3_rows() -> list[dict]:
    rows = []
    for label, spec in (
        ("blake3 64 B (BitVM's case)", Blake3Spec.for_message(64)),
        ("blake3 dispute link, 37 B -> 20 B", Blake3Spec.for_message(37, out_words=5, fields=(40, 8, 8, 8, 8, 2))),
    ):
        words = [RNG.randrange(1 << 32) for _ in spec.input_words]
        words[-1] &= (1 << (4 * spec.fields[-1])) - 1
        stack = [encode_num(x) for x in spec.input_stack(words)]
        result = run_tapscript(spec.script(), stack)
        rows.append({"kind": label, "script_bytes": spec.script().size,
                     "peak_stack": max(result.peak_stack, static_peak(spec.script(), len(stack)).peak)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--elf", help="a guest ELF whose Opcode chunk leaves to count")
    args = parser.parse_args(argv)
    rows = [measure_leaf(leaf) for leaf in leaves()]
    b3 = blake3_rows()
    code = None
    if args.elf:
        from ocp.zkvm.elf import load_elf
        from ocp.zkvm.initial import build_initial_state

        chunks = opcode_chunks(code_words(build_initial_state(load_elf(args.elf))))
        sample = measure_leaf(chunks[len(chunks) // 2])
        prefix = sample["script_bytes"] - sample["body_bytes"]
        code = {"chunks": len(chunks), "bytes": sum(prefix + c.body().size for c in chunks),
                "sample": sample}
        rows.append(sample)
    if args.json:
        print(json.dumps({"leaves": rows, "blake3": b3, "bitvm_blake3": BITVM_BLAKE3, "code": code},
                         indent=2))
        return 0
    print("BLAKE3 compression in Script (4-bit limbs)")
    print(f"  {'case':38} {'bytes':>7} {'peak':>5}   vs BitVM 64,099 B / 657")
    for r in b3:
        missed = ""
        if r["kind"].startswith("blake3 64") and (r["script_bytes"] > BITVM_BLAKE3["bytes"]
                                                  or r["peak_stack"] > BITVM_BLAKE3["peak"]):
            missed = "  MISSED"
        ratio = r["script_bytes"] / BITVM_BLAKE3["bytes"]
        print(f"  {r['kind']:38} {r['script_bytes']:>7,} {r['peak_stack']:>5}   {ratio:5.3f}x{missed}")
    print()
    print("Final challenge and search leaves (script = one-time-key prefix + keyless body)")
    head = f"  {'leaf':22} {'who':10} {'script':>7} {'body':>6} {'wit.items':>9} {'wit.B':>6} {'WU':>7} {'item':>4} {'peak':>5}"
    print(head)
    for r in rows:
        missed = []
        if r["weight"] > MAX_WU:
            missed.append("weight")
        if r["peak_stack"] > MAX_STACK:
            missed.append("stack")
        if r["max_item"] > MAX_ITEM:
            missed.append("item")
        tail = f"  MISSED {','.join(missed)}" if missed else ""
        print(f"  {r['kind']:22} {r['spender']:10} {r['script_bytes']:>7,} {r['body_bytes']:>6,} "
              f"{r['witness_items']:>9} {r['witness_bytes']:>6,} {r['weight']:>7,} {r['max_item']:>4} "
              f"{r['peak_stack']:>5}{tail}")
    print()
    print("Execute leaves (one per (opcode, micro) kind): logic = keyless body; whole = with the")
    print(f"one-time-key prefix; against BitVMX's logic and its whole leaf ({BITVMX_WHOLE_LEAF[0]:,}-"
          f"{BITVMX_WHOLE_LEAF[1]:,} B)")
    print(f"  {'BitVMX':7} {'B':>6}   {'ours':12} {'logic':>6} {'whole':>7} {'wit.B':>6} {'peak':>5}")
    for name, ours in (("nop", ("sync", "sll")), ("addi", ("addiu", "addi")), ("add", ("addu", "add")),
                       ("xor", ("xor",)), ("beq", ("beq",)), ("sw", ("sw",)), ("srl", ("srl",))):
        for mn in ours:
            r = measure_leaf(ExecuteLeaf(mn, 0, ro=EXAMPLE_RO, code=EXAMPLE_CODE))
            missed = "  MISSED whole" if r["script_bytes"] > BITVMX_WHOLE_LEAF[1] else ""
            print(f"  {name:7} {BITVMX_LOGIC[name]:>6,}   {mn:12} {r['body_bytes']:>6,} {r['script_bytes']:>7,} "
                  f"{r['witness_bytes']:>6,} {r['peak_stack']:>5}{missed}")
    bodies = sorted(ExecuteLeaf(m, k, ro=EXAMPLE_RO, code=EXAMPLE_CODE).body().size for m, k in SEMANTICS)
    median = bodies[len(bodies) // 2]
    worst = max(measure_leaf(ExecuteLeaf(m, k, ro=EXAMPLE_RO, code=EXAMPLE_CODE))["script_bytes"]
                for m, k in (("divu", 0), ("sb", 0), ("mult", 0), ("invalid", 0)))
    note = "" if median <= BITVMX_MEDIAN else "  MISSED"
    print(f"  median logic over {len(bodies)} kinds: {median:,} B (BitVMX median {BITVMX_MEDIAN:,} B){note}")
    print(f"  largest logic {bodies[-1]:,} B; largest whole leaf among divu/sb/mult/invalid {worst:,} B"
          f"{'  MISSED' if worst > BITVMX_WHOLE_LEAF[1] else ''}")
    print("  kinds without a leaf: div, ext, ins, syscall (76 micro-steps), fault (55 micro-steps)")
    singles = [r for r in rows if r["kind"] != "OpcodeChunk"]
    total = sum(r["script_bytes"] for r in singles)
    print()
    print(f"Per game: {len(singles)} leaves of the kinds above, {total:,} script bytes")
    if code:
        print(f"  + {code['chunks']:,} Opcode chunk leaves ({args.elf}): {code['bytes']:,} script bytes "
              f"(avg {code['bytes'] // code['chunks']:,} B)")
        print(f"  = {len(singles) + code['chunks']:,} leaves, {total + code['bytes']:,} script bytes")
    else:
        print("  (give --elf to count the Opcode chunks, which dominate)")
    print("  not counted: execute leaves (one per kind the program runs), INIT-read leaves (not built:")
    print("  Input/Initialized/Uninitialized/AddressesSections), one EquivocationResign per round slot")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Winternitz verifier sizes, beside BitVM's published figures.

Usage: .venv/bin/python bench/ots_sizes.py [--json]

Prints, for each strategy, digit width 2..8 and message size, the verifier's
script bytes, the largest witness (bytes) and the peak stack measured by running
the verifier in taptrees.interp.  Then compares 4-bit ``small_script`` (keeping
the digits, as BitVM's verifier does) with BitVM's smallest verifier.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from taptrees.ots.sizes import measure, size_table  # noqa: E402

#: BitVM's smallest Winternitz verifier, 4-bit digits, bytes of script.
BITVM_4BIT = {32: 739, 128: 2572, 160: 3156, 256: 4908}
SIZES = (8, 32, 128, 160, 256)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    rows = size_table(message_sizes=SIZES, keep="digits")
    versus = []
    for bits, theirs in BITVM_4BIT.items():
        ours = measure("small_script", 4, bits, keep="digits")
        versus.append((bits, theirs, ours))

    if args.json:
        print(
            json.dumps(
                {
                    "rows": [r.to_json() for r in rows],
                    "bitvm_4bit": [
                        {"message_bits": b, "bitvm": t, "ours": o.script_bytes, "difference": o.script_bytes - t}
                        for b, t, o in versus
                    ],
                },
                indent=2,
            )
        )
        return 0

    print("Winternitz verifiers (keep='digits'): script bytes / witness bytes / peak stack")
    header = f"{'strategy':<14}{'w':>3}" + "".join(f"{'u' + str(n):>20}" for n in SIZES)
    print(header)
    for strategy in ("small_script", "small_witness"):
        for w in range(2, 9):
            cells = []
            for n in SIZES:
                r = next(x for x in rows if (x.strategy, x.digit_bits, x.message_bits) == (strategy, w, n))
                cells.append(f"{r.script_bytes}/{r.witness_bytes}/{r.peak_stack}")
            print(f"{strategy:<14}{w:>3}" + "".join(f"{c:>20}" for c in cells))
    print()
    print("4-bit digits, smallest script, against BitVM's smallest verifier")
    print(f"{'message':>8}{'BitVM':>8}{'ours':>8}{'diff':>8}{'B/bit':>8}{'peak':>6}")
    for bits, theirs, ours in versus:
        diff = ours.script_bytes - theirs
        verdict = "wins" if diff < 0 else "loses" if diff > 0 else "ties"
        print(
            f"{'u' + str(bits):>8}{theirs:>8}{ours.script_bytes:>8}{diff:>+8}"
            f"{ours.script_bytes_per_bit:>8.1f}{ours.peak_stack:>6}  {verdict} by "
            f"{abs(diff)} B ({abs(diff) / theirs:.1%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

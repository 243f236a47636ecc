"""zkVM throughput: Python stepper vs the unicorn engine, and checkpoint cost.

    .venv/bin/python bench/zkvm.py [ELF ...] [--spacing N] [--input FILE]

With no ELF, builds the loop64 and collections test guests (tests/zkvm/guests)
for big-endian MIPS with the system ``go``.  Prints instructions per second
of each engine over a whole run, their ratio, and the cost of one checkpoint
(snapshot + state capture + Merkle root over the pages written since the
previous checkpoint).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocp.zkvm.elf import load_elf  # noqa: E402
from ocp.zkvm.trace import Trace  # noqa: E402


def build_guests(names: list[str], out: Path) -> list[Path]:
    go = shutil.which("go")
    if go is None:
        sys.exit("no ELF given and `go` not found; pass a MIPS ELF path")
    env = {**os.environ, "GOOS": "linux", "GOARCH": "mips", "GOMIPS": "softfloat",
           "CGO_ENABLED": "0", "GO111MODULE": "off"}
    paths = []
    for name in names:
        dst = out / f"{name}.mips"
        subprocess.run([go, "build", "-trimpath", "-o", str(dst), "main.go"],
                       cwd=ROOT / "tests/zkvm/guests" / name, env=env, check=True)
        paths.append(dst)
    return paths


def bench(path: Path, tape: bytes, spacing: int) -> None:
    program = load_elf(path)
    rows = {}
    for engine in ("python", "unicorn"):
        t = Trace(program, tape, spacing=spacing, engine=engine)
        t.run()
        run_s = t.seconds - t.checkpoint_seconds
        rows[engine] = (t.steps / run_s, t.checkpoint_seconds / max(1, len(t.checkpoints) - 1),
                        len(t.checkpoints), t.final.hash.hex())
    (py, cp_py, n, h1), (uc, cp_uc, _n, h2) = rows["python"], rows["unicorn"]
    assert h1 == h2, "engines disagree on the final state"
    t0 = time.perf_counter()
    t = Trace(program, tape, spacing=spacing)
    t.run()
    mid = t.steps // 2
    t0 = time.perf_counter()
    t.state_at(mid)
    replay = time.perf_counter() - t0
    print(f"{path.name}: {t.steps:,} steps, {n} checkpoints (spacing {spacing:,})")
    print(f"  python stepper : {py:12,.0f} instructions/s")
    print(f"  unicorn engine : {uc:12,.0f} instructions/s")
    print(f"  ratio          : {uc / py:12.1f}x")
    print(f"  per checkpoint : {1000 * cp_py:9.1f} ms (python run), {1000 * cp_uc:.1f} ms "
          f"(unicorn run)")
    print(f"  state_at(mid)  : {1000 * replay:9.1f} ms (restore checkpoint + replay)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", nargs="*", type=Path)
    ap.add_argument("--spacing", type=int, default=100_000)
    ap.add_argument("--input", type=Path)
    args = ap.parse_args()
    tape = args.input.read_bytes() if args.input else b""
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.elf or build_guests(["loop64", "collections"], Path(tmp))
        for p in paths:
            bench(p, tape, args.spacing)


if __name__ == "__main__":
    main()

"""Dispute trace: micro-steps/s while hashing the chain, memory and round-answer time.

    .venv/bin/python bench/dispute_trace.py [--steps 300000000] [--speed-steps 20000000]

Builds ``bench/guests/spin`` (a Go guest that chains SHA-256 a given number of times and
checks the result) with Debian's golang-go, then, in the same run:

1. **speed** -- the same guest input run (a) by plain unicorn (QEMU's TCG; syscalls
   through the table, :mod:`ocp.zkvm.unicorn_guest`) and (b) by the fast engine hashing
   the BLAKE3 chain (numba): micro-steps/s and the ratio of the two run times (goal:
   the engine at least half unicorn's speed);
2. **memory** -- a run of about ``--steps`` micro-steps (goal 300 M) in a child process
   with checkpoints every 2**20 steps and a hash every 2**12: peak RSS (goal: under 2 GB), checkpoint bytes;
3. **round answer** -- on that trace, the operator's time to produce each round's
   hashes of a search at n = 32 towards a random step (rounds whose points are multiples
   of 2**12 read stored hashes; later ones replay at most one checkpoint interval).

``--steps`` smaller than 300 M measures that size and extrapolates time and checkpoint
memory linearly to 300 M, saying so.  Numbers depend on the machine's load; the ratio
is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEPS_PER_ITERATION = 10_950  # micro-steps of one spin iteration (measured, mipsle)
GOAL_STEPS = 300_000_000


def build_guest(out: Path) -> Path:
    go = shutil.which("go") or "/usr/bin/go"
    dst = out / "spin.mipsle"
    env = {
        **os.environ,
        "GOOS": "linux",
        "GOARCH": "mipsle",
        "GOMIPS": "softfloat",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-trimpath",
        "GO111MODULE": "off",
    }
    env.setdefault("GOCACHE", str(out / "gocache"))
    subprocess.run([go, "build", "-o", str(dst), "main.go"], cwd=ROOT / "bench/guests/spin", env=env, check=True)
    return dst


def tape(steps: int) -> bytes:
    return str(max(1, steps // STEPS_PER_ITERATION)).encode()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(binary: str, steps: int, seed: int) -> None:
    """The memory and round-answer part, alone in a process (for its peak RSS)."""
    from ocp.zkvm.elf import load_elf
    from ocp.zkvm.fast import FastEngine
    from ocp.zkvm.initial import build_initial_state
    from ocp.zkvm.search import NArySearch
    from ocp.zkvm.trace import ExecutionTrace

    init = build_initial_state(load_elf(binary), tape(steps))
    FastEngine(init).run(1000)  # load the compiled engine before measuring
    base = rss_mb()
    t0 = time.perf_counter()
    trace = ExecutionTrace(init, spacing=1 << 20, max_steps=1 << 40).run()
    run_s = time.perf_counter() - t0
    assert trace.halted and trace.exit_code == 0
    search = NArySearch.covering(trace.steps + 1, 32)
    target = random.Random(seed).randrange(1, trace.steps + 1)
    choices: list[int] = []
    round_s = []
    for _ in range(search.rounds):
        pts = search.reveals(choices)
        t = time.perf_counter()
        trace.hashes_at(list(pts))
        round_s.append(time.perf_counter() - t)
        choices.append(search.choice_for(choices, target))
    t = time.perf_counter()
    trace.record(target)
    record_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "steps": trace.steps,
                "run_s": run_s,
                "peak_rss_mb": rss_mb(),
                "base_rss_mb": base,
                "checkpoints": len(trace.checkpoints),
                "checkpoint_mb": trace.checkpoint_bytes / 2**20,
                "pages": trace._need_run().pages_used,
                "rounds": search.rounds,
                "round_s": round_s,
                "record_s": record_s,
                "max_steps": search.max_steps,
                "target": target,
            }
        )
    )


def speed(binary: str, steps: int) -> dict[str, float]:
    from ocp.zkvm.elf import load_elf
    from ocp.zkvm.fast import FastEngine
    from ocp.zkvm.initial import build_initial_state
    from ocp.zkvm.unicorn_guest import UnicornGuest

    init = build_initial_state(load_elf(binary), tape(steps))
    FastEngine(init).run(1000)  # compiled engine loaded
    t = time.perf_counter()
    guest = UnicornGuest(init)
    guest.run()
    uc_s = time.perf_counter() - t
    t = time.perf_counter()
    eng = FastEngine(init)
    eng.run(1 << 40)
    eng_s = time.perf_counter() - t
    t = time.perf_counter()
    plain = FastEngine(init)
    plain.run(1 << 40, hashing=False)
    nohash_s = time.perf_counter() - t
    assert guest.stdout() == eng.stdout() and eng.exit_code == 0
    # the chain alone: the hash core's chain form over 2 M links of 17-byte suffixes
    import numpy as np

    from taptrees.hashcore.blake3 import blake3_chain

    rows = np.random.default_rng(1).integers(0, 256, (2_000_000, 17), dtype=np.uint8)
    blake3_chain(bytes(20), rows[:10], keep="last", backend="numba")
    t = time.perf_counter()
    blake3_chain(bytes(20), rows, keep="last", backend="numba")
    chain_rate = len(rows) / (time.perf_counter() - t)
    return {"steps": eng.step, "unicorn_s": uc_s, "engine_s": eng_s, "nohash_s": nohash_s, "chain_rate": chain_rate}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=GOAL_STEPS, help="size of the memory/round run")
    ap.add_argument("--speed-steps", type=int, default=20_000_000, help="size of the speed run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", metavar="BINARY", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.steps, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp:
        binary = str(build_guest(Path(tmp)))
        print(f"guest: bench/guests/spin (mipsle), load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        sp = speed(binary, args.speed_steps)
        eng_rate = sp["steps"] / sp["engine_s"]
        print(f"\n1. speed, {sp['steps']:,} micro-steps (same input for both)")
        print(
            f"   plain unicorn              {sp['unicorn_s']:7.2f} s  "
            f"({sp['steps'] / sp['unicorn_s'] / 1e6:6.2f} M micro-steps of this run per s)"
        )
        print(f"   fast engine, BLAKE3 chain  {sp['engine_s']:7.2f} s  ({eng_rate / 1e6:6.2f} M/s)")
        print(f"   fast engine, no hashing    {sp['nohash_s']:7.2f} s  ({sp['steps'] / sp['nohash_s'] / 1e6:6.2f} M/s)")
        print(
            f"   BLAKE3 chain alone (hash core) {sp['chain_rate'] / 1e6:6.2f} M links/s: "
            f"a sequential chain caps any engine at that, "
            f"{sp['chain_rate'] / (sp['steps'] / sp['unicorn_s']):.2f} of unicorn's speed"
        )
        ratio = sp["unicorn_s"] / sp["engine_s"]
        print(f"   engine speed / unicorn speed = {ratio:.2f} (goal >= 0.50: {'met' if ratio >= 0.5 else 'MISSED'})")

        out = subprocess.run(
            [sys.executable, __file__, "--child", binary, "--steps", str(args.steps), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        scale = GOAL_STEPS / r["steps"]
        measured = "measured" if r["steps"] >= GOAL_STEPS * 0.95 else "measured, not 300 M"
        print(
            f"\n2. memory: a run of {r['steps']:,} micro-steps ({measured}), "
            f"checkpoints every 2**20 steps, a hash every 2**12"
        )
        print(
            f"   run time {r['run_s']:.1f} s ({r['steps'] / r['run_s'] / 1e6:.2f} M/s), "
            f"{r['checkpoints']} checkpoints holding {r['checkpoint_mb']:.1f} MB, "
            f"{r['pages']} live pages"
        )
        print(f"   peak RSS {r['peak_rss_mb']:.0f} MB (process after loading: {r['base_rss_mb']:.0f} MB)")
        if scale > 1.05:
            est = r["peak_rss_mb"] + (scale - 1) * (r["checkpoint_mb"] + r["pages"] * 12 / 1024)
            print(
                f"   EXTRAPOLATED to 300 M steps (x{scale:.1f}, linear in checkpoints and "
                f"pages): ~{est:.0f} MB, run ~{r['run_s'] * scale:.0f} s"
            )
            peak = est
        else:
            peak = r["peak_rss_mb"]
        print(f"   goal under 2 GB: {'met' if peak < 2048 else 'MISSED'}")
        print(
            f"\n3. operator's answer to each round, n = 32, M = {r['max_steps']:,} "
            f"({r['rounds']} rounds, towards step {r['target']:,})"
        )
        for i, s in enumerate(r["round_s"], 1):
            print(f"   round {i}: {s * 1000:8.1f} ms")
        print(f"   slowest round {max(r['round_s']):.2f} s; the final record {r['record_s']:.2f} s")


if __name__ == "__main__":
    main()

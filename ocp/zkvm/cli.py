"""``ocp zkvm``: run MIPS guests, inspect states, commit a claim, play a dispute off-chain."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ocp.errors import UserError
from ocp.zkvm.elf import load_elf
from ocp.zkvm.initial import build_initial_state
from ocp.zkvm.search import NArySearch
from ocp.zkvm.trace import DEFAULT_SPACING, ExecutionTrace

DEFAULT_MAX_STEPS = 1 << 32


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    zk = subparsers.add_parser("zkvm", help="MIPS32 zkVM: Go guests, traces, claims, disputes")
    sub = zk.add_subparsers(dest="zkvm_command", metavar="SUBCOMMAND")
    sub.required = True

    def common(p: argparse.ArgumentParser, engine: bool = False) -> None:
        p.add_argument("elf", help="static MIPS32 ELF (GOARCH=mips or mipsle, GOMIPS=softfloat)")
        p.add_argument("--input", metavar="FILE", help="input tape, read by the guest on fd 0")
        p.add_argument(
            "--max-steps",
            type=int,
            default=DEFAULT_MAX_STEPS,
            help="stop after this many micro-steps (commit/dispute: the search "
            "space M, a power of two; default the smallest holding the run)",
        )
        p.add_argument("--json", action="store_true", help="print JSON")
        if engine:
            p.add_argument(
                "--engine",
                choices=("fast", "python"),
                default="fast",
                help="fast: numba engine hashing the chain (default); python: the reference stepper",
            )

    run = sub.add_parser("run", help="run a guest to its halt; print its output and the result")
    common(run, engine=True)
    run.set_defaults(func=cmd_run)

    state = sub.add_parser("state", help="the machine after a step, and that step's record")
    common(state)
    state.add_argument("--step", type=int, required=True, help="step number (0 = state 0)")
    state.add_argument(
        "--addr",
        type=_address,
        help="also show the word at this address and its last writer (0x-hex or decimal, 4-byte aligned, < 2^32)",
    )
    state.set_defaults(func=cmd_state)

    commit = sub.add_parser("commit", help="run and write the operator's claim")
    common(commit)
    commit.add_argument("--nary", type=int, default=32, help="search arity n (power of two 2..256)")
    commit.add_argument("-o", "--output", metavar="FILE", help="write the claim here (JSON)")
    commit.set_defaults(func=cmd_commit)

    from ocp.zkvm.dispute import CHALLENGER_STRATEGIES, FAULT_KINDS

    dispute = sub.add_parser("dispute", help="play both searches off-chain against a faulty party")
    common(dispute)
    dispute.add_argument("--fault", choices=FAULT_KINDS, help="the operator's lie")
    dispute.add_argument("--at", type=int, default=1, help="the step to lie at (nearest applicable)")
    dispute.add_argument(
        "--challenger",
        choices=CHALLENGER_STRATEGIES,
        default="honest",
        help="the challenger's strategy (default honest)",
    )
    dispute.add_argument("--nary", type=int, default=32, help="search arity n (power of two 2..256)")
    dispute.add_argument("--seed", type=int, default=0, help="seed of the random challenger")
    dispute.set_defaults(func=cmd_dispute)


#: The Go linker writes this build-information header into every binary, even a
#: stripped one (``-ldflags "-s -w"`` removes only the symbol table and DWARF).
GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"


def _address(text: str) -> int:
    """A memory address for ``--addr``: 0x-hex or decimal, word-aligned, 32-bit."""
    body = text.strip().lower()
    digits = body[2:] if body.startswith("0x") else body
    base = 16 if body.startswith("0x") else 10
    if not digits or any(c not in "0123456789abcdef"[:base] for c in digits):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x-hex or decimal)")
    addr = int(digits, base)
    if addr > 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"{text} is beyond the 32-bit address space")
    if addr % 4:
        raise argparse.ArgumentTypeError(f"{text} is not word-aligned (a multiple of 4)")
    return addr


def _refuse_stripped_go(path: str, program) -> None:
    """A Go binary without its symbol table cannot be patched by symbol name
    (docs/zkvm.md), and unpatched it would not run as a Go guest should."""
    if "runtime.main" in program.symbols:
        return
    try:
        blob = Path(path).read_bytes()
    except OSError:
        return
    if GO_BUILDINFO_MAGIC in blob:
        raise UserError(
            f'{path}: a Go binary without its symbol table (built with -ldflags "-s -w" '
            "or stripped); the zkVM patches the Go runtime by symbol name: rebuild without -s -w"
        )


def _tape(args: argparse.Namespace) -> bytes:
    if not args.input:
        return b""
    try:
        return Path(args.input).read_bytes()
    except OSError as exc:
        raise UserError(f"{args.input}: cannot read input ({exc.strerror})") from exc


def _trace(args: argparse.Namespace, *, for_search: bool = False) -> ExecutionTrace:
    program = load_elf(args.elf)
    _refuse_stripped_go(args.elf, program)
    if args.max_steps <= 0:
        raise UserError("--max-steps must be positive")
    if for_search and args.max_steps != DEFAULT_MAX_STEPS and args.max_steps & (args.max_steps - 1):
        raise UserError(f"--max-steps must be a power of two for a search, got {args.max_steps}")
    return ExecutionTrace(
        build_initial_state(program, _tape(args)), spacing=DEFAULT_SPACING, max_steps=args.max_steps
    ).run()


def _search(args: argparse.Namespace, trace: ExecutionTrace) -> NArySearch:
    if args.max_steps == DEFAULT_MAX_STEPS:
        return NArySearch.covering(trace.steps + 1, args.nary)
    return NArySearch(args.max_steps, args.nary)


def _result(t: ExecutionTrace) -> dict[str, object]:
    from ocp.zkvm.claim import program_digest

    return {
        "status": t.status.name.lower(),
        "exit_code": t.exit_code,
        "steps": t.steps,
        "final_hash": t.final_hash.hex(),
        "program": program_digest(t.init).hex(),
        "seconds": round(t.seconds, 3),
        "steps_per_second": round(t.steps / t.seconds) if t.seconds else None,
        "checkpoints": len(t.checkpoints),
    }


def _print_output(out: bytes, err: bytes) -> None:
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.stderr.buffer.write(err)
    sys.stderr.flush()


def cmd_run(args: argparse.Namespace) -> int:
    if args.engine == "python":
        from ocp.zkvm.stepper import Stepper

        s = Stepper(build_initial_state(load_elf(args.elf), _tape(args)))
        t0 = time.perf_counter()
        s.run(args.max_steps)
        secs = time.perf_counter() - t0
        data: dict[str, object] = {
            "status": s.status.name.lower(),
            "exit_code": s.exit_code,
            "steps": s.step,
            "seconds": round(secs, 3),
            "steps_per_second": round(s.step / secs) if secs else None,
            "engine": "python",
        }
        out, err = s.stdout(), s.stderr()
    else:
        t = _trace(args)
        data = {**_result(t), "engine": "fast"}
        out, err = t.stdout(), t.stderr()
    if args.json:
        from ocp.cli import emit

        emit(args, {"stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace"), **data}, None)
        return 0
    _print_output(out, err)
    _table("zkvm run", data)
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    if args.step < 0:
        raise UserError("--step must be >= 0")
    t = _trace(args)
    if args.step > t.steps:
        raise UserError(f"--step {args.step} is past the last step {t.steps}")
    data = t.state_summary(args.step)
    if args.step >= 1:
        data["record"] = t.record(args.step).to_json()
    if args.addr is not None:
        eng = t.engine_at(args.step)
        a = args.addr & ~3
        data["word"] = {"address": f"{a:#010x}", "value": f"{eng.load(a):#010x}", "last_writer": eng.last_writer(a)}
    if args.json:
        from ocp.cli import emit

        emit(args, data, None)
        return 0
    shown = {k: v for k, v in data.items() if k not in ("regs", "record")}
    shown["regs"] = " ".join(f"{v:08x}" for v in data["regs"])  # type: ignore[union-attr]
    if "record" in data:
        shown["record"] = _record_line(t.record(args.step))
    _table(f"state after step {args.step}", shown)
    return 0


def cmd_commit(args: argparse.Namespace) -> int:
    from ocp.zkvm.dispute import make_claim

    t = _trace(args, for_search=True)
    if not t.halted:
        raise UserError(f"the guest did not halt within {t.steps} steps; nothing to claim")
    if t.status.name != "EXITED" or t.exit_code != 0:
        raise UserError(
            f"the guest ended with {t.status.name.lower()} code {t.exit_code}, not exit 0: there is nothing to claim"
        )
    search = _search(args, t)
    if t.steps > search.max_steps:
        raise UserError(f"the run has {t.steps} steps, more than --max-steps {search.max_steps}")
    claim = make_claim(t, search)
    data = {
        **_result(t),
        "max_steps": search.max_steps,
        "nary": search.n,
        "first_search_rounds": search.rounds,
        "read_search_rounds": search.rounds,
        "read_search_new_rounds": search.rounds - 1,
        "branching": list(search.branching),
        "hashes_revealed_per_search": search.hashes_revealed(),
    }
    if args.output:
        from ocp.fileio import write_atomic

        write_atomic(args.output, claim.dumps())
        data["claim_file"] = args.output
    if args.json:
        from ocp.cli import emit

        emit(args, {**data, "claim": claim.to_json()}, None)
        return 0
    _table("zkvm commit", data)
    return 0


def _record_line(r: object) -> str:
    from ocp.zkvm.record import StepRecord

    assert isinstance(r, StepRecord)
    return (
        f"pc {r.pc:#x} npc {r.npc:#x} micro {r.micro} word {r.word:#010x} | "
        f"r1 {r.read1.address:#x}={r.read1.value:#x}@{r.read1.last_writer} "
        f"r2 {r.read2.address:#x}={r.read2.value:#x}@{r.read2.last_writer} | "
        f"w {r.write.address:#x}={r.write.value:#x} | next {r.next_pc:#x} {r.next_npc:#x} "
        f"{r.next_micro} wit {r.witness:#x}"
    )


def cmd_dispute(args: argparse.Namespace) -> int:
    from ocp.zkvm import dispute as d

    t = _trace(args, for_search=True)
    search = _search(args, t)
    if args.fault is None and args.challenger == "honest":
        raise UserError(
            "nothing to dispute: give --fault KIND (a faulty operator) or --challenger STRATEGY (a faulty challenger)"
        )
    op = d.FaultyOperator(t, search, args.fault, args.at) if args.fault else d.HonestOperator(t, search)
    chal = (
        d.HonestChallenger(t, search)
        if args.challenger == "honest"
        else d.FaultyChallenger(t, search, args.challenger, args.seed)
    )
    out = d.play(op, chal)
    expected = d.expected_challenge(op) if args.fault else None
    data = {
        "search": search.describe(),
        "claimed_steps": op.claim.steps,
        "true_steps": t.steps,
        "fault": args.fault,
        "fault_step": op.fault.at if args.fault else None,
        "challenger": args.challenger,
        "winner": out.winner,
        "challenge": out.kind,
        "expected": expected,
        "step": out.step,
        "read_step": out.read_step,
        "rounds": [
            {
                "search": r.search,
                "round": r.round,
                "interval": list(r.interval),
                "hashes": {str(s): h.hex() for s, h in r.revealed.items()},
                "choice": r.choice,
            }
            for r in out.rounds
        ],
        "record": out.record.to_json() if out.record else None,
        "read_record": out.read_record.to_json() if out.read_record else None,
        "detail": out.detail,
    }
    if args.json:
        from ocp.cli import emit

        emit(args, data, None)
        return 0
    from rich.console import Console

    con = Console()
    con.print(
        f"[bold]search[/] M = {search.max_steps}, n = {search.n}, "
        f"{search.rounds} rounds {list(search.branching)}; claimed N = {op.claim.steps} "
        f"(true run: {t.steps})"
    )
    if args.fault:
        con.print(f"[bold]fault[/] {args.fault} at step {op.fault.at} (asked: {args.at})")
    for r in out.rounds:
        hashes = " ".join(f"{s}:{h.hex()[:10]}" for s, h in r.revealed.items())
        con.print(
            f"{r.search:5s} round {r.round}: ({r.interval[0]}, {r.interval[1]}] choice {r.choice}  {hashes}",
            highlight=False,
        )
    if out.record is not None:
        con.print(f"step {out.step}: {_record_line(out.record)}", highlight=False)
    if out.read_record is not None:
        con.print(f"read search step {out.read_step}: {_record_line(out.read_record)}", highlight=False)
    con.print(
        f"[bold]{out.winner} wins[/] by {out.kind} at step {out.step}" + (f" ({out.detail})" if out.detail else ""),
        highlight=False,
    )
    return 0


def _table(title: str, data: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for k, v in data.items():
        table.add_row(k, str(v))
    Console().print(table)

"""``ocp zkvm``: run MIPS guests and inspect their traces."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ocp.errors import UserError
from ocp.zkvm.elf import load_elf
from ocp.zkvm.trace import DEFAULT_MAX_STEPS, DEFAULT_SPACING, Trace


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    zk = subparsers.add_parser("zkvm", help="MIPS32 trace generator for Go guests")
    sub = zk.add_subparsers(dest="zkvm_command", metavar="SUBCOMMAND")
    sub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("elf", help="static MIPS32 ELF (GOARCH=mips or mipsle, GOMIPS=softfloat)")
        p.add_argument("--input", metavar="FILE", help="input tape, read by the guest on fd 0")
        p.add_argument("--engine", choices=("python", "unicorn"), default="unicorn",
                       help="python: reference stepper only; unicorn: fast-forward between "
                            "checkpoints (default)")
        p.add_argument("--spacing", type=int, default=DEFAULT_SPACING,
                       help=f"steps between checkpoints (default {DEFAULT_SPACING})")
        p.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS,
                       help="stop after this many steps")
        p.add_argument("--json", action="store_true", help="print JSON")

    run = sub.add_parser("run", help="run a guest to completion; print output and final state")
    common(run)
    run.set_defaults(func=cmd_run)

    state = sub.add_parser("state", help="state at a step, optionally with a memory proof")
    common(state)
    state.add_argument("--step", type=int, required=True, help="step index (0 = boot state)")
    state.add_argument("--addr", type=_address,
                       help="prove the word at this address (0x-hex or decimal, 4-byte aligned, < 2^32)")
    state.set_defaults(func=cmd_state)


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
            f"{path}: a Go binary without its symbol table (built with -ldflags \"-s -w\" "
            "or stripped); the zkVM patches the Go runtime by symbol name: rebuild without -s -w"
        )


def _trace(args: argparse.Namespace) -> Trace:
    program = load_elf(args.elf)
    _refuse_stripped_go(args.elf, program)
    tape = b""
    if args.input:
        try:
            tape = Path(args.input).read_bytes()
        except OSError as exc:
            raise UserError(f"{args.input}: cannot read input ({exc.strerror})") from exc
    if args.max_steps <= 0:
        raise UserError("--max-steps must be positive")
    t = Trace(program, tape, spacing=args.spacing, engine=args.engine, max_steps=args.max_steps)
    t.run()
    return t


def _summary(t: Trace) -> dict[str, object]:
    f = t.final
    return {
        "status": f.status.name.lower(),
        "exit_code": f.exit_code,
        "pc": f"{f.pc:#010x}",
        "steps": f.step,
        "state_hash": f.hash.hex(),
        "mem_root": f.mem_root.hex(),
        "out_hash": f.out_hash.hex(),
        "engine": t.engine,
        "seconds": round(t.seconds, 3),
        "steps_per_second": round(f.step / t.seconds) if t.seconds else None,
        "checkpoints": len(t.checkpoints),
        **({"unicorn_steps": t.engine_stats["unicorn_steps"]} if t.engine_stats else {}),
    }


def cmd_run(args: argparse.Namespace) -> int:
    t = _trace(args)
    data = _summary(t)
    if args.json:
        from ocp.cli import emit

        data = {"stdout": t.stdout().decode("utf-8", "replace"),
                "stderr": t.stderr().decode("utf-8", "replace"), **data}
        emit(args, data, None)
        return 0
    sys.stdout.buffer.write(t.stdout())
    sys.stdout.flush()
    sys.stderr.buffer.write(t.stderr())
    sys.stderr.flush()
    _table("zkvm run", data)
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    t = _trace(args)
    if args.step < 0:
        raise UserError("--step must be >= 0")
    if args.addr is not None:
        state, proof = t.proof_at(args.step, args.addr)
        extra = {"proof": {"addr": f"{proof.addr:#010x}", "leaf": proof.leaf.hex(),
                           "word": f"{proof.word(t.program.big_endian):#010x}",
                           "siblings": [s.hex() for s in proof.siblings],
                           "verifies": proof.verify(state.mem_root)}}
    else:
        state, extra = t.state_at(args.step), {}
    data = {**state.to_json(), **extra}
    if args.json:
        from ocp.cli import emit

        emit(args, data, None)
        return 0
    shown = {k: v for k, v in data.items() if k not in ("regs", "proof")}
    shown["regs"] = " ".join(f"{v:08x}" for v in state.regs)
    if "proof" in data:
        p = data["proof"]
        shown["proof"] = f"word {p['word']} at {p['addr']}: verifies={p['verifies']}"
    _table(f"state at step {state.step}", shown)
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

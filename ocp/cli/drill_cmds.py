"""``ocp drill run``: dispute drills on the embedded chain or a real bitcoind."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from ocp.cli.drill_render import render
from ocp.drill.report import report_json
from ocp.drill.scenarios import SCENARIOS, run_scenario
from ocp.errors import UserError
from ocp.fileio import write_atomic
from ocp.program import U32Program


def add_commands(sub: argparse._SubParsersAction) -> None:
    drill = sub.add_parser("drill", help="regtest dispute drills")
    dsub = drill.add_subparsers(dest="drill_command", metavar="ACTION")
    dsub.required = True
    run = dsub.add_parser("run", help="run one drill or all of them")
    run.add_argument("scenario", choices=[*SCENARIOS, "all"])
    run.add_argument("--backend", choices=("kernel", "bitcoind"), default="kernel")
    run.add_argument("--steps", type=int, default=8, help="steps of the claimed program")
    run.add_argument("--committee", type=int, default=3, help="committee size")
    run.add_argument("--report-dir", default="drill-reports", help="where JSON reports go")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)


def open_chain(backend: str):
    if backend == "kernel":
        from regtest.kernel import KernelChain

        return KernelChain()
    from regtest.bitcoind import BitcoindChain, find_bitcoind

    if find_bitcoind() is None:
        raise UserError("no bitcoind found: put it on PATH or name it with BITCOIND")
    return BitcoindChain()


def cmd_run(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 4096:
        raise UserError("--steps must be between 1 and 4096")
    if not 1 <= args.committee <= 100:
        raise UserError("--committee must be between 1 and 100")
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    reports = []
    for name in names:
        if not args.json:
            console.rule(f"drill {name}")
        with open_chain(args.backend) as chain:
            world = run_scenario(
                name, chain, n_committee=args.committee, program=U32Program.sample(args.steps)
            )
            report = report_json(name, args.backend, world)
        path = report_dir / f"{name}.json"
        write_atomic(path, json.dumps(report, indent=1) + "\n")
        report["report_file"] = str(path)
        reports.append(report)
        if not args.json:
            render(console, report)
    passed = all(r["passed"] for r in reports)
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=1))
    else:
        summary = ", ".join(f"{r['drill']} {'passed' if r['passed'] else 'FAILED'}" for r in reports)
        console.print(f"[bold]{summary}[/]; reports in {report_dir}/")
    return 0 if passed else 1

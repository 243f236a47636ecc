"""``ocp drill run``: dispute drills on the embedded chain or a real bitcoind."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rich.console import Console

from ocp.cli.drill_render import render
from ocp.drill.report import report_json
from ocp.drill.scenarios import SCENARIOS, run_scenario
from ocp.errors import UserError
from ocp.fileio import write_atomic
from ocp.program import U32Program
from regtest.chain import ChainError


def add_commands(sub: argparse._SubParsersAction) -> None:
    drill = sub.add_parser("drill", help="regtest dispute drills")
    dsub = drill.add_subparsers(dest="drill_command", metavar="ACTION")
    dsub.required = True
    run = dsub.add_parser("run", help="run one drill or all of them")
    run.add_argument("scenario", choices=[*SCENARIOS, "all"])
    run.add_argument("--backend", choices=("kernel", "bitcoind"), default="kernel",
                     help="embedded chain (default) or bitcoind: one started here "
                     "($BITCOIND, PATH or scripts/bitcoind.sh's cache), or --rpc-url")
    run.add_argument("--rpc-url", metavar="URL",
                     help="attach to a bitcoind -regtest you run (with --backend bitcoind)")
    run.add_argument("--rpc-cookie", metavar="FILE",
                     help="its cookie file (default ~/.bitcoin/regtest/.cookie); or "
                     "--rpc-user with the password in $OCP_RPC_PASSWORD")
    run.add_argument("--rpc-user", metavar="USER", help="RPC user (password from "
                     "$OCP_RPC_PASSWORD, never on the command line)")
    run.add_argument("--steps", type=int, default=8, help="steps of the claimed program")
    run.add_argument("--committee", type=int, default=3, help="committee size")
    run.add_argument("--report-dir", default="drill-reports", help="where JSON reports go")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)


DEFAULT_COOKIE = "~/.bitcoin/regtest/.cookie"


def check_backend(args: argparse.Namespace) -> None:
    """Refuse inconsistent backend options before any drill starts."""
    if args.backend == "kernel":
        if args.rpc_url or args.rpc_cookie or args.rpc_user:
            raise UserError("--rpc-url/--rpc-cookie/--rpc-user need --backend bitcoind")
        return
    from regtest.bitcoind import find_bitcoind

    if args.rpc_url:
        _credentials(args)
        return
    if args.rpc_cookie or args.rpc_user:
        raise UserError("--rpc-cookie/--rpc-user need --rpc-url")
    named = os.environ.get("BITCOIND")
    if named and find_bitcoind() is None:
        raise UserError(f"BITCOIND={named} is not an executable file")
    if find_bitcoind() is None:
        raise UserError(
            "no bitcoind found: run scripts/bitcoind.sh (builds and caches one), set "
            "BITCOIND, put bitcoind on PATH, or attach to your node with --rpc-url"
        )


def open_chain(args: argparse.Namespace):
    """The chain a drill runs on: the embedded KernelChain, a bitcoind started for
    it, or the user's own regtest node at ``--rpc-url`` (any other chain refused)."""
    if args.backend == "kernel":
        from regtest.kernel import KernelChain

        return KernelChain()
    from regtest.bitcoind import BitcoindChain

    if args.rpc_url:
        return BitcoindChain(args.rpc_url, **_credentials(args))
    return BitcoindChain()


def _credentials(args: argparse.Namespace) -> dict:
    if args.rpc_user:
        if args.rpc_cookie:
            raise UserError("give --rpc-cookie or --rpc-user, not both")
        password = os.environ.get("OCP_RPC_PASSWORD")
        if not password:
            raise UserError("--rpc-user needs the password in $OCP_RPC_PASSWORD")
        return {"user": args.rpc_user, "password": password}
    cookie = Path(os.path.expanduser(args.rpc_cookie or DEFAULT_COOKIE))
    if not cookie.is_file():
        raise UserError(f"no RPC cookie file at {cookie} (is the node running? "
                        "name it with --rpc-cookie)")
    return {"cookie_path": cookie}


def cmd_run(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 4096:
        raise UserError("--steps must be between 1 and 4096")
    if not 1 <= args.committee <= 100:
        raise UserError("--committee must be between 1 and 100")
    check_backend(args)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    reports = []
    for name in names:
        if not args.json:
            console.rule(f"drill {name}")
        try:
            with open_chain(args) as chain:
                world = run_scenario(
                    name, chain, n_committee=args.committee,
                    program=U32Program.sample(args.steps),
                )
                report = report_json(name, args.backend, world)
        except ChainError as exc:  # the node would not start, or stopped answering
            raise UserError(str(exc)) from None
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

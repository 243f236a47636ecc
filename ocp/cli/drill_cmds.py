"""``ocp drill run``: dispute drills on the embedded chain or a real bitcoind.

``--json`` prints one object of the same shape for one drill or for all::

    {"format": "ocp-drill-run/1", "passed": true, "drills": [<report>, ...]}

each ``<report>`` being what ``drill-reports/<drill>.json`` holds.  The graph a
drill ran (fully pre-signed; for ``refund``, its second deposit's) is written
beside it, ``drill-reports/<drill>.graph.json``, to draw its timeline on
(``ocp graph draw drill-reports/fraud.graph.json --report drill-reports/fraud.json``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ocp.cli import EXIT_CHECK_FAILED, EXIT_OK
from ocp.cli.drill_render import render
from ocp.cli.output import plain_value, print_plain, progress, stdout_console
from ocp.committee import CommitteeForm
from ocp.drill.ceremony import VARIANTS as CEREMONY_DRILLS
from ocp.drill.ceremony import run_ceremony_drill
from ocp.drill.games import GAME_SCENARIOS, Guest, run_game_drill
from ocp.drill.report import REPORT_FORMAT, report_json
from ocp.drill.scenarios import SCENARIOS, run_scenario
from ocp.errors import UserError
from ocp.fileio import check_output, write_atomic
from ocp.graph import GRAPH_FORMAT
from ocp.graphfile import save_graph
from ocp.program import U32Program
from ocp.zkvm.dispute import FAULT_KINDS
from regtest.chain import ChainError

RUN_FORMAT = "ocp-drill-run/1"
#: The version-2 drills ``all`` runs: the mission, shown by the README's main command.
GAME_DRILLS_IN_ALL = ("zkvm-answered", "zkvm-fraud")


def add_commands(sub: argparse._SubParsersAction) -> None:
    drill = sub.add_parser("drill", help="regtest dispute drills")
    dsub = drill.add_subparsers(dest="drill_command", metavar="ACTION")
    dsub.required = True
    run = dsub.add_parser("run", help="run one drill or all of them (exit 1 if one goes wrong)")
    run.add_argument(
        "scenario",
        choices=[*SCENARIOS, *CEREMONY_DRILLS, *GAME_SCENARIOS, "all"],
        help="which drill (ceremony*: a coordinator and signer processes sign the graph, "
        "then happy and fraud run on it; zkvm-*: graph v2, a Go guest's claim disputed by "
        "games; all: every v1 and ceremony drill, zkvm-answered and zkvm-fraud)",
    )
    run.add_argument(
        "--fault",
        choices=FAULT_KINDS,
        default=None,
        help="zkvm-fraud: the lie the operator tells (default write: a wrong result)",
    )
    run.add_argument(
        "--guest-dir",
        default=None,
        metavar="DIR",
        help="zkvm-*: where the Go guest is built and kept (default ~/.cache/ocp/guests)",
    )
    run.add_argument(
        "--program",
        default=None,
        metavar="ELF",
        help="zkvm-*: your own Go guest (GOOS=linux GOARCH=mipsle|mips GOMIPS=softfloat) instead of the "
        "selfcheck example; it must exit 0 on --input",
    )
    run.add_argument(
        "--input",
        default=None,
        metavar="FILE",
        help="zkvm-* with --program: the guest's input (its stdin; default: empty)",
    )
    run.add_argument(
        "--backend",
        choices=("kernel", "bitcoind"),
        default="kernel",
        help="kernel: embedded chain (libbitcoinkernel); bitcoind: a bitcoind -regtest, "
        "started here ($BITCOIND, PATH or scripts/bitcoind.sh's cache) or --rpc-url",
    )
    run.add_argument("--rpc-url", metavar="URL", help="attach to a bitcoind -regtest you run (with --backend bitcoind)")
    run.add_argument(
        "--rpc-cookie",
        metavar="FILE",
        help="its cookie file (default ~/.bitcoin/regtest/.cookie); or "
        "--rpc-user with the password in $OCP_RPC_PASSWORD",
    )
    run.add_argument(
        "--rpc-user", metavar="USER", help="RPC user (password from $OCP_RPC_PASSWORD, never on the command line)"
    )
    run.add_argument("--steps", type=int, default=8, help="steps of the claimed program")
    run.add_argument("--committee", type=int, default=3, help="committee size")
    run.add_argument(
        "--committee-form",
        choices=[f.value for f in CommitteeForm],
        default=CommitteeForm.CHAIN.value,
        help="chain: a CHECKSIGVERIFY chain of every member's key; musig2: one BIP327 aggregate "
        "key, signed in nonce rounds",
    )
    run.add_argument(
        "--report-dir",
        default="drill-reports",
        help="folder for the JSON reports, made if missing; earlier reports are replaced",
    )
    run.add_argument(
        "--force", action="store_true", help="replace files in --report-dir that are not earlier drill reports"
    )
    run.add_argument(
        "--json",
        action="store_true",
        help="print {format, passed, drills: [report, ...]} (the same shape for one or all)",
    )
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
        raise UserError(f"no RPC cookie file at {cookie} (is the node running? name it with --rpc-cookie)")
    return {"cookie_path": cookie}


def drill_guest(args: argparse.Namespace) -> Guest:
    """The guest of the zkvm-* drills: --program with --input, or the selfcheck example."""
    if args.program is None:
        return Guest.selfcheck(Path(os.path.expanduser(args.guest_dir or "~/.cache/ocp/guests")))
    tape = b"" if args.input is None else read_input_file(args.input)
    return Guest.of(Path(args.program), tape)


def read_input_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"--input {path}: {exc.strerror or exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 4096:
        raise UserError("--steps must be between 1 and 4096")
    if not 1 <= args.committee <= 100:
        raise UserError("--committee must be between 1 and 100")
    if args.fault is not None and args.scenario not in ("zkvm-fraud", "all"):
        raise UserError("--fault is for zkvm-fraud")
    if args.program is not None and not (args.scenario in GAME_SCENARIOS or args.scenario == "all"):
        raise UserError("--program is for the zkvm-* drills")
    if args.input is not None and args.program is None:
        raise UserError("--input goes with --program (the selfcheck example brings its own input)")
    check_backend(args)
    names = [*SCENARIOS, *CEREMONY_DRILLS, *GAME_DRILLS_IN_ALL] if args.scenario == "all" else [args.scenario]
    guest: Guest | None = None
    report_dir = Path(args.report_dir)
    if report_dir.exists() and not report_dir.is_dir():
        raise UserError(f"--report-dir {report_dir} is not a folder")
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: check_output(report_dir / f"{name}.json", force=args.force, replaces_format=REPORT_FORMAT)
        for name in names
    }
    graph_paths = {
        name: check_output(report_dir / f"{name}.graph.json", force=args.force, replaces_format=GRAPH_FORMAT)
        for name in names
    }
    console = stdout_console()
    terminal = console.is_terminal and not args.json
    reports = []
    with progress(args, phases=len(names)) as bar:
        for name in names:
            form = CommitteeForm(args.committee_form)
            if name in GAME_SCENARIOS:
                bar.phase(f"drill {name} (Go guest, committee of {args.committee})")
            else:
                bar.phase(f"drill {name} ({args.steps} steps, committee of {args.committee}, {args.committee_form})")
            try:
                if name in GAME_SCENARIOS:
                    if guest is None:
                        guest = drill_guest(args)
                    with open_chain(args) as chain:
                        world = run_game_drill(
                            name,
                            chain,
                            guest,
                            args.fault if name == "zkvm-fraud" else None,
                            n_committee=args.committee,
                            committee_form=form,
                        )
                        report = report_json(name, args.backend, world)
                        graph = world.graph
                elif name in CEREMONY_DRILLS:
                    report, graph = run_ceremony_drill(
                        name,
                        lambda: open_chain(args),
                        args.backend,
                        n_committee=args.committee,
                        program=U32Program.sample(args.steps),
                        committee_form=form,
                    )
                else:
                    with open_chain(args) as chain:
                        world = run_scenario(
                            name,
                            chain,
                            n_committee=args.committee,
                            program=U32Program.sample(args.steps),
                            committee_form=form,
                        )
                        report = report_json(name, args.backend, world)
                        graph = world.graph
            except ChainError as exc:  # the node would not start, or stopped answering
                raise UserError(str(exc)) from None
            save_graph(graph, graph_paths[name])
            report["graph_file"] = str(graph_paths[name])
            write_atomic(paths[name], json.dumps(report, indent=1) + "\n")
            report["report_file"] = str(paths[name])
            reports.append(report)
            if terminal:
                console.rule(f"drill {name}")
                render(console, report)
    passed = all(r["passed"] for r in reports)
    if args.json:
        print(json.dumps({"format": RUN_FORMAT, "passed": passed, "drills": reports}, indent=1))
    elif terminal:
        summary = ", ".join(f"{r['drill']} {'passed' if r['passed'] else 'FAILED'}" for r in reports)
        console.print(f"[bold]{summary}[/]; reports in {report_dir}/")
    else:
        for report in reports:
            print_report_plain(report)
        print(f"passed: {plain_value(passed)}")
    return EXIT_OK if passed else EXIT_CHECK_FAILED


def print_report_plain(report: dict) -> None:
    """A drill as ``key: value`` lines (for a pipe or a log): every value whole."""
    if "parts" in report:  # a ceremony drill: what the processes did, then each drill on its graph
        print(f"drill: {report['drill']}")
        print_plain({"ceremony": report["ceremony"]})
        for part in report["parts"]:
            print_report_plain({**part, "report_file": report["report_file"], "graph_file": report["graph_file"]})
        for key, value in report["checks"].items():
            print(f"checks.{key}: {plain_value(value)}")
        print(f"drill.{report['drill']}.passed: {plain_value(report['passed'])}")
        return
    print(f"drill: {report['drill']}")
    print(f"backend: {report['backend']}")
    print(f"graph_id: {report['graph_id']}")
    print(f"committee: {report['committee']} ({report['committee_form']})")
    for i, e in enumerate(report["timeline"]):
        outcome = e["result"] if e["result"] == e["expected"] else f"{e['result']} (UNEXPECTED)"
        reason = f": {e['reason']}" if e["reason"] else ""
        print(f"timeline.{i}: height {e['height']}, {e['transaction']} by {e['who']}, {outcome}{plain_value(reason)}")
        if e.get("txid"):
            print(f"timeline.{i}.txid: {e['txid']}")
    for note in report["notes"]:
        print(f"note: {plain_value(note)}")
    for key, value in report["balances"].items():
        if isinstance(value, dict):
            for role, amount in value.items():
                print(f"balances.{key}.{role}: {amount}")
        else:
            print(f"balances.{key}: {value}")
    for key, value in report["checks"].items():
        print(f"checks.{key}: {plain_value(value)}")
    print(f"graph_file: {report['graph_file']}")
    print(f"report_file: {report['report_file']}")
    print(f"drill.{report['drill']}.passed: {plain_value(report['passed'])}")

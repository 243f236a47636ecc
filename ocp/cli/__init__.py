"""The ``ocp`` command.

Each command group lives in its own module exporting
``add_commands(subparsers)``; every handler returns an exit code.  Errors from
bad input (:class:`taptrees.errors.InputError`, which
:class:`ocp.errors.UserError` extends) become a one-line message and exit
code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from taptrees.errors import InputError

#: Modules that contribute command groups, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "ocp.cli.script_cmds",
    "ocp.cli.tree_cmds",
    "ocp.cli.graph_cmds",
    "ocp.cli.drill_cmds",
    "ocp.cli.psbt_cmds",
    "ocp.zkvm.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocp",
        description="Build, audit and drill optimistic challenge protocols on Bitcoin.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # group not built yet
                continue
            raise
        module.add_commands(sub)
    return parser


def emit(args: argparse.Namespace, data: object, render) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else call ``render(console)``."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, sort_keys=False))
    else:
        render(Console())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a one-line usage error
        return int(exc.code or 0) if exc.code in (0, None) else 2
    err = Console(stderr=True)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except OSError as exc:
        what = escape(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        err.print(f"[bold red]error:[/] {what}",
                  highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``ocp`` command.

Each command group lives in its own module exporting
``add_commands(subparsers)``; every handler returns an exit code from this table,
the same for every command (also in docs/cli.md):

====  =======================  ==================================================
code  name                     meaning
====  =======================  ==================================================
0     ``EXIT_OK``              done; every check passed
1     ``EXIT_CHECK_FAILED``    done, but what was checked is not right: ``graph
                               verify`` (graph incomplete or a signature
                               invalid), ``graph audit`` (a finding), ``drill
                               run`` (a drill went otherwise than expected),
                               ``ceremony serve`` (gave up before the graph
                               was complete),
                               ``tree demo`` (a spend refused), ``regtest send``
                               (the chain refused the transaction), ``watch
                               --exit-when-done`` (the operator lost its stake)
2     ``EXIT_BAD_INPUT``       bad input: usage, a file, a parameter, a key, a
                               witness, an output that would overwrite
                               something, a chain that cannot be opened or
                               reached.  One line on stderr (a JSON object
                               under ``--json``), never a traceback; nothing
                               was written
130   ``EXIT_INTERRUPTED``     interrupted (Ctrl-C)
141   ``EXIT_BROKEN_PIPE``     the reader of stdout went away (``| head``);
                               nothing on stderr, as after SIGPIPE
====  =======================  ==================================================

Errors from bad input are :class:`taptrees.errors.InputError` (which
:class:`ocp.errors.UserError` extends), :class:`OSError` and
:class:`regtest.chain.ChainError`.  What commands print
is decided in :mod:`ocp.cli.output` (JSON, plain ``key: value`` lines on a pipe,
folded rich text on a terminal).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ocp.cli.output import emit  # noqa: F401 - re-exported for the command modules
from taptrees.errors import InputError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: The reader of stdout went away (``ocp graph show g.json | head``): as a process
#: killed by SIGPIPE, 128 + 13, without a message.
EXIT_BROKEN_PIPE = 141

#: Modules that contribute command groups, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "ocp.cli.script_cmds",
    "ocp.cli.tree_cmds",
    "ocp.cli.key_cmds",
    "ocp.cli.graph_cmds",
    "ocp.cli.regtest_cmds",
    "ocp.cli.drill_cmds",
    "ocp.cli.ceremony_cmds",
    "ocp.cli.watch_cmds",
    "ocp.cli.psbt_cmds",
    "ocp.zkvm.cli",
)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("ocp")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class UsageError(Exception):
    """A command line argparse could not parse (reported by :func:`main`)."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class HelpFormatter(argparse.HelpFormatter):
    """Shows every default (``(default: X)`` after an option's help, unless the help
    names it already) and keeps the line breaks of the examples."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default not in (None, False, argparse.SUPPRESS)
            and default != []
            and "default" not in text
            and (action.option_strings or action.nargs in ("?", "*"))
        ):
            text += " (default: %(default)s)"
        return text

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example"):  # the examples epilog: one command per line
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """``ocp``'s parser: defaults and examples shown in every ``--help``; usage
    errors raised (as :class:`UsageError`) so that :func:`main` reports them."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message, self.format_usage().strip())


def build_parser() -> argparse.ArgumentParser:
    from ocp.cli.examples import attach_examples

    parser = Parser(
        prog="ocp",
        description="Build, audit and drill optimistic challenge protocols on Bitcoin.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 bad input (nothing written), "
        "130 interrupted.  A first hour with ocp: docs/ceremony.md",
    )
    parser.add_argument("--version", action="version", version=f"ocp {version()}")
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
    attach_examples(parser)
    return parser


def report_error(message: str, as_json: bool, usage: str | None = None) -> None:
    """One line on stderr (a JSON object under ``--json``); ``usage`` before it."""
    if as_json:
        obj = {"error": message, "exit_code": EXIT_BAD_INPUT}
        print(json.dumps(obj), file=sys.stderr)
        return
    err = Console(stderr=True)
    if usage:
        err.print(escape(usage), highlight=False, soft_wrap=True)
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        report_error(str(exc), as_json, None if as_json else exc.usage)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    from regtest.chain import ChainError

    try:
        return int(args.func(args) or 0)
    except (InputError, ChainError) as exc:
        report_error(str(exc), as_json)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        what = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        report_error(what, as_json)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return EXIT_INTERRUPTED


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

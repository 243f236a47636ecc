"""``ocp script asm|disasm``: assemble ASM to hex and disassemble hex to ASM."""

from __future__ import annotations

import argparse
import sys

from ocp.cli.output import emit
from taptrees.errors import InputError
from taptrees.script import Script


def add_commands(sub: argparse._SubParsersAction) -> None:
    script = sub.add_parser("script", help="assemble and disassemble tapscript")
    ssub = script.add_subparsers(dest="script_command", metavar="ACTION")
    ssub.required = True

    asm = ssub.add_parser("asm", help="ASM text to script hex")
    asm.add_argument(
        "asm",
        nargs="?",
        help="ASM text: opcodes, numbers in decimal (144), data as 0x<hex> or <hex>; - or nothing: read standard input",
    )
    asm.add_argument("--json", action="store_true", help="machine-readable output")
    asm.set_defaults(func=cmd_asm)

    dis = ssub.add_parser("disasm", help="script hex to ASM")
    dis.add_argument("hex", nargs="?", help="script hex; - or nothing: read standard input")
    dis.add_argument("--json", action="store_true", help="machine-readable output")
    dis.set_defaults(func=cmd_disasm)


def _arg_or_stdin(value: str | None, what: str) -> str:
    if value is None or value == "-":
        value = sys.stdin.read()
    if not value.strip():
        raise InputError(f"no {what} given")
    return value


def describe(script: Script) -> dict:
    return {
        "hex": script.hex(),
        "asm": script.asm(),
        "size": script.size,
        "op_count": script.op_count(),
        "has_op_success": script.has_op_success(),
    }


def cmd_asm(args: argparse.Namespace) -> int:
    info = describe(Script.from_asm(_arg_or_stdin(args.asm, "ASM")))
    emit(args, info)
    return 0


def cmd_disasm(args: argparse.Namespace) -> int:
    script = Script.from_hex(_arg_or_stdin(args.hex, "script hex"))
    info = describe(script)  # parsing errors name the offset
    emit(args, info)
    return 0

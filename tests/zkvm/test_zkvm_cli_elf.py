"""ELF loading errors and the ``ocp zkvm`` commands."""

from __future__ import annotations

import json
import struct

import pytest

from ocp.cli import main
from ocp.errors import UserError
from ocp.zkvm.elf import parse_elf
from ocp.zkvm.patches import GO_PATCHES, go_patch_words


def _elf_header(ei_class: int = 1, data: int = 2, machine: int = 8, etype: int = 2) -> bytes:
    ident = b"\x7fELF" + bytes([ei_class, data, 1]) + bytes(9)
    return ident + struct.pack(">HHIIIIIHHHHHH", etype, machine, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"#!/bin/sh\n" + bytes(60), "not an ELF"),
        (_elf_header(ei_class=2), "not a 32-bit ELF"),
        (_elf_header(machine=62), "wrong architecture"),
        (_elf_header(etype=3), "not a static executable"),
        (_elf_header(), "no loadable segments"),
    ],
)
def test_bad_elf_is_a_user_error(blob, message):
    with pytest.raises(UserError, match=message):
        parse_elf(blob, "x")


def test_missing_patch_symbol_fails_clearly(go_guest):
    from ocp.zkvm.elf import load_elf

    program = load_elf(go_guest("hello", "mips"))
    assert set(GO_PATCHES) <= set(program.symbols)
    stripped = type(program)(
        program.entry,
        program.segments,
        {k: v for k, v in program.symbols.items() if k != "runtime.gcenable"},
        program.big_endian,
    )
    with pytest.raises(UserError, match="runtime.gcenable"):
        go_patch_words(stripped)


def test_cli_run_json(go_guest, tmp_path, capsys):
    tape = tmp_path / "tape"
    tape.write_bytes(b"one 2 three 4\n")
    code = main(["zkvm", "run", str(go_guest("readinput", "mipsle")), "--input", str(tape), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["stdout"] == "ONE\nTHREE\nlines=1 sum=6\n"
    assert (out["status"], out["exit_code"]) == ("exited", 0)
    assert out["steps"] > 0 and len(out["final_hash"]) == 40 and len(out["program"]) == 64


def test_cli_run_text_and_state(go_guest, capsys):
    binary = str(go_guest("hello", "mips"))
    assert main(["zkvm", "run", binary, "--engine", "python"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hello, world\n") and "exited" in out
    assert main(["zkvm", "state", binary, "--step", "5000", "--addr", "0x10000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["step"] == 5000 and data["record"]["step"] == 5000
    assert data["word"] == {"address": "0x00010000", "value": "0x7f454c46", "last_writer": 0}
    assert main(["zkvm", "state", binary, "--step", "10"]) == 0
    assert "record" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["zkvm", "run", "/nonexistent/prog.elf"],
        ["zkvm", "run", __file__],
        ["zkvm", "run", "/bin/sh"],
    ],
)
def test_cli_bad_input_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_missing_input_file(go_guest, capsys):
    assert main(["zkvm", "run", str(go_guest("hello", "mips")), "--input", "/nope"]) == 2
    assert "/nope" in capsys.readouterr().err

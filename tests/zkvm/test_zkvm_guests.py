"""Go guests: output identical to Debian's qemu-user, and both engines agree."""

from __future__ import annotations

import hashlib

import pytest

from ocp.zkvm.cpu import Status
from ocp.zkvm.elf import load_elf
from ocp.zkvm.trace import Trace

ARCHES = ("mips", "mipsle")

INPUT = b"alpha 12 beta\n-5 gamma 100\n\n7 delta\n" + bytes(range(256)) * 3

GUESTS = ["hello", "sha256", "loop64", "collections", "readinput", "goroutines"]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("name", GUESTS)
def test_guest_matches_qemu(go_guest, qemu, name, arch):
    binary = go_guest(name, arch)
    program = load_elf(binary)
    assert program.big_endian == (arch == "mips")
    trace = Trace(program, INPUT, spacing=250_000, engine="unicorn")
    final = trace.run()
    ref = qemu(arch, binary, INPUT)
    assert final.status == Status.EXITED
    assert final.exit_code == (2 if name == "goroutines" else 0)  # a Go panic exits 2
    assert (trace.stdout(), trace.stderr(), final.exit_code) == (
        ref.stdout, ref.stderr, ref.returncode)
    assert trace.stdout(), "every guest prints something"
    # unicorn did the bulk; the exit was resumed exactly, without redoing a segment
    stats = trace.engine_stats
    assert stats["fallbacks"] == 0
    assert stats["unicorn_steps"] + stats["python_steps"] == final.step
    assert stats["unicorn_steps"] > 0.9 * final.step


def test_sha256_guest_hashes_the_tape(go_guest):
    trace = Trace(load_elf(go_guest("sha256", "mipsle")), INPUT, spacing=10**6)
    trace.run()
    assert trace.stdout().split() == [str(len(INPUT)).encode(), b"bytes",
                                      hashlib.sha256(INPUT).hexdigest().encode()]
    assert trace.final.input_off == len(INPUT)


@pytest.mark.parametrize("arch", ARCHES)
def test_engines_reach_identical_checkpoints(go_guest, arch):
    """The unicorn engine fast-forwards; every checkpoint state equals the reference's."""
    program = load_elf(go_guest("collections", arch))
    spacing = 77_777  # odd spacing: checkpoints land inside delay slots too
    ref = Trace(program, INPUT, spacing=spacing, engine="python")
    fast = Trace(program, INPUT, spacing=spacing, engine="unicorn")
    ref.run()
    fast.run()
    assert [c.state for c in ref.checkpoints] == [c.state for c in fast.checkpoints]
    assert len(ref.checkpoints) > 10

"""Fixtures for the zkVM tests: Go guests and MIPS assembly built at test time.

Nothing compiled is committed: Go guests are built with the system ``go``
(Debian golang-go) into a per-session directory, assembly with binutils'
``mips-linux-gnu-as``/``ld``.  Missing tools skip the tests that need them,
with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ocp.zkvm.elf import ElfImage, load_elf

GUESTS = Path(__file__).parent / "guests"
#: The Go module of the guest helper package and the example guests (go/go.mod).
GO_MODULE = Path(__file__).resolve().parents[2] / "go"
QEMU = {"mips": "qemu-mips", "mipsle": "qemu-mipsel"}
ARCHES = ("mips", "mipsle")


@pytest.fixture(scope="session")
def go_guest(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``go_guest(name, arch)`` -> path of tests/zkvm/guests/<name> (or the example
    go/examples/<name>, built in the go/ module) built for ``arch``."""
    go = shutil.which("go") or ("/usr/bin/go" if os.path.exists("/usr/bin/go") else None)
    if go is None:
        pytest.skip("`go` not found (apt-get install golang-go); Go guests cannot be built")
    out = tmp_path_factory.mktemp("go-guests")
    env = {
        **os.environ,
        "GOOS": "linux",
        "GOMIPS": "softfloat",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-trimpath",
        "GO111MODULE": "off",
    }
    if "HOME" not in env and "GOCACHE" not in env:
        env["GOCACHE"] = str(out / "gocache")
    built: dict[tuple[str, str], Path] = {}

    def build(name: str, arch: str) -> Path:
        if (name, arch) not in built:
            dst = out / f"{name}.{arch}"
            if (GUESTS / name).is_dir():
                cmd, cwd, extra = [go, "build", "-o", str(dst), "main.go"], GUESTS / name, {}
            else:
                cmd, cwd = [go, "build", "-o", str(dst), f"./examples/{name}"], GO_MODULE
                extra = {"GO111MODULE": "on", "GOPROXY": "off"}
            proc = subprocess.run(cmd, cwd=cwd, env={**env, "GOARCH": arch, **extra}, capture_output=True, text=True)
            if proc.returncode:
                pytest.fail(f"go build {name} ({arch}) failed:\n{proc.stderr}")
            built[name, arch] = dst
        return built[name, arch]

    return build


@pytest.fixture(scope="session")
def qemu() -> Callable[[str, Path, bytes], subprocess.CompletedProcess]:
    """``qemu(arch, binary, stdin)`` runs Debian's qemu-user on the binary."""

    def run(arch: str, binary: Path, stdin: bytes) -> subprocess.CompletedProcess:
        exe = shutil.which(QEMU[arch])
        if exe is None:
            pytest.skip(f"{QEMU[arch]} not found (apt-get install qemu-user)")
        return subprocess.run([exe, str(binary)], input=stdin, capture_output=True, timeout=120)

    return run


ASM_PROLOGUE = """
    .set noreorder
    .set noat
    .text
    .globl __start
__start:
"""
ASM_EXIT = """
    li $v0, 4246
    li $a0, 0
    syscall
    nop
"""


@pytest.fixture(scope="session")
def assemble(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., ElfImage]:
    """``assemble(body, big=True, data="")`` -> ElfImage: body, then exit_group(0)."""
    tools = [shutil.which("mips-linux-gnu-as"), shutil.which("mips-linux-gnu-ld")]
    if None in tools:
        pytest.skip("mips-linux-gnu-as/ld not found (apt-get install binutils-mips-linux-gnu)")
    asm, ld = tools
    out = tmp_path_factory.mktemp("asm")
    counter = [0]

    def build(body: str, big: bool = True, data: str = "") -> ElfImage:
        counter[0] += 1
        stem = out / f"t{counter[0]}{'be' if big else 'le'}"
        src = ASM_PROLOGUE + body + ASM_EXIT + ("\n    .data\n" + data if data else "")
        Path(f"{stem}.s").write_text(src)
        flag = "-EB" if big else "-EL"
        for cmd in (
            [asm, "-march=mips32r2", "-mabi=32", "-no-pad-sections", flag, "-o", f"{stem}.o", f"{stem}.s"],
            [ld, flag, "-static", "-e", "__start", "-o", f"{stem}.elf", f"{stem}.o"],
        ):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                pytest.fail(f"{' '.join(cmd)} failed:\n{proc.stderr}\n{src}")
        return load_elf(f"{stem}.elf")

    return build

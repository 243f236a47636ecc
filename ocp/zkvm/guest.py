"""Building Go guests with the ordinary Go compiler (Debian's ``golang-go``).

A guest is a Go program of the repository's ``go/`` module (``go/examples/<name>``,
using the ``zkguest`` helper package) compiled to a static MIPS32 ELF:
``GOOS=linux GOARCH=mips|mipsle GOMIPS=softfloat CGO_ENABLED=0``, module mode
with no network (``GOPROXY=off``), ``-trimpath`` so the same source gives the
same binary (and the same program digest) on every machine.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from ocp.errors import UserError

#: The Go module holding ``zkguest`` and the example guests.
GO_MODULE = Path(__file__).resolve().parents[2] / "go"
ARCHES = ("mips", "mipsle")


def find_go() -> str:
    go = shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)
    if go is None:
        raise UserError("`go` not found: install Debian's golang-go (scripts/setup.sh does) to build Go guests")
    return go


def build_example(name: str, arch: str, out_dir: Path) -> Path:
    """``go/examples/<name>`` built for ``arch`` into ``out_dir`` (kept if already built
    from the same source: the file name carries the source's digest)."""
    if arch not in ARCHES:
        raise UserError(f"guest arch must be one of {', '.join(ARCHES)}, not {arch!r}")
    src = GO_MODULE / "examples" / name
    if not (src / "main.go").is_file():
        raise UserError(f"no Go guest example {name!r} in {GO_MODULE / 'examples'}")
    digest = hashlib.sha256()
    for path in sorted([*src.glob("*.go"), *(GO_MODULE / "zkguest").glob("*.go"), GO_MODULE / "go.mod"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    out_dir.mkdir(parents=True, exist_ok=True)
    dst = out_dir / f"{name}-{digest.hexdigest()[:12]}.{arch}"
    if dst.is_file():
        return dst
    env = {
        **os.environ,
        "GOOS": "linux",
        "GOARCH": arch,
        "GOMIPS": "softfloat",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-trimpath",
        "GO111MODULE": "on",
        "GOPROXY": "off",
    }
    if "HOME" not in env and "GOCACHE" not in env:
        env["GOCACHE"] = str(out_dir / "gocache")
    tmp = dst.with_suffix(dst.suffix + ".part")
    proc = subprocess.run(
        [find_go(), "build", "-o", str(tmp), f"./examples/{name}"],
        cwd=GO_MODULE,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise UserError(f"go build of guest {name} ({arch}) failed: {proc.stderr.strip()[:400]}")
    os.replace(tmp, dst)
    return dst


def selfcheck_input(data: bytes, *, lie: bool = False) -> bytes:
    """The ``selfcheck`` guest's input tape: the hex SHA-256 of ``data``, a newline,
    ``data``.  With ``lie`` the digest line is of other data (the guest exits 1)."""
    digest = hashlib.sha256(data + (b"!" if lie else b"")).hexdigest().encode()
    return digest + b"\n" + data

"""Atomic file writes and strict JSON/TOML reading with errors that name the file."""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

from ocp.errors import UserError


def write_atomic(path: str | Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` all at once: a temporary file in the same folder,
    fsync, then rename over the target and fsync the folder, so a crash never
    leaves half a file, an existing file is never lost, and the new file is on disk
    when this returns.  ``mode`` applies from the first byte (0600 keys)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: the directory entry is data of
    the folder)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: str | Path, obj: object, mode: int = 0o644) -> None:
    write_atomic(path, json.dumps(obj, indent=1) + "\n", mode)


def read_text(path: str | Path, what: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise UserError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"{what} {path} is a directory") from None
    except UnicodeDecodeError:
        raise UserError(f"{what} {path} is not text") from None


def read_json(path: str | Path, what: str) -> dict:
    text = read_text(path, what)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(obj, dict):
        raise UserError(f"{what} {path} must hold a JSON object")
    return obj


def read_structured(path: str | Path, what: str) -> dict:
    """TOML for ``.toml`` files, JSON otherwise."""
    if str(path).endswith(".toml"):
        text = read_text(path, what)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{what} {path} is not valid TOML: {exc}") from None
    return read_json(path, what)

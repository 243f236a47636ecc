"""Atomic file writes, the rules for what a command may write over, and strict
JSON/TOML reading with errors that name the file.

What a command may write over (:func:`check_output`, called before any work):

* never a file that is also one of the command's inputs (``-o params.toml`` when
  reading ``params.toml``), even with ``--force``: paths are compared resolved,
  so ``./p.toml``, a symlink or a hard link to it count as the same file;
* never a key file (an ``ocp-key`` JSON file) or any other private file (no
  access for group or others, e.g. mode 0600), even with ``--force``;
* any other existing file only with ``--force``.

:func:`write_atomic` itself also refuses to replace a key file unless told to.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

from ocp.errors import UserError

_KEY_FORMAT = re.compile(rb'"format"\s*:\s*"ocp-key/')
_HEAD = 4096


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_HEAD)
    except OSError:
        return b""


def is_key_file(path: str | Path) -> bool:
    """Whether ``path`` is an ``ocp`` key file (by its format tag)."""
    path = Path(path)
    return path.is_file() and bool(_KEY_FORMAT.search(_head(path)))


def has_format(path: str | Path, fmt: str) -> bool:
    """Whether the JSON file ``path`` declares ``"format": fmt`` near its start."""
    pattern = re.compile(rb'"format"\s*:\s*"' + re.escape(fmt.encode()) + rb'"')
    return bool(pattern.search(_head(Path(path))))


def is_private_file(path: str | Path) -> bool:
    """A regular file nobody but its owner may read (no group/other bits: 0600, 0400)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and not st.st_mode & 0o077


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (resolved paths, or the same inode)."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(
    path: str | Path,
    *,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
    replaces_format: str | None = None,
) -> Path:
    """Refuse to write ``path`` when that would lose something (see the module
    docstring); ``replaces_format`` lets a command replace, without ``--force``,
    a file it wrote itself earlier (e.g. an older drill report).  Returns the path."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {path}: folder {folder} does not exist")
    for source in inputs:
        if source is not None and same_file(path, source):
            raise UserError(
                f"{path} is an input of this command; ocp never writes over its input (choose another output file)"
            )
    if not (path.exists() or path.is_symlink()):
        return path
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a folder")
    if is_key_file(path):
        raise UserError(f"{path} is a key file; ocp never writes over a key file")
    if is_private_file(path):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        raise UserError(f"{path} is a private file (mode {mode:o}), perhaps a secret; ocp never writes over it")
    if force or (replaces_format is not None and has_format(path, replaces_format)):
        return path
    raise UserError(f"{path} exists; give --force to replace it, or choose another output file")


def write_atomic(path: str | Path, data: str | bytes, mode: int = 0o644, *, replace_key: bool = False) -> None:
    """Write ``data`` to ``path`` all at once: a temporary file in the same folder,
    fsync, then rename over the target and fsync the folder, so a crash never
    leaves half a file, an existing file is never lost, and the new file is on disk
    when this returns.  ``mode`` applies from the first byte (0600 keys).  An
    existing key file is replaced only with ``replace_key``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {path}: folder {folder} does not exist")
    if not replace_key and is_key_file(path):
        raise UserError(f"{path} is a key file; ocp never writes over a key file")
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


def write_json(path: str | Path, obj: object, mode: int = 0o644, *, replace_key: bool = False) -> None:
    write_atomic(path, json.dumps(obj, indent=1) + "\n", mode, replace_key=replace_key)


def names_a_file(arg: str) -> bool:
    """Whether a command-line argument that may be a value or a file name is an
    existing file (a long hex or base64 value is never taken for a path)."""
    try:
        return len(arg) < 4096 and Path(arg).is_file()
    except OSError:  # e.g. a name longer than the file system allows
        return False


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

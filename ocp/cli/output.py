"""What commands print: JSON, plain ``key: value`` lines, or rich text, and
progress bars.

* ``--json``: one JSON document on stdout, nothing else (no progress).
* stdout is not a terminal (a pipe, a file): plain ``key: value`` lines, one value
  per line, never cut or wrapped, so ``grep``/``cut`` see whole values.  Nested
  values get dotted keys (``leaves.0.control_block: ...``).
* a terminal: rich text; long hex, addresses, txids and reasons are folded onto
  further lines, never cut with an ellipsis.

Progress bars go to stderr, and only when stdout and stderr are both terminals
and ``--json`` is not given.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

Render = Callable[[Console], None]


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def stdout_console() -> Console:
    return Console(soft_wrap=False)


def plain_lines(data: object, prefix: str = "") -> Iterator[str]:
    """``key: value`` lines for ``data`` (dicts and lists flattened with dotted keys;
    newlines inside a value written as ``\\n`` so that every value stays one line)."""
    if isinstance(data, dict):
        if not data and prefix:
            yield f"{prefix}:"
        for key, value in data.items():
            yield from plain_lines(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list | tuple):
        if not data and prefix:
            yield f"{prefix}:"
        for index, value in enumerate(data):
            yield from plain_lines(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield f"{prefix}: {plain_value(data)}" if prefix else plain_value(data)


def plain_value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("\\", "\\\\").replace("\n", "\\n")


def print_plain(data: object) -> None:
    for line in plain_lines(data):
        print(line)


def emit(
    args: argparse.Namespace,
    data: object,
    render: Render | None = None,
    plain: Callable[[object], None] | None = None,
) -> None:
    """Print ``data``: as JSON under ``--json``; as plain ``key: value`` lines (or
    ``plain(data)``) when stdout is not a terminal; else ``render(console)`` (or
    every field of ``data``, folded)."""
    if wants_json(args):
        print(json.dumps(data, indent=2, sort_keys=False))
        return
    console = stdout_console()
    if not console.is_terminal:
        (plain or print_plain)(data)
        return
    if render is None:
        print_fields(console, data)
    else:
        render(console)


def print_fields(console: Console, data: object, indent: int = 0) -> None:
    """Rich ``key: value`` lines; long values fold at the terminal's width."""
    for line in plain_lines(data):
        key, sep, value = line.partition(": ")
        text = Text(" " * indent)
        if sep:
            text.append(key + ":", style="bold")
            text.append(" " + value)
        else:
            text.append(line)
        console.print(text, overflow="fold", soft_wrap=False, highlight=False)


def field(console: Console, key: str, value: object, indent: int = 0) -> None:
    """One ``key: value`` line, folded (never cut) when longer than the terminal."""
    text = Text(" " * indent)
    text.append(f"{key}:", style="bold")
    text.append(f" {plain_value(value)}")
    console.print(text, overflow="fold", highlight=False)


def table(*columns: str, **kwargs) -> Table:
    """A rich table whose cells fold long values instead of cutting them."""
    t = Table(**kwargs)
    for name in columns:
        t.add_column(name, overflow="fold")
    return t


def markup(text: object) -> str:
    return escape(str(text))


# --- progress --------------------------------------------------------------------------


class Bar:
    """A progress handle: ``phase(text)`` starts the next of a known number of
    phases; ``update(done, total)`` reports counted work within one."""

    def __init__(self, progress: Progress | None, phases: int) -> None:
        self._progress = progress
        self._phases = phases
        self._phase = 0
        self._task = None
        if progress is not None:
            self._task = progress.add_task("", total=None)

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def phase(self, description: str, total: int | None = None) -> None:
        self._phase += 1
        if self._progress is None:
            return
        label = f"[{self._phase}/{self._phases}] {description}" if self._phases > 1 else description
        self._progress.update(self._task, description=label, completed=0, total=total)

    def update(self, done: int, total: int | None = None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def tick(self, done: int, total: int) -> None:
        """A callback for functions that report ``(done, total)``."""
        self.update(done, total)


def progress_enabled(args: argparse.Namespace) -> bool:
    """Progress only on a terminal: not under ``--json``, not when stdout or
    stderr is a pipe or a file."""
    return not wants_json(args) and Console().is_terminal and Console(stderr=True).is_terminal


@contextmanager
def progress(args: argparse.Namespace, phases: int = 1) -> Iterator[Bar]:
    """A transient rich progress bar on stderr (see :func:`progress_enabled`)."""
    if not progress_enabled(args):
        yield Bar(None, phases)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield Bar(bar, phases)

"""Rendering DOT text with Graphviz's ``dot`` program (Debian package ``graphviz``,
installed by ``scripts/setup.sh``), run as a subprocess: ``dot -Tsvg`` /
``-Tpng``; ``html`` is the SVG in a page of its own (tooltips show on hover).
``dot`` itself needs no Graphviz.
"""

from __future__ import annotations

import shutil
import subprocess
from html import escape

from ocp.errors import UserError

FORMATS = ("svg", "png", "html", "dot")
#: A picture of a 4,096-step graph drawn --full takes Graphviz minutes, not hours.
DOT_TIMEOUT_S = 900
GRAPHVIZ_PACKAGE = "graphviz"


def dot_program() -> str:
    """The path of Graphviz's ``dot``, or a one-line error naming the package."""
    found = shutil.which("dot")
    if found is None:
        raise UserError(
            f"Graphviz's dot program is not installed (Debian package {GRAPHVIZ_PACKAGE}: "
            f"apt-get install {GRAPHVIZ_PACKAGE}, or bash scripts/setup.sh); --format dot needs no Graphviz"
        )
    return found


def needs_graphviz(fmt: str) -> bool:
    return fmt != "dot"


def run_dot(dot_text: str, output_format: str) -> bytes:
    """``dot -T<output_format>`` of ``dot_text``."""
    program = dot_program()
    try:
        done = subprocess.run(
            [program, f"-T{output_format}"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"Graphviz's dot did not finish in {DOT_TIMEOUT_S} s (draw without --full)") from None
    if done.returncode != 0:
        errors = done.stderr.decode(errors="replace").strip().splitlines()
        first = next((e for e in errors if "Warning" not in e), errors[0] if errors else "no message")
        raise UserError(f"Graphviz's dot failed (exit {done.returncode}): {first}")
    return done.stdout


def html_page(svg: bytes, title: str, subtitle: str) -> bytes:
    """The SVG in a page of its own (without its XML prolog and doctype)."""
    text = svg.decode()
    start = text.find("<svg")
    body = text[start:] if start >= 0 else text
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:1em}"
        "svg{max-width:100%;height:auto}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n<p>{escape(subtitle)}.  Hover a box, an output or an edge "
        "for its purpose, txid, leaf and signature status.</p>\n"
        f"{body}</body>\n</html>\n"
    )
    return page.encode()


def render(dot_text: str, fmt: str, title: str = "", subtitle: str = "") -> bytes:
    """The picture in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "dot":
        return dot_text.encode()
    if fmt == "html":
        return html_page(run_dot(dot_text, "svg"), title, subtitle)
    if fmt in ("svg", "png"):
        return run_dot(dot_text, fmt)
    raise UserError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")

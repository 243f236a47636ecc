"""``ocp graph draw``: a picture of the transaction graph (:mod:`ocp.draw`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ocp.cli import EXIT_OK
from ocp.cli.output import emit, markup, progress
from ocp.draw import (
    FORMATS,
    build_picture,
    input_statuses,
    needs_graphviz,
    read_overlay,
    render,
    to_dot,
)
from ocp.draw.render import dot_program
from ocp.errors import UserError
from ocp.fileio import check_output, write_atomic
from ocp.graphfile import load_graph
from ocp.signing import outstanding_signatures

JSON_HELP = "machine-readable output (JSON on stdout; errors as JSON on stderr)"
FORCE_HELP = "replace an existing output file (never an input or a key file)"


def add_draw_command(gsub: argparse._SubParsersAction) -> None:
    draw = gsub.add_parser(
        "draw",
        help="a picture of the graph: transactions, outputs, leaves, timelocks, signature status",
        description="Draw the graph with Graphviz: a box per transaction (who broadcasts it, "
        "its purpose, its payments, anchors and burns), a node per protocol output, and an "
        "edge per spend labelled with the leaf, its timelock and who signs, coloured by the "
        "input's signature status.  Numbered families (Assert_j, Slash_j, Disprove_i; a zkVM "
        "graph's Reveal_r, Choose_r, OperatorSilent_s... per game) are one box each unless "
        "--full.  Several operators are drawn as clusters over the shared Deposit/Confirm/V.  "
        "--report overlays a drill's timeline.",
    )
    draw.add_argument("graph", help="graph.json")
    draw.add_argument(
        "-o",
        "--output",
        help="file to write (default: the graph file's name with the format's suffix, e.g. graph.json -> graph.svg)",
    )
    draw.add_argument(
        "--format",
        choices=FORMATS,
        help="svg, png, html (the SVG in a page; tooltips on hover) or dot (the "
        "Graphviz source; needs no Graphviz) (default: from -o's suffix, else svg)",
    )
    draw.add_argument(
        "--full",
        action="store_true",
        help="draw every Assert_j, Slash_j and Disprove_i as its own box "
        "(default: one box per numbered family, e.g. Disprove_0..511 (512))",
    )
    draw.add_argument(
        "--report",
        metavar="REPORT",
        help="overlay a drill report (drill-reports/NAME.json): accepted moves "
        "numbered in timeline order and highlighted, refused moves marked; the "
        "graph must be the drill's own (drill-reports/NAME.graph.json)",
    )
    draw.add_argument(
        "--program",
        metavar="ELF",
        help="a zkVM graph's program (ELF), when it is not where the params name it nor next to the graph file",
    )
    draw.add_argument("--force", action="store_true", help=FORCE_HELP)
    draw.add_argument("--json", action="store_true", help=JSON_HELP)
    draw.set_defaults(func=cmd_draw)


def output_and_format(graph: str, output: str | None, fmt: str | None) -> tuple[Path, str]:
    """The file to write and its format: ``--format`` and ``-o``'s suffix must agree."""
    if output is None:
        fmt = fmt or "svg"
        return Path(graph).with_suffix(f".{fmt}"), fmt
    suffix = Path(output).suffix.lower().lstrip(".")
    named = {"gv": "dot", "htm": "html"}.get(suffix, suffix)
    if fmt is None:
        if named not in FORMATS:
            raise UserError(
                f"cannot tell the format from -o {output}: give --format ({', '.join(FORMATS)}) "
                "or a file name ending in one of them"
            )
        return Path(output), named
    if named in FORMATS and named != fmt:
        raise UserError(f"-o {output} says {named} but --format says {fmt}: make them agree")
    return Path(output), fmt


def cmd_draw(args: argparse.Namespace) -> int:
    path, fmt = output_and_format(args.graph, args.output, args.format)
    out = check_output(path, force=args.force, inputs=(args.graph, args.report))
    if needs_graphviz(fmt):
        dot_program()  # refuse before the work when Graphviz is missing
    with progress(args, phases=3) as bar:
        bar.phase("rebuilding the graph from its params")
        graph = load_graph(args.graph, args.program)
        bar.phase("checking every signature")
        statuses = input_statuses(graph, outstanding_signatures(graph))
        overlay = read_overlay(graph, args.report) if args.report else None
        bar.phase(f"drawing ({fmt})")
        picture = build_picture(graph, statuses, overlay, full=args.full)
        data = render(to_dot(picture), fmt, picture.title, picture.subtitle)
    write_atomic(out, data)
    info = {
        "output": str(out),
        "format": fmt,
        "graph_id": graph.graph_id.hex(),
        "transactions": len(graph.txs),
        "boxes": len(picture.boxes),
        "collapsed": picture.collapsed,
        "outputs": len(picture.outputs),
        "spends": len(picture.spends),
        "inputs": {status.value: n for status, n in picture.statuses.items()},
        "bytes": len(data),
    }
    if overlay is not None:
        info["report"] = {
            "file": overlay.source,
            "drill": overlay.drill,
            "moves": len(overlay.events),
            "accepted": sum(e.accepted for e in overlay.events),
            "refused": sum(not e.accepted for e in overlay.events),
            "not_in_graph": [e.label for e in overlay.unmatched],
        }

    def say(console) -> None:
        folded = ", ".join(f"{label}" for label in picture.collapsed) or "none"
        console.print(
            f"{info['transactions']} transactions as {info['boxes']} boxes ({fmt}) -> {markup(out)}; "
            f"families drawn as one box: {markup(folded)}"
            + ("" if args.full or not picture.collapsed else " (--full draws each)"),
            highlight=False,
        )
        missing = info["inputs"]["missing"] + info["inputs"]["invalid"]
        if missing:
            console.print(f"[yellow]{missing} inputs still lack valid signatures (orange/red edges)[/]")
        if overlay is not None:
            r = info["report"]
            console.print(
                f"drill {markup(r['drill'])}: {r['accepted']} accepted and {r['refused']} refused moves drawn",
                highlight=False,
            )

    emit(args, info, say)
    return EXIT_OK

"""A :class:`~ocp.draw.picture.Picture` as Graphviz DOT text (pure: no Graphviz needed).

Boxes are filled by who broadcasts them, dashed when a challenger completes them;
spend edges are coloured by the inputs' signature status; a legend counts the
inputs per status; with a drill overlay, accepted moves get a thick border and
their number in the timeline, refused moves are listed in red, and a timeline
table lists every move in order.  The same picture always gives the same text.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from html import escape

from ocp.draw.overlay import DrillEvent
from ocp.draw.picture import Box, Cluster, Coin, OutputNode, Picture, Spend
from ocp.draw.status import InputStatus
from ocp.ids import Role

FONT = "Helvetica"
ROLE_FILL = {
    Role.DEPOSITOR: "#fff4c2",
    Role.OPERATOR: "#dcebfb",
    Role.CHALLENGER: "#fbdede",
    Role.COMMITTEE: "#ececec",
}
#: status -> (colour, line style)
STATUS_STYLE = {
    InputStatus.PRESIGNED: ("#2e7d32", "solid"),
    InputStatus.TEMPLATE: ("#1565c0", "solid"),
    InputStatus.AT_BROADCAST: ("#7b1fa2", "solid"),
    InputStatus.MISSING: ("#e65100", "dashed"),
    InputStatus.INVALID: ("#c62828", "bold"),
}
ACCEPTED = "#b8860b"
REFUSED = "#c62828"
UNEXPECTED = "#c62828"
PURPOSE_WIDTH = 40
PURPOSE_LINES = 3
REASON_WIDTH = 64
BOX_EVENT_LINES = 4
STACK_MIN_WIDTH = 8


def quote(text: str) -> str:
    """A DOT quoted string (IDs, tooltips): ``\\n`` starts a new line."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html(text: str) -> str:
    return escape(text, quote=True)


def wrapped(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters at spaces; a longer word (hex, a
    txid) stays whole."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def small(text: str, size: int = 8, color: str | None = None) -> str:
    colour = f' color="{color}"' if color else ""
    return f'<font point-size="{size}"{colour}>{html(text)}</font>'


def attrs(**values: str) -> str:
    """``[k=v, ...]``: HTML labels (``<...>``) as they are, other values quoted."""
    parts = []
    for key, value in values.items():
        parts.append(f"{key}={value}" if value.startswith("<") else f"{key}={quote(value)}")
    return "[" + ", ".join(parts) + "]"


# --- drill moves ------------------------------------------------------------------------------


def runs(
    events: Sequence[DrillEvent],
    where: Callable[[DrillEvent], object] = lambda e: None,
) -> list[list[DrillEvent]]:
    """Consecutive moves (timeline order) at the same place (``where``) with the same
    outcome, expectation and rule, merged into runs: 64 refused Disproves are one line."""
    out: list[list[DrillEvent]] = []
    for e in events:
        last = out[-1][-1] if out else None
        if (
            last is not None
            and e.order == last.order + 1
            and where(e) == where(last)
            and (e.accepted, e.expected, e.rule) == (last.accepted, last.expected, last.rule)
        ):
            out[-1].append(e)
        else:
            out.append([e])
    return out


def run_text(run: Sequence[DrillEvent], with_reason: bool, named: bool = False) -> str:
    """``#7 refused at height 108: the step it disputes is right`` (``named``: with the
    move's label, for a box that stands for a family)."""
    first, last = run[0], run[-1]
    orders = f"#{first.order}" if len(run) == 1 else f"#{first.order}..#{last.order}"
    if named and len(run) == 1:
        orders += f" {first.label}"
    heights = f"{first.height}" if first.height == last.height else f"{first.height}..{last.height}"
    what = "accepted" if first.accepted else "refused"
    times = f" ×{len(run)}" if len(run) > 1 else ""
    text = f"{orders} {what}{times} at height {heights}"
    if not first.as_expected:
        text = f"UNEXPECTED: {text} (expected {'accepted' if first.expected else 'refused'})"
    if not first.accepted:
        why = first.rule or first.reason
        if with_reason and first.reason and first.reason != why:
            why = f"{why} [{first.reason}]" if why else first.reason
        if why:
            text += f": {why}"
    return text


def _event_colour(run: Sequence[DrillEvent]) -> str:
    if not run[0].as_expected:
        return UNEXPECTED
    return ACCEPTED if run[0].accepted else REFUSED


# --- nodes --------------------------------------------------------------------------------------


def box_node(box: Box) -> str:
    lines = [f"<b>{html(box.label)}</b>", small(f"broadcast by the {box.role}", 9)]
    purpose = wrapped(box.purpose, PURPOSE_WIDTH)
    if len(purpose) > PURPOSE_LINES:
        purpose = purpose[:PURPOSE_LINES]
        purpose[-1] += " ..."
    lines += [small(line, 8, "#444444") for line in purpose]
    lines += [small(line, 8, "#333333") for line in box.outputs]
    moves = runs(box.events)
    shown = moves if len(moves) <= BOX_EVENT_LINES else moves[: BOX_EVENT_LINES - 1]
    for run in shown:
        text = run_text(run, with_reason=False, named=len(box.names) > 1)
        for i, line in enumerate(wrapped(text, PURPOSE_WIDTH + 8)):
            lines.append(small(("" if i == 0 else "  ") + line, 8, _event_colour(run)))
    if len(shown) < len(moves):
        rest = [e for run in moves[len(shown) :] for e in run]
        ok = sum(e.accepted for e in rest)
        lines.append(small(f"and {len(rest)} more moves: {ok} accepted, {len(rest) - ok} refused", 8))
    style = "rounded,filled" + (",dashed" if box.template else "")
    accepted = any(e.accepted for e in box.events)
    values = {
        "shape": "box",
        "style": style,
        "fillcolor": ROLE_FILL.get(box.role, "#ffffff"),
        "label": "<" + "<br/>".join(lines) + ">",
        "tooltip": box.tooltip,
    }
    if accepted:
        values.update(color=ACCEPTED, penwidth="3.5")
    elif box.events:
        values.update(color=REFUSED, penwidth="1.5")
    return f"{quote(box.id)} {attrs(**values)};"


def output_node(node: OutputNode) -> str:
    label = f"<<b>{html(node.label)}</b><br/>{small(node.amount, 7)}>"
    return f"{quote(node.id)} {attrs(shape='ellipse', style='filled', fillcolor='#ffffff', label=label, tooltip=node.tooltip, margin='0.04,0.02')};"  # noqa: E501


def coin_node(coin: Coin) -> str:
    label = f"<{html(coin.label)}<br/>{small(coin.amount, 7)}>"
    return f"{quote(coin.id)} {attrs(shape='note', style='filled', fillcolor='#f6f6f6', label=label, tooltip=f'{coin.ref}: {coin.label}, spent by key path', fontsize='9')};"  # noqa: E501


def spend_edge(spend: Spend) -> str:
    colour, style = STATUS_STYLE[spend.status]
    count = len(spend.inputs)
    head = spend.leaf + (f" ×{count}" if count > 1 else "")
    if spend.accepted:
        shown = ", ".join(f"#{o}" for o in spend.accepted[:3]) + (" ..." if len(spend.accepted) > 3 else "")
        head = f"{shown}: {head}"
    rows = [f"<b>{html(head)}</b>"]
    if spend.lock:
        rows.append(html(spend.lock))
    rows.append(html(spend.signers))
    label = f'<<font point-size="8" color="{colour}">' + "<br/>".join(rows) + "</font>>"
    values = {
        "color": colour,
        "style": style,
        "label": label,
        "tooltip": spend.tooltip,
        "labeltooltip": spend.tooltip,
    }
    if spend.accepted:
        values["penwidth"] = "3.5"
    return f"{quote(spend.source)} -> {quote(spend.target)} {attrs(**values)};"


# --- legend and timeline ----------------------------------------------------------------------


#: A panel of the title: a table with a thin rounded frame.
PANEL = '<table border="1" style="rounded" color="#999999" cellborder="0" cellspacing="2" cellpadding="2">'


def legend(picture: Picture) -> str:
    """What the colours and marks mean, with the number of inputs per status."""

    def row(mark: str, text: str, note: str = "") -> str:
        cells = f'<td align="left">{small(text, 9)}</td>'
        cells += f'<td align="left">{small(note, 9, "#555555")}</td>' if note else ""
        span = "" if note else ' colspan="2"'
        return f"<tr><td>{mark}</td>" + cells.replace("<td", f"<td{span}", 1) + "</tr>"

    def heading(text: str) -> str:
        return f'<tr><td colspan="3"><b>{small(text, 10)}</b></td></tr>'

    rows = [heading("signatures of each input (edge colour)")]
    for status, (colour, style) in STATUS_STYLE.items():
        line = "- - - -" if style == "dashed" else "━━━━"
        rows.append(
            row(
                f'<font color="{colour}">{line}</font>',
                f"{status}: {picture.statuses.get(status, 0)} inputs",
                status.meaning,
            )
        )
    rows.append(heading("who broadcasts (box colour)"))
    for role in (Role.DEPOSITOR, Role.OPERATOR, Role.CHALLENGER):
        rows.append(row(f'<font color="{ROLE_FILL[role]}">████</font>', str(role)))
    rows.append(row("- - -", "dashed box: a template a challenger completes"))
    if picture.overlay is not None:
        rows.append(
            row(f'<font color="{ACCEPTED}">━━━━</font>', "thick: accepted in the drill (#n: its place in the timeline)")
        )
        rows.append(row(f'<font color="{REFUSED}">#n</font>', "refused move, with the rule it breaks"))
    if picture.collapsed:
        rows.append(row("", "numbered families are drawn as one box each; --full draws every transaction"))
    return PANEL + "".join(rows) + "</table>"


def timeline(picture: Picture) -> str | None:
    """Every move of the drill, in order (consecutive like moves on one box merged),
    or None without an overlay."""
    overlay = picture.overlay
    if overlay is None:
        return None
    box_of = {name: box.label for box in picture.boxes for name in box.names}

    def where(e: DrillEvent) -> str:
        return box_of[e.tx] if e.tx is not None else e.label

    rows = [f'<tr><td colspan="3"><b>{small(f"drill {overlay.drill}: the timeline", 10)}</b></td></tr>']
    for run in runs(overlay.events, where):
        first = run[0]
        what = first.label if len(run) == 1 else where(first)
        if first.tx is None:
            what += " (not in this graph)"
        colour = _event_colour(run)
        body = "<br/>".join(small(t, 9, colour) for t in wrapped(run_text(run, with_reason=True), REASON_WIDTH))
        rows.append(
            f'<tr><td align="left" valign="top">{small(what, 9)}</td>'
            f'<td align="left" valign="top">{small(first.who, 9)}</td>'
            f'<td align="left" valign="top" balign="left">{body}</td></tr>'
        )
    return PANEL + "".join(rows) + "</table>"


# --- the graph ----------------------------------------------------------------------------------


def stack_width(n: int) -> int:
    """Boxes per row when a family of ``n`` is drawn in full: about as many rows as boxes in a row."""
    return max(STACK_MIN_WIDTH, math.ceil(math.sqrt(n)))


def _in(cluster: Cluster, items: Iterable) -> list:
    return [item for item in items if item.cluster == cluster]


def to_dot(picture: Picture) -> str:
    """The DOT text of ``picture``."""
    panels = [legend(picture)]
    table = timeline(picture)
    if table is not None:
        panels.append(table)
    cells = "".join(f'<td valign="top">{panel}</td>' for panel in panels)
    title = (
        f'<<table border="0" cellspacing="6"><tr><td colspan="{len(panels)}"><b>{html(picture.title)}</b>'
        f"<br/>{small(picture.subtitle, 10)}</td></tr><tr>{cells}</tr></table>>"
    )
    lines = [
        "digraph ocp {",
        f"  graph {attrs(rankdir='TB', fontname=FONT, fontsize='12', labelloc='t', label=title, nodesep='0.3', ranksep='0.5', newrank='true', tooltip=picture.title)};",  # noqa: E501
        f"  node {attrs(fontname=FONT, fontsize='10', margin='0.12,0.06')};",
        f"  edge {attrs(fontname=FONT, fontsize='8', arrowsize='0.7')};",
    ]
    for k, (cluster, label) in enumerate(picture.clusters):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(
            f"    graph {attrs(label=label, style='rounded,dashed', color='#9e9e9e', fontsize='11', tooltip=label)};"
        )  # noqa: E501
        for coin in _in(cluster, picture.coins):
            lines.append("    " + coin_node(coin))
        for box in _in(cluster, picture.boxes):
            lines.append("    " + box_node(box))
        for node in _in(cluster, picture.outputs):
            lines.append("    " + output_node(node))
        lines.append("  }")
    for creation in picture.creations:
        lines.append(
            f"  {quote(creation.source)} -> {quote(creation.target)} {attrs(color='#555555', arrowhead='none', penwidth='1.2', tooltip='creates')};"
        )  # noqa: E501
    for spend in picture.spends:
        lines.append("  " + spend_edge(spend))
    for stack in picture.stacks:
        width = stack_width(len(stack))
        for above, below in zip(stack[:-width], stack[width:], strict=True):
            lines.append(f"  {quote(above)} -> {quote(below)} [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"

"""A drill report's timeline, matched to the transactions of the graph it ran.

A report (``ocp drill run``, format ``ocp-drill-report/2``) lists every move in
order: the transaction's label (its name and a note, ``Take1 (early)``), who
sent it, whether the chain accepted it and, for a forbidden move, the rule it
breaks.  Each move is matched to the graph's transaction by txid, or, for a
template the challenger completed (its txid is new) and for a drill that rebuilt
its graph (``refund``'s second deposit), by looking the rendered names of the
graph's transactions up in the label: ``name`` or ``name (note)`` -- a lookup of
names the graph renders, never a parse of the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ocp.drill.report import REPORT_FORMAT
from ocp.errors import UserError
from ocp.fileio import read_json
from ocp.graph import Graph
from ocp.ids import TxName


@dataclass(frozen=True)
class DrillEvent:
    """One move of a drill's timeline."""

    order: int  # 1-based position in the timeline
    height: int
    label: str  # the report's transaction label, e.g. "Take1 (early)"
    tx: TxName | None  # the graph's transaction, None when the graph has none by that name
    who: str
    accepted: bool
    expected: bool  # the drill expected it accepted
    reason: str  # the chain's reject reason ("" when accepted)
    rule: str  # for a forbidden move: why it must be refused

    @property
    def as_expected(self) -> bool:
        return self.accepted == self.expected


@dataclass(frozen=True)
class DrillOverlay:
    drill: str
    source: str  # the report file
    events: tuple[DrillEvent, ...]

    @property
    def unmatched(self) -> tuple[DrillEvent, ...]:
        return tuple(e for e in self.events if e.tx is None)


def _field(entry: Mapping, key: str, kind: type, where: str):
    value = entry.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise UserError(f"{where}: field {key!r} must be a {kind.__name__}")
    return value


class _Matcher:
    """The graph's transactions by txid and by rendered name."""

    def __init__(self, graph: Graph) -> None:
        self.by_txid = {gtx.txid: name for name, gtx in graph.txs.items()}
        self.by_name = [(str(name), name) for name in graph.txs]

    def __call__(self, label: str, txid: str) -> TxName | None:
        if txid in self.by_txid:
            return self.by_txid[txid]
        for rendered, name in self.by_name:
            if label == rendered or label.startswith(rendered + " ("):
                return name
        return None


def read_overlay(graph: Graph, path: str | Path) -> DrillOverlay:
    """The timeline of the drill report at ``path``, matched to ``graph``, which must
    be the graph the drill ran (the same graph id)."""
    report = read_json(path, "drill report")
    if report.get("format") != REPORT_FORMAT:
        raise UserError(f"drill report {path}: format is {report.get('format')!r}, expected {REPORT_FORMAT!r}")
    drill = _field(report, "drill", str, f"drill report {path}")
    graph_id = _field(report, "graph_id", str, f"drill report {path}")
    if graph_id != graph.graph_id.hex():
        own = report.get("graph_file")
        hint = f" (the drill wrote its graph to {own})" if isinstance(own, str) else ""
        raise UserError(
            f"drill report {path} is of graph {graph_id}, not of this graph "
            f"({graph.graph_id.hex()}): draw the drill's own graph{hint}"
        )
    timeline = report.get("timeline")
    if not isinstance(timeline, list):
        raise UserError(f"drill report {path}: field 'timeline' must be a list")
    match = _Matcher(graph)
    events = []
    for order, entry in enumerate(timeline, start=1):
        where = f"drill report {path}: timeline entry {order}"
        if not isinstance(entry, dict):
            raise UserError(f"{where} must be an object")
        result = _field(entry, "result", str, where)
        expected = _field(entry, "expected", str, where)
        for value in (result, expected):
            if value not in ("accepted", "refused"):
                raise UserError(f"{where}: {value!r} is neither 'accepted' nor 'refused'")
        label = _field(entry, "transaction", str, where)
        txid = entry.get("txid", "")
        events.append(
            DrillEvent(
                order=order,
                height=_field(entry, "height", int, where),
                label=label,
                tx=match(label, txid if isinstance(txid, str) else ""),
                who=_field(entry, "who", str, where),
                accepted=result == "accepted",
                expected=expected == "accepted",
                reason=entry.get("reason") or "",
                rule=entry.get("rule") or "",
            )
        )
    return DrillOverlay(drill, str(path), tuple(events))

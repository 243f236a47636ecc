"""Replacement (RBF) of mempool transactions, as Bitcoin Core 31's cluster mempool
decides it (``policy/rbf.cpp``, ``MemPoolAccept::ReplacementChecks``): any
conflicting transaction may be replaced (full RBF) when the replacement

- conflicts with at most 100 clusters (rule 5, ``too many potential replacements``);
- pays at least the fees of everything it evicts (rule 3) and, on top, its own
  size at the incremental relay feerate (rule 4; both ``insufficient fee``);
- keeps its cluster within the limits (``too-large-cluster``);
- strictly improves the feerate diagram of the clusters it touches
  (``replacement-failed``).

Diagrams are built from an optimal chunking of each cluster: the highest-feerate
ancestor-closed subset first, then the next, found by trying every subset for
clusters of up to :data:`EXACT_CLUSTER_SIZE` transactions and ancestor sets beyond
(Core's linearizer is exact for the small clusters a drill makes).  Sizes are
sigop-adjusted weights (Core's ``FeePerWeight``).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from regtest.policy import fee_at
from regtest.rules import Reject

MAX_REPLACEMENT_CANDIDATES = 100
DEFAULT_CLUSTER_LIMIT = 64
DEFAULT_CLUSTER_SIZE_LIMIT_VBYTES = 101_000
EXACT_CLUSTER_SIZE = 12
COIN = 100_000_000


@dataclass(frozen=True)
class FeeFrac:
    """A fee over a size (Core's ``FeeFrac``)."""

    fee: int
    size: int


@dataclass(frozen=True)
class GraphTx:
    """One transaction of a cluster: its fee, sigop-adjusted weight and vsize, and
    its in-cluster parents."""

    fee: int
    weight: int
    vsize: int
    parents: frozenset[str]


def format_money(sats: int) -> str:
    """Core's FormatMoney: BTC with at least two decimals, trailing zeros trimmed."""
    text = f"{abs(sats) // COIN}.{abs(sats) % COIN:08d}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = text + "0" * (2 - len(text.split(".")[1]))
    return ("-" if sats < 0 else "") + text


def clusters(graph: Mapping[str, GraphTx]) -> list[set[str]]:
    """Connected components of the parent/child relation."""
    neighbours: dict[str, set[str]] = {txid: set() for txid in graph}
    for txid, node in graph.items():
        for parent in node.parents:
            if parent in graph:
                neighbours[txid].add(parent)
                neighbours[parent].add(txid)
    seen: set[str] = set()
    found = []
    for start in graph:
        if start in seen:
            continue
        component, todo = set(), [start]
        while todo:
            txid = todo.pop()
            if txid in component:
                continue
            component.add(txid)
            todo.extend(neighbours[txid] - component)
        seen |= component
        found.append(component)
    return found


def _closed(subset: Set[str], graph: Mapping[str, GraphTx], within: Set[str]) -> bool:
    return all(p in subset for t in subset for p in graph[t].parents if p in within)


def _ancestors(txid: str, graph: Mapping[str, GraphTx], within: Set[str]) -> set[str]:
    found, todo = set(), [txid]
    while todo:
        t = todo.pop()
        if t in found:
            continue
        found.add(t)
        todo.extend(p for p in graph[t].parents if p in within)
    return found


def _better(a: FeeFrac, b: FeeFrac | None) -> bool:
    """Higher feerate wins; at equal feerate the smaller set."""
    if b is None:
        return True
    left, right = a.fee * b.size, b.fee * a.size
    return left > right or (left == right and a.size < b.size)


def chunk_cluster(cluster: Set[str], graph: Mapping[str, GraphTx]) -> list[FeeFrac]:
    """The chunks of an optimal linearization of ``cluster``, best feerate first."""
    remaining = set(cluster)
    chunks = []
    while remaining:
        members = sorted(remaining)
        if len(members) <= EXACT_CLUSTER_SIZE:
            candidates = (
                {members[i] for i in range(len(members)) if mask >> i & 1} for mask in range(1, 1 << len(members))
            )
        else:
            candidates = (_ancestors(t, graph, remaining) for t in members)
        best, best_frac = None, None
        for subset in candidates:
            if not _closed(subset, graph, remaining):
                continue
            frac = FeeFrac(sum(graph[t].fee for t in subset), sum(graph[t].weight for t in subset))
            if _better(frac, best_frac):
                best, best_frac = subset, frac
        assert best is not None and best_frac is not None
        chunks.append(best_frac)
        remaining -= best
    return chunks


def diagram(chunks: list[FeeFrac]) -> list[FeeFrac]:
    """Chunks of several clusters merged into one diagram, best feerate first."""
    return sorted(chunks, key=lambda c: (-c.fee / c.size, c.size))


def compare_diagrams(new: list[FeeFrac], old: list[FeeFrac]) -> int:
    """Core's CompareChunks: 1 when ``new`` is nowhere below ``old`` and above it
    somewhere, -1 for the reverse, 0 when equal or when they cross."""

    def points(chunks: list[FeeFrac]) -> list[tuple[int, int]]:
        out, fee, size = [(0, 0)], 0, 0
        for c in chunks:
            fee, size = fee + c.fee, size + c.size
            out.append((size, fee))
        return out

    def value_at(pts: list[tuple[int, int]], x: int) -> tuple[int, int]:
        """The diagram's fee at size x, as a fraction (numerator, denominator)."""
        for (s0, f0), (s1, f1) in zip(pts, pts[1:], strict=False):
            if s0 <= x <= s1:
                return f0 * (s1 - s0) + (x - s0) * (f1 - f0), s1 - s0
        return pts[-1][1], 1  # flat beyond the last point

    a, b = points(diagram(new)), points(diagram(old))
    above = below = False
    for x in sorted({s for s, _ in a} | {s for s, _ in b}):
        (na, da), (nb, db) = value_at(a, x), value_at(b, x)
        diff = na * db - nb * da
        above |= diff > 0
        below |= diff < 0
    if above and not below:
        return 1
    if below and not above:
        return -1
    return 0


def replacement_reject(
    txid: str,
    new: GraphTx,
    graph: Mapping[str, GraphTx],
    direct_conflicts: Set[str],
    evicted: Set[str],
    incremental_relay_feerate: int,
) -> Reject | None:
    """ReplacementChecks for ``txid`` (``new``, its in-pool parents set) against the
    mempool ``graph``: None when the replacement of ``evicted`` (the direct
    conflicts and their descendants) is allowed, else Core's reason and detail."""
    all_clusters = clusters(graph)
    touched = [c for c in all_clusters if c & direct_conflicts]
    if len(touched) > MAX_REPLACEMENT_CANDIDATES:
        return Reject(
            "too many potential replacements",
            f"rejecting replacement {txid}; too many conflicting clusters "
            f"({len(touched)} > {MAX_REPLACEMENT_CANDIDATES})",
        )
    original = sum(graph[t].fee for t in evicted)
    if new.fee < original:
        return Reject(
            "insufficient fee",
            f"rejecting replacement {txid}, less fees than conflicting txs; "
            f"{format_money(new.fee)} < {format_money(original)}",
        )
    relay = fee_at(incremental_relay_feerate, new.vsize)
    if new.fee - original < relay:
        return Reject(
            "insufficient fee",
            f"rejecting replacement {txid}, not enough additional fees to relay; "
            f"{format_money(new.fee - original)} < {format_money(relay)}",
        )
    after = {t: g for t, g in graph.items() if t not in evicted}
    after[txid] = new
    limit = cluster_limit_reject(txid, after)
    if limit is not None:
        return limit
    affected = {t for c in all_clusters if c & (evicted | new.parents) for t in c}
    old_chunks = [ch for c in all_clusters if c & affected for ch in chunk_cluster(c, graph)]
    new_clusters = [c for c in clusters(after) if txid in c or c & affected]
    new_chunks = [ch for c in new_clusters for ch in chunk_cluster(c, after)]
    if compare_diagrams(new_chunks, old_chunks) <= 0:
        return Reject("replacement-failed", "insufficient feerate: does not improve feerate diagram")
    return None


def cluster_limit_reject(txid: str, graph: Mapping[str, GraphTx]) -> Reject | None:
    """CheckMemPoolPolicyLimits: the cluster ``txid`` lands in stays within 64
    transactions and 101,000 vbytes."""
    for cluster in clusters(graph):
        if txid in cluster:
            size = sum(graph[t].vsize for t in cluster)
            if len(cluster) > DEFAULT_CLUSTER_LIMIT or size > DEFAULT_CLUSTER_SIZE_LIMIT_VBYTES:
                return Reject("too-large-cluster")
    return None

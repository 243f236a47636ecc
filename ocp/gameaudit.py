"""Static audit checks of a version-2 graph's games (``ocp graph audit``;
docs/protocol-v2.md, ARCHITECTURE.md sections 4-5).

* **exclusive outcomes**: Take1 and every game's Open share the gate G_k (no game
  opens after Take1, no Take1 while a game may open); Take2, StakeBack2 and every
  way a challenger wins (Catch, OperatorSilent) share the stake S; every move out
  of a game state and that state's timeout share the state's token T (one way on
  per state).
* **windows**: each lock a leaf starts with and each input's nSequence are the
  params': the gate opens after :data:`ocp.builder.games.OPEN_CSV` block and
  closes with Take1 after ``challenge_window``; the stake pays Take2 after T_max;
  a state's timeout leaf waits ``move_window`` blocks and so does the
  transaction that spends it.
"""

from __future__ import annotations

from ocp.builder.games import OPEN, OPEN_CSV, TAKE1, TAKE2, TIMEOUT, t_max
from ocp.game.play import GameRef
from ocp.graph import Graph
from ocp.ids import TxKind, TxName
from ocp.rules import Finding

#: Transactions by which a challenger wins a game (each spends the stake S).
WIN_KINDS = (TxKind.CATCH, TxKind.OPERATOR_SILENT)


def _games(graph: Graph) -> list[GameRef]:
    p = graph.params
    return [GameRef(graph, o, k) for o in range(len(p.operators)) for k in range(len(p.challengers))]


def game_exclusive_pairs(graph: Graph) -> list[tuple[TxName, TxName]]:
    """Pairs of transactions of which at most one can ever confirm."""
    pairs = [(TxName(TxKind.CONFIRM), TxName(TxKind.REFUND))]
    takes = [n for n in graph.txs if n.kind in (TxKind.TAKE1, TxKind.TAKE2)]
    pairs += [(a, b) for i, a in enumerate(takes) for b in takes[i + 1 :]]  # one vault, one Take
    for o in range(len(graph.params.operators)):
        number = o + 1 if len(graph.params.operators) > 1 else None
        take1, take2 = TxName(TxKind.TAKE1, None, number), TxName(TxKind.TAKE2, None, number)
        pairs += [(take1, TxName(TxKind.STAKEBACK1, None, number)), (take2, TxName(TxKind.STAKEBACK2, None, number))]
    for ref in _games(graph):
        take1, take2 = TxName(TxKind.TAKE1, None, ref.number), TxName(TxKind.TAKE2, None, ref.number)
        pairs.append((take1, ref.open))
        for state in ref.layout.states:
            ways = [ref.move_name(state, m) for m in state.moves] + [ref.silent_name(state)]
            pairs += [(a, b) for i, a in enumerate(ways) for b in ways[i + 1 :]]
            pairs += [(take2, w) for w in ways if w.kind in WIN_KINDS]
    return pairs


def game_window_findings(graph: Graph) -> list[Finding]:
    """Every game lock is the params' (leaf CSVs and the inputs that satisfy them)."""
    from ocp.audit import _csv_of

    p = graph.params
    w, tmax = p.windows, t_max(p, graph.layout)  # type: ignore[arg-type]
    want = {TAKE1: w.challenge, TAKE2: tmax, OPEN: OPEN_CSV, TIMEOUT: w.move}
    out = []
    for gout in graph.outputs.values():
        locks = {leaf.name: _csv_of(gout.tapleaf(leaf.name).script.raw) for leaf in gout.leaves if leaf.name in want}
        for leaf, lock in locks.items():
            out.append(
                Finding(
                    lock == want[leaf], "windows", f"{gout.label} {leaf}", f"after {lock} blocks (want {want[leaf]})"
                )
            )
    for name, gtx in graph.txs.items():
        for index, (txin, spend) in enumerate(zip(gtx.tx.inputs, gtx.spends, strict=True)):
            if spend.leaf in want and not spend.any_leaf:
                ok = txin.sequence == want[spend.leaf]
                out.append(
                    Finding(
                        ok,
                        "windows",
                        f"{name} input {index}",
                        f"nSequence {txin.sequence} for leaf {spend.leaf} (want {want[spend.leaf]})",
                    )
                )
    return out

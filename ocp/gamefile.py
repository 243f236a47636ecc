"""``graph.json`` of a version-2 graph: a zkVM program's claim, disputed by games.

A game's data outputs hold thousands of check leaves (one per execute kind the
program can run, and per code and image chunk: megabytes of script for a Go guest,
ARCHITECTURE.md section 5, "Sizes"), so the file stores what the graph is
*generated* from, not its leaves:

* ``params``, with the computation: the program's path (as the params name it),
  its digest and the search geometry (``max_steps``, ``nary``, ``input_words``);
* ``game_keys``: every party's one-time public keys (:class:`ocp.game.keys.GameKeys`);
* ``graph_id``, ``committee``, and ``game``: the game's states and what each data
  output may be spent by (leaf kinds and counts, for people);
* every transaction: txid, hex, fee, what each input spends (by which leaf, or by
  ``any_leaf`` the mover picks when it moves) and each output's taproot
  commitments -- output key, Merkle root, number of leaves, their kinds and
  script bytes -- never a leaf's script;
* ``signatures`` collected so far.

Loading regenerates the whole graph from the params, the keys and the program's
ELF (:func:`ocp.builder.games.build_graph_v2`), writes the file again in memory and
refuses any difference, naming the first field that differs (a txid, an output
key, a Merkle root, the graph id...), then refuses a stored signature that does
not verify or whose key the graph does not know.  The ELF must be the one the
params' digest names (:class:`ocp.game.computation.ZkvmComputation`); it is
looked for where the params say, else next to the graph file, unless its path is
given (``--program``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ocp.errors import UserError
from ocp.graph import Graph, GraphOutput
from ocp.ids import OutputRef
from ocp.leaves import GraphLeaf
from ocp.leaves.checked import CheckedLeaf

GAMES_FORMAT = "ocp-graph-v2/1"


def leaf_kind(leaf: GraphLeaf) -> str:
    """What a leaf checks, for people: a check leaf's kind without its parameters
    (``Execute`` for ``Execute[addu/0]``), else the leaf's name kind (``take1``)."""
    if isinstance(leaf, CheckedLeaf):
        return (leaf.label or leaf.check.kind).split("[", 1)[0]
    return leaf.name.kind.value


def leaf_kinds(leaves) -> dict[str, int]:
    """Leaf kind -> how many, in first-seen order."""
    return dict(Counter(leaf_kind(leaf) for leaf in leaves))


def output_summary(out: GraphOutput, network: str) -> dict:
    """An output's commitments and a summary of its leaves (not their scripts)."""
    root = out.output.merkle_root
    return {
        "label": out.label,
        "address": out.output.address(network),
        "output_key": out.output.output_key.hex(),
        "merkle_root": None if root is None else root.hex(),
        "leaves": len(out.leaves),
        "leaf_kinds": leaf_kinds(out.leaves),
        "script_bytes": sum(leaf.script.size for leaf in out.leaves),
    }


def game_summary(graph: Graph) -> dict:
    """The game's states as people read them: who moves, what each data output's
    leaves check (kinds and counts), where each move leads."""
    from ocp.builder.games import t_max

    layout = graph.layout
    states = []
    for s in layout.states:  # type: ignore[attr-defined]
        data = []
        for d in s.data:
            kinds = Counter(leaf.kind.split("[", 1)[0] for leaf in d.leaves)
            data.append({"label": d.label, "leaves": len(d.leaves), "kinds": dict(kinds)})
        moves = [{"kind": m.kind.value, "spends_data": list(m.data), "next_state": m.next_state} for m in s.moves]
        states.append(
            {
                "index": s.index,
                "label": s.label,
                "mover": s.mover.value,
                "phase": s.phase.value,
                "data": data,
                "moves": moves,
            }
        )
    return {
        "rounds": layout.rounds,  # type: ignore[attr-defined]
        "t_max": t_max(graph.params, layout),  # type: ignore[arg-type]
        "one_time_values": len(layout.value_bits),  # type: ignore[attr-defined]
        "states": states,
    }


def games_graph_to_json(graph: Graph) -> dict:
    from ocp.graphfile import signatures_to_json

    network = graph.params.network
    txs = []
    for name, g in graph.txs.items():
        inputs = []
        for i, (txin, spend, spent) in enumerate(zip(g.tx.inputs, g.spends, g.spent, strict=True)):
            inputs.append(
                {
                    "index": i,
                    "outpoint": str(txin.prevout),
                    "spends": str(spend.source),
                    "amount": spent.value,
                    # a data output: the mover picks the leaf when it moves
                    "leaf": None if spend.leaf is None or spend.any_leaf else str(spend.leaf),
                    "any_leaf": spend.any_leaf,
                    "sequence": txin.sequence,
                    "signers": [{"role": r.value, "key": k.hex()} for r, k in spend.signers],
                    "hash_type": spend.hash_type,
                    "presigned": spend.presigned,
                }
            )
        outputs = []
        for vout, out in enumerate(g.tx.outputs):
            entry: dict = {"vout": vout, "value": out.value, "script_pubkey": out.script_pubkey.hex()}
            gout = graph.outputs.get(OutputRef(name, vout))
            if gout is not None:
                entry.update(output_summary(gout, network))
            outputs.append(entry)
        txs.append(
            {
                "name": str(name),
                "role": g.role.value,
                "purpose": g.purpose,
                "txid": g.txid,
                "hex": g.tx.hex(),
                "fee": sum(o.value for o in g.spent) - sum(o.value for o in g.tx.outputs),
                "inputs": inputs,
                "outputs": outputs,
            }
        )
    leaves = [leaf for out in graph.outputs.values() for leaf in out.leaves]
    return {
        "format": GAMES_FORMAT,
        "graph_id": graph.graph_id.hex(),
        "params": graph.params.to_json(),
        "committee": graph.params.n_of_n.to_json(),
        "game_keys": graph.game_keys.to_json(),  # type: ignore[attr-defined]
        "game": game_summary(graph),
        "leaves": {"count": len(leaves), "script_bytes": sum(leaf.script.size for leaf in leaves)},
        "transactions": txs,
        "signatures": signatures_to_json(graph),
    }


def _which_tx(expected: dict, path: str) -> str:
    """`` (transaction Reveal_0/c1)`` when ``path`` is inside ``transactions[i]``."""
    match = re.match(r"transactions\[(\d+)\]", path)
    if match is None or int(match.group(1)) >= len(expected["transactions"]):
        return ""
    return f" (transaction {expected['transactions'][int(match.group(1))]['name']})"


def games_graph_from_json(
    obj: dict, source: str, program: str | Path | None = None, beside: str | Path | None = None
) -> Graph:
    """Regenerate the version-2 graph ``obj`` describes and refuse any difference."""
    from ocp.builder.games import build_graph_v2
    from ocp.game.keys import GameKeys
    from ocp.graphfile import _first_difference, parse_signatures
    from ocp.params import parse_params
    from ocp.signing import invalid_signatures

    if not isinstance(obj.get("params"), dict):
        raise UserError(f"{source}: 'params' is missing")
    try:
        params = parse_params(obj["params"], program, beside)
        if not params.games:
            raise UserError(
                f"format {GAMES_FORMAT!r} is a zkVM graph's, but its params' [computation] is not kind = \"zkvm\""
            )
        keys = GameKeys.from_json(obj.get("game_keys"))
        graph = build_graph_v2(params, keys)
    except UserError as exc:
        raise UserError(f"{source}: {str(exc).removeprefix('graph: ')}") from None
    graph = replace(graph, signatures=parse_signatures(graph, obj.get("signatures", {}), source))
    expected = games_graph_to_json(graph)
    difference = _first_difference(expected, obj, "")
    if difference is not None:
        raise UserError(
            f"{source}: {difference}{_which_tx(expected, difference)} differs from the graph its params, "
            "program, one-time keys and signatures build (tampered or corrupted?)"
        )
    bad = invalid_signatures(graph)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UserError(f"{source}: signatures: {bad[0]}{more}; remove it from the file or sign again")
    return graph

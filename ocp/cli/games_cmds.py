"""The version-2 side of ``ocp graph build|ots-keys|show`` (a zkVM program's claim,
disputed by one game per registered challenger; :mod:`ocp.gamefile`).

A version-2 graph is chosen by its params: ``[computation] kind = "zkvm"`` with
the program's path and digest and the search geometry, ``keys.challengers``,
``amounts.bond``, ``windows.move_window`` and ``funding.challengers``.
``--program guest.elf`` says where the ELF is when it is not at the params' path
(nor next to the params or graph file); its digest must be the params'.  Every
operator and every registered challenger derives its one-time public keys from
its own key file (``ocp graph ots-keys params.toml --operator-key op.key`` or
``--challenger-key ch.key``) and publishes the file; ``ocp graph build`` takes
key files (``--operator-key``, ``--challenger-key``: derived there) and
published files (``--ots-keys``), one per party.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ocp.cli.output import emit, field, markup, progress, table
from ocp.errors import UserError
from ocp.gamefile import leaf_kind
from ocp.gamekeysfile import collect_game_keys, derive_public, load_game_keys, save_game_keys
from ocp.graph import Graph
from ocp.graphfile import graph_to_json, save_graph
from ocp.ids import Role, TxName, tx_by_label
from ocp.keyfile import RoleKey, load_key
from ocp.params import Params

#: Leaves listed one by one in ``show --tx`` (an output with more is counted by kind).
LEAVES_LISTED = 12
ASM_PREVIEW = 200


def a_role(role: Role) -> str:
    """``an operator``, ``a challenger``."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def key_files(paths: list[str], role: Role, flag: str) -> list[tuple[RoleKey, str]]:
    """Key files given with ``flag``, each refused unless it is ``role``'s."""
    out = []
    for path in paths:
        key = load_key(path)
        if key.role is not role:
            raise UserError(f"{flag} {path} is {a_role(key.role)} key, not {a_role(role)} key")
        out.append((key, path))
    return out


def build_games_graph(args: argparse.Namespace, params: Params, out: Path) -> Graph:
    """Derive and read every party's one-time public keys, build and write the graph."""
    from ocp.builder.games import build_graph_v2
    from ocp.game.layout import GameLayout

    with progress(args, phases=4) as bar:
        bar.phase("laying out the game (execute, code and image leaves of the program)")
        layout = GameLayout(params.computation)
        bar.phase("deriving and reading one-time public keys")
        keys = key_files(args.operator_key, Role.OPERATOR, "--operator-key")
        keys += key_files(args.challenger_key, Role.CHALLENGER, "--challenger-key")
        published = [load_game_keys(params, path) for path in args.ots_keys]
        game_keys = collect_game_keys(params, layout, keys, published)
        bar.phase("building transactions and leaves")
        graph = build_graph_v2(params, game_keys, layout)
        bar.phase(f"writing {out}")
        save_graph(graph, out)
    return graph


def write_party_keys(args: argparse.Namespace, params: Params, key: RoleKey, source: str, out: Path) -> dict:
    from ocp.game.layout import GameLayout

    with progress(args) as bar:
        bar.phase("laying out the game and deriving one-time public keys")
        keys = derive_public(params, GameLayout(params.computation), key, source)
    save_game_keys(params, keys, out)
    values = sum(len(s.keys) for s in (keys.claim, *keys.games) if s is not None)
    return {
        "output": str(out),
        "role": key.role.value,
        "sets": len(keys.games) + (keys.claim is not None),
        "values": values,
    }


def games_summary(graph: Graph) -> dict:
    """What ``graph build`` and ``graph verify`` report of a version-2 graph."""
    p = graph.params
    comp = p.computation
    leaves = [leaf for out in graph.outputs.values() for leaf in out.leaves]
    return {
        "graph_id": graph.graph_id.hex(),
        "version": 2,
        "operators": len(p.operators),
        "challengers": len(p.challengers),
        "transactions": len(graph.txs),
        "presigned_inputs": sum(s.presigned for g in graph.txs.values() for s in g.spends),
        "program": comp.program,  # type: ignore[attr-defined]
        "program_digest": comp.digest.hex(),  # type: ignore[attr-defined]
        "max_steps": comp.search.max_steps,  # type: ignore[attr-defined]
        "nary": comp.search.n,  # type: ignore[attr-defined]
        "rounds": comp.search.rounds,  # type: ignore[attr-defined]
        "states": len(graph.layout.states),  # type: ignore[attr-defined]
        "leaves": len(leaves),
        "script_bytes": sum(leaf.script.size for leaf in leaves),
        "committee": len(p.committee),
        "committee_form": p.committee_form.value,
        "total_weight": sum(g.tx.weight for g in graph.txs.values()),
    }


# --- show ----------------------------------------------------------------------------------


def _families(graph: Graph) -> list[tuple[TxName, ...]]:
    from ocp.draw.picture import _families as families

    return families(graph, full=False)


def show_games(args: argparse.Namespace, graph: Graph) -> None:
    data = graph_to_json(graph)
    if args.tx:
        name = tx_by_label(graph.txs, args.tx)
        tx = next(t for t in data["transactions"] if t["name"] == str(name))
        emit(args, tx, lambda c: _render_tx(c, graph, name, tx))
        return
    emit(args, data, lambda c: _render_graph(c, graph, data))


def _render_graph(console, graph: Graph, data: dict) -> None:
    from ocp.draw.picture import family_label

    s = games_summary(graph)
    console.print(
        f"graph {s['graph_id']} (version 2): {markup(Path(s['program']).name)}, search over "
        f"{s['max_steps']:,} steps {s['nary']}-ary in {s['rounds']} rounds; {s['challengers']} "
        f"challenger(s), a game of {s['states']} states each; {s['leaves']:,} leaves, "
        f"{s['script_bytes']:,} script bytes (not in the file: regenerated)",
        highlight=False,
    )
    t = table("transaction(s)", "role", "spends (leaf)", "outs", "vsize unsigned", "fee")
    for names in _families(graph):
        gtxs = [graph.tx(n) for n in names]
        first = gtxs[0]
        spends = []
        for spend in first.spends:
            how = "any leaf" if spend.any_leaf else (str(spend.leaf) if spend.leaf is not None else "key")
            spends.append(f"{spend.source} ({how})")
        sizes = sorted({g.tx.vsize for g in gtxs})
        fees = sorted({sum(o.value for o in g.spent) - sum(o.value for o in g.tx.outputs) for g in gtxs})
        span = lambda v: str(v[0]) if len(v) == 1 else f"{v[0]}..{v[-1]}"  # noqa: E731
        where = ", ".join(spends) + (f" (first of {len(names)})" if len(names) > 1 else "")
        t.add_row(
            family_label(names), first.role.value, markup(where), str(len(first.tx.outputs)), span(sizes), span(fees)
        )
    console.print(t)
    states = table("state", "mover", "data outputs: leaves (kinds)", title="a game's states")
    for st in data["game"]["states"]:
        outs = []
        for d in st["data"]:
            top = sorted(d["kinds"].items(), key=lambda kv: -kv[1])[:4]  # the most numerous first
            kinds = ", ".join(f"{k} {n}" for k, n in top)
            more = ", ..." if len(d["kinds"]) > 4 else ""
            outs.append(f"{d['label']}: {d['leaves']} ({kinds}{more})")
        states.add_row(f"{st['index']} {st['label']}", st["mover"], markup("; ".join(outs)))
    console.print(states)


def _render_tx(console, graph: Graph, name: TxName, tx: dict) -> None:
    from ocp.ids import OutputRef

    console.print(f"[bold]{tx['name']}[/] ({markup(tx['purpose'])})", highlight=False)
    field(console, "txid", tx["txid"], indent=2)
    for i in tx["inputs"]:
        signers = ", ".join(sorted({s["role"] for s in i["signers"]}))
        how = "any of its leaves (the mover picks)" if i["any_leaf"] else (i["leaf"] or "key path")
        console.print(
            f"  input {i['index']}: spends {i['spends']} via {how}, {i['amount']} sat, "
            f"signed by {signers}{' (pre-signed)' if i['presigned'] else ' (when broadcast)'}",
            highlight=False,
        )
        field(console, "outpoint", i["outpoint"], indent=4)
    for o in tx["outputs"]:
        console.print(f"  output {o['vout']}: {o['value']} sat {markup(o.get('label', ''))}", highlight=False)
        if "output_key" not in o:
            field(console, "script_pubkey", o["script_pubkey"], indent=4)
            continue
        for key in ("address", "output_key", "merkle_root"):
            field(console, key, o[key], indent=4)
        kinds = ", ".join(f"{k} {n}" for k, n in o["leaf_kinds"].items())
        field(console, "leaves", f"{o['leaves']} ({kinds}), {o['script_bytes']:,} script bytes", indent=4)
        gout = graph.output(OutputRef(name, o["vout"]))
        if len(gout.leaves) > LEAVES_LISTED:
            continue
        leaves = table("leaf", "kind", "size", "purpose", "ASM")
        for leaf in gout.leaves:
            asm = leaf.script.asm()
            if len(asm) > ASM_PREVIEW:
                asm = asm[:ASM_PREVIEW] + f" ... ({len(asm):,} characters)"
            leaves.add_row(str(leaf.name), leaf_kind(leaf), str(leaf.script.size), markup(leaf.purpose), markup(asm))
        console.print(leaves)

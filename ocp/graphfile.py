"""``graph.json``: the graph as users, auditors and signers see it.

The file holds the params, the operator's Winternitz public keys, every
transaction (hex, role, purpose, what each input spends and by which leaf, each
output's leaves with ASM, size and purpose) and the signatures collected so
far.  Loading *rebuilds* the graph from the params and keys and refuses a file
whose transactions differ from the rebuilt ones, so a tampered transaction,
script or amount cannot slip through a ceremony.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ocp.builder import build_graph
from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.graph import GRAPH_FORMAT, Graph
from ocp.ids import OutputRef, TxName
from ocp.ots import ValueKeys
from ocp.params import parse_params
from taptrees.psbt import add_tap_script_sig, encode_psbt, psbt_for


def graph_psbt(graph: Graph, name: TxName) -> str:
    """BIP174/371 PSBT (base64) of one graph transaction: witness UTXOs, the leaf each
    input spends with its control block, and every pre-signature collected so far."""
    g = graph.tx(name)
    leaves = []
    for spend in g.spends:
        if spend.leaf is None:
            leaves.append(None)
            continue
        out, _ = graph.spend_leaf(spend)
        tap = out.tapleaf(spend.leaf)
        leaves.append((out.control_block(spend.leaf), tap.script.raw, tap.version))
    psbt = psbt_for(g.tx, g.spent, leaves)
    for index, sigs in sorted(graph.signatures.get(name, {}).items()):
        spend = g.spends[index]
        if spend.leaf is None:
            continue  # key-path funding signatures stay in "signatures"
        out, _ = graph.spend_leaf(spend)
        leaf_hash = out.tapleaf(spend.leaf).hash
        for pubkey, sig in sorted(sigs.items()):
            psbt = add_tap_script_sig(psbt, index, pubkey, leaf_hash, sig)
    return encode_psbt(psbt)


def graph_to_json(graph: Graph, with_asm: bool = True) -> dict:
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
                    "leaf": None if spend.leaf is None else str(spend.leaf),
                    "sequence": txin.sequence,
                    "signers": [r.value for r in spend.signers],
                    "hash_type": spend.hash_type,
                    "presigned": spend.presigned,
                }
            )
        outputs = []
        for vout, out in enumerate(g.tx.outputs):
            entry: dict = {"vout": vout, "value": out.value, "script_pubkey": out.script_pubkey.hex()}
            gout = graph.outputs.get(OutputRef(name, vout))
            if gout is not None:
                entry["label"] = gout.label
                entry["address"] = gout.output.address(graph.params.network)
                entry["leaves"] = [
                    {
                        "name": str(leaf.name),
                        "purpose": leaf.purpose,
                        "signers": [r.value for r in leaf.signers],
                        "size": leaf.script.size,
                        "depth": gout.output.tree.depth_of(k),
                        **({"asm": leaf.script.asm()} if with_asm else {}),
                    }
                    for k, leaf in enumerate(gout.leaves)
                ]
            outputs.append(entry)
        txs.append(
            {
                "name": str(name),
                "role": g.role.value,
                "purpose": g.purpose,
                "template": g.template,
                "txid": g.txid,
                "hex": g.tx.hex(),
                "psbt": graph_psbt(graph, name),
                "fee": sum(o.value for o in g.spent) - sum(o.value for o in g.tx.outputs),
                "inputs": inputs,
                "outputs": outputs,
            }
        )
    return {
        "format": GRAPH_FORMAT,
        "graph_id": graph.graph_id.hex(),
        "params": graph.params.to_json(),
        "ots": graph.ots.to_json(),
        "chunks": [list(c) for c in graph.chunks],
        "transactions": txs,
        "signatures": {
            str(tx): {str(i): {pk.hex(): sig.hex() for pk, sig in s.items()} for i, s in per.items()}
            for tx, per in graph.signatures.items()
        },
    }


def save_graph(graph: Graph, path: str | Path) -> None:
    write_json(path, graph_to_json(graph))


def graph_from_json(obj: dict, source: str = "graph") -> Graph:
    if obj.get("format") != GRAPH_FORMAT:
        raise UserError(f"{source}: format {obj.get('format')!r} is not {GRAPH_FORMAT!r}")
    if not isinstance(obj.get("params"), dict):
        raise UserError(f"{source}: 'params' is missing")
    params = parse_params(obj["params"])
    graph = build_graph(params, ValueKeys.from_json(obj.get("ots")))
    if obj.get("graph_id") != graph.graph_id.hex():
        raise UserError(f"{source}: graph_id does not match its params (tampered?)")
    listed = obj.get("transactions")
    if not isinstance(listed, list):
        raise UserError(f"{source}: 'transactions' must be a list")
    by_label = {str(name): name for name in graph.txs}
    seen = set()
    for entry in listed:
        if not isinstance(entry, dict) or "name" not in entry:
            raise UserError(f"{source}: a transaction entry has no name")
        label = entry["name"]
        name = by_label.get(label) if isinstance(label, str) else None
        if name is None:
            raise UserError(f"{source}: unknown transaction {label!r}")
        if entry.get("hex") != graph.txs[name].tx.hex():
            raise UserError(
                f"{source}: transaction {name} differs from the one its params build (tampered?)"
            )
        seen.add(name)
    missing = set(graph.txs) - seen
    if missing:
        raise UserError(f"{source}: transactions missing: {', '.join(sorted(map(str, missing)))}")
    sigs = obj.get("signatures", {})
    if not isinstance(sigs, dict):
        raise UserError(f"{source}: 'signatures' must be an object")
    parsed: dict[TxName, dict[int, dict[bytes, bytes]]] = {}
    for label, per in sigs.items():
        name = by_label.get(label)
        if name is None:
            raise UserError(f"{source}: signature for unknown transaction {label!r}")
        if not isinstance(per, dict):
            raise UserError(f"{source}: signatures of {label} must be an object")
        n_inputs = len(graph.txs[name].spends)
        for idx, by_key in per.items():
            if not str(idx).isdigit() or int(idx) >= n_inputs or not isinstance(by_key, dict):
                raise UserError(f"{source}: signatures of {label}: bad input index {idx!r}")
            slot = parsed.setdefault(name, {}).setdefault(int(idx), {})
            for pk, sig in by_key.items():
                if not _is_hex(pk, 32) or not (_is_hex(sig, 64) or _is_hex(sig, 65)):
                    raise UserError(f"{source}: signature of {label} input {idx} is malformed")
                slot[bytes.fromhex(pk)] = bytes.fromhex(sig)
    return replace(graph, signatures=parsed)


def _is_hex(text: object, n_bytes: int) -> bool:
    if not isinstance(text, str) or len(text) != 2 * n_bytes:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def load_graph(path: str | Path) -> Graph:
    return graph_from_json(read_json(path, "graph file"), str(path))

